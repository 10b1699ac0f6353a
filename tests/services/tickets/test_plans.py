"""The duplicate check reads a grid's recent tickets of one category through its index.

Reads the plan of the prepared statement itself: on SQLite the check's own read, on
PostgreSQL the message's claim that carries it (`intake.Along`), so a later change cannot
silently turn either into a scan of the ticket table.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.services.intake import inbound as intake
from bot.services.tickets import duplicates
from tests.harness import Harness

INDEX = "ix_ticket_grid_category_created"


def test_the_duplicate_candidates_come_from_their_index(engine: Engine) -> None:
    bot = Harness.on(engine)
    for n in range(3):
        bot.report("一村群", "巡查员辛", location=f"一村{n}号楼")
    now = bot.clock.now()
    params = {"grid_id": 1, "category": "散煤", "since": now - timedelta(days=1)}
    with bot.runtime.transaction() as session:
        if engine.dialect.name == "sqlite":
            plan = duplicates._CANDIDATES.plan(session, params)
            assert (
                f"SEARCH ticket USING INDEX {INDEX} (grid_id=? AND category=? AND created_at>?)"
                in plan
            ), plan
            assert "SCAN" not in plan, plan
            return
        # A three-row table is read in one go; forbidding that asks what serves it else.
        session.execute(text("SET LOCAL enable_seqscan = off"))
        claim = intake._claim_along(duplicates._CANDIDATE_SELECT, duplicates._NEWEST_FIRST)
        claimed = {"message_id": "m", "received_at": now, "room_topic": "一村群", "sender_id": "x"}
        plan = claim.plan(session, params | claimed)
    assert INDEX in plan and "Seq Scan on ticket" not in plan, plan
