"""The office's queue of public reports: look, suggest a grid, route to it, or reject.

Routing makes an ordinary ticket (source 群众举报) through the same `open_ticket` a chat
report goes through, files the resident's photo on it as 现场 evidence, and queues the
notice to the grid's group with its head @-mentioned, in the caller's transaction. Each
decision is a conditional update on ``status = 'triage'``: of two clerks acting on one report
at once exactly one wins, and the other is told it was handled meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy import exists, or_, update
from sqlmodel import Session, col, select

from bot.core.errors import NotFound, UserError
from bot.services.outbox.queue import PRIORITY_REPLY, Draft, enqueue
from bot.services.public import texts
from bot.services.public.catalog import service_for
from bot.services.public.photos import local_photo
from bot.services.public.views import (
    REJECTED,
    ROUTED,
    TRIAGE,
    ReportView,
    district_office,
    state_of,
    view_of,
)
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from bot.services.tickets.ledger import NOTE_LIMIT, PUBLIC, Origin, TicketInfo, find, open_ticket
from bot.services.tickets.ledger import record as record_event
from bot.services.tickets.texts import NO_HEAD
from bot.services.understanding.categories import index_for
from bot.services.understanding.reports import ParsedReport
from models.tables import Evidence, Grid, GridClosure, OfficeUser, PublicReport, Ticket

QUEUE_LIMIT = 200


@dataclass(frozen=True)
class QueueItem:
    """A report as the office sees it, the reporter's contact included."""

    id: int
    code: str
    status: str
    channel: str
    service_code: str
    service_name: str
    description: str
    address: str
    lat: float | None
    long: float | None
    name: str
    phone: str
    email: str
    photo_path: str | None
    note: str
    created_at: datetime
    updated_at: datetime
    ticket_code: str | None = None
    grid_code: str | None = None
    grid_name: str | None = None


@dataclass(frozen=True)
class Routed:
    """A routed report: its ticket, the notice to the grid's group and its outbox ids."""

    report_code: str
    ticket: TicketInfo
    notice: Draft
    queued: tuple[int, ...]


class Placed(Protocol):
    """Anything with the text a grid is suggested from (a QueueItem, a PublicReport row)."""

    @property
    def address(self) -> str: ...
    @property
    def description(self) -> str: ...


def _item(
    runtime: Runtime, report: PublicReport, ticket: Ticket | None, grid: Grid | None
) -> QueueItem:
    service = service_for(runtime.policy.categories, report.service_code)
    return QueueItem(
        id=report.id or 0,
        code=report.code,
        status=report.status,
        channel=report.channel,
        service_code=report.service_code,
        service_name=service.name if service else report.service_code,
        description=report.description,
        address=report.address,
        lat=report.lat,
        long=report.long,
        name=report.name,
        phone=report.phone,
        email=report.email,
        photo_path=report.photo_path,
        note=report.note,
        created_at=report.created_at,
        updated_at=report.updated_at,
        ticket_code=ticket.code if ticket else None,
        grid_code=grid.code if grid else None,
        grid_name=grid.name if grid else None,
    )


def queue(
    session: Session,
    runtime: Runtime,
    *,
    statuses: tuple[str, ...] = (TRIAGE,),
    under_grid_id: int | None = None,
    limit: int = QUEUE_LIMIT,
) -> list[QueueItem]:
    """Reports in `statuses` (default: waiting for triage), newest first.

    `under_grid_id` (a town's console) keeps routed reports whose ticket is in that grid's
    subtree; reports not routed yet have no grid and are listed for every scope.
    """
    query = (
        select(PublicReport, Ticket, Grid)
        .outerjoin(Ticket, col(Ticket.id) == PublicReport.ticket_id)
        .outerjoin(Grid, col(Grid.id) == Ticket.grid_id)
        .where(col(PublicReport.status).in_(statuses))
    )
    if under_grid_id is not None:
        below = exists().where(
            col(GridClosure.ancestor_id) == under_grid_id,
            col(GridClosure.descendant_id) == Ticket.grid_id,
        )
        query = query.where(or_(col(PublicReport.ticket_id).is_(None), below))
    query = query.order_by(col(PublicReport.created_at).desc(), col(PublicReport.id).desc())
    rows = session.exec(query.limit(limit)).all()
    return [_item(runtime, report, ticket, grid) for report, ticket, grid in rows]


def get(session: Session, runtime: Runtime, report_id: int) -> QueueItem:
    """One report by its id, for the office; NotFound if there is none."""
    report = _report(session, report_id)
    ticket = session.get(Ticket, report.ticket_id) if report.ticket_id else None
    grid = session.get(Grid, ticket.grid_id) if ticket else None
    return _item(runtime, report, ticket, grid)


def suggest_grid(session: Session, report: Placed) -> Grid | None:
    """The grid the report's place or description names, deepest first, else None.

    A grid counts when its full name appears in the text (东关社区, 一村一片); of several, the
    lowest level wins, then the longest name (一村一片 over 一村), then the code.
    """
    text = f"{report.address}\n{report.description}"
    named = [g for g in session.exec(select(Grid)).all() if g.name and g.name in text]
    if not named:
        return None
    return min(named, key=lambda g: (-g.level, -len(g.name), g.code))


def _report(session: Session, report_id: int) -> PublicReport:
    report = session.get(PublicReport, report_id)
    if report is None:
        raise NotFound(texts.REPORT_UNKNOWN.format(ref=report_id))
    return report


def _decide(session: Session, report: PublicReport, origin: Origin, **values: object) -> None:
    """Take the report out of triage, unless someone else already did (then UserError)."""
    clerk = session.exec(
        select(OfficeUser.id).where(OfficeUser.person_id == origin.actor.person_id)
    ).first()
    result = session.execute(
        update(PublicReport)
        .where(col(PublicReport.id) == report.id, col(PublicReport.status) == TRIAGE)
        .values(updated_at=origin.at, routed_by=clerk, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(report)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        ticket = session.get(Ticket, report.ticket_id) if report.ticket_id else None
        raise UserError(
            texts.ALREADY_HANDLED.format(code=report.code, status=state_of(report, ticket)[0])
        )


def _location(report: PublicReport) -> str:
    if report.address:
        return report.address
    return texts.COORDINATES.format(lat=report.lat, long=report.long)


def route(
    session: Session, runtime: Runtime, report_id: int, grid_code: str, origin: Origin
) -> Routed:
    """Make the report a ticket of grid `grid_code` and queue the notice to its group.

    `origin.actor` is the clerk (their office account's person). A service code no longer
    in the categories is filed as 其他. The ticket never joins a live one as a duplicate: the
    clerk has just decided it is a problem to handle.
    """
    report = _report(session, report_id)
    grid = lookup.find_grid(session, grid_code)
    if grid is None:
        raise UserError(texts.GRID_UNKNOWN.format(given=grid_code))
    _decide(session, report, origin, status=ROUTED)
    service = service_for(runtime.policy.categories, report.service_code)
    category = service.category if service else index_for(runtime.policy.categories).other
    parsed = ParsedReport(
        category=category,
        category_text=category.name if category else report.service_code,
        location=_location(report),
        description=report.description,
        deadline_text=None,
        grid_text=grid.code,
    )
    opened = open_ticket(session, runtime, parsed, origin, allow_duplicate=True)
    ticket = find(session, opened.code)
    ticket.source = PUBLIC
    report.ticket_id = ticket.id
    session.add_all([ticket, report])
    _attach_photo(session, report, ticket, origin)
    notice = _notice(runtime, report, replace(opened, source=PUBLIC), origin)
    # A grid without any group (a roster gap) still gets its ticket; the console shows it.
    queued = enqueue(session, [notice], origin.at) if notice.room_topic else []
    return Routed(report.code, replace(opened, source=PUBLIC), notice, tuple(queued))


def _attach_photo(session: Session, report: PublicReport, ticket: Ticket, origin: Origin) -> None:
    """The resident's uploaded photo becomes the ticket's 现场 (before) evidence."""
    path = local_photo(report.photo_path)
    if path is None:
        return
    session.add(
        Evidence(
            ticket_id=ticket.id or 0,
            message_id=f"public:{report.code}",
            kind="image",
            status="saved",
            file_name=path.name,
            sha256=path.stem,
            size=path.stat().st_size,
            path=str(path),
            at=origin.at,
            stage="before",
        )
    )
    record_event(session, ticket, origin, "evidence", texts.PHOTO_EVENT)


def _notice(runtime: Runtime, report: PublicReport, info: TicketInfo, origin: Origin) -> Draft:
    text = texts.ROUTED_NOTICE.format(
        code=info.code,
        who=origin.actor.name,
        category=info.category,
        location=info.location,
        description=info.description or texts.NO_DESCRIPTION,
        head=info.head_name or NO_HEAD,
        due=runtime.policy.format_time(info.due_at),
    )
    return Draft(
        key=f"public-routed:{report.code}",
        text=text,
        room_topic=info.room_topic,
        mentions=(info.head_id,) if info.head_id else (),
        priority=PRIORITY_REPLY,
    )


def reject(
    session: Session, runtime: Runtime, report_id: int, note: str, origin: Origin
) -> ReportView:
    """不予受理: take the report out of the queue with a reason the reporter will read."""
    note = note.strip()
    if not note:
        raise UserError(texts.REJECT_NEEDS_NOTE)
    if len(note) > NOTE_LIMIT:
        raise UserError(texts.REJECT_NOTE_TOO_LONG.format(limit=NOTE_LIMIT))
    report = _report(session, report_id)
    _decide(session, report, origin, status=REJECTED, note=note)
    return view_of(runtime, report, None, None, district_office(session))
