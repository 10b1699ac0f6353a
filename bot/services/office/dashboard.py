"""The dashboard's grid tree: per node, the counts of its whole subtree and the month's rate.

One grouped query over the closure table counts every node at once (live on every change);
the month's 按期处置率 comes from the reports' indicators (one grouped query for every node)
and is kept for a few minutes (`RateCache`): it moves slowly and costs more than the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.services.office.accounts import Account
from bot.services.reports import indicators
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from bot.services.tickets.states import LIVE, PENDING, Status
from bot.services.tickets.worklist import period_bounds
from models.db import table_of
from models.tables import Grid, GridClosure, Ticket, TicketEvent

RATES_KEPT = timedelta(minutes=5)


class RateCache:
    """The month's 按期处置率 of every grid, recomputed at most every `RATES_KEPT`."""

    def __init__(self) -> None:
        self._at: datetime | None = None
        self._since: datetime | None = None
        self._rates: dict[int, float | None] = {}

    def rates(self, session: Session, runtime: Runtime, now: datetime) -> dict[int, float | None]:
        since, until = period_bounds("本月", runtime, now)
        fresh = self._at is not None and now - self._at < RATES_KEPT and self._since == since
        if not fresh:
            self._rates = indicators.resolve_rates(session, since, until)
            self._at, self._since = now, since
        return self._rates


@dataclass(frozen=True)
class Node:
    id: int
    code: str
    name: str
    level: int
    parent_id: int | None
    head: str | None
    open: int
    overdue: int
    waiting: int
    supervised: int
    resolve_rate: float | None


def _total(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _counts(session: Session, now: datetime) -> dict[int, tuple[int, int, int, int]]:
    ticket, closure = table_of(Ticket), table_of(GridClosure)
    stmt = (
        sa_select(
            closure.c.ancestor_id,
            func.count(),
            _total(ticket.c.status.in_(LIVE) & (ticket.c.due_at < now)),
            _total(ticket.c.status == Status.RESOLVED.value),
            _total(ticket.c.supervised.is_(True)),
        )
        .select_from(ticket)
        .join(closure, closure.c.descendant_id == ticket.c.grid_id)
        .where(ticket.c.status.in_(PENDING))
        .group_by(closure.c.ancestor_id)
    )
    rows = session.execute(stmt).all()
    return {
        gid: (n, late or 0, waiting or 0, marked or 0) for gid, n, late, waiting, marked in rows
    }


def tree(
    session: Session, runtime: Runtime, account: Account, cache: RateCache | None = None
) -> list[Node]:
    """Every grid of the account's scope, parents before children, with its subtree's figures."""
    query = select(Grid).order_by(col(Grid.level), col(Grid.code))
    if account.grid_id is not None:
        closure = table_of(GridClosure)
        subtree = sa_select(closure.c.descendant_id).where(closure.c.ancestor_id == account.grid_id)
        query = query.where(col(Grid.id).in_(subtree))
    grids = session.exec(query).all()
    ids = [g.id for g in grids if g.id]
    now = runtime.clock.now()
    counts = _counts(session, now)
    rates = (cache or RateCache()).rates(session, runtime, now)
    heads = lookup.leads_of(session, ids)
    nodes = []
    for g in grids:
        gid = g.id or 0
        n_open, overdue, waiting, supervised = counts.get(gid, (0, 0, 0, 0))
        head = heads.get(gid)
        nodes.append(
            Node(
                id=gid,
                code=g.code,
                name=g.name,
                level=g.level,
                parent_id=g.parent_id if account.grid_id != gid else None,
                head=head.name if head else None,
                open=n_open,
                overdue=overdue,
                waiting=waiting,
                supervised=supervised,
                resolve_rate=rates.get(gid),
            )
        )
    return nodes


def version(session: Session) -> int:
    """A number that grows whenever any ticket changes (the newest event's id)."""
    return session.exec(select(func.max(TicketEvent.id))).one() or 0
