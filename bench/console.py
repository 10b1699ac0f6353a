"""Benchmark: the office console's queries on a seeded province (from bench/scale.py).

    .venv/bin/python bench/console.py DATABASE_URL [--runs 5]

Uses a database that `bench/scale.py --keep DIR` left (e.g. sqlite:///DIR/scale-100000.db or
postgresql+psycopg2://postgres@127.0.0.1/gridbot_scale_100000) and prints the median time of
what the console's pages ask for: the dashboard tree (counts of every subtree and the month's
按期处置率 of every node), the first page of the ticket list (default sort, a town's subtree,
overdue only, a text search), a late page, and one ticket's detail. The dashboard is timed as
first opened (the month's rates computed) and as refreshed on a change (rates kept 5 min).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlmodel import select  # noqa: E402

from bot.bootstrap import build_policy  # noqa: E402
from bot.core.clock import SystemClock  # noqa: E402
from bot.services.office import accounts, dashboard, detail, search  # noqa: E402
from bot.services.office.accounts import Account  # noqa: E402
from bot.services.runtime import Runtime  # noqa: E402
from config.settings import load_settings  # noqa: E402
from models.db import make_engine, migrate  # noqa: E402
from models.tables import Grid, OfficeUser, Ticket  # noqa: E402


def _median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _office(runtime: Runtime) -> Account:
    with runtime.transaction() as session:
        user = session.exec(select(OfficeUser).where(OfficeUser.username == "bench")).first()
        if user is None:
            return accounts.create(
                session,
                runtime.clock.now(),
                username="bench",
                display_name="压测",
                password="bench-password-1",
                role="管理员",
            )
        found = accounts.get(session, user.id or 0)
        assert found is not None
        return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(args.url)
    migrate(engine)
    policy = replace(build_policy(load_settings(environ={})), data_dir=Path("/tmp"))
    runtime = Runtime(engine=engine, clock=SystemClock(), policy=policy)
    office = _office(runtime)
    with runtime.transaction() as session:
        tickets = session.exec(select(Ticket.id)).all()
        town = session.exec(select(Grid.code).where(Grid.level == 2)).first() or ""
        code = session.exec(select(Ticket.code).order_by(Ticket.id.desc())).first() or ""  # type: ignore[union-attr]

    def run(work: Callable[..., object], *extra: object) -> Callable[[], object]:
        def once() -> object:
            with runtime.transaction() as session:
                return work(session, runtime, office, *extra)

        return once

    cache = dashboard.RateCache()
    figures = {
        "dashboard, rates computed": run(dashboard.tree),
        "dashboard refresh, rates kept": run(dashboard.tree, cache),
        "ticket list, first page": run(search.search, search.Filter()),
        "ticket list, a town": run(search.search, search.Filter(grid=town)),
        "ticket list, overdue only": run(search.search, search.Filter(overdue=True)),
        "ticket list, text search": run(search.search, search.Filter(text="3号")),
        "ticket list, page 500": run(search.search, search.Filter(page=500)),
        "one ticket's detail": run(detail.view, code),
    }
    print(f"{args.url}: {len(tickets):,} tickets, median of {args.runs}")
    for name, work in figures.items():
        print(f"  {name:32} {_median_ms(work, args.runs):8.1f} ms")


if __name__ == "__main__":
    main()
