"""The briefing's ticket queries read indexes on both databases, without statistics.

Every statement a real briefing sweep sends is captured and its plan read (SQLite
``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN`` with sequential scans forbidden, as a
three-ticket table would otherwise be read in one go): none may scan the ticket table, and
the counts per grid must come from the covering indexes of migration 0011, so that dropping
one of them (or a reshaped query that stops using it) fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.harness import Harness


@contextmanager
def ticket_selects(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs reading tickets sent within the block, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def capture(_c: object, _cur: object, statement: str, params: Any, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "ticket" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def briefing_statements(engine: Engine) -> list[tuple[str, Any]]:
    bot = Harness.on(engine)
    bot.report("一村群", "巡查员辛")
    bot.report("二村群", "巡查员寅")
    bot.clock.advance(timedelta(days=1))  # Monday 10:00, in the briefing window
    with ticket_selects(engine) as seen:
        assert any("【每日简报】" in s.text for s in bot.tick())
    return seen


def plans(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    out = []
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, params in statements:
            if engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
                out.append("\n".join(str(row[-1]) for row in rows))
            else:
                rows = connection.exec_driver_sql(f"EXPLAIN {statement}", params)
                out.append("\n".join(str(row[0]) for row in rows))
    return out


def test_the_briefing_never_scans_tickets_and_counts_from_covering_indexes(
    engine: Engine,
) -> None:
    read = plans(engine, briefing_statements(engine))
    text = "\n\n".join(read)
    assert_no_ticket_scan(engine, read)
    assert "ix_ticket_status_grid_due" in text, text
    assert "ix_ticket_created_grid" in text, text


def assert_no_ticket_scan(engine: Engine, read: list[str]) -> None:
    for plan in read:
        if engine.dialect.name == "sqlite":
            assert not any(line.startswith("SCAN ticket") for line in plan.splitlines()), plan
        else:
            assert "Seq Scan on ticket" not in plan, plan
