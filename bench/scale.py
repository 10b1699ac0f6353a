"""Benchmark: a province on one machine, from 10k to 1M tickets, on SQLite and PostgreSQL.

    .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--runs 5] [--keep DIR]
                                    [--skip-pg] [--skip-latency]

For each size a database is built with the product's own migrations and roster import (a
5-level tree of 1,000 grids, each with its own group and head), then tickets are put on the
ledger in bulk: 10% live, 30% of those overdue (already escalated once, next step later
today), 2% resolved and waiting for 核查, the rest closed. SQLite gets no ANALYZE (the product
does what it does itself); PostgreSQL gets the ANALYZE its autovacuum would run after a bulk
load. Then, median of `--runs` runs each:

- the idle escalation sweep (nothing due);
- the sweep after 100 tickets became due (set due just before each run);
- report intake through the dispatcher in one process (what earlier runs of a kept database
  added taken back first): one message after another, and
  `THREADS` threads at a time (the web form, the sweeps and the chat share it; the WeChat
  transport itself hands it one message at a time, in order); a bare single-row
  INSERT + COMMIT on the same engine, committed the way the dispatcher commits
  (`sync_later`), and the same with each commit waiting for the disk (as the issue measured
  it), each with its ratio to intake one after another;
- the morning briefing for every group (today's briefing log cleared before each run).

Last, `bench/latency.py` (what `make bench` runs): the reply at the gateway against an echo
bot, p50 and p99 ratios. `--keep DIR` keeps the seeded databases (DIR/scale-N.db and the
PostgreSQL databases gridbot_scale_N, or `--pg-prefix`) and reuses them on the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(REPO))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from bot.bootstrap import build_policy  # noqa: E402
from bot.core.clock import FixedClock  # noqa: E402
from bot.core.messages import ChatRef, Inbound  # noqa: E402
from bot.services.briefing import daily as briefing  # noqa: E402
from bot.services.escalation import sweep as escalation  # noqa: E402
from bot.services.roster import importer  # noqa: E402
from bot.services.roster._files import HEADERS  # noqa: E402
from bot.services.runtime import Runtime  # noqa: E402
from config.settings import load_settings  # noqa: E402
from handlers.dispatcher import Dispatcher  # noqa: E402
from models.db import make_engine, migrate, table_of, transaction  # noqa: E402
from models.tables import (  # noqa: E402
    InboundMessage,
    Outbox,
    PatrolRecord,
    Ticket,
    TicketEvent,
    TicketSequence,
)

PG_ADMIN = os.environ.get(
    "GRIDBOT_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
NOW = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # Monday 08:30 in Shanghai: briefing time
# Grids per level of the 5-level tree: 1 + 6 + 36 + 216 + 741 = 1,000.
LEVELS = (1, 6, 36, 216, 741)
BATCH = 10_000
# Reports handled at once in the concurrent intake run: the app runs each message in a thread
# of asyncio's default executor (6 on 2 cores); 4 groups posting at the same moment.
THREADS = 4
NEWLY_DUE = 100
REPORT = "【问题上报】\n类型：散煤\n地点：压测{run}路{n}号\n描述：居民使用燃煤炉取暖，冒黑烟"


def write_roster(path: Path) -> None:
    """1,000 grids in 5 levels, each with its own group and head (微信号 wx_<code>)."""
    rows: list[list[object]] = []
    parents = [""]
    for level, count in enumerate(LEVELS, start=1):
        codes = [f"L{level}-{n}" for n in range(count)]
        for n, code in enumerate(codes):
            parent = parents[n % len(parents)] if level > 1 else ""
            name, topic, head = f"{level}级网格{n}", f"{code}群", f"长{code}"
            rows.append([code, name, level, parent, topic, head, "网格长", f"wx_{code}", ""])
        parents = codes
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        writer.writerows(rows)


def ticket_rows(count: int, grids: list[int], rnd: random.Random) -> Iterator[dict[str, Any]]:
    """`count` tickets: 10% live (30% of them overdue), 2% waiting for 核查, the rest closed."""
    for n in range(count):
        kind = rnd.random()
        grid = rnd.choice(grids)
        if kind < 0.03:  # live and overdue: escalated once, next step later today
            created = NOW - timedelta(days=rnd.uniform(3, 20))
            due = created + timedelta(days=2)
            status, step, resolved = "accepted", 1, None
            nxt = NOW + timedelta(hours=rnd.uniform(1, 20))
        elif kind < 0.10:  # live, due later
            created = NOW - timedelta(hours=rnd.uniform(1, 40))
            due = NOW + timedelta(hours=rnd.uniform(1, 48))
            status, step, nxt, resolved = "open", 0, due, None
        else:
            created = NOW - timedelta(days=rnd.uniform(1, 365))
            due = created + timedelta(days=2)
            status = "resolved" if kind < 0.12 else "closed"
            step, nxt, resolved = 0, None, created + timedelta(hours=rnd.uniform(1, 40))
        closed = None if status != "closed" else resolved + timedelta(hours=rnd.uniform(1, 72))
        yield {
            "code": f"S{n:08d}",
            "grid_id": grid,
            "category": "散煤",
            "location": f"{n}号",
            "description": "",
            "status": status,
            "created_at": created,
            "opened_at": created,
            "due_at": due,
            "resolved_at": resolved,
            "closed_at": closed,
            "escalation_step": step,
            "escalation_base": 0,
            "next_escalation_at": nxt,
            "source": "patrol",
            "supervised": rnd.random() < 0.02,
            "reworks": 0,
            "extensions": 0,
        }


def seeded(engine: Engine, count: int) -> bool:
    with engine.connect() as c:
        try:
            return c.execute(text("select count(*) from grid")).scalar_one() > 0 and (
                c.execute(text("select count(*) from ticket where code like 'S%'")).scalar_one()
                == count
            )
        except Exception:
            return False


def seed(engine: Engine, count: int) -> float:
    """Migrations, the roster, then `count` tickets in bulk; the seconds it took."""
    started = time.perf_counter()
    migrate(engine)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.csv"
        write_roster(path)
        importer.import_roster(engine, path)
    with engine.connect() as c:
        leaves = [g for (g,) in c.execute(text("select id from grid where level >= 4"))]
    table, batch = table_of(Ticket), []
    with engine.begin() as c:
        for row in ticket_rows(count, leaves, random.Random(count)):
            batch.append(row)
            if len(batch) == BATCH:
                c.execute(table.insert(), batch)
                batch = []
        if batch:
            c.execute(table.insert(), batch)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


@dataclass
class Figures:
    idle_ms: float = 0.0
    due_ms: float = 0.0
    intake: float = 0.0  # reports per second, one after another
    intake_together: float = 0.0  # reports per second, THREADS at a time
    bare: float = 0.0  # single-row inserts per second, committed as the dispatcher commits
    bare_durable: float = 0.0  # the same, each commit waiting for the disk
    briefing_s: float = 0.0
    seed_s: float = 0.0
    notes: list[str] = field(default_factory=list)


def median_of(runs: int, fn: Callable[[int], float]) -> float:
    return statistics.median(fn(n) for n in range(runs))


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def make_due(engine: Engine) -> None:
    """100 live tickets, not yet overdue, fall due a minute ago (as a morning deadline)."""
    with engine.begin() as c:
        ids = [
            i
            for (i,) in c.execute(
                text(
                    "select id from ticket where status = 'open' "
                    "and next_escalation_at > :now order by next_escalation_at limit :n"
                ),
                {
                    "now": NOW.replace(tzinfo=None) if c.dialect.name == "sqlite" else NOW,
                    "n": NEWLY_DUE,
                },
            )
        ]
        due = NOW - timedelta(minutes=1)
        c.execute(
            table_of(Ticket)
            .update()
            .where(table_of(Ticket).c.id.in_(ids))
            .values(due_at=due, next_escalation_at=due)
        )


def intake_rate(
    runtime: Runtime, heads: list[str], reports: int, run: int, threads: int = 1
) -> float:
    """Reports through the dispatcher, one after another or `threads` at a time (as the app
    hands each message to a thread of its own); each from another group."""
    dispatcher = Dispatcher(runtime)
    tag = uuid.uuid4().hex[:6]
    messages = [
        Inbound(
            message_id=f"scale-{tag}-{n}",
            chat=ChatRef(f"{code}群", f"{code}群"),
            sender_id=f"wx_{code}",
            sender_name=f"长{code}",
            text=REPORT.format(run=f"{tag}{run}", n=n),
            at=NOW,
        )
        for n, code in ((n, heads[n % len(heads)]) for n in range(reports))
    ]
    started = time.perf_counter()
    if threads == 1:
        replied = [dispatcher.handle(message) for message in messages]
    else:
        with ThreadPoolExecutor(threads) as pool:
            replied = list(pool.map(dispatcher.handle, messages))
    elapsed = time.perf_counter() - started
    if not all(replied):
        raise RuntimeError("a report got no reply")
    return reports / elapsed


def bare_rate(engine: Engine, inserts: int, *, sync_later: bool = True) -> float:
    """One row, one transaction, committed as the dispatcher commits (`sync_later`), or
    with each commit waiting for the disk."""
    table, tag = table_of(InboundMessage), uuid.uuid4().hex[:6]
    started = time.perf_counter()
    for n in range(inserts):
        with transaction(engine, sync_later=sync_later) as session:
            session.execute(
                table.insert(),
                {"message_id": f"bare-{tag}-{n}", "received_at": NOW, "sender_id": "x"},
            )
    return inserts / (time.perf_counter() - started)


def forget_intake(engine: Engine) -> None:
    """Take back what earlier intake runs added (their tickets, events, patrols, replies and
    message ids), so every run of a kept database starts from its seeded ledger: else each
    run left ten more live tickets per group for the next run's duplicate check to read."""
    ticket, event, outbox = table_of(Ticket), table_of(TicketEvent), table_of(Outbox)
    patrols, messages, sequence = (
        table_of(m) for m in (PatrolRecord, InboundMessage, TicketSequence)
    )
    added = ticket.c.created_at >= NOW  # seeded tickets are all older
    with engine.begin() as c:
        c.execute(event.delete().where(event.c.ticket_id.in_(select(ticket.c.id).where(added))))
        c.execute(ticket.delete().where(added))
        c.execute(patrols.delete())
        c.execute(outbox.delete().where(outbox.c.kind == "reply"))
        c.execute(messages.delete())
        c.execute(sequence.delete())
    if engine.dialect.name == "postgresql":  # as autovacuum would, before the next run
        touched = ", ".join(t.name for t in (ticket, event, patrols, outbox, messages, sequence))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text(f"VACUUM ANALYZE {touched}"))


def clear_briefings(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(text("delete from briefing_log"))
        c.execute(text("delete from outbox where kind = 'briefing'"))


def runtime_and_heads(engine: Engine) -> tuple[Runtime, list[str]]:
    """The product's runtime at the bench's "now", and the leaf grids whose heads report."""
    runtime = Runtime(engine, FixedClock(NOW), build_policy(load_settings(environ={})))
    with engine.connect() as c:
        heads = [code for (code,) in c.execute(text("select code from grid where level = 5"))]
    return runtime, heads


def measure(url: str, count: int, runs: int, reports: int) -> Figures:
    engine = make_engine(url)
    figures = Figures()
    if not seeded(engine, count):
        figures.seed_s = seed(engine, count)
    else:
        migrate(engine)  # a kept database gets any newer migration
    runtime, heads = runtime_and_heads(engine)
    escalation.sweep(runtime)  # anything a kept database left due
    figures.idle_ms = median_of(runs, lambda _: timed(lambda: escalation.sweep(runtime))) * 1000

    def due_run(_: int) -> float:
        make_due(engine)
        started = time.perf_counter()
        sent = escalation.sweep(runtime)
        elapsed = time.perf_counter() - started
        if not sent:
            raise RuntimeError("the 100 newly due tickets sent nothing")
        return elapsed

    figures.due_ms = median_of(runs, due_run) * 1000
    forget_intake(engine)
    figures.intake = median_of(runs, lambda n: intake_rate(runtime, heads, reports, n))
    figures.intake_together = median_of(
        runs, lambda n: intake_rate(runtime, heads, reports, runs + n, THREADS)
    )
    figures.bare = median_of(runs, lambda _: bare_rate(engine, reports))
    figures.bare_durable = median_of(runs, lambda _: bare_rate(engine, reports, sync_later=False))

    def briefing_run(_: int) -> float:
        clear_briefings(engine)
        started = time.perf_counter()
        sent = briefing.sweep(runtime)
        elapsed = time.perf_counter() - started
        if len(sent) < sum(LEVELS):
            raise RuntimeError(f"briefing reached {len(sent)} groups")
        return elapsed

    figures.briefing_s = median_of(runs, briefing_run)
    engine.dispose()
    return figures


def sqlite_urls(keep: Path | None, tmp: Path, count: int) -> str:
    return f"sqlite:///{(keep or tmp) / f'scale-{count}.db'}"


def pg_database(
    count: int, keep: bool, prefix: str = "gridbot_scale"
) -> tuple[str, Callable[[], None]]:
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{count}" if keep else f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        exists = c.execute(text("select 1 from pg_database where datname = :n"), {"n": name})
        if exists.first() is None:
            c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        if not keep:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


def latency_ratios(n: int) -> dict[str, tuple[float, float, float, float]]:
    """database -> (p50 ms, p99 ms, p50 / echo p50, p99 / echo p99), from bench/latency.py."""
    from bench import latency

    reason = latency.missing_prerequisite()
    if reason is not None:
        print(f"latency skipped: {reason}")
        return {}
    results = asyncio.run(asyncio.wait_for(latency.run(n), timeout=900))
    echo = next(r for r in results if r.database == "-")
    out = {}
    for r in results:
        p50, p99 = pct(r.samples, 0.5), pct(r.samples, 0.99)
        e50, e99 = pct(echo.samples, 0.5), pct(echo.samples, 0.99)
        out[r.database] = (p50, p99, p50 / e50, p99 / e99)
    return out


def pct(samples: list[float], q: float) -> float:
    if q == 0.5:
        return statistics.median(samples)
    ordered = sorted(samples)
    return ordered[max(int(-(-q * len(ordered) // 1)) - 1, 0)]


def machine() -> str:
    pg = ""
    try:
        admin = make_engine(PG_ADMIN)
        with admin.connect() as c:
            pg = c.execute(text("show server_version")).scalar_one()
        admin.dispose()
    except Exception:
        pg = "unreachable"
    return (
        f"{platform.node()}: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, PostgreSQL {pg}"
    )


ROWS = (
    ("idle escalation sweep", "idle_ms", "{:.1f} ms", "flat (1M/10k ≤ ×2)"),
    ("sweep with 100 newly due", "due_ms", "{:.1f} ms", "≤ 100 ms at 1M"),
    ("report intake, dispatcher, one after another", "intake", "{:.0f} /s", "≥ 500 /s"),
    (
        f"report intake, {THREADS} threads sharing the dispatcher",
        "intake_together",
        "{:.0f} /s",
        "≥ 500 /s",
    ),
    ("bare single-row insert + commit, as the dispatcher commits", "bare", "{:.0f} /s", "–"),
    ("intake / bare insert", "share", "{:.2f}", "≥ 0.3"),
    ("bare insert + commit waiting for the disk", "bare_durable", "{:.0f} /s", "–"),
    ("intake / bare insert waiting for the disk", "share_durable", "{:.2f}", "–"),
    ("morning briefing, 1,000 groups", "briefing_s", "{:.2f} s", "≤ 2 s at 100k"),
)


def value(f: Figures, key: str) -> float:
    if key == "share":
        return f.intake / f.bare
    if key == "share_durable":
        return f.intake / f.bare_durable
    return float(getattr(f, key))


def print_table(results: dict[str, dict[int, Figures]], sizes: list[int]) -> None:
    for database, by_size in results.items():
        print(f"\n{database}")
        head = " | ".join(f"{s:,}" for s in sizes)
        print(f"| figure | {head} | 1M/10k | target |")
        print("|---" * (len(sizes) + 3) + "|")
        for label, key, fmt, target in ROWS:
            cells = [fmt.format(value(by_size[s], key)) for s in sizes]
            ratio = value(by_size[sizes[-1]], key) / max(value(by_size[sizes[0]], key), 1e-9)
            print(f"| {label} | {' | '.join(cells)} | ×{ratio:.2f} | {target} |")
        seeds = ", ".join(f"{s:,}: {by_size[s].seed_s:.0f} s" for s in sizes if by_size[s].seed_s)
        if seeds:
            print(f"(seeded {seeds})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reports", type=int, default=200, help="reports per intake run")
    parser.add_argument("--keep", type=Path, help="keep and reuse the seeded databases here")
    parser.add_argument(
        "--pg-prefix", default="gridbot_scale", help="kept PostgreSQL databases: PREFIX_<size>"
    )
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--latency-n", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(machine())
    print(f"tree {sum(LEVELS)} grids in {len(LEVELS)} levels {LEVELS}, each with its group")
    results: dict[str, dict[int, Figures]] = {}
    with tempfile.TemporaryDirectory(prefix="gridbot-scale-") as tmp:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
        for count in sizes:
            if not args.skip_sqlite:
                url = sqlite_urls(args.keep, Path(tmp), count)
                results.setdefault("SQLite", {})[count] = measure(
                    url, count, args.runs, args.reports
                )
                print(f"SQLite {count:,}: {results['SQLite'][count]}", flush=True)
            if not args.skip_pg:
                url, drop = pg_database(count, keep=args.keep is not None, prefix=args.pg_prefix)
                try:
                    results.setdefault("PostgreSQL", {})[count] = measure(
                        url, count, args.runs, args.reports
                    )
                finally:
                    drop()
                print(f"PostgreSQL {count:,}: {results['PostgreSQL'][count]}", flush=True)
    print_table(results, sizes)
    if not args.skip_latency:
        print(f"\nreply at the gateway ({args.latency_n} reports, bench/latency.py):")
        for database, (p50, p99, r50, r99) in latency_ratios(args.latency_n).items():
            print(
                f"| {database} | p50 {p50:.1f} ms | p99 {p99:.1f} ms | "
                f"×{r50:.2f} / ×{r99:.2f} of the echo bot | target ≤ ×2 / ≤ ×3 |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
