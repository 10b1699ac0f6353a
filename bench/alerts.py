"""Benchmark: how long a heavy-pollution alert takes to reach every group under the send budget.

The alert goes out through the real outbox, rate limiter and deliverer, on a clock that moves
half a second per step (a fake transport stands in for WeChat, which lies outside this machine).
Two rosters: the demo roster and the Jincheng plan's 155 groups (1 district, 8 towns, 146
villages; see bench/sweeps.py). Prints the simulated time until the last group has it, and
how long the bot itself took to queue it.

    .venv/bin/python bench/alerts.py [--budget 20] [--gap 1]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from sweeps import write_roster

from bot.bootstrap import build_policy
from bot.core.clock import FixedClock
from bot.core.messages import ChatRef, Inbound, Outgoing
from bot.services.outbox.delivery import Deliverer, RateLimiter
from bot.services.roster import importer
from bot.services.runtime import Runtime
from config.settings import DEMO_ROSTER, load_settings
from handlers.dispatcher import Dispatcher
from models.db import make_engine, migrate

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
STEP = timedelta(seconds=0.5)


class Recorder:
    """A transport that is always up and notes when each message left."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.sent: list[tuple[datetime, Outgoing]] = []

    async def start(self, on_message: object) -> None: ...

    async def stop(self) -> None: ...

    def is_ready(self) -> bool:
        return True

    async def send(self, message: Outgoing) -> str | None:
        self.sent.append((self.clock.now(), message))
        return f"p{len(self.sent)}"

    async def fetch_attachment(self, ref: str) -> tuple[str, bytes]:
        raise NotImplementedError


async def reach(
    roster: Path, room: str, issuer: str, budget: int, gap: float
) -> tuple[int, float, float]:
    """(groups, simulated seconds until the last one has the alert, wall ms to queue it)."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/alerts.db")
        migrate(engine)
        importer.import_roster(engine, roster)
        clock = FixedClock(START)
        policy = build_policy(load_settings(environ={}))
        runtime = Runtime(engine=engine, clock=clock, policy=replace(policy))
        inbound = Inbound(
            message_id="bench-alert",
            chat=ChatRef(room, room),
            sender_id=issuer,
            sender_name=issuer,
            text="发布预警 橙色 即日起至11月25日24时",
            at=clock.now(),
        )
        began = time.perf_counter()
        queued = Dispatcher(runtime).handle(inbound)
        queue_ms = (time.perf_counter() - began) * 1000
        transport = Recorder(clock)
        deliverer = Deliverer(runtime, transport, RateLimiter(clock, budget, gap))  # type: ignore[arg-type]
        while len(transport.sent) < len(queued):
            await deliverer.run_once()
            clock.advance(STEP)
        alerts = [at for at, m in transport.sent if m.text.startswith("【重污染天气")]
        engine.dispose()
        return len(alerts), (max(alerts) - START).total_seconds(), queue_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=int, default=20, help="messages a minute (default 20)")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between two in a group")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        jincheng = Path(tmp) / "jincheng.csv"
        write_roster(jincheng)
        for name, roster, room, issuer in (
            ("demo roster", DEMO_ROSTER, "城区环保网格平台群", "wxid_zhaolixin"),
            ("Jincheng", jincheng, "区平台群", "wx_q"),
        ):
            groups, seconds, queue_ms = asyncio.run(
                reach(roster, room, issuer, args.budget, args.gap)
            )
            print(
                f"{name}: {groups} groups reached in {seconds:.0f} s "
                f"({seconds / 60:.1f} min) at {args.budget}/min; queued in {queue_ms:.0f} ms"
            )


if __name__ == "__main__":
    main()
