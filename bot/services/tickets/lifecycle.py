"""What grid staff do to a ticket by command: accept, resolve, close, query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core.errors import NotAllowed, UserError
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from bot.services.tickets import texts
from bot.services.tickets.deadlines import parse_deadline
from bot.services.tickets.ledger import (
    DESCRIPTION_LIMIT,
    LOCATION_LIMIT,
    NOTE_LIMIT,
    Origin,
    TicketInfo,
    check_length,
    find,
    info,
    record,
)
from bot.services.tickets.states import ACCEPT, CLOSE, LIVE, RESOLVE, Access, Status, Transition
from bot.services.understanding.categories import index_for
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


def may(session: Session, person_id: int, ticket: Ticket, access: Access) -> bool:
    """Whether the person's place in the grid tree gives them `access` to the ticket."""
    if access is Access.ANYONE:
        return True
    roles = lookup.roles_over(session, person_id, ticket.grid_id)
    if any(role == "admin" for role, _ in roles):
        return True  # a 管理员 acts within their own grid's subtree (level 1: everywhere)
    if access is Access.VERIFIER:
        return any(role in lookup.CLOSE_ROLES and depth > 0 for role, depth in roles)
    return bool(roles) or (access is Access.VIEWER and ticket.reporter_id == person_id)


def _refuse_access(session: Session, ticket: Ticket, transition: Transition) -> NotAllowed:
    template = texts.NOT_ALLOWED[transition.name]
    return NotAllowed(template.format(code=ticket.code, grid=_grid_name(session, ticket)))


def _wrong_state(transition: Transition, code: str, status: Status) -> UserError:
    """Why `transition` cannot start from `status`, in the words of the command's sender."""
    if status is Status.CLOSED:
        text = texts.ALREADY_CLOSED
    elif transition is CLOSE:
        text = texts.CLOSE_NEEDS_RESOLVED
    elif status is Status.RESOLVED:
        text = texts.ALREADY_RESOLVED
    else:
        text = texts.ALREADY_ACCEPTED
    return UserError(text.format(code=code, status=texts.STATUS_NAMES[status]))


def apply(
    session: Session, ticket: Ticket, transition: Transition, origin: Origin, detail: str = ""
) -> None:
    """Make the move as a conditional update; the loser of a race gets a clear refusal."""
    values: dict[str, object] = {"status": transition.target, transition.stamp: origin.at}
    if transition.stops_escalation:
        values["next_escalation_at"] = None
    result = session.execute(
        update(Ticket)
        .where(col(Ticket.id) == ticket.id, col(Ticket.status).in_(transition.sources))
        .values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(ticket)  # someone else moved it since it was read
        raise _wrong_state(transition, ticket.code, Status(ticket.status))
    record(session, ticket, origin, transition.event, detail)


def _move(
    session: Session, code: str, transition: Transition, origin: Origin, detail: str = ""
) -> TicketInfo:
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, transition.access):
        raise _refuse_access(session, ticket, transition)
    if ticket.status not in transition.sources:
        raise _wrong_state(transition, ticket.code, Status(ticket.status))
    if transition is RESOLVE and not detail:
        raise UserError(texts.RESOLVE_NEEDS_NOTE.format(code=ticket.code))
    check_length(texts.FIELD_NOTE, detail, NOTE_LIMIT)
    apply(session, ticket, transition, origin, detail)
    return info(session, ticket)


def accept(session: Session, code: str, origin: Origin) -> TicketInfo:
    """受理: staff of the ticket's grid or an ancestor take it on."""
    return _move(session, code, ACCEPT, origin)


def resolve(session: Session, code: str, note: str, origin: Origin) -> TicketInfo:
    """办结: the problem is handled; escalation stops and an upper head may verify and close."""
    return _move(session, code, RESOLVE, origin, note.strip())


def close(session: Session, code: str, origin: Origin) -> TicketInfo:
    """销号: a head or deputy of an ancestor grid (or an admin) strikes a resolved ticket off."""
    return _move(session, code, CLOSE, origin)


def attach_ready(session: Session, code: str, origin: Origin) -> TicketInfo:
    """照片 <编号>: the sender's next photos within the evidence window go on this ticket."""
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, Access.VIEWER):
        raise NotAllowed(texts.NOT_ALLOWED_QUERY.format(code=ticket.code))
    record(session, ticket, origin, "attach_ready")
    return info(session, ticket)


def query(session: Session, code: str, origin: Origin) -> TicketStatus:
    """查询: status and history, for staff of the grid or above, admins and the reporter."""
    ticket = find(session, code)
    person_id = origin.actor.person_id
    if not may(session, person_id, ticket, Access.VIEWER):
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


_CORRECTION = re.compile(
    r"^\s*(?P<key>地点|位置|地址|问题类型|类型|描述|情况|整改期限|期限)\s*[:：]?\s*(?P<value>\S.*)$",
    re.S,
)
_CORRECTABLE = {
    "地点": "location", "位置": "location", "地址": "location",
    "类型": "category", "问题类型": "category",
    "描述": "description", "情况": "description",
    "期限": "due_at", "整改期限": "due_at",
}  # fmt: skip


def correct(
    session: Session, runtime: Runtime, code: str, text: str, origin: Origin
) -> tuple[TicketInfo, str]:
    """更正: the reporter or the grid's staff fix one field of a live ticket (recorded)."""
    ticket = find(session, code)
    if not may(session, origin.actor.person_id, ticket, Access.VIEWER):
        raise NotAllowed(texts.NOT_ALLOWED_CORRECT.format(code=ticket.code))
    if ticket.status not in LIVE:
        status = texts.STATUS_NAMES[ticket.status]
        raise UserError(texts.CORRECT_NOT_LIVE.format(code=ticket.code, status=status))
    match = _CORRECTION.match(text)
    if match is None:
        raise UserError(texts.CORRECT_USAGE.format(code=ticket.code))
    key, value = match.group("key"), match.group("value").strip()
    field = _CORRECTABLE[key]
    limit = {"location": LOCATION_LIMIT, "description": DESCRIPTION_LIMIT}.get(field, NOTE_LIMIT)
    check_length(key, value, limit)
    old: object = getattr(ticket, field)
    new: object = value
    if field == "category":
        category = index_for(runtime.policy.categories).for_field(value)
        if category is None:
            names = "、".join(c.name for c in runtime.policy.categories)
            raise UserError(texts.REPORT_UNKNOWN_CATEGORY.format(given=value, choices=names))
        new = category.name
    elif field == "due_at":
        new = parse_deadline(value, origin.at, runtime.policy.tz)
        ticket.next_escalation_at = new
        ticket.escalation_step = 0
    setattr(ticket, field, new)
    session.add(ticket)
    shown = {
        name: runtime.policy.format_time(v) if isinstance(v, datetime) else str(v)
        for name, v in (("old", old), ("new", new))
    }
    record(session, ticket, origin, "corrected", f"{key}：{shown['old']} → {shown['new']}")
    return info(session, ticket), f"{key}：{shown['new']}"
