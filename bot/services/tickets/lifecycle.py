"""What grid staff do to a ticket by command: accept, resolve, close, query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.core import texts
from bot.core.errors import NotAllowed, UserError
from bot.services.roster import lookup as directory
from bot.services.tickets.ledger import LIVE, Origin, TicketInfo, find, info, record
from models.tables import Grid, Person, Ticket, TicketEvent


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str
    kind: str
    detail: str


@dataclass(frozen=True)
class TicketStatus:
    ticket: TicketInfo
    history: tuple[HistoryLine, ...]
    evidence_count: int


def _grid_name(session: Session, ticket: Ticket) -> str:
    grid = session.get(Grid, ticket.grid_id)
    return grid.name if grid else ""


def _staff_of(session: Session, person_id: int, ticket: Ticket) -> bool:
    return bool(directory.roles_over(session, person_id, ticket.grid_id)) or directory.is_admin(
        session, person_id
    )


def accept(session: Session, code: str, origin: Origin) -> TicketInfo:
    """受理: staff of the ticket's grid or an ancestor take it on."""
    ticket = find(session, code)
    if not _staff_of(session, origin.actor.person_id, ticket):
        raise NotAllowed(
            texts.NOT_ALLOWED_ACCEPT.format(code=ticket.code, grid=_grid_name(session, ticket))
        )
    if ticket.status != "open":
        raise UserError(
            texts.ALREADY_ACCEPTED.format(
                code=ticket.code, status=texts.STATUS_NAMES[ticket.status]
            )
        )
    ticket.status = "accepted"
    ticket.accepted_at = origin.at
    session.add(ticket)
    record(session, ticket, origin, "accepted")
    return info(session, ticket)


def resolve(session: Session, code: str, note: str, origin: Origin) -> TicketInfo:
    """办结: the problem is handled; escalation stops and an upper head may verify and close."""
    ticket = find(session, code)
    if not _staff_of(session, origin.actor.person_id, ticket):
        raise NotAllowed(
            texts.NOT_ALLOWED_RESOLVE.format(code=ticket.code, grid=_grid_name(session, ticket))
        )
    if ticket.status == "closed":
        raise UserError(texts.ALREADY_CLOSED.format(code=ticket.code))
    if ticket.status not in LIVE:
        raise UserError(texts.ALREADY_RESOLVED.format(code=ticket.code))
    if not note.strip():
        raise UserError(texts.RESOLVE_NEEDS_NOTE.format(code=ticket.code))
    ticket.status = "resolved"
    ticket.resolved_at = origin.at
    ticket.next_escalation_at = None
    session.add(ticket)
    record(session, ticket, origin, "resolved", note.strip())
    return info(session, ticket)


def close(session: Session, code: str, origin: Origin) -> TicketInfo:
    """销号: a head or deputy of an ancestor grid (or an admin) strikes a resolved ticket off."""
    ticket = find(session, code)
    person_id = origin.actor.person_id
    upper = any(
        role in directory.CLOSE_ROLES and depth > 0
        for role, depth in directory.roles_over(session, person_id, ticket.grid_id)
    )
    if not (upper or directory.is_admin(session, person_id)):
        raise NotAllowed(texts.NOT_ALLOWED_CLOSE.format(code=ticket.code))
    if ticket.status == "closed":
        raise UserError(texts.ALREADY_CLOSED.format(code=ticket.code))
    if ticket.status != "resolved":
        raise UserError(texts.CLOSE_NEEDS_RESOLVED.format(code=ticket.code))
    ticket.status = "closed"
    ticket.closed_at = origin.at
    ticket.next_escalation_at = None
    session.add(ticket)
    record(session, ticket, origin, "closed")
    return info(session, ticket)


def _may_see(session: Session, person_id: int, ticket: Ticket) -> bool:
    return ticket.reporter_id == person_id or _staff_of(session, person_id, ticket)


def attach_ready(session: Session, code: str, origin: Origin) -> TicketInfo:
    """照片 <编号>: the sender's next photos within the evidence window go on this ticket."""
    ticket = find(session, code)
    if not _may_see(session, origin.actor.person_id, ticket):
        raise NotAllowed(texts.NOT_ALLOWED_QUERY.format(code=ticket.code))
    record(session, ticket, origin, "attach_ready")
    return info(session, ticket)


def query(session: Session, code: str, origin: Origin) -> TicketStatus:
    """查询: status and history, for staff of the grid or above, admins and the reporter."""
    ticket = find(session, code)
    person_id = origin.actor.person_id
    if not _may_see(session, person_id, ticket):
        raise NotAllowed(texts.NOT_ALLOWED_QUERY.format(code=ticket.code))
    rows = session.exec(
        select(TicketEvent, Person.name)
        .join(Person, col(Person.id) == TicketEvent.actor_id, isouter=True)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(col(TicketEvent.at), col(TicketEvent.id))
    ).all()
    history = tuple(
        HistoryLine(at=event.at, who=name or "系统", kind=event.kind, detail=event.detail)
        for event, name in rows
        if event.kind != "attach_ready"
    )
    evidence = sum(1 for line in history if line.kind == "evidence")
    return TicketStatus(ticket=info(session, ticket), history=history, evidence_count=evidence)
