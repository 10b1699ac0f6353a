"""`models.db`: statements on the DBAPI cursor, and commits that sync later."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    bindparam,
    event,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from models.db import (
    Prepared,
    insert_ignore,
    make_engine,
    migrate,
    sync_now,
    table_of,
    transaction,
)
from models.tables import InboundMessage, Outbox
from tests.harness import end_connections

INBOUND = table_of(InboundMessage)
OUTBOX = table_of(Outbox)
SHANGHAI = timezone(timedelta(hours=8))


def claim(engine: Engine) -> Prepared:
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    return Prepared(
        insert(INBOUND).on_conflict_do_nothing().returning(INBOUND.c.id),
        columns=["message_id", "received_at", "sender_id"],
    )


def test_a_prepared_insert_writes_what_the_orm_reads_back(engine: Engine) -> None:
    at = datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI)
    with transaction(engine) as session:
        (new_id,) = claim(engine).rows(
            session, {"message_id": "m1", "received_at": at, "sender_id": "wx"}
        )[0]
    with transaction(engine) as session:
        row = session.get(InboundMessage, new_id)
        assert row is not None
        assert (row.message_id, row.sender_id, row.room_topic) == ("m1", "wx", None)
        assert row.received_at == at and row.received_at.tzinfo == UTC


def test_a_repeated_key_returns_nothing_and_the_first_row_stays(engine: Engine) -> None:
    at = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    prepared = claim(engine)
    with transaction(engine) as session:
        first = prepared.first(session, {"message_id": "m1", "received_at": at, "sender_id": "a"})
        again = prepared.first(session, {"message_id": "m1", "received_at": at, "sender_id": "b"})
    assert first is not None and again is None
    with transaction(engine) as session:
        assert session.execute(select(INBOUND.c.sender_id)).all() == [("a",)]


def test_columns_left_out_get_the_models_defaults(engine: Engine) -> None:
    now = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    with transaction(engine) as session:
        (new_id,) = insert_ignore(
            session,
            Outbox,
            [{"dedupe_key": "k", "text": "你好", "created_at": now, "next_attempt_at": now}],
        )
    with transaction(engine) as session:
        row = session.get(Outbox, new_id)
        assert row is not None
        assert (row.kind, row.status, row.priority, row.attempts, row.mentions) == (
            "reply",
            "pending",
            1,
            0,
            "",
        )


def test_a_list_of_constants_is_expanded_once_and_filters(engine: Engine) -> None:
    now = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    rows = [
        {
            "dedupe_key": f"k{n}",
            "text": "t",
            "status": status,
            "created_at": now,
            "next_attempt_at": now,
        }
        for n, status in enumerate(["pending", "sent", "sending", "failed"])
    ]
    waiting = Prepared(
        select(OUTBOX.c.dedupe_key)
        .where(OUTBOX.c.status.in_(["pending", "sending"]), OUTBOX.c.created_at <= bindparam("at"))
        .order_by(OUTBOX.c.dedupe_key)
    )
    with transaction(engine) as session:
        insert_ignore(session, Outbox, rows)
        assert waiting.rows(session, {"at": now}) == [("k0",), ("k2",)]
        assert waiting.rows(session, {"at": now - timedelta(seconds=1)}) == []


def test_a_column_that_needs_converting_cannot_be_returned(engine: Engine) -> None:
    prepared = Prepared(select(INBOUND.c.received_at))
    with transaction(engine) as session, pytest.raises(TypeError, match="received_at"):
        prepared.rows(session, {})


def test_a_constraint_failure_is_sqlalchemys_and_undoes_the_transaction(engine: Engine) -> None:
    at = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    plain = Prepared(INBOUND.insert(), columns=["message_id", "received_at", "sender_id"])
    with pytest.raises(IntegrityError), transaction(engine) as session:
        plain.rows(session, {"message_id": "m1", "received_at": at, "sender_id": "a"})
        plain.rows(session, {"message_id": "m1", "received_at": at, "sender_id": "b"})
    with transaction(engine) as session:
        assert session.execute(select(INBOUND.c.id)).all() == []  # the first insert went too
        plain.rows(session, {"message_id": "m2", "received_at": at, "sender_id": "c"})
    with transaction(engine) as session:
        assert session.execute(select(INBOUND.c.message_id)).all() == [("m2",)]


def test_a_lost_server_connection_is_reported_as_invalidated(pg_engine: Engine) -> None:
    at = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    prepared = claim(pg_engine)
    with pytest.raises(DBAPIError) as raised, transaction(pg_engine) as session:
        session.execute(text("select 1"))
        assert end_connections(pg_engine) >= 1
        prepared.rows(session, {"message_id": "m1", "received_at": at, "sender_id": "a"})
    assert raised.value.connection_invalidated
    with transaction(pg_engine) as session:  # the pool hands out a new connection
        assert prepared.first(session, {"message_id": "m1", "received_at": at, "sender_id": "a"})


def synchronous_commit(session: Session) -> str:
    return str(session.execute(text("show synchronous_commit")).scalar_one())


def test_sync_later_rides_on_the_first_prepared_statement(pg_engine: Engine) -> None:
    at = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    sent: list[str] = []
    event.listen(pg_engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    with transaction(pg_engine, sync_later=True) as session:
        claim(pg_engine).rows(session, {"message_id": "m1", "received_at": at, "sender_id": "a"})
        assert synchronous_commit(session) == "off"
    # No statement of its own was sent for it, and it ended with its transaction.
    assert not any("synchronous_commit TO OFF" in s for s in sent)
    with transaction(pg_engine) as session:
        assert synchronous_commit(session) == "on"


def test_sync_later_without_a_prepared_statement_is_set_before_the_commit(
    pg_engine: Engine,
) -> None:
    sent: list[str] = []
    event.listen(pg_engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    with transaction(pg_engine, sync_later=True) as session:
        session.execute(text("select 1"))
    assert sent[-1] == "SET LOCAL synchronous_commit TO OFF"
    sent.clear()
    with transaction(pg_engine, sync_later=True):
        pass  # nothing ran, nothing to set
    assert sent == []


def test_a_sync_later_commit_may_be_made_to_wait_partway(pg_engine: Engine) -> None:
    at = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    prepared = claim(pg_engine)
    sent: list[str] = []
    event.listen(pg_engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    with transaction(pg_engine, sync_later=True, may_sync_now=True) as session:
        prepared.rows(session, {"message_id": "m1", "received_at": at, "sender_id": "a"})
        assert synchronous_commit(session) == "off"
        sync_now(session)  # a send begins in it: this commit waits for the disk
        prepared.rows(session, {"message_id": "m2", "received_at": at, "sender_id": "a"})
        assert synchronous_commit(session) == "on"
        sync_now(session, False)  # nothing was begun after all
    # With no statement left to ride on, said just before the commit.
    assert sent[-1] == "SET LOCAL synchronous_commit TO OFF"
    with transaction(pg_engine) as session:
        sync_now(session)  # an ordinary transaction waits already: nothing to say
        assert synchronous_commit(session) == "on"
    assert sent[-1] == "show synchronous_commit"


def synchronous(session: Session) -> int:
    return int(session.execute(text("PRAGMA synchronous")).scalar_one())


def test_sqlite_cannot_change_within_a_transaction_so_it_waits_from_the_start(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sync.db'}")
    migrate(engine)
    full, normal = 2, 1
    with transaction(engine, sync_later=True, may_sync_now=True) as session:
        assert synchronous(session) == full
        sync_now(session)
        session.execute(select(OUTBOX.c.id))
    with transaction(engine, sync_later=True) as session:
        assert synchronous(session) == normal
        # Too late to wait here: refused, rather than a begun send left off the disk.
        with pytest.raises(RuntimeError):
            sync_now(session)
    with transaction(engine) as session:
        assert synchronous(session) == full  # the connection is back to waiting
    for _ in range(2):  # the setting stays with the connection between sync-later ones
        with transaction(engine, sync_later=True) as session:
            assert synchronous(session) == normal
    with engine.begin() as connection:  # any other transaction, not only `transaction`'s
        assert connection.execute(text("PRAGMA synchronous")).scalar_one() == full
    engine.dispose()


def server_prepared(session: Session) -> list[str]:
    rows = session.execute(text("select statement from pg_prepared_statements")).scalars()
    return [str(statement) for statement in rows]


def test_postgresql_prepares_a_statement_once_per_connection(pg_engine: Engine) -> None:
    at = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    prepared = claim(pg_engine)
    # A percent sign of the statement's own (escaped for psycopg2) reaches the server as one.
    starts_m: Any = literal_column("'m%'")
    like = Prepared(select(INBOUND.c.message_id).where(INBOUND.c.message_id.like(starts_m)))
    with transaction(pg_engine) as session:
        assert prepared.first(session, {"message_id": "m1", "received_at": at, "sender_id": "a"})
        session.rollback()  # a rollback does not undo a PREPARE
        assert prepared.first(session, {"message_id": "m1", "received_at": at, "sender_id": "a"})
        assert like.rows(session, {}) == [("m1",)]
        statements = server_prepared(session)
    assert len(statements) == 2 and any("LIKE 'm%'" in s for s in statements)
    assert all("$1" in s for s in statements if "INSERT" in s)
    with transaction(pg_engine) as session:  # the same connection, nothing prepared again
        assert prepared.first(session, {"message_id": "m2", "received_at": at, "sender_id": "a"})
        assert len(server_prepared(session)) == 2


def end_the_connection(pg_engine: Engine) -> None:
    assert end_connections(pg_engine) >= 1  # as a server restart would


def drop_its_statements(pg_engine: Engine) -> None:
    with transaction(pg_engine) as session:  # the pool's one connection, used just now
        session.execute(text("DEALLOCATE ALL"))  # as a pooler's DISCARD ALL would


@pytest.mark.parametrize("lose", [end_the_connection, drop_its_statements])
def test_a_connection_that_lost_its_statements_is_dropped_and_the_next_prepares_afresh(
    pg_engine: Engine, lose: Callable[[Engine], None]
) -> None:
    at = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    prepared = claim(pg_engine)
    with transaction(pg_engine) as session:
        assert prepared.first(session, {"message_id": "m1", "received_at": at, "sender_id": "a"})
    lose(pg_engine)
    with pytest.raises(DBAPIError) as raised, transaction(pg_engine) as session:
        prepared.first(session, {"message_id": "m2", "received_at": at, "sender_id": "a"})
    # Handled again on a new connection, as after a restart, not failing on this one for good.
    assert raised.value.connection_invalidated
    with transaction(pg_engine) as session:
        assert prepared.first(session, {"message_id": "m2", "received_at": at, "sender_id": "a"})
        assert len(server_prepared(session)) == 1


def test_a_statement_whose_table_changed_under_it_counts_as_a_lost_connection(
    pg_engine: Engine,
) -> None:
    probe = Table("gridbot_plan_probe", MetaData(), Column("x", Integer))
    with pg_engine.begin() as connection:
        connection.exec_driver_sql("create table gridbot_plan_probe (x integer)")
        connection.exec_driver_sql("insert into gridbot_plan_probe values (1)")
    prepared = Prepared(select(probe.c.x))
    try:
        with transaction(pg_engine) as session:
            assert prepared.rows(session, {}) == [(1,)]
        with pg_engine.begin() as connection:
            connection.exec_driver_sql("alter table gridbot_plan_probe alter column x type bigint")
        # "cached plan must not change result type", told apart by where the server raised
        # it (its text depends on the server's language).
        with pytest.raises(DBAPIError) as raised, transaction(pg_engine) as session:
            prepared.rows(session, {})
        assert raised.value.connection_invalidated
        with transaction(pg_engine) as session:
            assert prepared.rows(session, {}) == [(1,)]
    finally:
        with pg_engine.begin() as connection:
            connection.exec_driver_sql("drop table gridbot_plan_probe")


def test_a_lost_server_drops_every_pooled_connection_not_only_the_failed_one(
    pg_engine: Engine,
) -> None:
    at = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    prepared = claim(pg_engine)
    # Two connections in the pool, both used just now (so neither is pinged when handed out).
    with transaction(pg_engine) as first, transaction(pg_engine) as second:
        first.execute(text("select 1"))
        second.execute(text("select 1"))
    assert end_connections(pg_engine) >= 2
    with pytest.raises(DBAPIError) as raised, transaction(pg_engine) as session:
        prepared.rows(session, {"message_id": "m1", "received_at": at, "sender_id": "a"})
    assert raised.value.connection_invalidated
    # The second attempt (as the dispatcher makes) gets a new connection, not the other dead one.
    with transaction(pg_engine) as session:
        assert prepared.first(session, {"message_id": "m1", "received_at": at, "sender_id": "a"})


def test_what_the_session_holds_is_flushed_before_a_prepared_statement(engine: Engine) -> None:
    at = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)
    with transaction(engine) as session:
        session.add(InboundMessage(message_id="m0", received_at=at, sender_id="a"))
        assert Prepared(select(INBOUND.c.message_id)).rows(session, {}) == [("m0",)]
