"""Weekly and monthly reports (周报 / 月报): figures, by category, by child grid with the
ranking, the change on the previous period, the overdue and 督办 lists; laid out by a Jinja2
template and drawn as a chart.

A report covers the subtree of one grid: weekly the last seven days up to the report's day,
monthly the previous calendar month (on demand: this month so far). Its figures come from
`indicators.compute` in two grouped queries for every grid at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jinja2
from sqlmodel import Session, col, func, select

from bot.services.reports.indicators import Indicators, compute
from bot.services.reports.scorecard import Ranked, Scorecard, rank
from bot.services.runtime import Runtime, format_duration
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.states import LIVE
from models.tables import Grid, GridClosure, Ticket

WEEKLY = "weekly"
MONTHLY = "monthly"
TITLES = {WEEKLY: "周报", MONTHLY: "月报"}
LISTED = 10


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.services.reports", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text for WeChat
        keep_trailing_newline=False,
    )


def bounds(
    kind: str, runtime: Runtime, now: datetime, *, so_far: bool
) -> tuple[datetime, datetime]:
    """[since, until) of the report made at `now`."""
    local = runtime.policy.local(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == WEEKLY:
        return midnight - timedelta(days=7 if not so_far else 6), now if so_far else midnight
    first = midnight.replace(day=1)
    if so_far:
        return first, now
    return (first - timedelta(days=1)).replace(day=1), first


def _previous(kind: str, since: datetime, until: datetime) -> tuple[datetime, datetime]:
    if kind == WEEKLY:
        return since - timedelta(days=7), since
    start = (since - timedelta(days=1)).replace(day=1)
    return start, since


@dataclass(frozen=True)
class Row:
    """One child grid's line in the ranking."""

    name: str
    rank: int | None
    score: float | None
    grade: str
    reported: int
    resolve_rate: float | None
    close_rate: float | None


@dataclass(frozen=True)
class Report:
    grid: Grid
    kind: str
    since: datetime
    until: datetime
    figures: Indicators
    ranking: list[Row]
    text: str


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _hours(hours: float) -> str:
    return format_duration(timedelta(hours=hours)) if hours else "0小时"


def build(
    session: Session,
    runtime: Runtime,
    card: Scorecard,
    grid: Grid,
    kind: str,
    now: datetime,
    *,
    so_far: bool = False,
) -> Report:
    since, until = bounds(kind, runtime, now, so_far=so_far)
    children = list(
        session.exec(select(Grid).where(Grid.parent_id == grid.id).order_by(col(Grid.code)))
    )
    roots = [grid.id or 0, *(c.id or 0 for c in children)]
    figures = compute(
        session, runtime, roots, since, until, rework_denominator=card.rework_denominator
    )
    prev_since, prev_until = _previous(kind, since, until)
    before = compute(session, runtime, [grid.id or 0], prev_since, prev_until)[grid.id or 0]
    f = figures[grid.id or 0]
    ranked: dict[str, Ranked] = {
        r.name: r for r in rank(card, [(c.name, figures[c.id or 0]) for c in children])
    }
    rows = [
        Row(
            name=c.name,
            rank=ranked[c.name].rank,
            score=ranked[c.name].score,
            grade=ranked[c.name].grade,
            reported=figures[c.id or 0].reported,
            resolve_rate=figures[c.id or 0].resolve_rate,
            close_rate=figures[c.id or 0].close_rate,
        )
        for c in children
    ]
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name))
    scored = [r for r in rows if r.rank is not None]
    last = (
        [r.name for r in scored[-card.name_last :]]
        if card.name_last and len(scored) > card.name_last
        else []
    )
    overdue, overdue_count = _overdue(session, runtime, grid, now)
    text = (
        _templates()
        .get_template("report.txt.j2")
        .render(
            title=TITLES[kind],
            grid=grid.name,
            span=_span(runtime, since, until),
            f=f,
            change=_change(f, before),
            pct=_pct,
            score=_score,
            hours=_hours,
            categories=[
                f"{name} {count}"
                for name, count in sorted(
                    f.by_category.items(), key=lambda item: (-item[1], item[0])
                )
            ],
            ranking=rows,
            last=list(reversed(last)),
            overdue=overdue,
            overdue_count=overdue_count,
            supervised=_supervised(session, runtime, grid),
        )
    )
    return Report(grid, kind, since, until, f, rows, text.strip())


def _span(runtime: Runtime, since: datetime, until: datetime) -> str:
    a = runtime.policy.local(since)
    b = runtime.policy.local(until - timedelta(seconds=1))
    return f"{a.month}月{a.day}日—{b.month}月{b.day}日"


def _change(f: Indicators, before: Indicators) -> str:
    diff = f.reported - before.reported
    if not before.reported and not diff:
        return ""
    sign = "+" if diff > 0 else ""
    line = f"，较上期 {sign}{diff} 件"
    if f.resolve_rate is not None and before.resolve_rate is not None:
        points = (f.resolve_rate - before.resolve_rate) * 100
        line += f"，按期处置率 {'+' if points > 0 else ''}{points:.0f} 个百分点"
    return line


def _overdue(
    session: Session, runtime: Runtime, grid: Grid, now: datetime
) -> tuple[list[str], int]:
    query = (
        select(Ticket, Grid.name)
        .join(GridClosure, col(GridClosure.descendant_id) == Ticket.grid_id)
        .join(Grid, col(Grid.id) == Ticket.grid_id)
        .where(
            GridClosure.ancestor_id == grid.id,
            col(Ticket.status).in_(LIVE),
            col(Ticket.due_at) < now,
        )
        .order_by(col(Ticket.supervised).desc(), col(Ticket.due_at), col(Ticket.id))
    )
    rows = session.exec(query.limit(LISTED)).all()

    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    lines = [
        f"{ticket_texts.SUPERVISED_MARK if t.supervised else ''}{t.code} {t.category} {name} "
        f"超期{format_duration(now - t.due_at)}"
        for t, name in rows
    ]
    return lines, int(count)


def _supervised(session: Session, runtime: Runtime, grid: Grid) -> list[str]:
    rows = session.exec(
        select(Ticket, Grid.name)
        .join(GridClosure, col(GridClosure.descendant_id) == Ticket.grid_id)
        .join(Grid, col(Grid.id) == Ticket.grid_id)
        .where(
            GridClosure.ancestor_id == grid.id,
            col(Ticket.supervised).is_(True),
            col(Ticket.status).in_((*LIVE, "resolved", "appealed")),
        )
        .order_by(col(Ticket.due_at))
        .limit(LISTED)
    ).all()
    return [
        f"{t.code} {t.category} {name} 期限 {runtime.policy.format_time(t.due_at)}"
        for t, name in rows
    ]
