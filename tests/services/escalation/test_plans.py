"""The sweep's due-ticket query walks its index on both databases, without statistics.

Reads the query plan (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN``) so that a later
change to the query or the indexes cannot silently turn it into a scan and a sort.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.services.escalation.sweep import due_query
from tests.harness import Harness


@pytest.fixture
def bot(engine: Engine) -> Harness:
    bot = Harness.on(engine)
    for _ in range(3):
        bot.report("一村群", "巡查员辛")
    return bot


def plan(engine: Engine, bot: Harness, ahead: timedelta) -> str:
    statement = due_query(bot.runtime, bot.clock.now() + ahead)
    compiled = statement.compile(
        dialect=engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            params = tuple(compiled.params[name] for name in compiled.positiontup or ())
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).all()
            return "\n".join(str(row[-1]) for row in rows)
        # PostgreSQL's planner reads a three-row table in one go; forbidding the sequential
        # scan asks whether the index can serve the query at all, in its order.
        connection.exec_driver_sql("SET enable_seqscan = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).all()
        return "\n".join(str(row[0]) for row in rows)


# Wednesday 10:00, and Tuesday 23:00 (quiet hours: only pressing and 督办 tickets are due).
@pytest.mark.parametrize("ahead", [timedelta(days=3), timedelta(days=2, hours=13)])
def test_the_due_query_uses_the_schedule_index_and_no_sort(
    bot: Harness, engine: Engine, ahead: timedelta
) -> None:
    text = plan(engine, bot, ahead)
    assert "ix_ticket_next_escalation_at" in text, text
    if engine.dialect.name == "sqlite":
        assert "TEMP B-TREE" not in text, text  # rows come in index order: no sort
