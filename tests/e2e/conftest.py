"""The whole app (web server, scheduler, delivery, WeChat transport) against a real gateway.

One gateway process per test (a gateway allows one event stream), with mock groups
and members taken from the 5-level test roster; the app runs on the test's event loop through
aiohttp's AppRunner, on the `db_url` database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import csv
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from sqlmodel import Session, col, select

from bot.app import build_app
from bot.services.roster import importer as roster
from bot.services.runtime import Runtime
from bot.web import keys
from config.settings import load_settings
from models.db import make_engine
from models.tables import Outbox, Room
from tests.adapters.gateway import (
    Gateway,
    eventually,
    free_port,
    running_gateway,
)
from tests.harness import TEST_ROSTER

T = TypeVar("T")

TOKEN = "gridbot-e2e-token"
ADMIN_TOKEN = "e2e-admin-token-00001"
BOT_ID = "gridbot-self"
BOT_NAME = "网格通"
# Room ids must contain "@".
ROOM_IDS = {
    "区平台群": "district@chatroom",
    "一镇群": "town1@chatroom",
    "二镇群": "town2@chatroom",
    "一村群": "village1@chatroom",
    "二村群": "village2@chatroom",
}
SHANGHAI = ZoneInfo("Asia/Shanghai")
FAMILY_ROOM = "family@chatroom"  # a group the bot sits in that the roster does not name
FAMILY_TOPIC = "家族群"


class MovableClock:
    """The system clock plus an offset the test moves forward.

    Inbound messages carry the gateway's (real) timestamps, so the app's clock must keep
    running in step with them; a test still jumps ahead by days to make deadlines pass.
    It starts at the next 12:30 in Shanghai (less than a day ahead of the gateway's time):
    after the briefing's morning window, outside quiet hours, clear of meeting and patrol
    reminders, so what the app does at start (or two days on, at 12:31) does not depend on
    the hour the suite runs at.
    """

    def __init__(self) -> None:
        now = datetime.now(UTC)
        local = now.astimezone(SHANGHAI)
        start = local.replace(hour=12, minute=30, second=0, microsecond=0)
        if start <= local:
            start += timedelta(days=1)
        self._offset = start - local

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


def roster_spec() -> dict[str, Any]:
    """Gateway contacts and groups as the test roster describes them.

    Contact ids are the roster's 微信号; each person sits in the group of their grid, or of the
    nearest ancestor grid that has one. The bot is in every group, plus one family group.
    """
    with TEST_ROSTER.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    parent = {r["网格编码"]: r["上级网格编码"] for r in rows}
    topic = {r["网格编码"]: r["微信群"] for r in rows if r["微信群"]}

    def group_of(code: str) -> str:
        while code not in topic:
            code = parent[code]
        return topic[code]

    contacts: list[dict[str, str]] = []
    members: dict[str, list[str]] = {t: [] for t in ROOM_IDS}
    for row in rows:
        if row["姓名"]:
            contacts.append({"id": row["微信号"], "name": row["姓名"], "weixin": row["微信号"]})
            members[group_of(row["网格编码"])].append(row["微信号"])
    rooms = [{"id": ROOM_IDS[t], "topic": t, "members": ids} for t, ids in members.items()]
    rooms.append({"id": FAMILY_ROOM, "topic": FAMILY_TOPIC, "members": ["wx_a_member"]})
    return {"bot": {"id": BOT_ID, "name": BOT_NAME}, "contacts": contacts, "rooms": rooms}


class Stack:
    """A gateway, a database and the app that runs (and can be restarted) between them."""

    def __init__(self, gateway: Gateway, db_url: str, data_dir: Path) -> None:
        self.gateway = gateway
        self.db_url = db_url
        self.data_dir = data_dir
        self.clock = MovableClock()
        self.web_port = free_port()
        self.app: web.Application | None = None
        self._runner: web.AppRunner | None = None

    def settings_env(self) -> dict[str, str]:
        return {
            "GRIDBOT_DATABASE_URL": self.db_url,
            "GRIDBOT_DATA_DIR": str(self.data_dir),
            "GRIDBOT_DEMO_ROSTER": "off",
            "WECHATY_PUPPET_SERVICE_ENDPOINT": self.gateway.endpoint,
            "WECHATY_PUPPET_SERVICE_TOKEN": TOKEN,
            "GRIDBOT_WEB_HOST": "127.0.0.1",
            "GRIDBOT_WEB_PORT": str(self.web_port),
            "GRIDBOT_ADMIN_TOKEN": ADMIN_TOKEN,
            "GRIDBOT_SWEEP_SECONDS": "1",
            # The default limiter (20 a minute, 1 s per group) would only slow the tests down.
            "GRIDBOT_SEND_BUDGET_PER_MINUTE": "600",
            "GRIDBOT_ROOM_MIN_INTERVAL_SECONDS": "0",
        }

    def import_roster(self) -> None:
        engine = make_engine(self.db_url)
        try:
            roster.import_roster(engine, TEST_ROSTER)
        finally:
            engine.dispose()

    @property
    def runtime(self) -> Runtime:
        assert self.app is not None
        return self.app[keys.RUNTIME]

    @property
    def health(self) -> keys.Health:
        assert self.app is not None
        return self.app[keys.HEALTH]

    async def start(self) -> None:
        """Run the real app and wait until it is logged in and has bound the groups."""
        settings = load_settings(env_file=self.data_dir / "no.env", environ=self.settings_env())
        self.app = build_app(settings, clock=self.clock)
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.web_port).start()
        await eventually(lambda: self.health.logged_in, what="login")
        await self.wait_db(
            lambda s: all(
                r.platform_id for r in s.exec(select(Room).where(col(Room.grid_id).is_not(None)))
            ),
            what="groups bound",
        )

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            # A shutdown that hangs is a bug worth a failure, not a stuck test run.
            async with asyncio.timeout(30):
                await runner.cleanup()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def wake(self) -> None:
        """Tell the delivery loop something was queued (as the app's own hooks do)."""
        assert self.app is not None
        self.app[keys.WAKE].set()

    async def healthz(self) -> dict[str, Any]:
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"http://127.0.0.1:{self.web_port}/healthz", timeout=aiohttp.ClientTimeout(total=5)
            ) as response,
        ):
            assert response.status == 200
            result: dict[str, Any] = await response.json()
            return result

    # -- the database --------------------------------------------------------------------

    async def db(self, query: Callable[[Session], T]) -> T:
        def run() -> T:
            with self.runtime.transaction() as session:
                return query(session)

        return await asyncio.to_thread(run)

    async def wait_db(
        self, check: Callable[[Session], Any], *, timeout: float = 10.0, what: str = "condition"
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = await self.db(check)
            if result:
                return result
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout}s waiting for {what}")
            await asyncio.sleep(0.05)

    async def outbox_settled(self) -> None:
        """Wait until nothing is being sent and nothing due is pending."""

        def settled(session: Session) -> bool:
            sending = col(Outbox.status) == "sending"
            due = (col(Outbox.status) == "pending") & (
                col(Outbox.next_attempt_at) <= self.clock.now()
            )
            return session.exec(select(Outbox.id).where(sending | due)).first() is None

        await self.wait_db(settled, what="the outbox to drain")

    # -- the gateway ----------------------------------------------------------------------

    async def say(
        self, sender: str, text: str, room: str | None = None, mentions: list[str] | None = None
    ) -> str:
        """`sender` (a contact id) says `text` in the group with that topic, or privately."""
        return await self.gateway.say(
            sender, text, room=ROOM_IDS.get(room or "", room), mentions=mentions
        )

    async def expect(
        self,
        match: Callable[[dict[str, Any]], bool],
        *,
        count: int = 1,
        timeout: float = 10.0,
        what: str = "",
    ) -> list[dict[str, Any]]:
        """Everything sent so far that `match`es, once there are at least `count`."""
        deadline = time.monotonic() + timeout
        while True:
            sent = await self.gateway.sent()
            found = [s for s in sent if match(s)]
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"timed out after {timeout}s waiting for {what or 'a send'}: {sent}")
            await self.gateway.wait_sent(len(sent), min(remaining, 2.0))

    async def sent_in(self, topic: str) -> list[dict[str, Any]]:
        return [s for s in await self.gateway.sent() if s["roomId"] == ROOM_IDS[topic]]


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    with running_gateway(tmp_path, roster_spec(), TOKEN) as gw:
        yield gw


@pytest.fixture
async def stack(gateway: Gateway, db_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """The app, logged in through the gateway, on a database holding the test roster."""
    running = Stack(gateway, db_url, tmp_path / "data")
    await asyncio.to_thread(running.import_roster)
    try:
        await running.start()
        yield running
    finally:
        await running.stop()
