"""What waits for someone, and how a subtree is doing: 待办, 超期, 统计.

Each answer is a fixed handful of indexed, grouped queries over the grid closure, whatever
the number of tickets: never a query per ticket or per grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from bot.core.errors import UserError
from bot.services.roster import lookup
from bot.services.runtime import Runtime, format_duration
from bot.services.tickets import counts, texts
from bot.services.tickets.lifecycle import LEADER_LEVEL
from bot.services.tickets.requests import APPEAL_KIND, EXTENSION, PENDING
from bot.services.tickets.states import LIVE, Status
from models.tables import Grid, GridClosure, Membership, Ticket, TicketRequest

SHOWN = 5  # lines per section of 待办
TOP = 10  # lines of 超期


@dataclass(frozen=True)
class Memberships:
    lead_grids: tuple[int, ...]  # grids where the person is 网格长/第一网格长/副网格长
    admin_grids: tuple[int, ...]
    grids: tuple[int, ...]  # every grid they belong to

    @property
    def empty(self) -> bool:
        return not self.grids


def _memberships(session: Session, person_id: int) -> Memberships:
    rows = session.exec(
        select(Membership.grid_id, Membership.role).where(Membership.person_id == person_id)
    ).all()
    return Memberships(
        lead_grids=tuple(g for g, r in rows if r in lookup.CLOSE_ROLES),
        admin_grids=tuple(g for g, r in rows if r == "admin"),
        grids=tuple(g for g, _ in rows),
    )


def _line(ticket: Ticket, grid: str, runtime: Runtime, now: datetime) -> str:
    mark = texts.SUPERVISED_MARK if ticket.supervised else ""
    status = texts.STATUS_NAMES.get(ticket.status, ticket.status)
    overdue = (
        "，" + texts.QUERY_OVERDUE.format(overdue=format_duration(now - ticket.due_at))
        if ticket.status in LIVE and ticket.due_at < now
        else ""
    )
    return texts.WORK_LINE.format(
        mark=mark,
        code=ticket.code,
        category=ticket.category,
        location=ticket.location,
        grid=grid,
        status=status,
        due=runtime.policy.format_time(ticket.due_at),
        overdue=overdue,
    )


def _under(roots: Sequence[int], *, min_depth: int, max_depth: int | None = None) -> object:
    """Tickets whose grid lies under one of `roots` at the given depths."""
    conditions = [
        col(GridClosure.ancestor_id).in_(roots),
        col(GridClosure.depth) >= min_depth,
    ]
    if max_depth is not None:
        conditions.append(col(GridClosure.depth) <= max_depth)
    return and_(*conditions)


def _section(
    session: Session,
    title: str,
    where: Sequence[object],
    runtime: Runtime,
    now: datetime,
    *,
    closure: object | None = None,
    request_kind: str | None = None,
) -> list[str]:
    """One block of 待办: a count and the first few tickets, oldest deadline first."""
    query = select(Ticket, Grid.name).join(Grid, col(Grid.id) == Ticket.grid_id)
    if closure is not None:
        query = query.join(GridClosure, col(GridClosure.descendant_id) == Ticket.grid_id).where(
            closure  # type: ignore[arg-type]
        )
    if request_kind is not None:
        query = query.join(TicketRequest, col(TicketRequest.ticket_id) == Ticket.id).where(
            TicketRequest.kind == request_kind, TicketRequest.status == PENDING
        )
    query = query.where(*where).distinct()  # type: ignore[arg-type]
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    if not count:
        return []
    rows = session.exec(
        query.order_by(col(Ticket.supervised).desc(), col(Ticket.due_at), col(Ticket.id)).limit(
            SHOWN
        )
    ).all()
    lines = [texts.WORK_SECTION.format(title=title, count=count)]
    lines += [_line(t, name, runtime, now) for t, name in rows]
    if count > len(rows):
        lines.append(texts.WORK_MORE.format(count=count - len(rows)))
    return lines


def todo(session: Session, runtime: Runtime, person_id: int, name: str) -> str:
    """待办: what waits for this person (tickets, verifications, extension and appeal calls)."""
    now = runtime.clock.now()
    m = _memberships(session, person_id)
    if m.empty:
        raise UserError(texts.NOT_IN_ROSTER_QUERY)
    lines: list[str] = []
    lines += _section(
        session,
        texts.TODO_MINE,
        [Ticket.responsible_id == person_id, col(Ticket.status).in_(LIVE)],
        runtime,
        now,
    )
    # The verifier and the extension approver is the head of the grid right above the
    # ticket's (an admin: anywhere in their subtree).
    decide_over = [
        _under(m.lead_grids, min_depth=1, max_depth=1),
        _under(m.admin_grids, min_depth=0),
    ]
    for title, where, kind in (
        (texts.TODO_VERIFY, [Ticket.status == Status.RESOLVED], None),
        (texts.TODO_EXTENSION, [col(Ticket.status).in_(LIVE)], EXTENSION),
    ):
        for closure in decide_over:
            lines += _section(
                session, title, where, runtime, now, closure=closure, request_kind=kind
            )
    leader_grids = _leader_grids(session, m.lead_grids)
    for closure in (_under(leader_grids, min_depth=0), _under(m.admin_grids, min_depth=0)):
        lines += _section(
            session,
            texts.TODO_APPEAL,
            [Ticket.status == Status.APPEALED],
            runtime,
            now,
            closure=closure,
            request_kind=APPEAL_KIND,
        )
    if not lines:
        return texts.TODO_NONE.format(name=name)
    return "\n".join([texts.TODO_HEADER.format(name=name), *_merge_sections(lines)])


def _merge_sections(lines: list[str]) -> list[str]:
    """A section found twice (as a head and as an admin) is shown once, the first time."""
    out: list[str] = []
    seen: set[str] = set()
    skipping = False
    for line in lines:
        if line.startswith(texts.WORK_SECTION_MARK):
            title = line.split("（")[0]
            skipping = title in seen
            seen.add(title)
        if not skipping:
            out.append(line)
    return out


def _leader_grids(session: Session, grid_ids: Sequence[int]) -> list[int]:
    if not grid_ids:
        return []
    rows = session.exec(
        select(Grid.id).where(col(Grid.id).in_(grid_ids), col(Grid.level) <= LEADER_LEVEL)
    ).all()
    return [grid_id for grid_id in rows if grid_id is not None]


def overdue(session: Session, runtime: Runtime, person_id: int) -> str:
    """超期: overdue tickets anywhere in the person's subtree: the first ten and a count."""
    now = runtime.clock.now()
    m = _memberships(session, person_id)
    if m.empty:
        raise UserError(texts.NOT_IN_ROSTER_QUERY)
    query = (
        select(Ticket, Grid.name)
        .join(Grid, col(Grid.id) == Ticket.grid_id)
        .join(GridClosure, col(GridClosure.descendant_id) == Ticket.grid_id)
        .where(
            col(GridClosure.ancestor_id).in_(m.grids),
            col(Ticket.status).in_(LIVE),
            col(Ticket.due_at) < now,
        )
        .distinct()
    )
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    if not count:
        return texts.OVERDUE_NONE
    rows = session.exec(
        query.order_by(col(Ticket.supervised).desc(), col(Ticket.due_at), col(Ticket.id)).limit(TOP)
    ).all()
    lines = [texts.OVERDUE_HEADER.format(count=count)]
    lines += [_line(t, name, runtime, now) for t, name in rows]
    if count > len(rows):
        lines.append(texts.WORK_MORE.format(count=count - len(rows)))
    return "\n".join(lines)


PERIODS = ("本周", "本月", "今天", "上周", "上月")


def period_bounds(word: str, runtime: Runtime, now: datetime) -> tuple[datetime, datetime]:
    """[since, until) for 本周 (Monday on), 本月, 今天 (up to and including now), 上周, 上月."""
    local = runtime.policy.local(now)
    end = now + timedelta(seconds=1)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if word == "今天":
        return midnight, end
    if word in ("本周", "上周"):
        monday = midnight - timedelta(days=midnight.weekday())
        if word == "本周":
            return monday, end
        return monday - timedelta(days=7), monday
    first = midnight.replace(day=1)
    if word == "本月":
        return first, end
    previous = (first - timedelta(days=1)).replace(day=1)
    return previous, first


def stats(session: Session, runtime: Runtime, person_id: int, period: str) -> str:
    """统计 [本周|本月]: new, resolved, closed, overdue and on-time rate, per child grid."""
    period = period.strip() or "本周"
    if period not in PERIODS:
        raise UserError(texts.STATS_USAGE)
    now = runtime.clock.now()
    m = _memberships(session, person_id)
    if m.empty:
        raise UserError(texts.NOT_IN_ROSTER_QUERY)
    root = session.exec(
        select(Grid).where(col(Grid.id).in_(m.grids)).order_by(col(Grid.level), col(Grid.id))
    ).first()
    assert root is not None and root.id is not None
    children = list(
        session.exec(select(Grid).where(Grid.parent_id == root.id).order_by(col(Grid.code))).all()
    )
    since, until = period_bounds(period, runtime, now)
    figures = _figures(session, [root.id, *[c.id or 0 for c in children]], since, until, now)
    lines = [texts.STATS_HEADER.format(grid=root.name, period=period)]
    lines.append(_stats_line(texts.STATS_TOTAL, figures.get(root.id)))
    for child in children:
        lines.append(_stats_line(child.name, figures.get(child.id or 0)))
    return "\n".join(lines)


@dataclass(frozen=True)
class Figures:
    new: int = 0
    resolved: int = 0
    closed: int = 0
    overdue: int = 0
    on_time: int = 0


def _stats_line(name: str, f: Figures | None) -> str:
    f = f or Figures()
    rate = f"{f.on_time * 100 // f.resolved}%" if f.resolved else "—"
    return texts.STATS_LINE.format(
        grid=name, new=f.new, resolved=f.resolved, closed=f.closed, overdue=f.overdue, rate=rate
    )


def _figures(
    session: Session, roots: list[int], since: datetime, until: datetime, now: datetime
) -> dict[int, Figures]:
    """Every figure of every root: one grouped count each, per grid first and then summed
    up the closure (`counts.by_root`), each read from an index that holds what it filters
    on. One pass over the whole subtree computing all five at once read every ticket under
    the root, closed ones included: 33 s on SQLite for a province's 1M tickets."""
    counted = col(Ticket.status) != Status.DISMISSED
    resolved = (col(Ticket.resolved_at) >= since, col(Ticket.resolved_at) < until, counted)
    found = {
        "new": counts.by_root(
            session, roots, col(Ticket.created_at) >= since, col(Ticket.created_at) < until
        ),
        "resolved": counts.by_root(session, roots, *resolved),
        "closed": counts.by_root(
            session,
            roots,
            col(Ticket.closed_at) >= since,
            col(Ticket.closed_at) < until,
            only=col(Ticket.status) == Status.CLOSED,  # not dismissed (both are closed_at)
        ),
        "overdue": counts.by_root(
            session, roots, col(Ticket.status).in_(LIVE), col(Ticket.due_at) < now
        ),
        "on_time": counts.by_root(
            session, roots, *resolved, col(Ticket.resolved_at) <= col(Ticket.due_at)
        ),
    }
    return {root: Figures(**{k: got.get(root, 0) for k, got in found.items()}) for root in roots}
