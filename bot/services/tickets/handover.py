"""Roster changes (网格长变更): open tickets follow the grid's new head.

After a roster import, every ticket still waiting for someone whose responsible person is no
longer the lead of its grid moves to the current lead, as one grouped update per changed
grid; the new head gets one message (in their grid's group, with a mention) listing what
they inherited. Pending verifications, extension and appeal decisions are addressed to a
grid's head by position, so they follow the new head without moving anything.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import Session, col, func, select

from bot.services.outbox.queue import PRIORITY_ESCALATION, Draft, enqueue
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from bot.services.tickets import texts
from bot.services.tickets.states import PENDING
from models.db import table_of
from models.tables import Grid, Person, Ticket, TicketEvent

LISTED = 10


def follow_new_heads(runtime: Runtime) -> list[int]:
    """Move tickets to their grid's current lead; return the outbox ids of the messages."""
    now = runtime.clock.now()
    with runtime.transaction() as session:
        pairs = session.exec(
            select(Ticket.grid_id, Ticket.responsible_id, func.count(col(Ticket.id)))
            .where(col(Ticket.status).in_(PENDING))
            .group_by(col(Ticket.grid_id), col(Ticket.responsible_id))
        ).all()
        leads = lookup.leads_of(session, {grid_id for grid_id, _, _ in pairs})
        changed = [
            (grid_id, old, leads[grid_id])
            for grid_id, old, _ in pairs
            if grid_id in leads and leads[grid_id].id != old
        ]
        if not changed:
            return []
        names = _names(session, {old for _, old, _ in changed if old})
        moved: dict[tuple[int, int], list[Ticket]] = defaultdict(list)
        for grid_id, old, new in changed:
            tickets = _move(session, grid_id, old, new, names.get(old or 0), now)
            moved[(grid_id, new.id or 0)].extend(tickets)
        grids = lookup.grids_by_id(session, {grid_id for grid_id, _ in moved})
        people = {new.id: new for _, _, new in changed}
        drafts = [
            _message(runtime, grids[grid_id], people[new_id], tickets, now)
            for (grid_id, new_id), tickets in moved.items()
        ]
        return enqueue(session, drafts, now)


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Person.id, Person.name).where(col(Person.id).in_(ids))).all()
    return {person_id or 0: name for person_id, name in rows}


def _move(
    session: Session,
    grid_id: int,
    old: int | None,
    new: Person,
    old_name: str | None,
    now: datetime,
) -> list[Ticket]:
    same_old = (
        col(Ticket.responsible_id).is_(None) if old is None else col(Ticket.responsible_id) == old
    )
    tickets = list(
        session.exec(
            select(Ticket)
            .where(Ticket.grid_id == grid_id, same_old, col(Ticket.status).in_(PENDING))
            .order_by(col(Ticket.due_at), col(Ticket.id))
        ).all()
    )
    session.execute(
        update(Ticket)
        .where(
            col(Ticket.id).in_([t.id for t in tickets]),
            same_old,  # a ticket someone moved meanwhile keeps its new state
        )
        .values(responsible_id=new.id)
        .execution_options(synchronize_session=False)
    )
    detail = texts.HANDOVER_EVENT.format(old=old_name or texts.NO_HEAD, new=new.name)
    session.execute(
        insert(table_of(TicketEvent)),
        [
            {
                "ticket_id": t.id,
                "at": now,
                "actor_id": None,
                "kind": "handed_over",
                "detail": detail,
                "message_id": None,
            }
            for t in tickets
        ],
    )
    return tickets


def _message(
    runtime: Runtime, grid: Grid, head: Person, tickets: list[Ticket], now: datetime
) -> Draft:
    ordered = sorted(tickets, key=lambda t: (not t.supervised, t.due_at, t.id or 0))
    lines = [texts.HANDOVER.format(name=head.name, grid=grid.name, count=len(ordered))]
    for t in ordered[:LISTED]:
        lines.append(
            texts.HANDOVER_LINE.format(
                mark=texts.SUPERVISED_MARK if t.supervised else "",
                code=t.code,
                category=t.category,
                location=t.location,
                status=texts.STATUS_NAMES.get(t.status, t.status),
                due=runtime.policy.format_time(t.due_at),
            )
        )
    if len(ordered) > LISTED:
        lines.append(texts.HANDOVER_MORE.format(count=len(ordered) - LISTED))
    return Draft(
        key=f"handover:{grid.id}:{head.id}:{now.isoformat()}",
        text="\n".join(lines),
        room_topic=grid.room_topic,
        mentions=(head.id,) if head.id else (),
        priority=PRIORITY_ESCALATION,
        kind="handover",
    )
