"""Latency from a member's message to the bot's reply arriving at a WeChat gateway.

    make bench          # or: .venv/bin/python bench/latency.py [--n 200]

Starts the loopback test gateway (official PuppetServer + PuppetMock, 127.0.0.1 only), then,
one bot at a time on that gateway:
- a trivial echo bot (python-wechaty through our adapter, no database), the baseline;
- the whole Gridbot app on SQLite (a temporary file);
- the whole Gridbot app on PostgreSQL (a database of its own on 127.0.0.1:5432, user
  postgres, created and dropped here; skipped if the server is not reachable).

Mock members post reports one at a time (closed loop: the next only after the reply arrived);
both ends are timed on the gateway's clock (the message's timestamp, the reply's send time),
so the client's polling adds no error. All traffic stays on 127.0.0.1; it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(REPO))

from aiohttp import web  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bench.echo_bot import EchoBot  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.services.roster import importer  # noqa: E402
from bot.web import keys  # noqa: E402
from config.settings import load_settings  # noqa: E402
from models.db import make_engine  # noqa: E402
from models.tables import Room  # noqa: E402
from tests.adapters.gateway import Gateway, free_port, missing_prerequisite  # noqa: E402
from tests.e2e.conftest import ROOM_IDS, roster_spec  # noqa: E402
from tests.harness import TEST_ROSTER  # noqa: E402

TOKEN = "gridbot-bench-token"
PG_ADMIN_URL = os.environ.get(
    "GRIDBOT_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
# High enough that the limiter (by default 20 a minute, 1 s per group) never holds a reply.
SEND_BUDGET_PER_MINUTE = 100_000
ROOM_MIN_INTERVAL_SECONDS = 0
WARMUP = 5  # messages before the measured ones (connection set-up, first queries)
REPLY_TIMEOUT = 15.0
# Members who post, and the group each posts in (their grids have no group of their own).
POSTERS = [("wx_a_member", "一村群"), ("wx_b_member", "一村群"), ("wx_v2a_member", "二村群")]


@dataclass(frozen=True)
class Result:
    bot: str
    database: str
    samples: list[float]

    def row(self) -> str:
        ordered = sorted(self.samples)
        p99 = ordered[max(math.ceil(0.99 * len(ordered)) - 1, 0)]
        median = statistics.median(ordered)
        cells = f"{self.bot:<23} | {self.database:<10} | {len(ordered):>4} |"
        return f"| {cells} {median:>9.1f} | {p99:>7.1f} |"


def report_text(n: int) -> str:
    return f"【问题上报】\n类型：散煤\n地点：压测点{n}号\n描述：居民使用燃煤炉取暖，冒黑烟"


async def measure(gateway: Gateway, count: int) -> list[float]:
    """Post `WARMUP + count` reports; return the measured message-to-reply times in ms."""
    cursor = len(await gateway.sent())
    samples: list[float] = []
    for n in range(WARMUP + count):
        sender, topic = POSTERS[n % len(POSTERS)]
        marker = f"地点：压测点{n}号"
        _, posted_at = await gateway.say_timed(sender, report_text(n), room=ROOM_IDS[topic])
        deadline = time.monotonic() + REPLY_TIMEOUT
        reply = None
        while reply is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no reply to report {n} within {REPLY_TIMEOUT}s")
            news = await gateway.wait_sent(cursor, min(remaining, 5.0))
            cursor += len(news)
            reply = next((s for s in news if marker in s["text"]), None)
        if n >= WARMUP:
            samples.append(float(reply["at"]) - posted_at)
    return samples


async def bench_echo(gateway: Gateway, workdir: Path, count: int) -> Result:
    bot = EchoBot(gateway.endpoint, TOKEN, workdir / "wechaty")
    await bot.start()
    try:
        await bot.wait_ready()
        return Result("echo bot (adapter only)", "-", await measure(gateway, count))
    finally:
        await bot.stop()


async def bench_app(gateway: Gateway, workdir: Path, database: str, url: str, count: int) -> Result:
    engine = make_engine(url)
    try:
        from models.db import migrate

        migrate(engine)
        importer.import_roster(engine, TEST_ROSTER)
    finally:
        engine.dispose()
    port = free_port()
    settings = load_settings(
        env_file=workdir / "no.env",
        environ={
            "GRIDBOT_DATABASE_URL": url,
            "GRIDBOT_DATA_DIR": str(workdir / database),
            "GRIDBOT_DEMO_ROSTER": "off",
            "WECHATY_PUPPET_SERVICE_ENDPOINT": gateway.endpoint,
            "WECHATY_PUPPET_SERVICE_TOKEN": TOKEN,
            "GRIDBOT_WEB_HOST": "127.0.0.1",
            "GRIDBOT_WEB_PORT": str(port),
            "GRIDBOT_SEND_BUDGET_PER_MINUTE": str(SEND_BUDGET_PER_MINUTE),
            "GRIDBOT_ROOM_MIN_INTERVAL_SECONDS": str(ROOM_MIN_INTERVAL_SECONDS),
        },
    )
    app = build_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await until(lambda: app[keys.HEALTH].logged_in, "login")
        runtime = app[keys.RUNTIME]

        def bound() -> bool:
            with runtime.transaction() as session:
                rooms = session.exec(select(Room).where(col(Room.grid_id).is_not(None))).all()
                return all(r.platform_id for r in rooms)

        await until(lambda: asyncio.to_thread(bound), "groups bound")
        return Result("Gridbot app", database, await measure(gateway, count))
    finally:
        async with asyncio.timeout(30):
            await runner.cleanup()


async def until(check: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def create_pg_database() -> tuple[str, str] | None:
    """(url, name) of a new, empty PostgreSQL database; None if no server answers."""
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        name = f"gridbot_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL skipped: {exc.__class__.__name__}: {exc}".splitlines()[0])
        return None
    finally:
        admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", name


def drop_pg_database(name: str) -> None:
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


async def run(count: int) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-") as tmp:
        workdir = Path(tmp)
        gateway = Gateway(workdir, roster_spec(), TOKEN)
        await asyncio.to_thread(gateway.start)
        try:
            results.append(await bench_echo(gateway, workdir, count))
            sqlite_url = f"sqlite:///{workdir / 'bench.db'}"
            results.append(await bench_app(gateway, workdir, "sqlite", sqlite_url, count))
            pg = create_pg_database()
            if pg is not None:
                url, name = pg
                try:
                    results.append(await bench_app(gateway, workdir, "postgresql", url, count))
                finally:
                    drop_pg_database(name)
        finally:
            gateway.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="measured reports per bot (200)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    reason = missing_prerequisite()
    if reason is not None:
        print(f"cannot run the bench: {reason}", file=sys.stderr)
        return 2
    print(
        f"Member message -> bot reply at the gateway, loopback, {args.n} reports per row "
        f"(after {WARMUP} warm-up), one at a time; both ends on the gateway's clock."
    )
    print(
        f"Rate limiter raised for the bench: GRIDBOT_SEND_BUDGET_PER_MINUTE="
        f"{SEND_BUDGET_PER_MINUTE}, GRIDBOT_ROOM_MIN_INTERVAL_SECONDS="
        f"{ROOM_MIN_INTERVAL_SECONDS} (defaults 20 and 1 would throttle {args.n} replies)."
    )
    started = time.monotonic()
    results = asyncio.run(asyncio.wait_for(run(args.n), timeout=600))
    print()
    print("| transport/bot           | database   |    n | median ms | p99 ms  |")
    print("|-------------------------|------------|------|-----------|---------|")
    for result in results:
        print(result.row())
    for result in results:
        slow = [s for s in result.samples if s > 500]
        if slow:
            print(
                f"{result.bot}, {result.database}: {len(slow)} of {len(result.samples)} replies "
                f"took over 500 ms (median of those {statistics.median(slow):.0f} ms)"
            )
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
