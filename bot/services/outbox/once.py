"""Timed messages that go out once per occasion: a unique key in the `reminder` table.

Every timed sender (ticket reminders, patrol and meeting reminders, alert chases, reports)
claims its keys here before it queues anything; however many sweeps run, late, doubled or
after a restart, each key is won by exactly one of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from models.db import insert_ignore
from models.tables import Reminder


@dataclass(frozen=True)
class Claim:
    key: str
    kind: str
    ticket_id: int | None = None
    person_id: int | None = None  # counted for the per-person daily cap


def claim(session: Session, claims: Iterable[Claim], day: date, now: datetime) -> set[str]:
    """Record the claims; return the keys this caller won (the others were taken before)."""
    rows: list[dict[str, object]] = [
        {
            "key": c.key,
            "kind": c.kind,
            "ticket_id": c.ticket_id,
            "person_id": c.person_id,
            "day": day,
            "sent_at": now,
        }
        for c in claims
    ]
    ids = insert_ignore(session, Reminder, rows)
    if not ids:
        return set()
    return set(session.exec(select(Reminder.key).where(col(Reminder.id).in_(ids))))


def short(name: str) -> str:
    """A group or meeting name in a key: its digest, so a long group name fits the column."""
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]
