"""Daily briefing (每日简报): each bound group gets its subtree's figures once a day.

Sent from the briefing time until the catch-up limit (default 08:30–12:00): a bot that was
down at 08:30 still sends today's briefing at 09:10, but never a "morning" briefing in the
evening. A group with nothing new, nothing open and nothing overdue gets one short line (or
nothing, by configuration). Upper levels get one line per child grid; 督办 tickets come first;
tickets waiting for 核查 are listed; the parent of patrolling grids sees yesterday's 零报告 and
未报告 grids. A fixed handful of grouped queries over the closure table, whatever the size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.services.briefing import texts
from bot.services.outbox.queue import PRIORITY_BRIEFING, Draft, enqueue
from bot.services.patrols.records import ZERO_KINDS, patrol_grids, patrol_status
from bot.services.roster import lookup
from bot.services.runtime import Runtime, format_duration
from bot.services.tickets import counts as ticket_counts
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.states import LIVE, Status
from models.db import insert_ignore, table_of
from models.tables import BriefingLog, Grid, GridClosure, Person, Room, Ticket

TOP = 10
WAITING_TOP = 5


@dataclass
class Figures:
    new: int = 0
    resolved: int = 0
    open: int = 0
    overdue: int = 0
    waiting: int = 0
    overdue_tickets: list[Ticket] = field(default_factory=list)
    waiting_tickets: list[Ticket] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new or self.resolved or self.open or self.waiting)


# A listing order: (ticket column, descending), ending with the id so that ties are stable.
Order = tuple[tuple[str, bool], ...]


def _listed(
    session: Session, roots: list[int], top: int, order: Order, *where: object
) -> tuple[dict[int, int], dict[int, list[Ticket]]]:
    """Each root's count of matching tickets and its first `top` of them, ranked in SQL.

    A root's first `top` are among the first `top` of each grid under it, so tickets are
    ranked once per grid, and only those few climb the closure to be ranked per root: the
    sort is over the matching tickets once, not once per ancestor, and only the listed
    tickets become objects. As in `ticket_counts.by_root`, the closure is reached by descendant and
    the roots picked out afterwards (ranks are per root, so this changes none of them).
    """
    table = table_of(Ticket)

    def ranking(columns: Any) -> list[Any]:
        return [columns[name].desc() if desc else columns[name] for name, desc in order]

    in_grid = (
        select(  # type: ignore[call-overload]
            table.c.grid_id,
            *(table.c[name] for name, _ in order),
            func.row_number()
            .over(partition_by=table.c.grid_id, order_by=ranking(table.c))
            .label("grid_rank"),
        )
        .where(*where)
        .subquery()
    )
    root = col(GridClosure.ancestor_id)
    pairs = (
        select(  # type: ignore[call-overload]
            root.label("root"),
            in_grid.c.id.label("ticket_id"),
            func.row_number().over(partition_by=root, order_by=ranking(in_grid.c)).label("rank"),
        )
        .join(in_grid, in_grid.c.grid_id == GridClosure.descendant_id)
        .where(in_grid.c.grid_rank <= top)
        .subquery()
    )
    wanted = set(roots)
    rows = [
        (r, t)
        for r, t in session.exec(
            select(pairs.c.root, pairs.c.ticket_id)
            .where(pairs.c.rank <= top)
            .order_by(pairs.c.root, pairs.c.rank)
        ).all()
        if r in wanted
    ]
    ids = {ticket_id for _, ticket_id in rows}
    tickets = {t.id: t for t in session.exec(select(Ticket).where(col(Ticket.id).in_(ids))) if t.id}
    listed: dict[int, list[Ticket]] = {}
    for r, ticket_id in rows:
        listed.setdefault(r, []).append(tickets[ticket_id])
    return ticket_counts.by_root(session, roots, *where), listed


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
        for root, count in ticket_counts.by_root(session, roots, *where).items():
            setattr(result[root], name, count)
    # 督办 tickets first, then the longest overdue.
    overdue, overdue_listed = _listed(
        session,
        roots,
        TOP,
        (("supervised", True), ("due_at", False), ("id", False)),
        col(Ticket.status).in_(LIVE),
        col(Ticket.due_at) < now,
    )
    waiting, waiting_listed = _listed(
        session,
        roots,
        WAITING_TOP,
        (("supervised", True), ("resolved_at", False), ("id", False)),
        Ticket.status == Status.RESOLVED,
    )
    for root, fig in result.items():
        fig.overdue, fig.overdue_tickets = overdue.get(root, 0), overdue_listed.get(root, [])
        fig.waiting, fig.waiting_tickets = waiting.get(root, 0), waiting_listed.get(root, [])
    return result


@dataclass(frozen=True)
class Names:
    """Grids and their heads for every ticket listed in any briefing of the sweep."""

    grids: dict[int, Grid]
    leads: dict[int, Person]


def _names(session: Session, figs: dict[int, Figures]) -> Names:
    ids = {t.grid_id for fig in figs.values() for t in (*fig.overdue_tickets, *fig.waiting_tickets)}
    return Names(lookup.grids_by_id(session, ids), lookup.leads_of(session, ids))


@dataclass(frozen=True)
class Patrols:
    """Yesterday's patrol status of the patrolling grids right under (or at) each group's grid."""

    zero: dict[int, list[str]]
    missing: dict[int, list[str]]


def _patrols(session: Session, grids: list[Grid], day: date) -> Patrols:
    ids = [g.id or 0 for g in grids]
    under = session.exec(
        select(GridClosure.ancestor_id, Grid)
        .join(Grid, col(Grid.id) == GridClosure.descendant_id)
        .where(col(GridClosure.ancestor_id).in_(ids), col(GridClosure.depth) <= 1)
        .order_by(col(Grid.code))
    ).all()
    patrolling = patrol_grids(session, [g.id or 0 for _, g in under])
    status = patrol_status(session, list(patrolling), day)
    zero: dict[int, list[str]] = {}
    missing: dict[int, list[str]] = {}
    for root, grid in under:
        if grid.id not in patrolling:
            continue
        kinds = status.get(grid.id or 0)
        if not kinds:
            missing.setdefault(root, []).append(grid.name)
        elif kinds <= set(ZERO_KINDS):
            zero.setdefault(root, []).append(grid.name)
    return Patrols(zero, missing)


def _text(
    grid: Grid,
    day: date,
    fig: Figures,
    children: list[tuple[Grid, Figures]],
    patrols: Patrols,
    names: Names,
    now: datetime,
) -> str:
    lines = [
        texts.BRIEFING_HEADER.format(grid=grid.name, date=f"{day.month}月{day.day}日"),
        texts.BRIEFING_COUNTS.format(
            new=fig.new,
            resolved=fig.resolved,
            open=fig.open,
            overdue=fig.overdue,
            waiting=fig.waiting,
        ),
    ]
    if children:
        lines.append(texts.BRIEFING_CHILDREN_TITLE)
        for child, f in children:
            lines.append(
                texts.BRIEFING_CHILD_LINE.format(
                    grid=child.name, new=f.new, open=f.open, overdue=f.overdue, waiting=f.waiting
                )
            )
    if fig.overdue:
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
    if fig.waiting:
        lines.append(texts.BRIEFING_WAITING_TITLE)
        for t in fig.waiting_tickets:
            lines.append(
                texts.BRIEFING_WAITING_LINE.format(
                    mark=ticket_texts.SUPERVISED_MARK if t.supervised else "",
                    code=t.code,
                    category=t.category,
                    grid=names.grids[t.grid_id].name,
                    age=format_duration(now - (t.resolved_at or now)),
                )
            )
        if fig.waiting > len(fig.waiting_tickets):
            more = fig.waiting - len(fig.waiting_tickets)
            lines.append(texts.BRIEFING_WAITING_MORE.format(count=more))
    if grid.id in patrols.zero:
        lines.append(texts.BRIEFING_PATROL_ZERO.format(grids="、".join(patrols.zero[grid.id])))
    if grid.id in patrols.missing:
        missing = "、".join(patrols.missing[grid.id])
        lines.append(texts.BRIEFING_PATROL_MISSING.format(grids=missing))
    if not fig.overdue:
        lines.append(texts.BRIEFING_ALL_CLEAR)
    return "\n".join(lines)


def _due_window(runtime: Runtime, now: datetime) -> bool:
    """Between the briefing time and the catch-up limit, outside quiet hours."""
    local = runtime.policy.local(now).time()
    schedule = runtime.policy.schedule
    return runtime.policy.briefing_time <= local < max(
        schedule.catch_up_until, runtime.policy.briefing_time
    ) and not runtime.policy.calendar.in_quiet_hours(now)


def sweep(runtime: Runtime) -> list[int]:
    """Queue today's briefing for every bound group that has not had it; return outbox ids.

    Runs any time in the day's briefing window, so a late or restarted bot still sends
    today's briefing; after the window (or a missed day) it is stale and skipped.
    """
    now = runtime.clock.now()
    if not _due_window(runtime, now):
        return []
    local = runtime.policy.local(now)
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
        ids = insert_ignore(
            session, BriefingLog, [{"room_topic": room.topic, "day": day} for room, _ in rooms]
        )
        # Only the groups this sweep claimed: another sweep may have taken some meanwhile.
        won = set(
            session.exec(select(BriefingLog.room_topic).where(col(BriefingLog.id).in_(ids))).all()
        )
        claimed = [(room, grid) for room, grid in rooms if room.topic in won]
        if not claimed:
            return []
        roots = [grid.id or 0 for _, grid in claimed]
        kids = list(
            session.exec(
                select(Grid).where(col(Grid.parent_id).in_(roots)).order_by(col(Grid.code))
            ).all()
        )
        figs = figures(
            session,
            list({*roots, *(k.id or 0 for k in kids)}),
            start - timedelta(days=1),
            start,
            now,
        )
        names = _names(session, {root: figs[root] for root in roots})
        patrols = _patrols(session, [grid for _, grid in claimed], day - timedelta(days=1))
        children_of: dict[int, list[tuple[Grid, Figures]]] = {}
        for k in kids:
            children_of.setdefault(k.parent_id or 0, []).append((k, figs[k.id or 0]))
        drafts = []
        for room, grid in claimed:
            fig = figs[grid.id or 0]
            children = children_of.get(grid.id or 0, [])
            quiet_day = (
                fig.empty
                and not fig.overdue
                and grid.id not in patrols.missing
                and grid.id not in patrols.zero
            )
            if quiet_day and runtime.policy.schedule.empty_briefing == "none":
                continue
            text = (
                texts.BRIEFING_EMPTY.format(grid=grid.name, date=f"{day.month}月{day.day}日")
                if quiet_day
                else _text(grid, day, fig, children, patrols, names, now)
            )
            drafts.append(
                Draft(
                    key=f"brief:{room.topic}:{day.isoformat()}",
                    text=text,
                    room_topic=room.topic,
                    priority=PRIORITY_BRIEFING,
                    kind="briefing",
                )
            )
        return enqueue(session, drafts, now)
