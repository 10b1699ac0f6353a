"""The console's ticket list: filters, sorting and paging done by the database.

Every filter is a WHERE clause on the ticket table (the subtree through the closure table),
so a page costs one counted query and one page query whatever the ledger's size; names of
grids and people come joined in, the latest 办结 note by one grouped query for the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.core.errors import UserError
from bot.services.office import texts
from bot.services.office.accounts import Account
from bot.services.runtime import Runtime
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.states import LIVE
from models.db import table_of
from models.tables import Grid, GridClosure, Person, Ticket, TicketEvent

PAGE_MAX = 100
TOWN_LEVEL = 2
SORTS = {
    "created": Ticket.created_at,
    "due": Ticket.due_at,
    "code": Ticket.code,
    "status": Ticket.status,
    "category": Ticket.category,
}


@dataclass(frozen=True)
class Filter:
    """What the list shows. `grid` is a grid code: its whole subtree."""

    statuses: tuple[str, ...] = ()
    category: str = ""
    grid: str = ""
    source: str = ""
    since: datetime | None = None
    until: datetime | None = None
    overdue: bool = False
    supervised: bool = False
    text: str = ""
    sort: str = "created"
    descending: bool = True
    page: int = 1
    size: int = 50


@dataclass(frozen=True)
class Row:
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
    source: str
    created_at: datetime
    due_at: datetime
    resolved_at: datetime | None
    overdue: bool
    supervised: bool
    resolution: str = ""
    town: str = ""  # the 镇（街道） the grid belongs to (level 2), for grouping by town


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    page: int
    size: int
    extra: dict[str, Any] = field(default_factory=dict)


def scope_root(session: Session, account: Account, code: str) -> int | None:
    """The grid id a filter starts from: the named grid (inside the account's scope)."""
    if not code:
        return account.grid_id
    grid = session.exec(select(Grid).where(Grid.code == code)).first()
    if grid is None:
        raise UserError(texts.UNKNOWN_GRID.format(code=code))
    if account.grid_id is not None and not _under(session, grid.id or 0, account.grid_id):
        raise UserError(texts.OUT_OF_SCOPE_GRID.format(code=code))
    return grid.id


def _under(session: Session, grid_id: int, ancestor_id: int) -> bool:
    row = session.exec(
        select(GridClosure.depth).where(
            GridClosure.ancestor_id == ancestor_id, GridClosure.descendant_id == grid_id
        )
    ).first()
    return row is not None


def in_subtree(root_id: int) -> ColumnElement[bool]:
    closure = table_of(GridClosure)
    subtree = sa_select(closure.c.descendant_id).where(closure.c.ancestor_id == root_id)
    return col(Ticket.grid_id).in_(subtree)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conditions(session: Session, account: Account, f: Filter, now: datetime) -> list[Any]:
    """The WHERE clauses of a filter (also used by the export, so both show the same)."""
    where: list[Any] = []
    root = scope_root(session, account, f.grid)
    if root is not None:
        where.append(in_subtree(root))
    if f.statuses:
        where.append(col(Ticket.status).in_(f.statuses))
    if f.category:
        where.append(Ticket.category == f.category)
    if f.source:
        where.append(Ticket.source == f.source)
    if f.since is not None:
        where.append(col(Ticket.created_at) >= f.since)
    if f.until is not None:
        where.append(col(Ticket.created_at) < f.until)
    if f.overdue:
        where.append(and_(col(Ticket.status).in_(LIVE), col(Ticket.due_at) < now))
    if f.supervised:
        where.append(col(Ticket.supervised).is_(True))
    if f.text:
        pattern = _like(f.text)
        where.append(
            or_(
                col(Ticket.code).like(pattern, escape="\\"),
                col(Ticket.location).like(pattern, escape="\\"),
                col(Ticket.description).like(pattern, escape="\\"),
                col(Ticket.category).like(pattern, escape="\\"),
            )
        )
    return where


def search(session: Session, runtime: Runtime, account: Account, f: Filter) -> Page:
    """One page of tickets matching `f`, with the total count."""
    now = runtime.clock.now()
    where = conditions(session, account, f, now)
    total = session.exec(select(func.count()).select_from(Ticket).where(*where)).one()
    size = max(1, min(f.size, PAGE_MAX))
    page = max(1, f.page)
    order = SORTS.get(f.sort, Ticket.created_at)
    head = table_of(Person).alias("head")
    reporter = table_of(Person).alias("reporter")
    stmt = (
        sa_select(Ticket, col(Grid.code), col(Grid.name), head.c.name, reporter.c.name)
        .join(Grid, col(Grid.id) == Ticket.grid_id)
        .join(head, head.c.id == Ticket.responsible_id, isouter=True)
        .join(reporter, reporter.c.id == Ticket.reporter_id, isouter=True)
        .where(*where)
        .order_by(col(order).desc() if f.descending else col(order), col(Ticket.id).desc())
        .offset((page - 1) * size)
        .limit(size)
    )
    found = session.execute(stmt).all()
    notes = _resolutions(session, [t.id for t, *_ in found if t.id])
    towns = _towns(session, {t.grid_id for t, *_ in found})
    rows = [
        Row(
            code=t.code,
            status=t.status,
            status_name=ticket_texts.STATUS_NAMES.get(t.status, t.status),
            category=t.category,
            location=t.location,
            description=t.description,
            grid_code=grid_code,
            grid_name=grid_name,
            head=head_name,
            reporter=reporter_name,
            source=t.source,
            created_at=t.created_at,
            due_at=t.due_at,
            resolved_at=t.resolved_at,
            overdue=t.status in LIVE and t.due_at < now,
            supervised=bool(t.supervised),
            resolution=notes.get(t.id or 0, ""),
            town=towns.get(t.grid_id, ""),
        )
        for t, grid_code, grid_name, head_name, reporter_name in found
    ]
    return Page(rows, total, page, size)


def _towns(session: Session, grid_ids: set[int]) -> dict[int, str]:
    """grid id → the name of its level-2 ancestor (the town or street), for one page's grids.

    A query of its own after the page: joined into the page query, it made PostgreSQL hash
    the whole ticket table before sorting (0.85 s at 100k tickets instead of 30 ms).
    """
    if not grid_ids:
        return {}
    closure, grid = table_of(GridClosure), table_of(Grid)
    rows = session.execute(
        sa_select(closure.c.descendant_id, grid.c.name)
        .join(grid, grid.c.id == closure.c.ancestor_id)
        .where(grid.c.level == TOWN_LEVEL, closure.c.descendant_id.in_(grid_ids))
    ).all()
    return {grid_id: name for grid_id, name in rows}


def _resolutions(session: Session, ids: list[int]) -> dict[int, str]:
    """The latest 办结 note of each ticket on the page (one grouped query)."""
    if not ids:
        return {}
    latest = (
        sa_select(func.max(TicketEvent.id))
        .where(col(TicketEvent.ticket_id).in_(ids), col(TicketEvent.kind) == "resolved")
        .group_by(col(TicketEvent.ticket_id))
    )
    rows = session.exec(
        select(TicketEvent.ticket_id, TicketEvent.detail).where(col(TicketEvent.id).in_(latest))
    ).all()
    return {ticket_id: detail for ticket_id, detail in rows}
