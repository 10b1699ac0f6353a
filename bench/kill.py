"""kill -9 the bot while it takes reports, restart it, and count what reached WeChat.

`.venv/bin/python bench/kill.py [--reports 300] [--kills 6] [--db URL]` (needs `make gateway`).
Runs the official gateway with the mock puppet on loopback and `gridbot run` as a process of its
own on a SQLite file (or the PostgreSQL database given). Mock members post reports one by one;
the bot is killed with SIGKILL at random moments and started again. At the end it prints: the
reports posted, tickets on the ledger, replies that reached WeChat, replies that reached it
twice (must be 0), outbox rows whose send was cut off mid-way (`unknown`, never resent),
the reports after which it killed the bot and the reports that got no ticket (so a loss can be
told from the report in flight at a kill), and where the bot's log is.
Reports posted while the bot was down never reach it (the gateway delivers events only to a
connected client), as the README says.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import and_, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.core.clock import SystemClock
from bot.services.outbox.queue import SEND_UNDER_WAY
from bot.services.roster import importer
from models.db import make_engine, migrate
from models.tables import Outbox, Ticket
from tests.adapters.gateway import Gateway, free_port
from tests.e2e.conftest import ROOM_IDS, roster_spec
from tests.harness import TEST_ROSTER

CLOCK = SystemClock()

TOKEN = "gridbot-kill-bench"
ADMIN = "kill-bench-admin-token-0001"
GRIDBOT = Path(sys.executable).parent / "gridbot"
CODE = re.compile(r"已登记工单 (\d+)")
PLACE = "一村{n}号楼东侧"


def start_bot(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(GRIDBOT), "run"], env=env, stdout=out, stderr=out, start_new_session=True
        )


def logged_in(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            return bool(json.loads(r.read()).get("logged_in"))
    except Exception:
        return False


def settled(engine: Engine) -> bool:
    """Nothing due is waiting in the outbox, and nothing claimed is still to be sent (a
    pass's batch goes one by one; stopped midway, the rest would go back to pending). A
    send begun longer than `SEND_UNDER_WAY` ago was cut off by a kill: it will never finish."""
    now = CLOCK.now()
    with Session(engine) as session:
        waiting = session.exec(
            select(func.count())
            .select_from(Outbox)
            .where(
                or_(
                    and_(col(Outbox.status) == "pending", col(Outbox.next_attempt_at) <= now),
                    and_(
                        col(Outbox.status) == "sending",
                        or_(
                            col(Outbox.attempt_started_at).is_(None),
                            col(Outbox.attempt_started_at) > now - SEND_UNDER_WAY,
                        ),
                    ),
                )
            )
        ).one()
    return int(waiting) == 0


async def wait(check: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(check):  # type: ignore[arg-type]
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("the bot did not log in")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--db", default="")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="gridbot-kill-"))
    url = args.db or f"sqlite:///{workdir / 'bot.db'}"
    engine = make_engine(url)
    migrate(engine)
    importer.import_roster(engine, TEST_ROSTER)
    gateway = Gateway(workdir, roster_spec(), TOKEN)
    gateway.start()
    port = free_port()
    env = {
        **os.environ,
        "GRIDBOT_DATABASE_URL": url,
        "GRIDBOT_DATA_DIR": str(workdir),
        "GRIDBOT_DEMO_ROSTER": "off",
        "GRIDBOT_ADMIN_TOKEN": ADMIN,
        "GRIDBOT_WEB_PORT": str(port),
        "WECHATY_PUPPET_SERVICE_ENDPOINT": gateway.endpoint,
        "WECHATY_PUPPET_SERVICE_TOKEN": TOKEN,
        "GRIDBOT_SEND_BUDGET_PER_MINUTE": "6000",
        "GRIDBOT_ROOM_MIN_INTERVAL_SECONDS": "0",
        "GRIDBOT_SWEEP_SECONDS": "1",
    }
    kill_at = sorted(rng.sample(range(10, args.reports - 10), args.kills))
    killed_after = list(kill_at)
    bot = start_bot(env, workdir / "bot.log")
    posted = kills = 0
    try:
        await wait(lambda: logged_in(port))
        for n in range(args.reports):
            text = f"【问题上报】\n类型：散煤\n地点：{PLACE.format(n=n)}\n描述：烧煤取暖"
            await gateway.say("wx_a_member", text, room=ROOM_IDS["一村群"])
            posted += 1
            await asyncio.sleep(rng.uniform(0.0, 0.03))
            if kill_at and n == kill_at[0]:
                kill_at.pop(0)
                os.killpg(bot.pid, signal.SIGKILL)
                bot.wait()
                kills += 1
                bot = start_bot(env, workdir / "bot.log")
                await wait(lambda: logged_in(port))
        # Let the last replies go out: until nothing due waits (a send cut off by the last
        # kill holds its group back for 20 s), or 60 s. The last report needs a moment to
        # be recorded first: checked at once, its reply was not yet waiting, and the bot was
        # stopped with it still to go (put back, sent at the next start, but not counted).
        await asyncio.sleep(1.0)
        deadline = time.monotonic() + 60
        while not await asyncio.to_thread(settled, engine) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
    finally:
        os.killpg(bot.pid, signal.SIGTERM)
        bot.wait(30)
    sent = await gateway.sent()
    gateway.stop()
    codes = Counter(m.group(1) for s in sent if (m := CODE.search(str(s["text"]))))
    pairs = Counter((s["roomId"], s["text"]) for s in sent)
    with Session(engine) as session:
        tickets = int(session.exec(select(func.count()).select_from(Ticket)).one())
        statuses = dict(
            session.exec(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
        )
        places = set(session.exec(select(Ticket.location)).all())
    engine.dispose()
    print(f"database: {engine.url.get_backend_name()}; kill -9: {kills} times")
    print(f"reports posted: {posted}; tickets on the ledger: {tickets}")
    twice = sum(1 for c in codes.values() if c > 1)
    print(f"ticket replies that reached WeChat: {len(codes)}; twice: {twice}")
    doubled = sum(c - 1 for c in pairs.values() if c > 1)
    print(f"any message sent twice to the same group: {doubled}")
    cut = statuses.get("sending", 0) + statuses.get("unknown", 0)
    print(f"outbox: {statuses} ({cut} cut off mid-send: unknown, never resent, admins told)")
    missing = [n for n in range(posted) if PLACE.format(n=n) not in places]
    print(f"killed after reports: {killed_after}; reports without a ticket: {missing}")
    print(f"the bot's log: {workdir / 'bot.log'}")


if __name__ == "__main__":
    asyncio.run(main())
