"""The Excel ledger (台账) of a period: 汇总, one 问题整改台账 per town, 巡查台账, 预警响应台账.

Written by XlsxWriter in constant_memory mode: each row goes to disk once the next one starts,
so a year of a whole district takes the memory of a few rows. That needs every sheet's rows in
order, straight from the database: the tickets come from one query ordered by town and report
time, their events from one streamed query in the same order, merged as both advance; evidence
counts from one grouped query. However many tickets, the ledger makes the same queries (and
`indicators.compute` a few per town for 汇总).

Times are real Excel datetimes in the deployment's zone (naive, as Excel has no zones).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from sqlalchemy import Select, Subquery, func, or_, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, select
from xlsxwriter.exceptions import XlsxWriterException

from bot.core.errors import UserError
from bot.services.reports.indicators import RATES, Indicators, compute
from bot.services.runtime import Runtime
from bot.services.tickets.states import LIVE
from bot.services.tickets.texts import EVENT_NAMES, SOURCE_NAMES, STATUS_NAMES
from models.db import table_of
from models.tables import (
    Alert,
    AlertAck,
    Evidence,
    Grid,
    GridClosure,
    Membership,
    PatrolRecord,
    Person,
    Room,
    Ticket,
    TicketEvent,
)

WRITTEN = (
    "台账已导出：{path}（{towns} 个镇街，工单 {tickets} 件，巡查记录 {patrols} 条，"
    "预警响应 {alerts} 条）"
)
BAD_DAY = "{flag} 的日期格式不对：{given}（应为 YYYY-MM-DD，如 2026-11-01）"
UNKNOWN_GRID = "找不到网格编码「{code}」，请填写花名册中的网格编码。"
EMPTY_PERIOD = "开始日期 {since} 晚于结束日期 {until}，请检查时段。"
CANNOT_WRITE = "无法写入 {path}：请确认目录存在、文件没有被其他程序打开。"
SUMMARY, DISTRICT, PATROLS, ALERTS = "汇总", "区级", "巡查台账", "预警响应台账"
TOTAL, SYSTEM, YES, NO = "合计", "系统", "是", "否"
PATROL_KINDS = {"checkin": "打卡", "zero": "零报告", "photo": "照片", "report": "上报"}

CELL_LIMIT = 32767  # characters Excel keeps in one cell
_NOT_IN_NAMES = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
_STYLES: dict[str, dict[str, Any]] = {
    "head": {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True},
    "text": {"valign": "top"},
    "wrap": {"valign": "top", "text_wrap": True},
    "time": {"valign": "top", "num_format": "yyyy-mm-dd hh:mm"},
    "day": {"valign": "top", "num_format": "yyyy-mm-dd"},
    "pct": {"valign": "top", "num_format": "0.0%"},
    "int": {"valign": "top", "num_format": "0"},
    "dec": {"valign": "top", "num_format": "0.0"},
}
_SUMMARY_RATES = ("valid_rate", "accept_rate", "resolve_rate", "close_rate", "verify_rate")


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    style: str = "text"


SUMMARY_COLUMNS = (
    Column("镇街", 16),
    *(Column(t, 9, "int") for t in ("上报数", "巡查发现", "上级交办", "群众举报")),
    *(Column(RATES[r], 11, "pct") for r in (*_SUMMARY_RATES, "rework_rate")),
    Column("超期件数", 9, "int"),
    Column("超期时长(小时)", 13, "dec"),
    Column("督办件数", 9, "int"),
    Column(RATES["patrol_rate"], 11, "pct"),
    Column("零报告天数", 11, "int"),
)
TICKET_COLUMNS = (
    Column("编号", 10),
    Column("来源", 9),
    Column("类型", 10),
    Column("地点", 24, "wrap"),
    Column("描述", 30, "wrap"),
    Column("责任网格", 14),
    Column("上报人", 10),
    *(Column(t, 16, "time") for t in ("上报时间", "受理时间", "办结时间", "销号时间", "整改期限")),
    Column("状态", 9),
    Column("延期次数", 9, "int"),
    Column("返工次数", 9, "int"),
    Column("督办", 6),
    Column("照片数", 7, "int"),
    Column("超期天数", 9, "dec"),
    Column("处置记录", 60, "wrap"),
)
PATROL_COLUMNS = (
    Column("日期", 11, "day"),
    Column("网格", 16),
    Column("所属镇街", 12),
    Column("人员", 10),
    Column("方式", 8),
    Column("情况", 30, "wrap"),
    Column("时间", 16, "time"),
)
ALERT_COLUMNS = (
    Column("预警", 36, "wrap"),
    Column("颜色", 6),
    Column("发布时间", 16, "time"),
    Column("群", 14),
    Column("网格", 14),
    Column("确认人", 10),
    Column("确认时间", 16, "time"),
    Column("用时(分钟)", 11, "dec"),
)

Cell = str | int | float | date | None


@dataclass(frozen=True)
class LedgerSummary:
    """What was written: the rows below each sheet's header (汇总 without its 合计 row)."""

    path: Path
    sheets: dict[str, int]
    towns: int
    tickets: int
    patrols: int
    alerts: int

    def line(self) -> str:
        return WRITTEN.format(
            path=self.path,
            towns=self.towns,
            tickets=self.tickets,
            patrols=self.patrols,
            alerts=self.alerts,
        )


def day_start(
    raw: str | None, tz: ZoneInfo, flag: str, *, inclusive_end: bool = False
) -> datetime | None:
    """Local midnight that starts the day `raw` (YYYY-MM-DD), or that ends it for an end."""
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw) + timedelta(days=1 if inclusive_end else 0)
    except (ValueError, OverflowError):
        raise UserError(BAD_DAY.format(flag=flag, given=raw)) from None
    return datetime.combine(day, time(), tzinfo=tz)


class _Sheet:
    """One worksheet, written top to bottom (constant_memory allows nothing else)."""

    def __init__(self, book: _Book, name: str, columns: Sequence[Column]) -> None:
        self.sheet = book.workbook.add_worksheet(name)
        self.name = name
        self.width = len(columns)
        self.formats = [book.formats[c.style] for c in columns]
        self.rows = 0
        for i, column in enumerate(columns):
            self.sheet.set_column(i, i, column.width)
            self.sheet.write_string(0, i, column.title, book.formats["head"])
        self.sheet.freeze_panes(1, 0)

    def append(self, values: Sequence[Cell]) -> None:
        self.rows += 1
        for i, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, date):  # a datetime is a date too
                self.sheet.write_datetime(self.rows, i, value, self.formats[i])
            elif isinstance(value, str):
                self.sheet.write_string(self.rows, i, value[:CELL_LIMIT], self.formats[i])
            else:
                self.sheet.write_number(self.rows, i, value, self.formats[i])

    def close(self) -> int:
        self.sheet.autofilter(0, 0, self.rows, self.width - 1)
        return self.rows


class _Book:
    """The workbook, its cell formats and the sheet names taken so far."""

    def __init__(self, out: Path) -> None:
        self.workbook = xlsxwriter.Workbook(str(out), {"constant_memory": True})
        self.formats = {name: self.workbook.add_format(spec) for name, spec in _STYLES.items()}
        self.taken = {"history"}  # reserved by Excel
        self.sheets: list[_Sheet] = []

    def add(self, name: str, columns: Sequence[Column]) -> _Sheet:
        sheet = _Sheet(self, _sheet_name(name, self.taken), columns)
        self.sheets.append(sheet)
        return sheet

    def close(self, out: Path) -> dict[str, int]:
        """Rows below the header of each sheet, in the book's order."""
        counts = {s.name: s.close() for s in self.sheets}
        try:
            self.workbook.close()
        except (XlsxWriterException, OSError):
            raise UserError(CANNOT_WRITE.format(path=out)) from None
        return counts


def _sheet_name(name: str, taken: set[str]) -> str:
    """A name Excel accepts: at most 31 characters, none of []:*?/\\, unique in the book."""
    base = name.translate(_NOT_IN_NAMES).strip("' ") or "网格"
    candidate, n = base[:31].rstrip("'"), 2
    while candidate.casefold() in taken:
        suffix = f"({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.casefold())
    return candidate


@dataclass(frozen=True)
class _Scope:
    """The ledger's grids and period; a ticket's unit is its grid's ancestor at `level`."""

    root: Grid | None
    since: datetime
    until: datetime
    # Further conditions on the ticket table (the console's filter), on every ticket sheet.
    only: tuple[Any, ...] = ()

    @property
    def level(self) -> int:
        return max(self.root.level, 2) if self.root else 2

    def days(self, tz: ZoneInfo) -> tuple[date, date]:
        """The first and the last local day of the period (as patrol records are kept)."""
        last = self.until - timedelta(microseconds=1)
        return self.since.astimezone(tz).date(), last.astimezone(tz).date()

    def subtree(self, column: Any) -> Any:
        closure = table_of(GridClosure)
        if self.root is None:
            return true()
        below = sa_select(closure.c.descendant_id).where(closure.c.ancestor_id == self.root.id)
        return column.in_(below)

    def units(self) -> Subquery:
        """grid id → the id, code and name of its unit (none above the unit's level)."""
        closure, grid = table_of(GridClosure), table_of(Grid)
        return (
            sa_select(
                closure.c.descendant_id.label("grid_id"),
                grid.c.id.label("unit_id"),
                grid.c.code.label("unit_code"),
                grid.c.name.label("unit_name"),
            )
            .join(grid, grid.c.id == closure.c.ancestor_id)
            .where(grid.c.level == self.level)
            .subquery("unit")
        )

    def cohort(self, stmt: Select[Any], unit: Subquery) -> Select[Any]:
        """Tickets reported in the period in the scope, each joined to its unit."""
        ticket = table_of(Ticket)
        return stmt.outerjoin(unit, unit.c.grid_id == ticket.c.grid_id).where(
            ticket.c.created_at >= self.since,
            ticket.c.created_at < self.until,
            self.subtree(ticket.c.grid_id),
            *self.only,
        )


def write_ledger(
    runtime: Runtime,
    out: Path,
    since: datetime | None,
    until: datetime | None,
    grid_code: str | None,
    only: Sequence[Any] = (),
) -> LedgerSummary:
    """Write the ledger of [since, until) of `grid_code`'s subtree (None: every grid) to `out`.

    Without `since` it starts on the day of the first record; without `until` it runs to now.
    `only` narrows the ticket sheets (not 汇总) by further conditions on the ticket table.
    """
    if not out.parent.is_dir():
        raise UserError(CANNOT_WRITE.format(path=out))
    with _snapshot(runtime) as session:
        period = _period(session, runtime, since, until)
        scope = _Scope(_root(session, grid_code), *period, only=tuple(only))
        units, totals = _units(session, scope)
        book = _Book(out)
        summary = book.add(SUMMARY, SUMMARY_COLUMNS)
        sheets = {unit_id: book.add(name, TICKET_COLUMNS) for unit_id, name in units}
        if scope.root is None or scope.root.level < 2:
            sheets[0] = book.add(DISTRICT, TICKET_COLUMNS)
        patrols = book.add(PATROLS, PATROL_COLUMNS)
        alerts = book.add(ALERTS, ALERT_COLUMNS)
        _write_summary(session, runtime, scope, units, totals, summary)
        _write_tickets(session, runtime, scope, sheets)
        _write_patrols(session, runtime.policy.tz, scope, patrols)
        _write_alerts(session, runtime, scope, alerts)
    counts = book.close(out)
    counts[summary.name] -= 1  # the 合计 row
    return LedgerSummary(
        out,
        counts,
        towns=len(units),
        tickets=sum(s.rows for s in sheets.values()),
        patrols=patrols.rows,
        alerts=alerts.rows,
    )


@contextmanager
def _snapshot(runtime: Runtime) -> Iterator[Session]:
    """One read-only transaction, so that on PostgreSQL 汇总 and the rows below it agree
    even while the bot goes on writing (SQLite's open cursors already share one snapshot)."""
    with runtime.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with Session(connection) as session:
            yield session


def _root(session: Session, grid_code: str | None) -> Grid | None:
    if grid_code is None:
        return None
    grid = session.exec(select(Grid).where(Grid.code == grid_code)).first()
    if grid is None:
        raise UserError(UNKNOWN_GRID.format(code=grid_code))
    return grid


def _period(
    session: Session, runtime: Runtime, since: datetime | None, until: datetime | None
) -> tuple[datetime, datetime]:
    """The period asked for; an open end is the day of the first record, or now."""
    if since is None or until is None:
        now = runtime.clock.now()
        first, last = _extent(session)
        if until is None:
            # Just past now or the latest record, so what happened this instant is in it.
            until = max(now, last or now) + timedelta(microseconds=1)
        if since is None:
            # The day of the first record; the period's last day when nothing came before it.
            start = min(first or now, until - timedelta(microseconds=1))
            day = runtime.policy.local(start).date()
            since = datetime.combine(day, time(), tzinfo=runtime.policy.tz)
    if since >= until:
        local = runtime.policy.local
        raise UserError(
            EMPTY_PERIOD.format(
                since=f"{local(since):%Y-%m-%d}",
                until=f"{local(until - timedelta(microseconds=1)):%Y-%m-%d}",
            )
        )
    return since, until


def _extent(session: Session) -> tuple[datetime | None, datetime | None]:
    """The first and the last moment on the ledger (tickets, patrols, alerts), in one query."""
    columns = (
        table_of(Ticket).c.created_at,
        table_of(PatrolRecord).c.at,
        table_of(Alert).c.issued_at,
    )
    row = session.execute(
        sa_select(
            *(sa_select(agg(c)).scalar_subquery() for c in columns for agg in (func.min, func.max))
        )
    ).one()
    firsts = [v for v in row[0::2] if v is not None]
    lasts = [v for v in row[1::2] if v is not None]
    return (min(firsts) if firsts else None), (max(lasts) if lasts else None)


def _units(session: Session, scope: _Scope) -> tuple[list[tuple[int, str]], list[int]]:
    """The grids with a 汇总 row and a sheet each (the towns), and the roots of 合计."""
    grid = table_of(Grid)
    rows = session.execute(
        sa_select(grid.c.id, grid.c.name)
        .where(grid.c.level == scope.level, scope.subtree(grid.c.id))
        .order_by(grid.c.code)
    ).all()
    if scope.root is not None:
        totals = [scope.root.id or 0]
    else:
        totals = list(session.execute(sa_select(grid.c.id).where(grid.c.level == 1)).scalars())
    return [(int(i), str(n)) for i, n in rows], totals


def _write_summary(
    session: Session,
    runtime: Runtime,
    scope: _Scope,
    units: list[tuple[int, str]],
    totals: list[int],
    sheet: _Sheet,
) -> None:
    """A row per town, then 合计.

    `compute` holds the rows of its cohort in memory, so it runs for one town at a time: a
    year of the whole district at once would take several hundred MB. 合计 is the towns' sum
    whenever nothing counted lies outside them (then it is exactly the district's figures);
    otherwise the district is computed on its own.
    """
    parts = []
    for unit_id, name in units:
        figures = compute(session, runtime, [unit_id], scope.since, scope.until)[unit_id]
        sheet.append(_summary_row(name, figures))
        parts.append(figures)
    if totals != [unit_id for unit_id, _ in units] and _outside_units(session, runtime, scope):
        parts = [compute(session, runtime, [r], scope.since, scope.until)[r] for r in totals]
    sheet.append(_summary_row(TOTAL, _combined(parts)))


def _outside_units(session: Session, runtime: Runtime, scope: _Scope) -> bool:
    """Whether a ticket, a patrol or a patrolling member of the scope belongs to no town."""
    ticket, patrol, member = table_of(Ticket), table_of(PatrolRecord), table_of(Membership)
    unit = scope.units()
    first, last = scope.days(runtime.policy.tz)
    tickets = scope.cohort(sa_select(ticket.c.id).select_from(ticket), unit)
    patrols = (
        sa_select(patrol.c.id)
        .outerjoin(unit, unit.c.grid_id == patrol.c.grid_id)
        .where(patrol.c.day >= first, patrol.c.day <= last, scope.subtree(patrol.c.grid_id))
    )
    members = (
        sa_select(member.c.id)
        .outerjoin(unit, unit.c.grid_id == member.c.grid_id)
        .where(member.c.role == "member", scope.subtree(member.c.grid_id))
    )
    found = or_(*(q.where(unit.c.unit_id.is_(None)).exists() for q in (tickets, patrols, members)))
    return bool(session.execute(sa_select(found)).scalar())


def _summary_row(name: str, f: Indicators) -> list[Cell]:
    sources = [f.by_source.get(s, 0) for s in ("patrol", "assigned", "public")]
    rates: list[Cell] = [getattr(f, r) for r in (*_SUMMARY_RATES, "rework_rate")]
    tail = [f.overdue, round(f.overdue_hours, 1), f.supervised, f.patrol_rate, f.zero_days]
    return [name, f.reported, *sources, *rates, *tail]


def _combined(parts: list[Indicators]) -> Indicators:
    """The indicators of several roots as one (their subtrees do not overlap)."""
    if len(parts) == 1:
        return parts[0]
    total = Indicators()
    for part in parts:
        for f in fields(Indicators):
            value = getattr(part, f.name)
            if isinstance(value, int | float):
                setattr(total, f.name, getattr(total, f.name) + value)
        for counts, into in (
            (part.by_source, total.by_source),
            (part.by_category, total.by_category),
        ):
            for key, n in counts.items():
                into[key] = into.get(key, 0) + n
    return total


def _write_tickets(
    session: Session, runtime: Runtime, scope: _Scope, sheets: dict[int, _Sheet]
) -> None:
    """Every ticket of the cohort on its unit's sheet, with its events merged in."""
    tz, now = runtime.policy.tz, runtime.clock.now()
    photos = _photos(session, scope)
    events = _events(session, scope)
    event = next(events, None)
    for t in _tickets(session, scope):
        key = (t.unit, t.created_at, t.id)
        # Events of a ticket reported after the ticket query began have no row to go on.
        while event is not None and (event.unit, event.created_at, event.ticket_id) < key:
            event = next(events, None)
        lines, supervised = [], bool(t.supervised)
        while event is not None and event.ticket_id == t.id:
            lines.append(_event_line(event, tz))
            supervised = supervised or event.kind == "supervised"
            event = next(events, None)
        finished = t.resolved_at if t.resolved_at else (now if t.status in LIVE else None)
        late = (finished - t.due_at) / timedelta(days=1) if finished else 0.0
        sheets[t.unit].append(
            [
                t.code,
                SOURCE_NAMES.get(t.source, t.source),
                t.category,
                t.location,
                t.description,
                t.grid,
                t.reporter,
                *(_local(v, tz) for v in (t.created_at, t.accepted_at, t.resolved_at)),
                *(_local(v, tz) for v in (t.closed_at, t.due_at)),
                STATUS_NAMES.get(t.status, t.status),
                t.extensions,
                t.reworks,
                YES if supervised else NO,
                photos.get(t.id, 0),
                round(max(late, 0.0), 1),
                "\n".join(lines),
            ]
        )


def _tickets(session: Session, scope: _Scope) -> Iterator[Any]:
    ticket, grid = table_of(Ticket), table_of(Grid)
    reporter = table_of(Person).alias("reporter")
    unit = scope.units()
    key = func.coalesce(unit.c.unit_id, 0)
    c = ticket.c
    stmt = (
        sa_select(key.label("unit"), c.id, c.created_at, c.code, c.source, c.category)
        .add_columns(c.location, c.description, grid.c.name.label("grid"))
        .add_columns(reporter.c.name.label("reporter"), c.accepted_at, c.resolved_at)
        .add_columns(c.closed_at, c.due_at, c.status, c.extensions, c.reworks, c.supervised)
        .select_from(ticket)
        .join(grid, grid.c.id == c.grid_id)
        .outerjoin(reporter, reporter.c.id == c.reporter_id)
    )
    stmt = scope.cohort(stmt, unit).order_by(key, c.created_at, c.id)
    yield from session.execute(stmt, execution_options={"yield_per": 2000})


def _events(session: Session, scope: _Scope) -> Iterator[Any]:
    """The events of the cohort's tickets, in the tickets' order, then by time."""
    ticket, event = table_of(Ticket), table_of(TicketEvent)
    actor = table_of(Person).alias("actor")
    unit = scope.units()
    key = func.coalesce(unit.c.unit_id, 0)
    stmt = (
        sa_select(key.label("unit"), ticket.c.created_at, event.c.ticket_id, event.c.at)
        .add_columns(actor.c.name.label("actor"), event.c.kind, event.c.detail)
        .select_from(ticket)
        .join(event, event.c.ticket_id == ticket.c.id)
        .outerjoin(actor, actor.c.id == event.c.actor_id)
    )
    stmt = scope.cohort(stmt, unit).order_by(
        key, ticket.c.created_at, ticket.c.id, event.c.at, event.c.id
    )
    yield from session.execute(stmt, execution_options={"yield_per": 5000})


def _photos(session: Session, scope: _Scope) -> dict[int, int]:
    """Photos, videos and files received for each ticket of the cohort (one grouped query)."""
    ticket, evidence = table_of(Ticket), table_of(Evidence)
    unit = scope.units()
    stmt = (
        sa_select(evidence.c.ticket_id, func.count())
        .select_from(ticket)
        .join(evidence, evidence.c.ticket_id == ticket.c.id)
        .where(evidence.c.status != "missing")
    )
    stmt = scope.cohort(stmt, unit).group_by(evidence.c.ticket_id)
    return {int(tid): int(n) for tid, n in session.execute(stmt)}


def _event_line(event: Any, tz: ZoneInfo) -> str:
    """「11-22 10:00 巡查员辛 上报：散煤｜一村3号楼东侧」."""
    head = f"{event.at.astimezone(tz):%m-%d %H:%M} {event.actor or SYSTEM} "
    head += EVENT_NAMES.get(event.kind, event.kind)
    return f"{head}：{event.detail}" if event.detail else head


def _local(at: datetime | None, tz: ZoneInfo) -> datetime | None:
    return at.astimezone(tz).replace(tzinfo=None) if at is not None else None


def _write_patrols(session: Session, tz: ZoneInfo, scope: _Scope, sheet: _Sheet) -> None:
    patrol, grid, person = table_of(PatrolRecord), table_of(Grid), table_of(Person)
    unit = scope.units()
    first, last = scope.days(tz)
    stmt = (
        sa_select(patrol.c.day, grid.c.name, unit.c.unit_name, person.c.name)
        .add_columns(patrol.c.kind, patrol.c.note, patrol.c.at)
        .select_from(patrol)
        .join(grid, grid.c.id == patrol.c.grid_id)
        .join(person, person.c.id == patrol.c.person_id)
        .outerjoin(unit, unit.c.grid_id == patrol.c.grid_id)
        .where(patrol.c.day >= first, patrol.c.day <= last, scope.subtree(patrol.c.grid_id))
        .order_by(
            patrol.c.day, func.coalesce(unit.c.unit_code, ""), grid.c.code, patrol.c.at, patrol.c.id
        )
    )
    for day, grid_name, town, who, kind, note, at in session.execute(
        stmt, execution_options={"yield_per": 5000}
    ):
        shown = PATROL_KINDS.get(kind, kind)
        sheet.append([day, grid_name, town or DISTRICT, who, shown, note, _local(at, tz)])


def _write_alerts(session: Session, runtime: Runtime, scope: _Scope, sheet: _Sheet) -> None:
    """Each alert of the period once per bound group, with that group's 收到 if any."""
    alert, ack, room = table_of(Alert), table_of(AlertAck), table_of(Room)
    grid, person = table_of(Grid), table_of(Person)
    tz, fmt = runtime.policy.tz, runtime.policy.format_time
    stmt = (
        sa_select(alert.c.color, alert.c.starts_at, alert.c.ends_at, alert.c.note)
        .add_columns(alert.c.issued_at, room.c.topic, grid.c.name, person.c.name, ack.c.at)
        .select_from(alert)
        .join(room, true())
        .join(grid, grid.c.id == room.c.grid_id)
        .outerjoin(ack, (ack.c.alert_id == alert.c.id) & (ack.c.grid_id == room.c.grid_id))
        .outerjoin(person, person.c.id == ack.c.person_id)
        .where(
            alert.c.issued_at >= scope.since,
            alert.c.issued_at < scope.until,
            scope.subtree(room.c.grid_id),
        )
        .order_by(alert.c.issued_at, alert.c.id, grid.c.level, grid.c.code, room.c.topic)
    )
    for color, starts, ends, note, issued, topic, grid_name, who, acked in session.execute(stmt):
        label = f"{fmt(starts)} 至 {fmt(ends)}" + (f"（{note}）" if note else "")
        took = round((acked - issued) / timedelta(minutes=1), 1) if acked else None
        sheet.append(
            [label, color, _local(issued, tz), topic, grid_name, who, _local(acked, tz), took]
        )
