"""One ticket as the console shows it: every field, the whole timeline, photos, what may be done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from bot.core.errors import NotFound, UserError
from bot.services.office import texts
from bot.services.office.accounts import Account
from bot.services.office.search import in_subtree
from bot.services.runtime import Runtime
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.states import LIVE, PENDING, Status
from models.tables import (
    Escalation,
    Evidence,
    Grid,
    Person,
    Ticket,
    TicketEvent,
    TicketRequest,
)

REQUEST_KINDS = {"extension": "延期申请", "appeal": "申诉"}


@dataclass(frozen=True)
class Step:
    at: datetime
    who: str
    what: str
    detail: str


@dataclass(frozen=True)
class Photo:
    id: int
    kind: str
    stage: str
    status: str
    at: datetime
    who: str


@dataclass(frozen=True)
class TicketView:
    code: str
    status: str
    status_name: str
    category: str
    location: str
    description: str
    grid_code: str
    grid_name: str
    head: str | None
    reporter: str | None
    source_name: str
    created_at: datetime
    due_at: datetime
    overdue: bool
    supervised: bool
    reworks: int
    extensions: int
    timeline: list[Step]
    # What waits for an upper head's decision: 「延期申请：理由（拟延至 …）」.
    waiting: list[str]
    photos: list[Photo]
    actions: list[str]


def visible_ticket(session: Session, account: Account, code: str) -> Ticket:
    """The ticket if it lies in the account's scope, else NotFound / UserError."""
    ticket = session.exec(select(Ticket).where(Ticket.code == code.strip())).first()
    if ticket is None:
        raise NotFound(texts.NO_TICKET.format(code=code))
    if account.grid_id is not None:
        inside = session.exec(
            select(Ticket.id).where(Ticket.id == ticket.id, in_subtree(account.grid_id))
        ).first()
        if inside is None:
            raise UserError(texts.OUT_OF_SCOPE.format(code=ticket.code))
    return ticket


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    rows = session.exec(select(Person.id, Person.name).where(col(Person.id).in_(wanted))).all()
    return {pid: name for pid, name in rows if pid}


def _timeline(session: Session, ticket: Ticket) -> list[Step]:
    """Events (延期 and 申诉 decisions among them) and escalation steps, in time order."""
    events = session.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(col(TicketEvent.id))
    ).all()
    escalations = session.exec(
        select(Escalation, Grid.name)
        .join(Grid, col(Grid.id) == Escalation.target_grid_id)
        .where(Escalation.ticket_id == ticket.id)
    ).all()
    names = _names(session, {e.actor_id for e in events})
    steps = [
        Step(e.at, names.get(e.actor_id or 0, "系统"), _event_name(e.kind), e.detail)
        for e in events
        if e.kind != "escalated"
    ]
    steps += [
        Step(x.sent_at, "系统", "超期提醒", f"第 {x.step} 次，提醒 {grid}")
        for x, grid in escalations
    ]
    return sorted(steps, key=lambda s: s.at)


def _event_name(kind: str) -> str:
    return ticket_texts.EVENT_NAMES.get(kind, kind)


def _actions(ticket: Ticket, pending: set[str]) -> list[str]:
    status = Status(ticket.status)
    actions: list[str] = []
    if status in LIVE:
        actions += ["assign", "transfer"]
    if status is Status.RESOLVED:
        actions += ["close", "send_back"]
    if "extension" in pending:
        actions += ["grant_extension", "refuse_extension"]
    if status is Status.APPEALED:
        actions += ["uphold_appeal", "reject_appeal"]
    if status in PENDING:
        actions.append("unsupervise" if ticket.supervised else "supervise")
    return actions


def view(session: Session, runtime: Runtime, account: Account, code: str) -> TicketView:
    ticket = visible_ticket(session, account, code)
    grid = session.get(Grid, ticket.grid_id)
    people = _names(session, {ticket.responsible_id, ticket.reporter_id})
    photos = session.exec(
        select(Evidence).where(Evidence.ticket_id == ticket.id).order_by(col(Evidence.id))
    ).all()
    who = _names(session, {p.person_id for p in photos})
    requests = session.exec(
        select(TicketRequest).where(
            TicketRequest.ticket_id == ticket.id, TicketRequest.status == "pending"
        )
    ).all()
    pending = {r.kind for r in requests}
    fmt = runtime.policy.format_time
    waiting = [
        f"{REQUEST_KINDS.get(r.kind, r.kind)}：{r.reason}"
        + (f"（拟延至 {fmt(r.proposed_due)}）" if r.proposed_due else "")
        for r in requests
    ]
    now = runtime.clock.now()
    return TicketView(
        code=ticket.code,
        status=ticket.status,
        status_name=ticket_texts.STATUS_NAMES.get(ticket.status, ticket.status),
        category=ticket.category,
        location=ticket.location,
        description=ticket.description,
        grid_code=grid.code if grid else "",
        grid_name=grid.name if grid else "",
        head=people.get(ticket.responsible_id or 0),
        reporter=people.get(ticket.reporter_id or 0),
        source_name=ticket_texts.SOURCE_NAMES.get(ticket.source, ticket.source),
        created_at=ticket.created_at,
        due_at=ticket.due_at,
        overdue=ticket.status in LIVE and ticket.due_at < now,
        supervised=bool(ticket.supervised),
        reworks=ticket.reworks,
        extensions=ticket.extensions,
        timeline=_timeline(session, ticket),
        waiting=waiting,
        photos=[
            Photo(p.id or 0, p.kind, p.stage, p.status, p.at, who.get(p.person_id or 0, ""))
            for p in photos
        ],
        actions=_actions(ticket, pending) if account.may_act else [],
    )


def photo_path(
    session: Session, runtime: Runtime, account: Account, evidence_id: int
) -> Path | None:
    """The saved file of a photo on a ticket the account may see, else None."""
    photo = session.get(Evidence, evidence_id)
    if photo is None or photo.status != "saved" or not photo.path:
        return None
    ticket = session.get(Ticket, photo.ticket_id)
    if ticket is None:
        return None
    try:
        visible_ticket(session, account, ticket.code)
    except UserError:
        return None
    return Path(photo.path)
