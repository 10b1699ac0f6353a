"""Fuzz the dispatcher: `.venv/bin/python bench/fuzz.py [--n 100000] [--db URL]`.

Sends generated hostile and odd messages (the pieces in tests/fuzz/strategies.py, random
Unicode, lone surrogates, NUL, overlong fields and ids) through the real dispatcher on a fresh
SQLite file (or the PostgreSQL database given) and prints: messages, replies, tickets opened,
exceptions that escaped, generic apologies, and messages a second. Every figure but the
speed must be 0 where the README says so.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core import texts as core_texts
from bot.core.messages import ChatRef, Inbound
from handlers.dispatcher import Dispatcher
from models.db import make_engine, migrate
from tests.fuzz.strategies import PIECES
from tests.harness import Harness

ROOMS = ["一村群", "二村群", "一镇群", "不存在的群"]
SENDERS = ["wx_a_member", "wx_a_head", "wx_v1_head", "stranger"]


def junk(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 8)):
        if rng.random() < 0.6:
            parts.append(rng.choice(PIECES))
        else:
            parts.append("".join(chr(rng.randint(0, 0x2FFFF)) for _ in range(rng.randint(0, 12))))
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", default="")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/fuzz.db"
    engine = make_engine(url)
    migrate(engine)
    bot = Harness.on(engine)
    dispatcher = Dispatcher(bot.runtime)
    rng = random.Random(args.seed)
    escaped = apologies = replies = 0
    started = time.perf_counter()
    for n in range(args.n):
        inbound = Inbound(
            message_id=junk(rng) if rng.random() < 0.05 else uuid.uuid4().hex,
            chat=ChatRef(*(2 * [rng.choice(ROOMS) if rng.random() < 0.95 else junk(rng)])),
            sender_id=rng.choice(SENDERS) if rng.random() < 0.95 else junk(rng),
            sender_name=junk(rng) if rng.random() < 0.1 else "巡查员",
            text=junk(rng),
            at=bot.clock.now(),
        )
        try:
            ids = dispatcher.handle(inbound)
        except Exception as exc:  # the figure this bench exists to show is 0
            escaped += 1
            print(f"escaped #{n}: {type(exc).__name__}: {exc}"[:200])
            continue
        sent = bot._deliver(ids)
        replies += len(sent)
        apologies += sum(1 for s in sent if s.text == core_texts.SORRY)
        if n % 10_000 == 0 and n:
            print(f"  {n:,} messages …", flush=True)
    elapsed = time.perf_counter() - started
    print(f"database: {engine.url.get_backend_name()}")
    print(f"messages: {args.n:,}; replies: {replies:,}; tickets opened: {len(bot.tickets()):,}")
    print(f"exceptions escaped: {escaped}; generic apologies: {apologies}")
    print(f"speed: {args.n / elapsed:,.0f} messages/s")
    engine.dispose()


if __name__ == "__main__":
    main()
