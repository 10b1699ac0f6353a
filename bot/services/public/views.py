"""A public report as residents and Open311 clients may see it: never the reporter's contact.

A report is open while it waits in the office's queue and while its ticket is live (or
办结, waiting to be verified); it is closed once rejected, or once its ticket is 销号 or
不予处置.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from bot.services.public import texts
from bot.services.public.catalog import service_for
from bot.services.public.photos import is_link
from bot.services.runtime import Runtime
from bot.services.tickets.states import Status
from models.tables import Grid, PublicReport, Ticket

TRIAGE = "triage"
ROUTED = "routed"
REJECTED = "rejected"
# Ticket statuses after which the resident's problem is settled.
SETTLED = (Status.CLOSED, Status.DISMISSED)


@dataclass(frozen=True)
class ReportView:
    """What may be shown of a report: no name, phone, e-mail or address digest."""

    code: str
    status: str  # triage | routed | rejected
    state: str  # 待分派 | 已受理，处置中 | 已办结 | 不予受理
    is_open: bool
    note: str
    service_code: str
    service_name: str
    description: str
    address: str
    lat: float | None
    long: float | None
    media_url: str | None
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None
    agency: str
    ticket_code: str | None
    grid_name: str | None


def open_condition(want_open: bool) -> ColumnElement[bool]:
    """SQL for "the report is open" (or closed), over the report joined with its ticket."""
    routed_live = and_(col(PublicReport.status) == ROUTED, col(Ticket.status).not_in([*SETTLED]))
    is_open = or_(col(PublicReport.status) == TRIAGE, routed_live)
    if want_open:
        return is_open
    return or_(
        col(PublicReport.status) == REJECTED,
        and_(col(PublicReport.status) == ROUTED, col(Ticket.status).in_([*SETTLED])),
    )


def select_views(
    session: Session,
    runtime: Runtime,
    conditions: Sequence[ColumnElement[bool]],
    limit: int,
) -> list[ReportView]:
    """Reports meeting every condition, newest first, at most `limit`."""
    query = (
        select(PublicReport, Ticket, Grid)
        .outerjoin(Ticket, col(Ticket.id) == PublicReport.ticket_id)
        .outerjoin(Grid, col(Grid.id) == Ticket.grid_id)
        .where(*conditions)
        .order_by(col(PublicReport.created_at).desc(), col(PublicReport.id).desc())
        .limit(limit)
    )
    rows = session.exec(query).all()
    office = district_office(session)
    return [view_of(runtime, report, ticket, grid, office) for report, ticket, grid in rows]


def district_office(session: Session) -> str:
    """Who answers for a report nobody has routed yet: the district's platform."""
    top = session.exec(select(Grid.name).order_by(col(Grid.level), col(Grid.id))).first()
    return texts.DISTRICT_OFFICE.format(district=top) if top else texts.DISTRICT_OFFICE_UNNAMED


def state_of(report: PublicReport, ticket: Ticket | None) -> tuple[str, bool]:
    """(the status in plain words, whether the report is still open)."""
    if report.status == REJECTED:
        return texts.STATUS_REJECTED, False
    if report.status == ROUTED and ticket is not None:
        if ticket.status == Status.DISMISSED:
            return texts.STATUS_REJECTED, False
        if ticket.status == Status.CLOSED:
            return texts.STATUS_CLOSED, False
        return texts.STATUS_ROUTED, True
    return texts.STATUS_TRIAGE, True


def view_of(
    runtime: Runtime,
    report: PublicReport,
    ticket: Ticket | None,
    grid: Grid | None,
    office: str,
) -> ReportView:
    """The report's public face, from its row and (once routed) its ticket and grid."""
    state, is_open = state_of(report, ticket)
    service = service_for(runtime.policy.categories, report.service_code)
    moments = [report.updated_at]
    if ticket is not None:
        stamps = (ticket.accepted_at, ticket.resolved_at, ticket.closed_at)
        moments += [at for at in stamps if at is not None]
    photo = report.photo_path or ""
    return ReportView(
        code=report.code,
        status=report.status,
        state=state,
        is_open=is_open,
        note=report.note,
        service_code=report.service_code,
        service_name=service.name if service else report.service_code,
        description=report.description,
        address=report.address,
        lat=report.lat,
        long=report.long,
        # A link an Open311 client gave; a photo uploaded here stays with the office.
        media_url=photo if is_link(photo) else None,
        requested_at=report.created_at,
        updated_at=max(moments),
        expected_at=ticket.due_at if ticket is not None else None,
        agency=grid.name if grid is not None else office,
        ticket_code=ticket.code if ticket is not None else None,
        grid_name=grid.name if grid is not None else None,
    )
