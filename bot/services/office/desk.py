"""The console's alert desk and report shelf: the alert in force with its receipts, the
latest weekly or monthly report with its ranking and chart, issued from the office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from bot.core.errors import UserError
from bot.services.alerts import issue
from bot.services.office import texts
from bot.services.office.accounts import Account
from bot.services.office.actions import origin_of
from bot.services.office.search import scope_root
from bot.services.outbox.queue import enqueue
from bot.services.reports import periodic, sweep
from bot.services.runtime import Runtime
from models.tables import AlertAck, Grid, Person, Room


@dataclass(frozen=True)
class Receipt:
    grid: str
    who: str | None
    at: datetime | None


@dataclass(frozen=True)
class AlertState:
    color: str
    starts_at: datetime
    ends_at: datetime
    note: str
    issued_by: str
    receipts: list[Receipt]
    confirmed: int
    groups: int


def alert_state(session: Session, runtime: Runtime, account: Account) -> AlertState | None:
    """The alert in force, with each bound grid's receipt (收到) or its absence."""
    alert = issue.active(session, runtime.clock.now())
    if alert is None:
        return None
    grids = session.exec(
        select(Grid.id, Grid.name)
        .join(Room, col(Room.grid_id) == Grid.id)
        .distinct()
        .order_by(col(Grid.level), col(Grid.name))
    ).all()
    acks = {
        grid_id: (name, at)
        for grid_id, name, at in session.exec(
            select(AlertAck.grid_id, Person.name, AlertAck.at)
            .join(Person, col(Person.id) == AlertAck.person_id)
            .where(AlertAck.alert_id == alert.id)
        ).all()
    }
    receipts = [Receipt(name, *(acks.get(gid or 0) or (None, None))) for gid, name in grids]
    issuer = session.get(Person, alert.issued_by) if alert.issued_by else None
    return AlertState(
        color=alert.color,
        starts_at=alert.starts_at,
        ends_at=alert.ends_at,
        note=alert.note,
        issued_by=issuer.name if issuer else "",
        receipts=sorted(receipts, key=lambda r: r.at is not None),
        confirmed=sum(1 for r in receipts if r.at is not None),
        groups=len(receipts),
    )


def alert_action(
    session: Session, runtime: Runtime, account: Account, action: str, color: str, rest: str
) -> str:
    """发布 / 升级 / 解除 from the console: the chat commands' service, sent to every group."""
    if not account.may_act:
        raise UserError(texts.READ_ONLY)
    origin = origin_of(account, runtime)
    if action == "issue":
        done = issue.issue(session, runtime, f"{color} {rest}".strip(), origin)
    elif action == "upgrade":
        done = issue.upgrade(session, runtime, color, origin)
    elif action == "lift":
        done = issue.lift(session, runtime, origin)
    else:
        raise UserError(texts.UNKNOWN_ACTION)
    enqueue(session, done.drafts, origin.at)
    return done.reply


def may_read_file(session: Session, runtime: Runtime, account: Account, name: str) -> bool:
    """A stored chart or ledger is the district's, or a town account's when about its grids."""
    if account.grid_id is None:
        return True
    code = sweep.grid_of_file(name)
    if code is None:
        return False
    try:
        scope_root(session, account, code)
    except UserError:
        return False
    return True


@dataclass(frozen=True)
class ReportView:
    title: str
    grid: str
    text: str
    chart: str | None
    ranking: list[periodic.Row]


def latest_report(
    session: Session, runtime: Runtime, account: Account, kind: str, grid_code: str
) -> ReportView:
    """The last complete week's or month's report of a grid in scope (default: the scope's
    top, or the district), with its chart drawn into the reports folder."""
    if kind not in periodic.TITLES:
        raise UserError(texts.UNKNOWN_REPORT)
    root = scope_root(session, account, grid_code)  # refuses a grid outside the scope
    grid = (
        session.get(Grid, root)
        if root is not None
        else session.exec(select(Grid).order_by(col(Grid.level), col(Grid.code))).first()
    )
    if grid is None:
        raise UserError(texts.UNKNOWN_GRID.format(code=grid_code))
    now = runtime.clock.now()
    report = periodic.build(session, runtime, sweep.scorecard(runtime), grid, kind, now)
    drafts = sweep.drafts_for(runtime, report, "", f"console:{kind}:{grid.code}")
    chart = next((d.attachment for d in drafts if d.attachment), None)
    return ReportView(
        title=periodic.TITLES[kind],
        grid=grid.name,
        text=report.text,
        chart=Path(chart).name if chart else None,
        ranking=report.ranking,
    )
