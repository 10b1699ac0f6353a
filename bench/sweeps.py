"""Benchmark: escalation sweep and morning briefing at Jincheng scale, on SQLite and PostgreSQL.

Builds a roster of 1 district, 8 towns, 146 villages and 780 sub-grids (the Jincheng plan),
puts N tickets on the ledger (a share of them overdue), then times the sweeps and prints
the query plans of the queries they make, so a missing index shows up as a table scan.

    .venv/bin/python bench/sweeps.py [--tickets 50000] [--skip-pg]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.bootstrap import build_policy
from bot.core.clock import FixedClock
from bot.services.briefing import daily as briefing
from bot.services.escalation import sweep as escalation
from bot.services.roster import importer as roster
from bot.services.roster._files import HEADERS
from bot.services.runtime import Runtime
from config.settings import load_settings
from models.db import make_engine, migrate, table_of, transaction
from models.tables import Ticket

NOW = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai


def write_roster(path: Path) -> None:
    rows = [["Q", "区", 1, "", "区平台群", "区长", "网格长", "wx_q", ""]]
    village_no = 0
    for t in range(8):
        town = f"Q-{t}"
        rows.append([town, f"镇{t}", 2, "Q", f"镇{t}群", f"镇长{t}", "网格长", f"wx_{town}", ""])
        for _ in range(146 // 8 + (1 if t < 146 % 8 else 0)):
            village = f"{town}-{village_no}"
            rows.append(
                [
                    village,
                    f"村{village_no}",
                    3,
                    town,
                    f"村{village_no}群",
                    f"村长{village_no}",
                    "网格长",
                    f"wx_{village}",
                    "",
                ]
            )
            for s in range(5 if village_no < 50 else 6):
                sub = f"{village}-{s}"
                rows.append(
                    [
                        sub,
                        f"村{village_no}片{s}",
                        4,
                        village,
                        "",
                        f"片长{sub}",
                        "网格长",
                        f"wx_{sub}",
                        "",
                    ]
                )
            village_no += 1
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        writer.writerows(rows)


def fill_tickets(engine: Engine, count: int) -> None:
    with transaction(engine) as session:
        grids = [g for (g,) in session.execute(text("select id from grid where level = 4"))]
    rnd = random.Random(7)
    rows = []
    for n in range(count):
        created = NOW - timedelta(hours=rnd.uniform(1, 24 * 60))
        status = rnd.choices(["open", "accepted", "resolved", "closed"], [10, 5, 10, 75])[0]
        due = created + timedelta(hours=48)
        live = status in ("open", "accepted")
        rows.append(
            {
                "code": f"B{n:07d}",
                "grid_id": rnd.choice(grids),
                "category": "散煤",
                "location": f"{n}号",
                "description": "",
                "status": status,
                "created_at": created,
                "due_at": due,
                "escalation_step": 0,
                "next_escalation_at": due if live else None,
                "resolved_at": created + timedelta(hours=5) if not live else None,
            }
        )
    with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(table_of(Ticket).insert(), rows[start : start + 5000])


def plans(engine: Engine) -> list[str]:
    """Query plans of the sweeps' main queries, for a human to read."""
    live = "('open','accepted')"
    queries = {
        "escalation: due tickets": "select id from ticket where next_escalation_at <= :now "
        f"and status in {live} order by next_escalation_at limit 500",
        "briefing: open per root": "select c.ancestor_id, count(t.id) from grid_closure c join "
        "ticket t on t.grid_id = c.descendant_id where c.ancestor_id in (1,2,3) and "
        f"t.status in {live} group by c.ancestor_id",
        "briefing: new per root": "select c.ancestor_id, count(t.id) from grid_closure c join "
        "ticket t on t.grid_id = c.descendant_id where c.ancestor_id in (1,2,3) and "
        "t.created_at >= :now group by c.ancestor_id",
    }
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    out = []
    with engine.connect() as connection:
        for name, sql in queries.items():
            rows = connection.execute(text(prefix + sql), {"now": NOW}).all()
            plan = " | ".join(str(r[-1]) for r in rows)
            out.append(f"  {name}: {plan}")
    return out


def run(url: str, label: str, tickets: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.csv"
        write_roster(path)
        started = time.perf_counter()
        report = roster.import_roster(engine, path)
        roster_s = time.perf_counter() - started
    fill_tickets(engine, tickets)
    with engine.connect() as c:
        c.execute(text("ANALYZE"))
        c.commit()
    clock = FixedClock(NOW)
    runtime = Runtime(engine, clock, replace(build_policy(load_settings(environ={}))))
    timings = []
    total = 0
    while True:
        started = time.perf_counter()
        queued = escalation.sweep(runtime)
        timings.append(time.perf_counter() - started)
        if not queued:
            break
        total += len(queued)
    idle = timings[-1]
    started = time.perf_counter()
    briefs = briefing.sweep(runtime)
    brief_s = time.perf_counter() - started
    with transaction(engine) as s:
        grids = len(s.exec(text("select id from grid")).all())  # type: ignore[call-overload]
    print(
        f"{label}: {grids} grids ({report.rooms} groups) imported in {roster_s:.2f} s; "
        f"{tickets} tickets"
    )
    busy = timings[:-1] or [0.0]
    overdue = len(busy) and total
    print(
        f"  escalation sweep: {overdue} messages (overdue tickets grouped per group and head) "
        f"in {sum(busy):.2f} s; idle sweep {idle * 1000:.1f} ms"
    )
    print(
        f"  briefing sweep: {len(briefs)} groups in {brief_s * 1000:.0f} ms; "
        f"second run {timed(lambda: briefing.sweep(runtime)) * 1000:.1f} ms"
    )
    print("\n".join(plans(engine)))
    engine.dispose()


def timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", "SQLite", args.tickets)
    if args.skip_pg:
        return
    admin = make_engine(
        "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    name = f"gridbot_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}", "PostgreSQL", args.tickets)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
