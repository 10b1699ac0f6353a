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

from bot.services.intake import inbound
from bot.services.intake.inbound import Along
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from bot.services.tickets.states import PENDING
from bot.services.understanding.reports import ParsedReport
from models.db import Prepared, table_of
from models.tables import Ticket

# Places this alike are one place (「东关街12号院门口」 and 「东关街12号院」).
SAME_PLACE = 0.8
_NOISE = re.compile(r"[\s\W_]+")


_NUMBER = re.compile(r"\d+")
# Sides and directions: 「村东垃圾站」 and 「村西垃圾站」, 「南门」 and 「北门」, 「前街」 and
# 「后街」 are two places one character apart.
_SIDES = frozenset("东南西北前后左右")


@lru_cache(maxsize=1 << 15)
def _place(text: str) -> tuple[str, tuple[str, ...], str]:
    """A place reduced for comparison, its numbers and its sides; the live tickets of a
    grid are compared with every new report there, so each is reduced once. Room for the
    recent live tickets of a province (up to 50 candidates in each of 1,000 grids'
    categories seen lately; a few MB), where 4,096 was churned through at 1M tickets."""
    key = _NOISE.sub("", text).lower()
    return key, tuple(_NUMBER.findall(key)), "".join(sorted(c for c in key if c in _SIDES))


def same_place(a: str, b: str) -> bool:
    """Near-identical places: the same, one within the other, or a typo apart. House
    numbers and sides must agree: 「3号楼」 and 「4号楼」, 「村东」 and 「村西」 are two places
    however alike they read."""
    (x, x_numbers, x_sides), (y, y_numbers, y_sides) = _place(a), _place(b)
    if not x or not y:
        return False
    if x == y:
        return True
    if x_numbers != y_numbers or x_sides != y_sides:
        return False
    short, long = sorted((x, y), key=len)
    if short in long and len(short) >= 0.6 * len(long) and len(short) >= 3:
        return True
    return SequenceMatcher(None, x, y).ratio() >= SAME_PLACE


def told_again(a: str | None, b: str | None) -> bool:
    """Whether two places told in passing a few minutes apart are likely one problem's: no
    place in one of them, the same place, or a run of three characters or more that is half
    the shorter or more and begins one of them (「东关街17号院」 and 「就是17号院东头那户」,
    「锅炉房那边」), and no house numbers or sides that disagree. 「李家营村口」 and 「张家营村口」,
    「三号楼锅炉房」 and 「五号楼锅炉房」 differ where their names begin: two places. When
    unsure they are two: a second ticket is closed as a duplicate in a moment, a report
    merged away is lost."""
    if not a or not b:
        return True
    (x, x_numbers, x_sides), (y, y_numbers, y_sides) = _place(a), _place(b)
    if not x or not y or x == y:
        return True
    if (x_numbers and y_numbers and x_numbers != y_numbers) or (
        x_sides and y_sides and x_sides != y_sides
    ):
        return False
    match = SequenceMatcher(None, x, y, autojunk=False).find_longest_match()
    return (
        match.size >= 3
        and match.size >= 0.5 * min(len(x), len(y))
        and (match.a == 0 or match.b == 0)
    )


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
    candidates = inbound.along_rows(session, _key(grid_id, category, since))
    if candidates is None:
        params = {"grid_id": grid_id, "category": category, "since": since}
        candidates = _CANDIDATES.rows(session, params)
    found = next((id_ for id_, place in candidates if same_place(place, location)), None)
    return None if found is None else session.get(Ticket, found)


def candidates_along(
    session: Session, runtime: Runtime, sender_id: str, report: ParsedReport, at: datetime
) -> Along | None:
    """The duplicate check's read, to ride with the message's claim (PostgreSQL): for a
    report from a sender whose home grid the memory holds, filed under that grid (it names
    none) and a known category, as `find_duplicate` will ask for it."""
    window = runtime.policy.duplicate_window
    if window.total_seconds() <= 0 or report.location is None or report.category is None:
        return None
    if report.grid_text or session.get_bind().dialect.name != "postgresql":
        return None
    grid_id = lookup.guessed_home_grid(session, sender_id)
    if grid_id is None:
        return None
    category, since = report.category.name, at - window
    params = {"grid_id": grid_id, "category": category, "since": since}
    return Along(_key(grid_id, category, since), _CANDIDATE_SELECT, params, _NEWEST_FIRST)


def _key(grid_id: int, category: str, since: datetime) -> tuple[str, int, str, datetime]:
    return ("duplicates", grid_id, category, since)


# Built once (the hot path of every report): the id and place of recent live tickets.
_TICKET = table_of(Ticket)
_NEWEST_FIRST = (_TICKET.c.created_at.desc(),)
_CANDIDATE_SELECT = (
    select(_TICKET.c.id, _TICKET.c.location)
    .where(
        _TICKET.c.grid_id == bindparam("grid_id"),
        _TICKET.c.status.in_(PENDING),
        _TICKET.c.category == bindparam("category"),
        _TICKET.c.created_at >= bindparam("since"),
    )
    .order_by(*_NEWEST_FIRST)
    .limit(50)
)
_CANDIDATES = Prepared(_CANDIDATE_SELECT)
