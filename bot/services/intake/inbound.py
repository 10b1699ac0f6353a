"""Idempotent intake: a platform message id is handled at most once."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.core.messages import Inbound
from models.db import Prepared, table_of
from models.tables import InboundMessage, RosterVersion


@dataclass(frozen=True)
class Sighting:
    """A message seen for the first time, and the roster version read with its claim (the
    same round trip), so that its look-ups can come from memory (`services.memory`)."""

    roster_version: int | None


@dataclass(frozen=True)
class Along:
    """A read that rides in the claim's round trip on PostgreSQL, where the handler would
    have made it as a round trip of its own next: a SELECT whose first column is never
    NULL (an id), and its parameters (named apart from the claim's). `key` says what it
    read, with its parameters; the handler asks for the rows by the same key (`along_rows`)
    and reads them itself when they are not there, so a guess that turns out wrong (another
    grid, a roster changed meanwhile) costs only the read."""

    key: Hashable
    statement: Select[Any]
    params: Mapping[str, Any] = field(default_factory=dict)
    # The order the rows come back in (that of `statement`'s own ORDER BY).
    order_by: tuple[Any, ...] = ()


_CLAIM_COLUMNS = ("message_id", "received_at", "room_topic", "sender_id")
_ALONG = "gridbot.along"


def first_sight(session: Session, inbound: Inbound, along: Along | None = None) -> Sighting | None:
    """Record the message id; None if it was recorded before (a redelivery)."""
    session.info.pop(_ALONG, None)  # a rolled-back attempt's reads are not this one's
    params = {
        "message_id": inbound.message_id,
        "received_at": inbound.at,
        "room_topic": inbound.chat.room_topic,
        "sender_id": inbound.sender_id,
    }
    dialect = session.get_bind().dialect.name
    if along is None or dialect != "postgresql":  # SQLite: no round trip to save
        row = _claim(dialect).first(session, params)
        return None if row is None else Sighting(row[1])
    if along.params.keys() & params.keys():
        raise ValueError(f"the read's parameters clash with the claim's: {list(along.params)}")
    rows = _claim_along(along.statement, along.order_by).rows(session, {**along.params, **params})
    if not rows:
        return None
    # The last column is the row's place in `order_by`; the first of the read's is never NULL.
    read = [row[2:-1] for row in rows if row[2] is not None]
    session.info[_ALONG] = {along.key: read}
    return Sighting(rows[0][1])


def along_rows(session: Session, key: Hashable) -> list[tuple[Any, ...]] | None:
    """The rows of the read that came with this message's claim under `key`, or None when
    none did (read them now). Given once: what the message writes next (a second report of
    the same message opening a ticket) is not in them, so a second ask reads afresh."""
    taken: dict[Hashable, list[tuple[Any, ...]]] | None = session.info.get(_ALONG)
    return None if taken is None else taken.pop(key, None)


_STATEMENTS: dict[str, Prepared] = {}


def _version() -> Any:
    version = table_of(RosterVersion)
    return select(version.c.version).limit(1).scalar_subquery()


def _claim(dialect: str) -> Prepared:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, (the roster version), built once."""
    if dialect not in _STATEMENTS:
        table = table_of(InboundMessage)
        insert: Any = pg_insert if dialect == "postgresql" else sqlite_insert
        _STATEMENTS[dialect] = Prepared(
            insert(table).on_conflict_do_nothing().returning(table.c.id, _version()),
            columns=list(_CLAIM_COLUMNS),
        )
    return _STATEMENTS[dialect]


# Keyed by the identity of the SELECT and its order: module constants, kept alive here.
_WITH: dict[tuple[int, ...], tuple[Select[Any], tuple[Any, ...], Prepared]] = {}


def _claim_along(statement: Select[Any], order_by: tuple[Any, ...] = ()) -> Prepared:
    """PostgreSQL: the claim and `statement` in one: one row per row it reads (one of
    NULLs when it reads none) after the claimed id and the roster version, and last its
    place in `order_by` (a join keeps no order by itself); none at all for a message id
    recorded before."""
    key = (id(statement), *map(id, order_by))
    if key not in _WITH:
        table = table_of(InboundMessage)
        claim = (
            pg_insert(table)
            .values({c: bindparam(c, type_=table.c[c].type) for c in _CLAIM_COLUMNS})
            .on_conflict_do_nothing()
            .returning(table.c.id)
            .cte("claim")
        )
        place = func.row_number().over(order_by=order_by or None).label("along_place")
        read = statement.add_columns(place).cte("along")
        combined = (
            select(claim.c.id, _version(), *read.c)
            .select_from(claim.outerjoin(read, true()))
            .order_by(read.c.along_place)
        )
        _WITH[key] = (statement, order_by, Prepared(combined))
    return _WITH[key][2]
