"""Escalation (超期上报): overdue tickets ping the head one level up, then the next, to level 1.

The database is the schedule: `Ticket.next_escalation_at` says when the next step is due and
the unique (ticket, step) pair in `Escalation` makes each step happen once, however many
sweeps run, late or at the same time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, insert, update
from sqlmodel import Session, col, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.services.escalation import texts
from bot.services.outbox.queue import PRIORITY_ESCALATION, Draft, enqueue
from bot.services.roster import lookup
from bot.services.runtime import Runtime, format_duration
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.deadlines import escalation_interval
from bot.services.tickets.states import LIVE
from models.db import insert_ignore, table_of
from models.tables import Escalation, Grid, Person, Ticket, TicketEvent

# One sweep claims up to this many tickets in one transaction; a larger backlog goes on in
# further batches of the same sweep.
BATCH = 5000
# A ping lists at most this many tickets, then a count.
LISTED = 10


@dataclass(frozen=True)
class Step:
    ticket: Ticket
    step: int
    target: Grid
    repeat: int  # 0 while climbing; n for the n-th repeat at the top
    at_top: bool = False  # this step goes to the top of the chain


def _plan(session: Session, due: list[Ticket]) -> list[Step]:
    grids = lookup.grids_by_id(session, {t.grid_id for t in due})
    chains = lookup.ancestor_chains(session, {t.grid_id for t in due})
    steps = []
    for ticket in due:
        chain = chains.get(ticket.grid_id) or [grids[ticket.grid_id]]
        step = ticket.escalation_step + 1  # unique per ticket for ever: (ticket, step)
        position = step - ticket.escalation_base  # where in the chain since it restarted
        target = chain[min(position, len(chain)) - 1]
        steps.append(
            Step(ticket, step, target, max(position - len(chain), 0), at_top=position >= len(chain))
        )
    return steps


def _claim(session: Session, steps: list[Step], now: datetime) -> list[Step]:
    """Record the steps; keep only those this sweep inserted (others were sent already)."""
    ids = insert_ignore(
        session,
        Escalation,
        [
            {
                "ticket_id": s.ticket.id,
                "step": s.step,
                "target_grid_id": s.target.id,
                "sent_at": now,
            }
            for s in steps
        ],
    )
    if not ids:
        return []
    won = set(
        session.exec(
            select(Escalation.ticket_id, Escalation.step).where(col(Escalation.id).in_(ids))
        ).all()
    )
    return [s for s in steps if (s.ticket.id, s.step) in won]


def _advance(session: Session, steps: list[Step], runtime: Runtime, now: datetime) -> None:
    table = table_of(Ticket)
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(escalation_step=bindparam("b_step"), next_escalation_at=bindparam("b_next")),
        [
            {
                "b_id": s.ticket.id,
                "b_step": s.step,
                "b_next": now + interval(runtime, s.ticket, at_top=s.at_top),
            }
            for s in steps
        ],
    )


def interval(runtime: Runtime, ticket: Ticket, *, at_top: bool = False) -> timedelta:
    return escalation_interval(runtime.policy, ticket.category, ticket.supervised, at_top=at_top)


def pressing_filter(runtime: Runtime, now: datetime) -> list[ColumnElement[bool]]:
    """In quiet hours only pressing categories and 督办 tickets go out (the rest wait)."""
    if not runtime.policy.calendar.in_quiet_hours(now):
        return []
    names = [c.name for c in runtime.policy.categories if c.pressing]
    return [or_(col(Ticket.supervised).is_(True), col(Ticket.category).in_(names))]


def sweep(runtime: Runtime) -> list[int]:
    """Send every escalation step that is due now; return the new outbox ids.

    Works in batches, each its own transaction, so a large backlog (after downtime) neither
    holds one long lock nor waits for the next wake-up.
    """
    now = runtime.clock.now()
    queued: list[int] = []
    while True:
        batch, more = _sweep_batch(runtime, now)
        queued.extend(batch)
        if not more:
            return queued


def due_query(runtime: Runtime, now: datetime) -> SelectOfScalar[Ticket]:
    """Tickets whose next step is due, oldest first.

    Only a range on `next_escalation_at`: it is NULL for every ticket that is not live (each
    move out of 待受理/处置中 clears it), so a status filter adds nothing, and without one
    both databases walk `ix_ticket_next_escalation_at` in order instead of sorting every live
    ticket (SQLite without statistics chose `ix_ticket_status_due` when it had the choice).
    """
    return (
        select(Ticket)
        .where(col(Ticket.next_escalation_at) <= now, *pressing_filter(runtime, now))
        .order_by(col(Ticket.next_escalation_at), col(Ticket.id))
        .limit(BATCH)
    )


def _sweep_batch(runtime: Runtime, now: datetime) -> tuple[list[int], bool]:
    with runtime.transaction() as session:
        found = list(session.exec(due_query(runtime, now)).all())
        stale = [t.id for t in found if t.status not in LIVE]
        if stale:  # defensive: a schedule left on a ticket that is not live is cleared
            session.execute(
                update(Ticket).where(col(Ticket.id).in_(stale)).values(next_escalation_at=None)
            )
        due = [t for t in found if t.status in LIVE]
        if not due:
            return [], len(found) == BATCH
        steps = _claim(session, _plan(session, due), now)
        if not steps:
            # Another sweep took this batch; anything left is its work too.
            return [], False
        _advance(session, steps, runtime, now)
        leads = lookup.leads_of(
            session, {s.ticket.grid_id for s in steps} | {s.target.id or 0 for s in steps}
        )
        _record(session, steps, leads, now)
        drafts = _messages(session, steps, leads, runtime, now)
        return enqueue(session, drafts, now), len(due) == BATCH


def _record(session: Session, steps: list[Step], leads: dict[int, Person], now: datetime) -> None:
    """Each step is a ticket event too, so 「查询」 shows who was reminded and when."""
    rows = []
    for s in steps:
        lead = leads.get(s.target.id or 0)
        who = lead.name if lead else ticket_texts.NO_HEAD
        detail = texts.ESCALATION_EVENT.format(grid=s.target.name, head=who)
        rows.append(
            {
                "ticket_id": s.ticket.id,
                "at": now,
                "kind": "escalated",
                "detail": detail,
                "message_id": None,
                "actor_id": None,
            }
        )
    session.execute(insert(table_of(TicketEvent)), rows)


def _messages(
    session: Session,
    steps: list[Step],
    leads: dict[int, Person],
    runtime: Runtime,
    now: datetime,
) -> list[Draft]:
    """One message per target group and head: several tickets at once become one list."""
    by_target: dict[int, list[Step]] = defaultdict(list)
    for s in steps:
        by_target[s.target.id or 0].append(s)
    grids = lookup.grids_by_id(session, {s.ticket.grid_id for s in steps})
    drafts = []
    for target_id, group in by_target.items():
        target = group[0].target
        lead = leads.get(target_id)
        text = _text(group, target, grids, leads, runtime, now)
        # (ticket, step) is unique, so the group's first pair names this message uniquely.
        first = min(group, key=lambda s: s.ticket.id or 0)
        drafts.append(
            Draft(
                key=f"esc:{first.ticket.id}:{first.step}",
                text=text,
                room_topic=target.room_topic,
                mentions=(lead.id,) if lead and lead.id else (),
                priority=PRIORITY_ESCALATION,
                kind="escalation",
            )
        )
    return drafts


def _text(
    group: list[Step],
    target: Grid,
    grids: dict[int, Grid],
    leads: dict[int, Person],
    runtime: Runtime,
    now: datetime,
) -> str:
    level = texts.ESCALATION_LEVEL.format(grid=target.name)
    if len(group) == 1:
        s = group[0]
        t = s.ticket
        lead = leads.get(t.grid_id)
        text = texts.ESCALATION.format(
            code=t.code,
            due=runtime.policy.format_time(t.due_at),
            overdue=format_duration(now - t.due_at),
            category=t.category,
            location=t.location,
            grid=grids[t.grid_id].name,
            head=lead.name if lead else ticket_texts.NO_HEAD,
            level=level,
        )
        if s.repeat:
            text += texts.ESCALATION_TOP_REPEAT.format(n=s.repeat + 1)
        return ticket_texts.SUPERVISED_MARK + text if t.supervised else text
    lines = [texts.ESCALATION_MANY.format(count=len(group), level=level)]
    ordered = sorted(
        group, key=lambda s: (not s.ticket.supervised, s.ticket.due_at, s.ticket.id or 0)
    )
    for s in ordered[:LISTED]:
        t = s.ticket
        lead = leads.get(t.grid_id)
        lines.append(
            texts.ESCALATION_LINE.format(
                mark=ticket_texts.SUPERVISED_MARK if t.supervised else "",
                code=t.code,
                category=t.category,
                location=t.location,
                grid=grids[t.grid_id].name,
                head=lead.name if lead else ticket_texts.NO_HEAD,
                overdue=format_duration(now - t.due_at),
            )
        )
    if len(ordered) > LISTED:
        lines.append(texts.ESCALATION_MORE.format(count=len(ordered) - LISTED))
    return "\n".join(lines)
