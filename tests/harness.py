"""A bot on a real database with a clock the test moves, and a transcript of what it sent."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.bootstrap import build_policy
from bot.core.clock import FixedClock
from bot.core.messages import Attachment, ChatRef, Inbound
from bot.services.outbox import queue as outbox
from bot.services.roster import importer
from bot.services.roster.lookup import sender_for
from bot.services.runtime import Runtime
from bot.services.tickets.listing import list_tickets
from config.settings import load_settings
from handlers.dispatcher import Dispatcher
from models.db import make_engine
from scheduler.jobs import run_sweeps

TEST_ROSTER = Path(__file__).parent / "data" / "roster_5levels.csv"
PG_ADMIN_URL = os.environ.get(
    "GRIDBOT_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
# Sunday 22 November 2026, 10:00 in Shanghai.
START = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def inbound_from(runtime: Runtime, room: str | None, who: str, text: str) -> Inbound:
    """The message roster member `who` posting `text` in `room` (None: private) would be."""
    with runtime.transaction() as session:
        sender_id, name = sender_for(session, who)
    return Inbound(
        message_id=uuid.uuid4().hex,
        chat=ChatRef(room, room),
        sender_id=sender_id,
        sender_name=name,
        text=text,
        at=runtime.clock.now(),
    )


@dataclass(frozen=True)
class Sent:
    room: str | None
    text: str
    mentions: tuple[str, ...]
    attachment: str | None = None


@dataclass
class Harness:
    runtime: Runtime
    clock: FixedClock
    sent: list[Sent] = field(default_factory=list)
    reported: int = 0

    @classmethod
    def on(cls, engine: Engine, roster_file: Path = TEST_ROSTER, **policy: Any) -> Harness:
        clock = FixedClock(START)
        base = build_policy(load_settings(environ={}))
        from dataclasses import replace

        runtime = Runtime(engine=engine, clock=clock, policy=replace(base, **policy))
        importer.import_roster(engine, roster_file)
        return cls(runtime, clock)

    def _deliver(self, ids: list[int] | None) -> list[Sent]:
        """Deliver the given outbox ids (None: everything due) into the transcript."""
        now = self.clock.now()
        out = []
        with self.runtime.transaction() as session:
            for m in outbox.claim(session, now, limit=len(ids) if ids else 1000, only=ids):
                out.append(Sent(m.room_topic, m.text, m.mention_names, m.attachment))
                outbox.mark_sent(session, m.outbox_id, now, None)
        self.sent.extend(out)
        return out

    def say(
        self, room: str | None, who: str, text: str, message_id: str | None = None
    ) -> list[Sent]:
        """`who` posts `text` in `room` (None: a private chat); return what the bot sent."""
        with self.runtime.transaction() as session:
            sender_id, name = sender_for(session, who)
        return self.say_as(room, sender_id, name, text, message_id)

    def inbound(self, room: str | None, who: str, text: str) -> Inbound:
        """The message `who` posting `text` in `room` would be, not yet handled."""
        return inbound_from(self.runtime, room, who, text)

    def say_as(
        self,
        room: str | None,
        sender_id: str,
        name: str,
        text: str,
        message_id: str | None = None,
        *,
        mentions_bot: bool = False,
    ) -> list[Sent]:
        """Post as a platform contact (id and display name), as a chat transport would."""
        inbound = Inbound(
            message_id=message_id or uuid.uuid4().hex,
            chat=ChatRef(room, room),
            sender_id=sender_id,
            sender_name=name,
            text=text,
            at=self.clock.now(),
            mentions_bot=mentions_bot,
        )
        return self._deliver(Dispatcher(self.runtime).handle(inbound))

    def photo(self, room: str | None, who: str) -> list[Sent]:
        """`who` sends a photo (claimed on its ticket; its bytes are not fetched here)."""
        with self.runtime.transaction() as session:
            sender_id, name = sender_for(session, who)
        message_id = uuid.uuid4().hex
        inbound = Inbound(
            message_id=message_id,
            chat=ChatRef(room, room),
            sender_id=sender_id,
            sender_name=name,
            text="",
            at=self.clock.now(),
            attachment=Attachment.IMAGE,
            attachment_ref=message_id,
        )
        return self._deliver(Dispatcher(self.runtime).handle(inbound))

    def tick(self, advance: timedelta = timedelta(0)) -> list[Sent]:
        self.clock.advance(advance)
        return self._deliver(run_sweeps(self.runtime))

    def flush(self, advance: timedelta = timedelta(0)) -> list[Sent]:
        """Move the clock and deliver every outbox message now due (delayed ones too)."""
        self.clock.advance(advance)
        return self._deliver(None)

    def pings(self, advance: timedelta = timedelta(0)) -> list[Sent]:
        """Like tick, keeping only escalation pings (briefings go out meanwhile too)."""
        return [s for s in self.tick(advance) if "【超期提醒" in s.text[:12]]

    def tickets(self) -> list[dict[str, object]]:
        with self.runtime.transaction() as session:
            return list_tickets(session, self.runtime.policy.tz)

    def report(
        self,
        room: str,
        who: str,
        category: str = "散煤",
        location: str | None = None,
        extra: str = "",
    ) -> str:
        """Post a well-formed report and return the new ticket's code.

        Without a `location`, each call reports a different building (the same place twice
        would be a duplicate report and join the first ticket).
        """
        if location is None:
            self.reported += 1
            location = f"一村{self.reported + 2}号楼东侧"
        replies = self.say(
            room,
            who,
            f"【问题上报】\n类型：{category}\n地点：{location}\n"
            f"描述：居民使用燃煤炉取暖，冒黑烟{extra}",
        )
        assert len(replies) == 1, replies
        return str(self.tickets()[-1]["code"])


def end_connections(engine: Engine) -> int:
    """End every server connection to `engine`'s database, as a server restart would."""
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            ended = connection.execute(
                text(
                    "select pg_terminate_backend(pid) from pg_stat_activity "
                    "where datname = :name and pid <> pg_backend_pid()"
                ),
                {"name": engine.url.database},
            ).all()
    finally:
        admin.dispose()
    return len(ended)
