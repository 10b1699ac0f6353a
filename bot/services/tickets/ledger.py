"""Tickets (工单): open from a report, accept, resolve, close, and the trace of each change."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import String, bindparam, case, cast
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.core import texts as core_texts
from bot.core.errors import NotFound, UserError
from bot.services.roster import lookup
from bot.services.roster.lookup import Actor
from bot.services.runtime import Runtime
from bot.services.tickets import texts
from bot.services.tickets.deadlines import URGENT, default_deadline, format_hours, parse_deadline
from bot.services.tickets.duplicates import find_duplicate
from bot.services.tickets.states import Status
from bot.services.understanding import texts as report_texts
from bot.services.understanding.categories import Category, index_for
from bot.services.understanding.reports import ParsedReport
from models.db import Prepared, insert_ignore, table_of
from models.tables import Alert, Grid, PatrolRecord, Person, Ticket, TicketEvent, TicketSequence


@dataclass(frozen=True)
class Origin:
    """Who did something, when, and from which platform message."""

    actor: Actor
    at: datetime
    message_id: str | None = None
    room_topic: str | None = None


@dataclass(frozen=True)
class TicketInfo:
    code: str
    status: str
    category: str
    location: str
    description: str
    grid_code: str
    grid_name: str
    room_topic: str | None
    head_id: int | None
    head_name: str | None
    due_at: datetime
    grid_id: int = 0
    supervised: bool = False
    source: str = "patrol"
    reworks: int = 0
    extensions: int = 0
    created_at: datetime | None = None
    # True when the report repeated a live ticket: this is that ticket, not a new one.
    duplicate: bool = False
    # What was assumed when the ticket was opened, said in the reply.
    notes: tuple[str, ...] = ()


def _next_code(session: Session, runtime: Runtime, at: datetime) -> str:
    """Short, typeable codes: local MMDD plus a per-day number (112201, 112202, ...)."""
    day = runtime.policy.local(at).date()
    number = _prepared("sequence", session).rows(session, {"day": day})[0][0]
    return f"{day:%m%d}{number:02d}"


class NewTicket(SimpleNamespace):
    """A ticket about to be inserted: every column of Ticket as an attribute."""

    @classmethod
    def of(cls, **values: Any) -> NewTicket:
        return cls(**(_TICKET_DEFAULTS | values))


# The columns a new ticket's insert fills, its code apart.
_OPEN_COLUMNS = [c for c in table_of(Ticket).columns if c.key not in ("id", "code")]
# What a Ticket row holds when nothing else is said (None where the model has no default).
_TICKET_DEFAULTS = {
    c.key: None if (field := Ticket.model_fields[c.key]).is_required() else field.default
    for c in _OPEN_COLUMNS
}


def _insert(session: Session, runtime: Runtime, ticket: NewTicket) -> None:
    """Number and insert the ticket, one statement each (no ORM flush, no look-up first)."""
    values = {c.key: getattr(ticket, c.key) for c in _OPEN_COLUMNS}
    while True:
        values["code"] = _next_code(session, runtime, ticket.created_at)
        # A code from the same day of an earlier year is skipped, not reused.
        row = _prepared("ticket", session).first(session, values)
        if row is not None:
            ticket.code, ticket.id = values["code"], row[0]
            return


_STATEMENTS: dict[tuple[str, str], Any] = {}
_PREPARED: dict[tuple[str, str], Prepared] = {}


def _prepared(name: str, session: Session) -> Prepared:
    """The statements of opening a ticket, run on the DBAPI cursor (`models.db.Prepared`)."""
    dialect = session.get_bind().dialect.name
    if (name, dialect) not in _PREPARED:
        _PREPARED[name, dialect] = _build(name, dialect)
    return _PREPARED[name, dialect]


def _build(name: str, dialect: str) -> Prepared:
    insert: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    if name == "sequence":
        return Prepared(_claim_number_in(dialect))
    if name == "ticket":
        table = table_of(Ticket)
        return Prepared(
            insert(table)
            .on_conflict_do_nothing(index_elements=[table.c.code])
            .returning(table.c.id),
            columns=["code", *(c.key for c in _OPEN_COLUMNS)],
        )
    if name == "event":
        return Prepared(table_of(TicketEvent).insert(), columns=_EVENT_COLUMNS)
    with_patrol = name == "open+patrol"
    return Prepared(_open_statement(with_patrol=with_patrol))


_EVENT_COLUMNS = ["ticket_id", "at", "actor_id", "kind", "detail", "message_id"]


def _claim_number_in(dialect: str) -> Any:
    """The day's next number in one round trip: the first of a day inserts its row, the
    rest bump it; the row lock makes two reports at once get two numbers."""
    if ("sequence", dialect) not in _STATEMENTS:
        table = table_of(TicketSequence)
        insert: Any = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert(table).values(day=bindparam("day"), last=1)
        _STATEMENTS["sequence", dialect] = stmt.on_conflict_do_update(
            index_elements=[table.c.day], set_={"last": table.c.last + 1}
        ).returning(table.c.last)
    return _STATEMENTS["sequence", dialect]


# What the schema holds (Ticket.location, Ticket.description, TicketEvent.detail); checked here
# because SQLite would store more and PostgreSQL refuses it.
LOCATION_LIMIT = 500
DESCRIPTION_LIMIT = 4000
NOTE_LIMIT = 2000


def check_length(field: str, value: str, limit: int) -> None:
    """Refuse, in words the sender understands, a value longer than the ledger holds."""
    if len(value) > limit:
        raise UserError(texts.TOO_LONG.format(field=field, limit=limit, given=len(value)))


def record(session: Session, ticket: Ticket, origin: Origin, kind: str, detail: str = "") -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket.id or 0,
            at=origin.at,
            actor_id=origin.actor.person_id,
            kind=kind,
            detail=detail,
            message_id=origin.message_id,
        )
    )


def _ticket_grid(session: Session, home: Grid | None, report: ParsedReport) -> Grid:
    """The grid named in the report (nearest to the sender's `home` first), else `home`."""
    if report.grid_text:
        named = lookup.grids_named(session, report.grid_text, home.id if home else None)
        if len(named) == 1:
            return named[0]
        if named:
            choices = "、".join(f"{g.name}（{g.code}）" for g in named[:6])
            raise UserError(texts.REPORT_WHICH_GRID.format(given=report.grid_text, choices=choices))
        raise UserError(texts.REPORT_UNKNOWN_GRID.format(given=report.grid_text))
    if home is None:
        raise UserError(core_texts.NOT_IN_ROSTER)
    return home


def open_ticket(
    session: Session,
    runtime: Runtime,
    report: ParsedReport,
    origin: Origin,
    *,
    allow_duplicate: bool = False,
) -> TicketInfo:
    """Put a reported problem on the ledger; the grid's head becomes responsible.

    A report repeating a live ticket (same grid and category, a near-identical place, within
    the duplicate window) opens nothing: the sender joins that ticket as a co-reporter and
    its info comes back with `duplicate` set, unless `allow_duplicate` (「新问题」).

    What had to be assumed (a category that matched nothing is filed as 其他; a deadline that
    cannot be read, or has passed, is the category's default) is said in `notes`.
    """
    if report.location is None:
        raise UserError(
            report_texts.REPORT_MISSING.format(
                missing="、".join(report.missing), template=report_texts.REPORT_TEMPLATE
            )
        )
    check_length(texts.FIELD_LOCATION, report.location, LOCATION_LIMIT)
    check_length(texts.FIELD_DESCRIPTION, report.description or "", DESCRIPTION_LIMIT)
    notes: list[str] = []
    category = report.category
    if category is None:
        category = index_for(runtime.policy.categories).other
        if category is None:
            raise UserError(
                texts.REPORT_UNKNOWN_CATEGORY.format(
                    given=report.category_text,
                    choices="、".join(c.name for c in runtime.policy.categories),
                )
            )
        if report.category_text:
            notes.append(texts.ASSUMED_OTHER.format(given=report.category_text))
    home = lookup.home_grid(session, origin.actor.person_id)
    grid = _ticket_grid(session, home, report)
    if not allow_duplicate:
        earlier = find_duplicate(
            session, runtime, report.location, grid.id or 0, category.name, origin.at
        )
        if earlier is not None:
            if earlier.reporter_id != origin.actor.person_id:
                record(session, earlier, origin, "co_reported", report.location)
            return replace(info(session, earlier), duplicate=True)
    due, note = _due(session, report.deadline_text, category, origin.at, runtime)
    if note:
        notes.append(note)
    head = lookup.leads_of(session, [grid.id or 0]).get(grid.id or 0)
    # The new row's values as plain attributes: a Ticket instance costs more to build than
    # the rest of opening it in Python, and it is only read (the insert takes the values).
    ticket = NewTicket.of(
        code="",
        grid_id=grid.id or 0,
        category=category.name,
        location=report.location,
        description=report.description or "",
        reporter_id=origin.actor.person_id,
        responsible_id=head.id if head else None,
        room_topic=origin.room_topic,
        status=Status.OPEN,
        created_at=origin.at,
        opened_at=origin.at,
        due_at=due,
        next_escalation_at=due,
        source_message_id=origin.message_id,
        source=PUBLIC
        if _PUBLIC.search(f"{report.description or ''}{report.location}")
        else "patrol",
    )
    event = {
        "at": origin.at,
        "actor_id": origin.actor.person_id,
        "kind": "reported",
        "detail": f"{ticket.category}｜{ticket.location}",
        "message_id": origin.message_id,
    }
    patrol = _patrol_row(runtime, origin, home)
    if session.get_bind().dialect.name == "postgresql":
        _insert_opened(session, runtime, ticket, event, patrol)
    else:  # SQLite: no round trips to save, and no data-modifying CTEs
        _insert(session, runtime, ticket)
        _prepared("event", session).rows(session, {"ticket_id": ticket.id, **event})
        if patrol is not None:
            insert_ignore(session, PatrolRecord, [patrol])
    return _info(ticket, grid, head, notes=tuple(notes))


def _insert_opened(
    session: Session,
    runtime: Runtime,
    ticket: NewTicket,
    event: dict[str, Any],
    patrol: dict[str, Any] | None,
) -> None:
    """PostgreSQL: the day's number, the ticket, its first event and the sender's patrol in
    one statement, where they were four round trips (`_open_statement`)."""
    day = runtime.policy.local(ticket.created_at).date()
    params = {c.key: getattr(ticket, c.key) for c in _OPEN_COLUMNS}
    params |= {"day": day, "prefix": f"{day:%m%d}"}
    params |= {f"ev_{key}": value for key, value in event.items()}
    if patrol is not None:
        params |= {f"pr_{key}": value for key, value in patrol.items()}
    statement = _prepared("open+patrol" if patrol is not None else "open", session)
    while True:
        row = statement.first(session, params)
        if row is not None:  # else: a code from the same day of an earlier year; next number
            ticket.id, ticket.code = row
            return


def _open_statement(*, with_patrol: bool) -> Any:
    key = ("open", "patrol" if with_patrol else "")
    if key in _STATEMENTS:
        return _STATEMENTS[key]
    tickets, events, patrols = table_of(Ticket), table_of(TicketEvent), table_of(PatrolRecord)
    number = _claim_number_in("postgresql").cte("number")
    last = number.c.last
    # As `_next_code` writes it: the day, then the number in at least two digits.
    code = bindparam("prefix", type_=String) + case((last < 10, "0"), else_="") + cast(last, String)
    opened = (
        pg_insert(tickets)
        .from_select(
            ["code", *(c.key for c in _OPEN_COLUMNS)],
            select(code, *(bindparam(c.key, type_=c.type) for c in _OPEN_COLUMNS)).select_from(
                number
            ),
        )
        .on_conflict_do_nothing(index_elements=[tickets.c.code])
        .returning(tickets.c.id, tickets.c.code)
        .cte("opened")
    )
    event_columns = _EVENT_COLUMNS[1:]  # the ticket id comes from `opened`
    first_event = (
        events.insert()
        .from_select(
            ["ticket_id", *event_columns],
            select(
                opened.c.id, *(bindparam(f"ev_{c}", type_=events.c[c].type) for c in event_columns)
            ),
        )
        .cte("first_event")
    )
    ctes = [first_event]
    if with_patrol:
        patrol_columns = ["person_id", "grid_id", "day", "kind", "note", "at", "message_id"]
        ctes.append(
            pg_insert(patrols)
            .values({c: bindparam(f"pr_{c}", type_=patrols.c[c].type) for c in patrol_columns})
            .on_conflict_do_nothing()
            .cte("patrol")
        )
    _STATEMENTS[key] = select(opened.c.id, opened.c.code).add_cte(*ctes)
    return _STATEMENTS[key]


# 群众举报: a report passing on a complaint (the hotline, residents) counts apart from patrols.
PUBLIC = "public"
_PUBLIC = re.compile(r"群众(?:举报|反映|投诉)|居民(?:举报|投诉|反映)|12345|12369|热线|举报人")


def _patrol_row(runtime: Runtime, origin: Origin, home: Grid | None) -> dict[str, Any] | None:
    """A report filed today counts as the sender's patrol of their grid (每日巡查)."""
    if home is None:
        return None
    return {
        "person_id": origin.actor.person_id,
        "grid_id": home.id,
        "day": runtime.policy.local(origin.at).date(),
        "kind": "report",
        "note": "",
        "at": origin.at,
        "message_id": origin.message_id,
    }


def alert_in_force(session: Session, at: datetime) -> Alert | None:
    """The heavy-pollution alert in force at `at`, if any (shorter deadlines, twice-daily
    patrols); a lifted one, or one that has not started or has ended, is not."""
    return session.exec(
        select(Alert)
        .where(col(Alert.lifted_at).is_(None), col(Alert.starts_at) <= at, col(Alert.ends_at) > at)
        .order_by(col(Alert.issued_at).desc())
    ).first()


def _due(
    session: Session, text: str | None, category: Category, at: datetime, runtime: Runtime
) -> tuple[datetime, str | None]:
    """The deadline written (立即/马上: the category's urgent one), else the default (in
    工作时/工作日 when the category says so; shorter during an alert when it has an alert one)."""
    calendar = runtime.policy.calendar
    if not text:
        alert = category.alert_deadline is not None and alert_in_force(session, at) is not None
        return default_deadline(category, at, calendar, alert=alert), None
    if URGENT.fullmatch(text.strip()):
        return at + category.urgent_deadline, None
    try:
        return parse_deadline(text, at, runtime.policy.tz), None
    except UserError:
        hours = format_hours(category.deadline)
        return default_deadline(category, at, calendar), texts.ASSUMED_DEADLINE.format(
            given=text.strip(), hours=hours
        )


def _info(
    ticket: Ticket | NewTicket, grid: Grid, head: Person | None, notes: tuple[str, ...] = ()
) -> TicketInfo:
    return TicketInfo(
        code=ticket.code,
        status=ticket.status,
        category=ticket.category,
        location=ticket.location,
        description=ticket.description,
        grid_code=grid.code,
        grid_name=grid.name,
        room_topic=grid.room_topic,
        head_id=head.id if head else None,
        head_name=head.name if head else None,
        due_at=ticket.due_at,
        grid_id=grid.id or 0,
        supervised=bool(ticket.supervised),
        source=ticket.source,
        reworks=ticket.reworks,
        extensions=ticket.extensions,
        created_at=ticket.created_at,
        notes=notes,
    )


def find(session: Session, code: str) -> Ticket:
    ticket = session.exec(select(Ticket).where(Ticket.code == code.upper())).first()
    if ticket is None:
        raise NotFound(texts.TICKET_NOT_FOUND.format(code=code))
    return ticket


def info(session: Session, ticket: Ticket) -> TicketInfo:
    grid = session.get(Grid, ticket.grid_id)
    assert grid is not None
    head = session.get(Person, ticket.responsible_id) if ticket.responsible_id else None
    return _info(ticket, grid, head)
