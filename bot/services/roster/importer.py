"""Roster import (花名册导入): grids, the groups bound to them, people and their roles.

The roster file is the source of truth for the grids it lists: re-importing updates them in
place. Grids the file does not list are kept. Read-only helpers for other features are at the
end of the module.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.services.roster import texts
from bot.services.roster._files import HEADERS, RosterSheet, read_path, read_roster
from bot.services.roster._people import PersonSlot
from bot.services.roster._plan import GridSpec, check_plan, error_text
from bot.services.roster._write import write_plan
from bot.services.roster.report import PersonChange, Post, RosterError, RosterReport, RowProblem
from models.tables import Grid, Membership, Person, Room

__all__ = [
    "HEADERS",
    "PersonChange",
    "Post",
    "RosterError",
    "RosterReport",
    "RowProblem",
    "apply_roster",
    "import_if_empty",
    "import_roster",
    "list_members",
    "preview_roster",
    "roster_rooms",
]


def import_roster(engine: Engine, path: Path, *, dry_run: bool = False) -> RosterReport:
    """Import a roster file (.csv in UTF-8 or GBK, or .xlsx) in one transaction.

    Columns (by these names or the synonyms in `_headers`; others are ignored): 网格编码,
    网格名称,层级,上级网格编码,微信群,姓名,职务,微信号,手机; one row per person per grid, or a
    row without 姓名 that only defines a grid. The header may sit below a title. The whole file
    is checked first; any error raises RosterError listing every bad row, and nothing is
    written.

    A person is identified by 微信号 when given; else by (姓名, 手机) when 手机 is given; else by
    姓名 alone when exactly one person without 微信号 has that name (several: an error). So
    that filling in details later keeps someone's chat binding (Person.contact_id is never
    touched), a 微信号 nobody holds yet goes to the one person of that name without 微信号
    (and with the same or no 手机), and a new 手机 to the one person of that name with neither.
    A blank 微信号 or 手机 never erases a stored one. Details: `bot.services.roster._people`.

    `dry_run` checks and counts everything, then rolls back.
    """
    return _run(engine, read_path(path), dry_run=dry_run, strict=True)


def preview_roster(engine: Engine, data: bytes, filename: str) -> RosterReport:
    """What importing these bytes would do, writing nothing (for the office console).

    `data` is the uploaded file, .csv or .xlsx (told by its content, else by `filename`).
    Returns a report with `dry_run` True. When rows are wrong, the report lists every one in
    `problems` (row number and Chinese text; `ok` is False), and its counts and name lists are
    empty: fix the rows and preview again. Raises RosterError (Chinese text for the user) only
    when the file cannot be read at all: another format (.xls), unreadable, empty, no header.
    """
    return _run(engine, read_roster(data, filename), dry_run=True, strict=False)


def apply_roster(engine: Engine, data: bytes, filename: str) -> RosterReport:
    """Import these bytes, as `import_roster` imports a file, in one transaction.

    Same reading as `preview_roster`; a file whose preview has `problems` raises RosterError
    listing them by row, and nothing is written. Otherwise returns what was changed.
    """
    return _run(engine, read_roster(data, filename), dry_run=False, strict=True)


def import_if_empty(engine: Engine, path: Path) -> RosterReport | None:
    """Import `path` only if no grid is stored yet (the demo roster at first start-up).

    Returns None when grids already exist, so a restart never overwrites an edited roster.
    """
    with Session(engine) as session:
        if session.exec(select(Grid.id).limit(1)).first() is not None:
            return None
    return import_roster(engine, path)


def _run(engine: Engine, sheet: RosterSheet, *, dry_run: bool, strict: bool) -> RosterReport:
    """Check, write, then commit or roll back; `strict`: raise on bad rows, else report them."""
    with Session(engine, expire_on_commit=False) as session:
        grids = {g.code: g for g in session.exec(select(Grid))}
        stored = {_id(p): p for p in session.exec(select(Person))}
        plan, errors = check_plan(sheet.rows, _specs(grids), [_slot(p) for p in stored.values()])
        if errors and strict:
            raise RosterError(error_text(errors))
        if errors:
            problems = tuple(RowProblem(line, text) for line, text in errors)
            report = RosterReport(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, True, problems=problems)
        else:
            report = write_plan(session, plan, grids, stored, dry_run)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return replace(
        report,
        skipped_rows=sheet.skipped_rows,
        ignored_columns=sheet.ignored_columns,
        filled_rows=sheet.filled_rows,
    )


def _specs(grids: dict[str, Grid]) -> dict[str, GridSpec]:
    codes = {g.id: g.code for g in grids.values()}
    return {
        g.code: GridSpec(g.code, g.name, g.level, codes.get(g.parent_id), g.own_room_topic)
        for g in grids.values()
    }


def _slot(person: Person) -> PersonSlot:
    return PersonSlot(person.id, person.name, person.wechat_id, person.phone)


def _id(row: Grid | Person) -> int:
    """The id of a flushed row (the column is nullable only until the insert)."""
    assert row.id is not None
    return row.id


def roster_rooms(session: Session) -> list[tuple[str, str, int]]:
    """Bound groups as (topic, grid code, grid level), highest grids first."""
    rows = session.exec(
        select(Room.topic, Grid.code, Grid.level).join(Grid, col(Room.grid_id) == col(Grid.id))
    )
    # Sorted here, not in SQL: PostgreSQL collations ignore the hyphens in grid codes.
    return sorted(((topic, code, level) for topic, code, level in rows), key=lambda r: (r[2], r[1]))


def list_members(session: Session, topic: str) -> list[tuple[int, str, str, str, int]]:
    """People of the grids that report in group `topic`: (id, name, role, grid name, level).

    Ordered by grid level, then name (by code point, the same on every database); someone
    with roles in two such grids appears twice.
    """
    rows = session.exec(
        select(Person, Membership.role, Grid)
        .join(Membership, col(Membership.person_id) == col(Person.id))
        .join(Grid, col(Grid.id) == col(Membership.grid_id))
        .where(Grid.room_topic == topic)
    )
    ordered = sorted(rows, key=lambda r: (r[2].level, r[0].name, r[2].code))
    return [
        (_id(person), person.name, texts.ROLE_NAMES.get(role, role), grid.name, grid.level)
        for person, role, grid in ordered
    ]
