"""Assessment indicators (考核指标) per grid subtree and period, in the manner of 数字城管.

Every rate is a numerator over the number that *should* have happened (应受理, 应处置, 应结案).
The cohort of a period is the tickets reported in it (created_at in [since, until)) in the
grid's subtree; a ticket whose appeal was upheld (不予处置) stays on the ledger but leaves every
denominator. Definitions (the README's table is the same):

- 上报数: the cohort, by source (巡查发现 patrol, 上级交办 assigned, 群众举报 public).
- 有效上报率: (上报数 − 不予处置) / 上报数.
- 及时受理率: 受理 (or 办结, if that came first) within `accept_working_hours` working hours of
  the report / 应受理.
- 按期处置率: 办结 by the (final, extended) deadline / 应处置.
- 结案率: 销号 / 应结案.
- 按期核查率: 销号 within `verify_working_days` working days of 办结 / 办结数.
- 返工率: tickets sent back at least once / 应结案 (or / 办结数: `rework_denominator`).
- 超期件数, 超期时长: tickets finished (办结) after their deadline or still open past it now;
  the hours past the deadline, summed.
- 督办件数: tickets of the cohort under 督办 now or at any time (a 督办 event).
- 巡查到岗率: (grid, working day) pairs with a patrol record / patrolling grids × working days.
- 零报告天数: (grid, day) pairs whose only record is 今日巡查无异常.

One query for the tickets of every root at once (over the closure table) and one for the
patrol records, whatever the number of grids; the working-time arithmetic runs over those rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.services.patrols.records import ZERO_KINDS
from bot.services.runtime import Runtime
from bot.services.tickets.states import LIVE, Status
from models.tables import GridClosure, Membership, PatrolRecord, Ticket, TicketEvent

SOURCES = ("patrol", "assigned", "public")


@dataclass
class Indicators:
    reported: int = 0
    by_source: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    by_category: dict[str, int] = field(default_factory=dict)
    dismissed: int = 0
    accepted_on_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    closed: int = 0
    verified_on_time: int = 0
    reworked: int = 0
    overdue: int = 0
    overdue_hours: float = 0.0
    supervised: int = 0
    patrol_days: int = 0
    patrol_expected: int = 0
    zero_days: int = 0
    rework_denominator: str = "to_close"

    @property
    def valid(self) -> int:
        """应受理 = 应处置 = 应结案: the cohort without 不予处置."""
        return self.reported - self.dismissed

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def valid_rate(self) -> float | None:
        return self._rate(self.valid, self.reported)

    @property
    def accept_rate(self) -> float | None:
        return self._rate(self.accepted_on_time, self.valid)

    @property
    def resolve_rate(self) -> float | None:
        return self._rate(self.resolved_on_time, self.valid)

    @property
    def close_rate(self) -> float | None:
        return self._rate(self.closed, self.valid)

    @property
    def verify_rate(self) -> float | None:
        return self._rate(self.verified_on_time, self.resolved)

    @property
    def rework_rate(self) -> float | None:
        whole = self.resolved if self.rework_denominator == "resolved" else self.valid
        return self._rate(self.reworked, whole)

    @property
    def patrol_rate(self) -> float | None:
        return self._rate(self.patrol_days, self.patrol_expected)


RATES = {
    "valid_rate": "有效上报率",
    "accept_rate": "及时受理率",
    "resolve_rate": "按期处置率",
    "close_rate": "结案率",
    "verify_rate": "按期核查率",
    "rework_rate": "返工率",
    "patrol_rate": "巡查到岗率",
}


def working_days(runtime: Runtime, since: datetime, until: datetime) -> list[date]:
    calendar = runtime.policy.calendar
    first = runtime.policy.local(since).date()
    last = runtime.policy.local(until - timedelta(microseconds=1)).date()
    days = []
    day = first
    while day <= last:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def compute(
    session: Session,
    runtime: Runtime,
    roots: list[int],
    since: datetime,
    until: datetime,
    *,
    accept_working_hours: float | None = None,
    verify_working_days: float | None = None,
    rework_denominator: str = "to_close",
) -> dict[int, Indicators]:
    """The indicators of each root grid's subtree for [since, until)."""
    reminders = runtime.policy.schedule.reminders
    accept_hours = (
        reminders.not_accepted_working_hours
        if accept_working_hours is None
        else accept_working_hours
    )
    verify_days = (
        reminders.verify_working_days if verify_working_days is None else verify_working_days
    )
    calendar = runtime.policy.calendar
    now = min(runtime.clock.now(), until)
    result = {root: Indicators(rework_denominator=rework_denominator) for root in roots}
    if not roots:
        return result
    rows = session.execute(
        sa_select(
            col(GridClosure.ancestor_id),
            col(Ticket.id),
            col(Ticket.status),
            col(Ticket.source),
            col(Ticket.category),
            col(Ticket.created_at),
            col(Ticket.accepted_at),
            col(Ticket.resolved_at),
            col(Ticket.closed_at),
            col(Ticket.due_at),
            col(Ticket.reworks),
            col(Ticket.supervised),
        )
        .join(Ticket, col(Ticket.grid_id) == GridClosure.descendant_id)
        .where(
            col(GridClosure.ancestor_id).in_(roots),
            col(Ticket.created_at) >= since,
            col(Ticket.created_at) < until,
        )
        # Streamed: a year of a district is a million (root, ticket) rows, and only the
        # per-root sums are kept.
        .execution_options(yield_per=5000)
    )
    ever_supervised = set(
        session.exec(
            select(TicketEvent.ticket_id)
            .join(Ticket, col(Ticket.id) == TicketEvent.ticket_id)
            .where(
                TicketEvent.kind == "supervised",
                col(Ticket.created_at) >= since,
                col(Ticket.created_at) < until,
            )
        ).all()
    )
    for (root, tid, status, source, category, created, accepted, resolved, closed, due,
         reworks, supervised) in rows:  # fmt: skip
        # What happened after the period's end had not happened yet within it.
        accepted, resolved, closed = (
            t if t is not None and t < until else None for t in (accepted, resolved, closed)
        )
        if status == Status.CLOSED and closed is None:
            status = Status.RESOLVED if resolved is not None else Status.ACCEPTED
        f = result[root]
        f.reported += 1
        f.by_source[source if source in f.by_source else "patrol"] += 1
        f.by_category[category] = f.by_category.get(category, 0) + 1
        if status == Status.DISMISSED:
            f.dismissed += 1
            continue
        first_action = accepted or resolved  # 办结 without 受理 took it on all the same
        if first_action is not None and first_action <= calendar.add_working_hours(
            created, accept_hours
        ):
            f.accepted_on_time += 1
        if resolved is not None:
            f.resolved += 1
            if resolved <= due:
                f.resolved_on_time += 1
        if status == Status.CLOSED:
            f.closed += 1
            in_time = (
                resolved and closed and closed <= calendar.add_working_days(resolved, verify_days)
            )
            f.verified_on_time += 1 if in_time else 0
        if reworks:
            f.reworked += 1
        finished = resolved if resolved is not None else (now if status in LIVE else None)
        if finished is not None and finished > due:
            f.overdue += 1
            f.overdue_hours += (finished - due).total_seconds() / 3600
        if supervised or tid in ever_supervised:
            f.supervised += 1
    _patrols(session, runtime, roots, since, until, result)
    return result


def _patrols(
    session: Session,
    runtime: Runtime,
    roots: list[int],
    since: datetime,
    until: datetime,
    result: dict[int, Indicators],
) -> None:
    days = set(working_days(runtime, since, until))
    first = runtime.policy.local(since).date()
    last = runtime.policy.local(until - timedelta(microseconds=1)).date()
    grids = session.exec(
        select(GridClosure.ancestor_id, GridClosure.descendant_id)
        .join(Membership, col(Membership.grid_id) == GridClosure.descendant_id)
        .where(col(GridClosure.ancestor_id).in_(roots), Membership.role == "member")
        .distinct()
    ).all()
    patrolling: dict[int, set[int]] = defaultdict(set)
    for root, grid_id in grids:
        patrolling[root].add(grid_id)
    records = session.execute(
        sa_select(
            col(GridClosure.ancestor_id),
            col(PatrolRecord.grid_id),
            col(PatrolRecord.day),
            col(PatrolRecord.kind),
        )
        .join(PatrolRecord, col(PatrolRecord.grid_id) == GridClosure.descendant_id)
        .where(
            col(GridClosure.ancestor_id).in_(roots),
            col(PatrolRecord.day) >= first,
            col(PatrolRecord.day) <= last,
        )
    ).all()
    kinds: dict[tuple[int, int, date], set[str]] = defaultdict(set)
    for root, grid_id, day, kind in records:
        kinds[(root, grid_id, day)].add(kind)
    for root, f in result.items():
        f.patrol_expected = len(patrolling.get(root, ())) * len(days)
    for (root, _, day), found in kinds.items():
        if day in days:
            result[root].patrol_days += 1
        if found <= set(ZERO_KINDS):
            result[root].zero_days += 1


def resolve_rates(session: Session, since: datetime, until: datetime) -> dict[int, float | None]:
    """按期处置率 of every grid's subtree for [since, until), as `compute` defines it, in one
    grouped query (the dashboard shows it for every node; `compute` would load the cohort)."""
    valid = col(Ticket.status) != Status.DISMISSED.value
    on_time = (
        valid
        & col(Ticket.resolved_at).is_not(None)
        & (col(Ticket.resolved_at) < until)
        & (col(Ticket.resolved_at) <= col(Ticket.due_at))
    )
    rows = session.execute(
        sa_select(
            col(GridClosure.ancestor_id),
            func.sum(case((valid, 1), else_=0)),
            func.sum(case((on_time, 1), else_=0)),
        )
        .join(Ticket, col(Ticket.grid_id) == GridClosure.descendant_id)
        .where(col(Ticket.created_at) >= since, col(Ticket.created_at) < until)
        .group_by(col(GridClosure.ancestor_id))
    ).all()
    return {root: (done or 0) / whole if whole else None for root, whole, done in rows}
