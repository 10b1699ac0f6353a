"""Benchmark: the Excel ledger (台账) at Jincheng scale, for one month and for a whole year.

Seeds a temporary database in bulk: the Jincheng roster (981 grids, see bench/sweeps.py),
200,000 tickets reported over a year, 1,000,000 ticket events, a photo for half the closed
tickets, daily patrol records and a monthly alert with its receipts. Then writes the ledger of
November and of the year, each in a fresh process, and prints the seconds, the number of
queries and the peak RSS of that process (target: ≤ 10 s for the month, < 300 MB).

    .venv/bin/python bench/ledger.py [--tickets 200000] [--events 1000000] [--pg]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).parent))

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sweeps import write_roster

from bot.bootstrap import build_policy
from bot.core.clock import FixedClock
from bot.services.reports.ledger import write_ledger
from bot.services.roster import importer as roster
from bot.services.runtime import Runtime
from config.settings import load_settings
from models.db import make_engine, migrate, table_of
from models.tables import Alert, AlertAck, Evidence, PatrolRecord, Ticket, TicketEvent

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 0, 30, tzinfo=TZ)  # just after November
YEAR_START = datetime(2025, 12, 1, tzinfo=TZ)
MONTH = (datetime(2026, 11, 1, tzinfo=TZ), datetime(2026, 12, 1, tzinfo=TZ))
YEAR = (YEAR_START, datetime(2026, 12, 1, tzinfo=TZ))
BATCH = 10_000
PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def insert(engine: Engine, model: type, rows: Iterator[dict[str, Any]]) -> int:
    """Plain INSERT batches of `BATCH` rows; the number inserted."""
    table, done, batch = table_of(model), 0, []
    with engine.begin() as connection:
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                connection.execute(table.insert(), batch)
                done, batch = done + len(batch), []
        if batch:
            connection.execute(table.insert(), batch)
    return done + len(batch)


def heads(engine: Engine, level: int) -> list[tuple[int, int]]:
    """(grid id, its head's person id) of every grid at `level`."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                "select g.id, m.person_id from grid g join membership m on m.grid_id = g.id "
                "where g.level = :level and m.role = 'head' order by g.id"
            ),
            {"level": level},
        )
        return [(int(g), int(p)) for g, p in rows]


def tickets(count: int, grids: list[tuple[int, int]], rnd: random.Random) -> Iterator[dict]:
    span = (NOW - YEAR_START).total_seconds()
    moments = sorted(rnd.uniform(0, span) for _ in range(count))
    for n, offset in enumerate(moments):
        created = (YEAR_START + timedelta(seconds=offset)).astimezone(UTC)
        grid, head = rnd.choice(grids)
        status = rnd.choices(["open", "accepted", "resolved", "closed"], [4, 4, 7, 85])[0]
        due = created + timedelta(hours=48)
        accepted = created + timedelta(hours=rnd.uniform(0.5, 30)) if status != "open" else None
        resolved = (
            created + timedelta(hours=rnd.uniform(5, 70))
            if status in ("resolved", "closed")
            else None
        )
        yield {
            "id": n + 1,
            "code": f"L{n:07d}",
            "grid_id": grid,
            "category": rnd.choice(["散煤", "工地扬尘", "秸秆焚烧", "露天烧烤", "其他"]),
            "location": f"{n % 97}号院东侧",
            "description": "居民使用燃煤炉取暖，冒黑烟",
            "reporter_id": head,
            "responsible_id": head,
            "status": status,
            "room_topic": None,
            "created_at": created,
            "due_at": due,
            "accepted_at": accepted,
            "resolved_at": resolved,
            "closed_at": resolved + timedelta(hours=rnd.uniform(1, 48))
            if status == "closed"
            else None,
            "escalation_step": 0,
            "next_escalation_at": due if status in ("open", "accepted") else None,
            "source": rnd.choices(["patrol", "assigned", "public"], [80, 15, 5])[0],
            "supervised": rnd.random() < 0.02,
            "reworks": 1 if rnd.random() < 0.05 else 0,
            "extensions": 0,
        }


def events(engine: Engine, total: int, rnd: random.Random) -> Iterator[dict]:
    """`total` events spread evenly over the tickets: their steps, then escalation pings."""
    with engine.connect() as c:
        rows = c.execute(
            text("select id, created_at, status, reporter_id from ticket order by id")
        ).all()
    kinds = {"open": 1, "accepted": 2, "resolved": 3, "closed": 4}
    steps = ("reported", "accepted", "resolved", "closed")
    per, extra = divmod(total, len(rows))
    for i, (tid, created, status, person) in enumerate(rows):
        at = created if isinstance(created, datetime) else datetime.fromisoformat(created)
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        n = per + (1 if i < extra else 0)
        for k in range(n):
            at += timedelta(hours=rnd.uniform(0.5, 12))
            kind = steps[k] if k < kinds[status] else "escalated"
            yield {
                "ticket_id": tid,
                "at": at,
                "actor_id": person if kind != "escalated" else None,
                "kind": kind,
                "detail": "散煤｜东侧"
                if kind == "reported"
                else ("已处理" if kind == "resolved" else ""),
                "message_id": None,
            }


def photos(count: int, rnd: random.Random) -> Iterator[dict]:
    for n in range(1, count + 1):
        if rnd.random() < 0.45:
            yield {
                "ticket_id": n,
                "person_id": None,
                "message_id": f"ev{n}",
                "kind": "image",
                "status": "saved",
                "file_name": f"{n}.jpg",
                "size": 1000,
                "at": NOW,
                "private": False,
                "stage": "after",
            }


def patrols(grids: list[tuple[int, int]], rnd: random.Random) -> Iterator[dict]:
    day = YEAR_START.date()
    while day < NOW.date():
        at = datetime.combine(day, datetime.min.time(), tzinfo=TZ) + timedelta(hours=9)
        for grid, head in grids:
            if rnd.random() < 0.3:
                kind = "zero" if rnd.random() < 0.3 else "checkin"
                yield {
                    "person_id": head,
                    "grid_id": grid,
                    "day": day,
                    "kind": kind,
                    "note": "",
                    "at": at,
                }
        day += timedelta(days=1)


def alerts(engine: Engine, rnd: random.Random) -> tuple[int, int]:
    rooms = heads(engine, 2) + heads(engine, 3) + heads(engine, 1)
    rows, acks = [], []
    for month in range(12):
        first = datetime(2025 + (11 + month) // 12, (11 + month) % 12 + 1, 5, 9, tzinfo=TZ)
        issued = first.astimezone(UTC)  # the 5th of each month, 09:00
        rows.append(
            {
                "id": month + 1,
                "color": "橙色",
                "starts_at": issued,
                "ends_at": issued + timedelta(days=3),
                "note": "",
                "issued_by": rooms[-1][1],
                "issued_at": issued,
            }
        )
        for grid, head in rooms:
            if rnd.random() < 0.8:
                acks.append(
                    {
                        "alert_id": month + 1,
                        "grid_id": grid,
                        "person_id": head,
                        "at": issued + timedelta(minutes=rnd.uniform(1, 90)),
                    }
                )
    return insert(engine, Alert, iter(rows)), insert(engine, AlertAck, iter(acks))


def seed(url: str, ticket_count: int, event_count: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    rnd = random.Random(11)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.csv"
        write_roster(path)
        roster.import_roster(engine, path)
    subs = heads(engine, 4)
    made = {
        "tickets": insert(engine, Ticket, tickets(ticket_count, subs, rnd)),
        "events": insert(engine, TicketEvent, events(engine, event_count, rnd)),
        "photos": insert(engine, Evidence, photos(ticket_count, rnd)),
        "patrols": insert(engine, PatrolRecord, patrols(subs, rnd)),
    }
    made["alerts"], made["receipts"] = alerts(engine, rnd)
    with engine.connect() as c:
        grids = c.execute(text("select count(*) from grid")).scalar()
        c.execute(text("ANALYZE"))
        c.commit()
    engine.dispose()
    shown = ", ".join(f"{v:,} {k}" for k, v in made.items())
    print(f"  seeded {grids} grids, {shown} in {time.perf_counter() - started:.1f} s")


def measure(url: str, since: str, until: str, out: str) -> None:
    """In this (fresh) process: write one ledger, print seconds, queries and peak RSS."""
    engine = make_engine(url)
    queries = 0

    def count(*_: object) -> None:
        nonlocal queries
        queries += 1

    event.listen(engine, "before_cursor_execute", count)
    runtime = Runtime(engine, FixedClock(NOW), build_policy(load_settings(environ={})))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    summary = write_ledger(
        runtime, Path(out), datetime.fromisoformat(since), datetime.fromisoformat(until), None
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "queries": queries,
                "rss_mb": peak,
                "base_mb": base,
                "tickets": summary.tickets,
                "patrols": summary.patrols,
                "alerts": summary.alerts,
                "size_mb": Path(out).stat().st_size / 2**20,
            }
        )
    )


def report(url: str, out: str) -> None:
    """In this (fresh) process: build the district's monthly report and its chart."""
    from sqlmodel import Session, select

    from bot.services.reports import chart
    from bot.services.reports.periodic import MONTHLY, build
    from bot.services.reports.sweep import scorecard
    from models.tables import Grid

    engine = make_engine(url)
    queries = 0

    def count(*_: object) -> None:
        nonlocal queries
        queries += 1

    event.listen(engine, "before_cursor_execute", count)
    runtime = Runtime(engine, FixedClock(NOW), build_policy(load_settings(environ={})))
    started = time.perf_counter()
    with Session(engine) as session:
        root = session.exec(select(Grid).where(Grid.level == 1)).one()
        built = build(session, runtime, scorecard(runtime), root, MONTHLY, NOW)
    chart.draw(
        Path(out),
        "月报",
        sorted(built.figures.by_category.items(), key=lambda item: -item[1]),
        [(r.name, r.score) for r in built.ranking if r.score is not None],
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "queries": queries, "rss_mb": peak,
                      "tickets": built.figures.reported}))  # fmt: skip


def child(*args: str) -> str:
    """Run this script again in a fresh process: its peak RSS is then its own, as a process
    started by fork keeps the high-water mark of its parent."""
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    )
    return done.stdout.rstrip()


def run(url: str, label: str, ticket_count: int, event_count: int, tmp: Path) -> None:
    print(f"{label}:")
    print(child("--seed", url, str(ticket_count), str(event_count)))
    for name, (since, until) in (("month (November)", MONTH), ("year", YEAR)):
        out = tmp / f"ledger-{label}-{name.split()[0]}.xlsx"
        r = json.loads(child("--measure", url, since.isoformat(), until.isoformat(), str(out)))
        print(
            f"  {name}: {r['seconds']:.2f} s, {r['queries']} queries, "
            f"peak RSS {r['rss_mb']:.0f} MB (after imports {r['base_mb']:.0f} MB); "
            f"{r['tickets']:,} tickets, {r['patrols']:,} patrol records, "
            f"{r['alerts']:,} alert rows, {r['size_mb']:.1f} MB file"
        )
    r = json.loads(child("--report", url, str(tmp / f"chart-{label}.png")))
    print(
        f"  monthly report with its chart (district, 8 towns): {r['seconds']:.2f} s, "
        f"{r['queries']} queries, peak RSS {r['rss_mb']:.0f} MB; {r['tickets']:,} tickets"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pg", action="store_true", help="also on a fresh PostgreSQL database")
    parser.add_argument("--seed", nargs=3, metavar=("URL", "TICKETS", "EVENTS"))
    parser.add_argument("--measure", nargs=4, metavar=("URL", "SINCE", "UNTIL", "OUT"))
    parser.add_argument("--report", nargs=2, metavar=("URL", "OUT"))
    args = parser.parse_args()
    if args.report:
        report(*args.report)
        return
    if args.seed:
        seed(args.seed[0], int(args.seed[1]), int(args.seed[2]))
        return
    if args.measure:
        measure(*args.measure)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", "SQLite", args.tickets, args.events, Path(tmp))
        if not args.pg:
            return
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"gridbot_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
            run(url, "PostgreSQL", args.tickets, args.events, Path(tmp))
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
