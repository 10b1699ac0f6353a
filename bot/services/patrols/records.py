"""Patrol records (巡查记录) and meeting minutes (会议纪要), as grid staff post them.

A member's 巡查打卡, 今日巡查无异常 (零报告), a photo that belongs to no ticket, or a report they
filed that day each count as that day's patrol of their grid. One row per person, grid, day
and kind (a unique key): saying it twice records it once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.core.errors import UserError
from bot.services.patrols import texts
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from bot.services.tickets.ledger import NOTE_LIMIT, Origin, check_length
from models.db import insert_ignore
from models.tables import Grid, MeetingRecord, Membership, PatrolRecord, Room

CHECKIN = "checkin"
ZERO = "zero"
PHOTO = "photo"
REPORT = "report"
# Kinds that say a problem-free patrol (零报告) rather than a patrol with findings.
ZERO_KINDS = (ZERO,)


def _grid(session: Session, origin: Origin) -> Grid:
    """The grid a post is about: the sender's own grid (their lowest)."""
    grid = lookup.home_grid(session, origin.actor.person_id)
    if grid is None:
        raise UserError(texts.NO_GRID)
    return grid


def record(
    session: Session, runtime: Runtime, origin: Origin, kind: str, note: str = ""
) -> tuple[Grid, date]:
    """Record a patrol of the sender's grid today; return the grid and the local day."""
    check_length("情况", note, NOTE_LIMIT)
    grid = _grid(session, origin)
    day = runtime.policy.local(origin.at).date()
    insert_ignore(
        session,
        PatrolRecord,
        [
            {
                "person_id": origin.actor.person_id,
                "grid_id": grid.id,
                "day": day,
                "kind": kind,
                "note": note,
                "at": origin.at,
                "message_id": origin.message_id,
            }
        ],
    )
    return grid, day


def check_in(session: Session, runtime: Runtime, origin: Origin, note: str) -> str:
    grid, day = record(session, runtime, origin, CHECKIN, note.strip())
    shown = f"：{note.strip()}" if note.strip() else ""
    return texts.CHECKED_IN.format(
        grid=grid.name, day=f"{day.month}月{day.day}日", who=origin.actor.name, note=shown
    )


def zero_report(session: Session, runtime: Runtime, origin: Origin) -> str:
    grid, day = record(session, runtime, origin, ZERO)
    return texts.ZERO_REPORT.format(
        grid=grid.name, day=f"{day.month}月{day.day}日", who=origin.actor.name
    )


def photo(session: Session, runtime: Runtime, origin: Origin) -> None:
    """A photo that belongs to no ticket is patrol evidence (no reply: it may be chat)."""
    if lookup.home_grid(session, origin.actor.person_id) is not None:
        record(session, runtime, origin, PHOTO)


def minutes(session: Session, runtime: Runtime, origin: Origin, note: str) -> str:
    """会议纪要 <内容>: the meeting of the group's grid (else the sender's) was held."""
    note = note.strip()
    if not note:
        raise UserError(texts.MEETING_NEEDS_TEXT)
    check_length("会议内容", note, 4000)
    grid = None
    if origin.room_topic:
        room = session.exec(select(Room).where(Room.topic == origin.room_topic)).first()
        grid = session.get(Grid, room.grid_id) if room and room.grid_id else None
    grid = grid or _grid(session, origin)
    day = runtime.policy.local(origin.at).date()
    session.add(
        MeetingRecord(
            grid_id=grid.id or 0,
            person_id=origin.actor.person_id,
            day=day,
            note=note,
            at=origin.at,
            message_id=origin.message_id,
        )
    )
    return texts.MEETING_RECORDED.format(
        grid=grid.name, day=f"{day.month}月{day.day}日", who=origin.actor.name
    )


def patrol_status(
    session: Session, grid_ids: list[int], day: date, since: datetime | None = None
) -> dict[int, set[str]]:
    """The kinds of patrol record each grid has for `day` (only those at or after `since`)."""
    if not grid_ids:
        return {}
    query = select(PatrolRecord.grid_id, PatrolRecord.kind).where(
        col(PatrolRecord.grid_id).in_(grid_ids), PatrolRecord.day == day
    )
    if since is not None:
        query = query.where(col(PatrolRecord.at) >= since)
    status: dict[int, set[str]] = {}
    for grid_id, kind in session.exec(query).all():
        status.setdefault(grid_id, set()).add(kind)
    return status


def patrol_grids(session: Session, within: list[int] | None = None) -> dict[int, list[int]]:
    """Grids that patrol (they have 网格员), with their members' person ids."""
    query = select(Membership.grid_id, Membership.person_id).where(Membership.role == "member")
    if within is not None:
        query = query.where(col(Membership.grid_id).in_(within))
    grids: dict[int, list[int]] = {}
    for grid_id, person_id in session.exec(query).all():
        grids.setdefault(grid_id, []).append(person_id)
    return grids
