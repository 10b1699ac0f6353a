"""Idempotent intake: a platform message id is handled at most once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
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


def first_sight(session: Session, inbound: Inbound) -> Sighting | None:
    """Record the message id; None if it was recorded before (a redelivery)."""
    row = _claim(session.get_bind().dialect.name).first(
        session,
        {
            "message_id": inbound.message_id,
            "received_at": inbound.at,
            "room_topic": inbound.chat.room_topic,
            "sender_id": inbound.sender_id,
        },
    )
    return None if row is None else Sighting(row[1])


_STATEMENTS: dict[str, Prepared] = {}


def _claim(dialect: str) -> Prepared:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, (the roster version), built once."""
    if dialect not in _STATEMENTS:
        table, version = table_of(InboundMessage), table_of(RosterVersion)
        insert: Any = pg_insert if dialect == "postgresql" else sqlite_insert
        _STATEMENTS[dialect] = Prepared(
            insert(table)
            .on_conflict_do_nothing()
            .returning(table.c.id, select(version.c.version).limit(1).scalar_subquery()),
            columns=["message_id", "received_at", "room_topic", "sender_id"],
        )
    return _STATEMENTS[dialect]
