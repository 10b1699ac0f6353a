"""The duplicate check and 「统计」 read tickets through their indexes.

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
from tests.services.briefing.test_plans import assert_no_ticket_scan, plans, ticket_selects

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


def test_stats_count_each_figure_from_an_index_never_the_whole_subtree(engine: Engine) -> None:
    """「统计」 read every ticket under the root once per figure (33 s on SQLite at a
    province's 1M tickets): each count now comes from an index that holds what it filters
    on, the tickets resolved or closed in the period from the partial ones of 0014."""
    bot = Harness.on(engine)
    closed = bot.report("一村群", "巡查员辛", category="道路扬尘")
    bot.report("一村群", "巡查员辛", category="道路扬尘", location="二片路口")
    bot.say("一村群", "片长庚", f"办结 {closed} 已洒水")
    bot.say("一村群", "村书记戊", f"核查通过 {closed}")
    with ticket_selects(engine) as seen:
        [reply] = bot.say("一镇群", "镇长丙", "统计 本月")
    assert "合计：新增 2，办结 1，销号 1，超期 0" in reply.text, reply.text
    read = plans(engine, seen)
    assert_no_ticket_scan(engine, read)
    everything = "\n\n".join(read)
    for index in ("ix_ticket_resolved_grid", "ix_ticket_closed_grid", "ix_ticket_created_grid"):
        assert index in everything, everything
