"""Daily briefing (每日简报): each bound group gets its subtree's figures once a day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.services.briefing import texts
from bot.services.outbox.queue import PRIORITY_BRIEFING, Draft, enqueue
from bot.services.roster import lookup
from bot.services.runtime import Runtime, format_duration
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.states import LIVE
from models.db import insert_ignore
from models.tables import BriefingLog, Grid, GridClosure, Person, Room, Ticket

TOP = 10


@dataclass
class Figures:
    new: int = 0
    resolved: int = 0
    open: int = 0
    overdue: int = 0
    overdue_tickets: list[Ticket] = field(default_factory=list)


def _count_by_root(session: Session, roots: list[int], *where: object) -> dict[int, int]:
    rows = session.exec(
        select(GridClosure.ancestor_id, func.count(col(Ticket.id)))
        .join(Ticket, col(Ticket.grid_id) == GridClosure.descendant_id)
        .where(col(GridClosure.ancestor_id).in_(roots), *where)  # type: ignore[arg-type]
        .group_by(col(GridClosure.ancestor_id))
    ).all()
    return {root: count for root, count in rows}


def figures(
    session: Session, roots: list[int], since: datetime, until: datetime, now: datetime
) -> dict[int, Figures]:
    """Figures for each root grid's subtree, in a fixed handful of grouped queries."""
    result = {root: Figures() for root in roots}
    counts = {
        "new": (col(Ticket.created_at) >= since, col(Ticket.created_at) < until),
        "resolved": (col(Ticket.resolved_at) >= since, col(Ticket.resolved_at) < until),
        "open": (col(Ticket.status).in_(LIVE),),
    }
    for name, where in counts.items():
        for root, count in _count_by_root(session, roots, *where).items():
            setattr(result[root], name, count)
    overdue = session.exec(
        select(GridClosure.ancestor_id, Ticket)
        .join(Ticket, col(Ticket.grid_id) == GridClosure.descendant_id)
        .where(
            col(GridClosure.ancestor_id).in_(roots),
            col(Ticket.status).in_(LIVE),
            col(Ticket.due_at) < now,
        )
        # 督办 tickets first, then the longest overdue.
        .order_by(col(Ticket.supervised).desc(), col(Ticket.due_at), col(Ticket.id))
    ).all()
    for root, ticket in overdue:
        result[root].overdue += 1
        if len(result[root].overdue_tickets) < TOP:
            result[root].overdue_tickets.append(ticket)
    return result


@dataclass(frozen=True)
class Names:
    """Grids and their heads for every overdue ticket listed in any briefing of the sweep."""

    grids: dict[int, Grid]
    leads: dict[int, Person]


def _names(session: Session, figs: dict[int, Figures]) -> Names:
    ids = {t.grid_id for fig in figs.values() for t in fig.overdue_tickets}
    return Names(lookup.grids_by_id(session, ids), lookup.leads_of(session, ids))


def _text(
    grid: Grid, day: date, fig: Figures, names: Names, runtime: Runtime, now: datetime
) -> str:
    lines = [
        texts.BRIEFING_HEADER.format(grid=grid.name, date=f"{day.month}月{day.day}日"),
        texts.BRIEFING_COUNTS.format(
            new=fig.new, resolved=fig.resolved, open=fig.open, overdue=fig.overdue
        ),
    ]
    if not fig.overdue:
        lines.append(texts.BRIEFING_ALL_CLEAR)
        return "\n".join(lines)
    lines.append(texts.BRIEFING_OVERDUE_TITLE)
    for t in fig.overdue_tickets:
        lead = names.leads.get(t.grid_id)
        lines.append(
            texts.BRIEFING_OVERDUE_LINE.format(
                mark=ticket_texts.SUPERVISED_MARK if t.supervised else "",
                code=t.code,
                category=t.category,
                grid=names.grids[t.grid_id].name,
                head=lead.name if lead else ticket_texts.NO_HEAD,
                overdue=format_duration(now - t.due_at),
            )
        )
    if fig.overdue > len(fig.overdue_tickets):
        lines.append(texts.BRIEFING_MORE.format(count=fig.overdue - len(fig.overdue_tickets)))
    return "\n".join(lines)


def sweep(runtime: Runtime) -> list[int]:
    """Queue today's briefing for every bound group that has not had it; return outbox ids.

    Runs any time after the briefing hour, so a late or restarted bot still sends today's
    briefing; yesterday's, if missed, is stale and skipped.
    """
    now = runtime.clock.now()
    local = runtime.policy.local(now)
    if local.time() < runtime.policy.briefing_time:
        return []
    day = local.date()
    start = datetime.combine(day, datetime.min.time(), runtime.policy.tz)
    with runtime.transaction() as session:
        done = select(BriefingLog.room_topic).where(BriefingLog.day == day)
        rooms = session.exec(
            select(Room, Grid)
            .join(Grid, col(Grid.id) == Room.grid_id)
            .where(col(Room.topic).not_in(done))
            .order_by(col(Grid.level), col(Room.topic))
        ).all()
        if not rooms:
            return []
        figs = figures(
            session, [g.id or 0 for _, g in rooms], start - timedelta(days=1), start, now
        )
        ids = insert_ignore(
            session, BriefingLog, [{"room_topic": room.topic, "day": day} for room, _ in rooms]
        )
        # Only the groups this sweep claimed: another sweep may have taken some meanwhile.
        won = set(
            session.exec(select(BriefingLog.room_topic).where(col(BriefingLog.id).in_(ids))).all()
        )
        claimed = [(room, grid) for room, grid in rooms if room.topic in won]
        names = _names(session, {grid.id or 0: figs[grid.id or 0] for _, grid in claimed})
        drafts = [
            Draft(
                key=f"brief:{room.topic}:{day.isoformat()}",
                text=_text(grid, day, figs[grid.id or 0], names, runtime, now),
                room_topic=room.topic,
                priority=PRIORITY_BRIEFING,
                kind="briefing",
            )
            for room, grid in claimed
        ]
        return enqueue(session, drafts, now)
