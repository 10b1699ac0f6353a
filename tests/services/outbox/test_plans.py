"""A reply's take looks for an older unsent message of its chat through the status index.

Reads the plan of the prepared statement itself (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL
``EXPLAIN`` of the server-side statement), so that a later change cannot silently turn the
look-up into a scan of the whole outbox, or on PostgreSQL back into a bitmap scan of
``status = 'sending' OR status = 'pending'``, which visits the index entry of every reply
sent since the last vacuum (a plain index scan marks those dead and skips them).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.services.outbox import queue as outbox
from bot.services.outbox.queue import Draft
from tests.harness import Harness


def test_the_take_probes_older_messages_by_status_in_an_index_scan(engine: Engine) -> None:
    bot = Harness.on(engine)
    now = bot.clock.now()
    with bot.runtime.transaction() as session:
        drafts = [Draft(key=f"m{n}", text=f"第{n}条", room_topic="一村群") for n in range(3)]
        ids = outbox.enqueue(session, drafts, now)
    params = {
        "ids": ids[-1:],
        "now": now,
        "under_way_since": now - timedelta(seconds=20),
        "lease_until": now,
        "token": "t",
    }
    with bot.runtime.transaction() as session:
        if engine.dialect.name == "postgresql":
            # A three-row table is read in one go; forbidding that asks what serves it else.
            session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = outbox._TAKE.plan(session, params)
    if engine.dialect.name == "sqlite":
        assert plan.count("SEARCH older USING INDEX ix_outbox_status_next (status=?") == 2, plan
        assert "SCAN" not in plan, plan
    else:
        assert plan.count("Index Scan using ix_outbox_status_next on outbox older") == 2, plan
        assert "Bitmap" not in plan and "Seq Scan" not in plan, plan
