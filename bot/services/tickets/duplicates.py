"""Duplicate reports (重复上报): the same problem reported twice opens one ticket.

A report of the same category in the same grid, at a near-identical place, while an earlier
ticket opened within `Policy.duplicate_window` still waits for someone, joins that ticket:
the reporter is recorded as a co-reporter and told its code. The report is kept for a while
so that 「新问题」 opens it as a ticket of its own after all.
"""

from __future__ import annotations

import re
from datetime import datetime
from difflib import SequenceMatcher
from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlmodel import Session

from bot.services.runtime import Runtime
from bot.services.tickets.states import PENDING
from models.db import Prepared, table_of
from models.tables import Ticket

# Places this alike are one place (「东关街12号院门口」 and 「东关街12号院」).
SAME_PLACE = 0.8
_NOISE = re.compile(r"[\s\W_]+")


_NUMBER = re.compile(r"\d+")


@lru_cache(maxsize=1 << 15)
def _place(text: str) -> tuple[str, tuple[str, ...]]:
    """A place reduced for comparison, and its numbers; the live tickets of a grid are
    compared with every new report there, so each is reduced once. Room for the recent
    live tickets of a province (up to 50 candidates in each of 1,000 grids' categories
    seen lately; a few MB), where 4,096 was churned through at 1M tickets."""
    key = _NOISE.sub("", text).lower()
    return key, tuple(_NUMBER.findall(key))


def same_place(a: str, b: str) -> bool:
    """Near-identical places: the same, one within the other, or a typo apart. House
    numbers must agree: 「3号楼」 and 「4号楼」 are two places however alike they read."""
    (x, x_numbers), (y, y_numbers) = _place(a), _place(b)
    if not x or not y:
        return False
    if x == y:
        return True
    if x_numbers != y_numbers:
        return False
    short, long = sorted((x, y), key=len)
    if short in long and len(short) >= 0.6 * len(long) and len(short) >= 3:
        return True
    return SequenceMatcher(None, x, y).ratio() >= SAME_PLACE


def find_duplicate(
    session: Session,
    runtime: Runtime,
    location: str,
    grid_id: int,
    category: str,
    at: datetime,
) -> Ticket | None:
    """The earlier live ticket this report repeats, if any (one indexed query)."""
    if runtime.policy.duplicate_window.total_seconds() <= 0:
        return None
    since = at - runtime.policy.duplicate_window
    params = {"grid_id": grid_id, "category": category, "since": since}
    candidates = _CANDIDATES.rows(session, params)
    found = next((id_ for id_, place in candidates if same_place(place, location)), None)
    return None if found is None else session.get(Ticket, found)


# Built once (the hot path of every report): the id and place of recent live tickets.
_TICKET = table_of(Ticket)
_CANDIDATES = Prepared(
    select(_TICKET.c.id, _TICKET.c.location)
    .where(
        _TICKET.c.grid_id == bindparam("grid_id"),
        _TICKET.c.status.in_(PENDING),
        _TICKET.c.category == bindparam("category"),
        _TICKET.c.created_at >= bindparam("since"),
    )
    .order_by(_TICKET.c.created_at.desc())
    .limit(50)
)
