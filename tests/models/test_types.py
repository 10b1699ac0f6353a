"""The column types' one-step bind (`Prepared`) writes what SQLAlchemy's own two steps write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from models.db import Prepared, table_of, transaction
from models.tables import InboundMessage
from models.types import UTCDateTime

SHANGHAI = timezone(timedelta(hours=8))
TIMES = [
    datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI),  # whole seconds: .000000 still written
    datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2027, 1, 1, 7, 0, 0, 1, tzinfo=SHANGHAI),  # the day before in UTC
    datetime(999, 3, 4, 5, 6, 7, tzinfo=UTC),  # a short year is padded as SQLAlchemy pads it
]


@pytest.mark.parametrize("at", TIMES)
def test_the_one_step_bind_equals_sqlalchemys_two_steps(engine: Engine, at: datetime) -> None:
    dialect = engine.dialect
    column_type = UTCDateTime()
    two_steps = column_type.dialect_impl(dialect).bind_processor(dialect)
    assert two_steps is not None
    assert column_type.direct_bind_processor(dialect)(at) == two_steps(at)
    assert column_type.direct_bind_processor(dialect)(None) is None


def test_a_naive_time_is_refused_in_one_step_too(engine: Engine) -> None:
    with pytest.raises(ValueError, match="aware"):
        UTCDateTime().direct_bind_processor(engine.dialect)(datetime(2026, 11, 23, 8, 30))


def test_rows_written_both_ways_compare_and_sort_alike(engine: Engine) -> None:
    table = table_of(InboundMessage)
    prepared = Prepared(table.insert(), columns=["message_id", "received_at", "sender_id"])
    with transaction(engine) as session:
        for n, at in enumerate(TIMES[:3]):
            prepared.rows(session, {"message_id": f"p{n}", "received_at": at, "sender_id": "x"})
            session.execute(
                table.insert(), {"message_id": f"o{n}", "received_at": at, "sender_id": "x"}
            )
    with engine.connect() as c:
        pairs = c.execute(
            text(
                "select a.message_id, b.message_id from inbound_message a "
                "join inbound_message b on a.received_at = b.received_at "
                "and a.message_id < b.message_id order by a.received_at"
            )
        ).all()
    # equal where written alike, and in time order (TIMES[2] is an hour before TIMES[1])
    assert pairs == [("o0", "p0"), ("o2", "p2"), ("o1", "p1")]
