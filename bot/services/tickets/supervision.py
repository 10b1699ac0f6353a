"""挂牌督办: a district or town head flags a ticket for close supervision.

A supervised ticket is marked 【督办】 in every message about it, escalates at a shorter
interval (`Policy.supervision_factor` of the usual one) and is listed first in briefings.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from bot.core.errors import NotAllowed, UserError
from bot.services.runtime import Runtime
from bot.services.tickets import texts
from bot.services.tickets.deadlines import escalation_interval, format_hours
from bot.services.tickets.ledger import NOTE_LIMIT, Origin, check_length, find, info, record
from bot.services.tickets.lifecycle import may
from bot.services.tickets.notices import Notice, Outcome
from bot.services.tickets.states import PENDING, Access
from models.tables import Grid, Ticket


def supervise(
    session: Session, runtime: Runtime, code: str, note: str, origin: Origin, *, on: bool
) -> Outcome:
    """督办 <编号> [说明] / 取消督办 <编号>: a conditional flip of `Ticket.supervised`."""
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, Access.LEADER):
        raise NotAllowed(texts.NOT_ALLOWED_SUPERVISE.format(code=ticket.code))
    if on and ticket.status not in PENDING:
        status = texts.STATUS_NAMES[ticket.status]
        raise UserError(texts.SUPERVISE_ENDED.format(code=ticket.code, status=status))
    note = note.strip()
    check_length(texts.FIELD_NOTE, note, NOTE_LIMIT)
    result = session.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket.id, col(Ticket.supervised).is_(not on))
        .values(supervised=on)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise UserError(
            (texts.ALREADY_SUPERVISED if on else texts.NOT_SUPERVISED).format(code=ticket.code)
        )
    session.refresh(ticket)
    record(session, ticket, origin, "supervised" if on else "unsupervised", note)
    moved = info(session, ticket)
    if not on:
        return Outcome(moved, texts.UNSUPERVISED.format(code=moved.code, who=origin.actor.name))
    shown = f"：{note}" if note else ""
    interval = escalation_interval(runtime.policy, ticket.category, supervised=True)
    reply = texts.SUPERVISED.format(
        code=moved.code, who=origin.actor.name, note=shown, hours=format_hours(interval)
    )
    grid = session.get(Grid, ticket.grid_id)
    notice = Notice(
        texts.SUPERVISE_NOTICE.format(
            code=moved.code,
            who=origin.actor.name,
            note=shown,
            head=moved.head_name or texts.NO_HEAD,
            due=runtime.policy.format_time(moved.due_at),
        ),
        grid.room_topic if grid else None,
        (moved.head_id,) if moved.head_id else (),
    )
    return Outcome(moved, reply, (notice,))
