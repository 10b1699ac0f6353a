"""Roster import (花名册导入): grids, the groups bound to them, people and their roles.

The roster file is the source of truth for the grids it lists: re-importing updates them in
place. Grids the file does not list are kept. Read-only helpers for other features are at the
end of the module.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.services.roster import texts
from bot.services.roster._files import HEADERS, RosterError, read_rows
from bot.services.roster._people import PersonSlot
from bot.services.roster._plan import GridSpec, Plan, build_plan
from models.tables import Grid, GridClosure, Membership, Person, Room

__all__ = [
    "HEADERS",
    "RosterError",
    "RosterReport",
    "import_if_empty",
    "import_roster",
    "list_members",
    "roster_rooms",
]


@dataclass(frozen=True)
class RosterReport:
    """What an import changed (or, for a dry run, would change)."""

    grids_added: int
    grids_updated: int
    grids_unchanged: int
    grids_not_in_file: int
    persons_added: int
    persons_updated: int
    memberships_added: int
    memberships_changed: int
    memberships_removed: int
    rooms: int
    dry_run: bool = False

    def summary(self) -> str:
        """A short Chinese report for the admin who ran the import."""
        head = texts.ROSTER_CHECKED if self.dry_run else texts.ROSTER_IMPORTED
        lines = [head + texts.ROSTER_COUNTS.format(**asdict(self))]
        if self.grids_not_in_file:
            lines.append(texts.ROSTER_NOT_IN_FILE.format(count=self.grids_not_in_file))
        lines.append(texts.ROSTER_ROOMS.format(count=self.rooms))
        return "\n".join(lines)


def import_roster(engine: Engine, path: Path, *, dry_run: bool = False) -> RosterReport:
    """Import a roster file (.csv UTF-8 with or without BOM, or .xlsx) in one transaction.

    Columns: 网格编码,网格名称,层级,上级网格编码,微信群,姓名,职务,微信号,手机; one row per
    person per grid, or a row without 姓名 that only defines a grid. The whole file is checked
    first; any error raises RosterError listing every bad row, and nothing is written.

    A person is identified by 微信号 when given; else by (姓名, 手机) when 手机 is given; else by
    姓名 alone when exactly one person without 微信号 has that name (several: an error). So
    that filling in details later keeps someone's chat binding (Person.contact_id is never
    touched), a 微信号 nobody holds yet goes to the one person of that name without 微信号
    (and with the same or no 手机), and a new 手机 to the one person of that name with neither.
    A blank 微信号 or 手机 never erases a stored one. Details: `bot.services.roster_people`.

    `dry_run` checks and counts everything, then rolls back.
    """
    rows = read_rows(path)
    with Session(engine, expire_on_commit=False) as session:
        grids = {g.code: g for g in session.exec(select(Grid))}
        stored = {_id(p): p for p in session.exec(select(Person))}
        plan = build_plan(rows, _specs(grids), [_slot(p) for p in stored.values()])
        report = _write(session, plan, grids, stored, dry_run)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return report


def import_if_empty(engine: Engine, path: Path) -> RosterReport | None:
    """Import `path` only if no grid is stored yet (the demo roster at first start-up).

    Returns None when grids already exist, so a restart never overwrites an edited roster.
    """
    with Session(engine) as session:
        if session.exec(select(Grid.id).limit(1)).first() is not None:
            return None
    return import_roster(engine, path)


def _write(
    session: Session, plan: Plan, grids: dict[str, Grid], stored: dict[int, Person], dry_run: bool
) -> RosterReport:
    not_in_file = sum(1 for code in grids if code not in plan.grids)
    grid_counts = _write_grids(session, plan.grids, grids)
    _write_derived(session, grids)
    rooms = _write_rooms(session, grids)
    ids, persons_added = _write_people(session, plan.people, stored)
    added, changed, removed, touched = _write_roles(session, plan, grids, ids)
    updated = {i for i, slot in zip(ids, plan.people, strict=True) if slot.changed}
    persons_updated = len((updated | touched) & set(stored))
    return RosterReport(
        grids_added=grid_counts[0],
        grids_updated=grid_counts[1],
        grids_unchanged=grid_counts[2],
        grids_not_in_file=not_in_file,
        persons_added=persons_added,
        persons_updated=persons_updated,
        memberships_added=added,
        memberships_changed=changed,
        memberships_removed=removed,
        rooms=rooms,
        dry_run=dry_run,
    )


def _specs(grids: dict[str, Grid]) -> dict[str, GridSpec]:
    codes = {g.id: g.code for g in grids.values()}
    return {
        g.code: GridSpec(g.code, g.name, g.level, codes.get(g.parent_id), g.own_room_topic)
        for g in grids.values()
    }


def _slot(person: Person) -> PersonSlot:
    return PersonSlot(person.id, person.name, person.wechat_id, person.phone)


def _write_grids(
    session: Session, specs: dict[str, GridSpec], grids: dict[str, Grid]
) -> tuple[int, int, int]:
    """Add or update the file's grids, level by level so every parent has an id in time."""
    added = updated = 0
    for level in sorted({s.level for s in specs.values()}):
        for spec in (s for s in specs.values() if s.level == level):
            parent_id = grids[spec.parent_code].id if spec.parent_code else None
            values = (spec.name, spec.level, parent_id, spec.own_topic)
            grid = grids.get(spec.code)
            if grid is None:
                grid = grids[spec.code] = Grid(code=spec.code, name=spec.name, level=level)
                session.add(grid)
                added += 1
            elif (grid.name, grid.level, grid.parent_id, grid.own_room_topic) == values:
                continue
            else:
                updated += 1
            grid.name, grid.level, grid.parent_id, grid.own_room_topic = values
        session.flush()
    return added, updated, len(specs) - added - updated


def _write_derived(session: Session, grids: dict[str, Grid]) -> None:
    """Effective group topics and the closure table, recomputed for every grid."""
    by_id = {g.id: g for g in grids.values()}
    for grid in sorted(grids.values(), key=lambda g: g.level):
        parent = by_id.get(grid.parent_id)
        topic = grid.own_room_topic or (parent.room_topic if parent else None)
        if grid.room_topic != topic:
            grid.room_topic = topic
    session.exec(delete(GridClosure))
    pairs = []
    for grid in grids.values():
        node: Grid | None = grid
        depth = 0
        while node is not None:
            pairs.append({"ancestor_id": node.id, "descendant_id": grid.id, "depth": depth})
            node, depth = by_id.get(node.parent_id), depth + 1
    if pairs:
        session.exec(insert(GridClosure), params=pairs)


def _write_rooms(session: Session, grids: dict[str, Grid]) -> int:
    """One room per declared topic, owned by the highest grid declaring it; returns the count.

    Rooms whose topic no grid declares any more are unbound, not deleted, so their platform
    id survives if the topic comes back.
    """
    owners: dict[str, int | None] = {}
    for grid in sorted(grids.values(), key=lambda g: (g.level, g.code)):
        if grid.own_room_topic:
            owners.setdefault(grid.own_room_topic, grid.id)
    rooms = {r.topic: r for r in session.exec(select(Room))}
    for topic, room in rooms.items():
        if room.grid_id != owners.get(topic):
            room.grid_id = owners.get(topic)
    session.add_all(Room(topic=t, grid_id=g) for t, g in owners.items() if t not in rooms)
    session.flush()
    return len(owners)


def _write_people(
    session: Session, people: list[PersonSlot], stored: dict[int, Person]
) -> tuple[list[int], int]:
    """Person ids in plan order, and how many were added."""
    persons: list[Person] = []
    for slot in people:
        person = stored[slot.id] if slot.id is not None else Person(name=slot.name)
        if slot.id is None or slot.changed:
            person.name, person.wechat_id, person.phone = slot.name, slot.wechat_id, slot.phone
            session.add(person)
        persons.append(person)
    session.flush()
    ids = [_id(p) for p in persons]
    return ids, sum(1 for slot in people if slot.id is None)


def _write_roles(
    session: Session, plan: Plan, grids: dict[str, Grid], ids: list[int]
) -> tuple[int, int, int, set[int]]:
    """Roles in the file's grids: (added, changed, removed, ids of people whose roles moved)."""
    wanted = {(ids[i], _id(grids[code])): role for (code, i), role in plan.roles.items()}
    in_file = {_id(grids[code]) for code in plan.grids}
    current = session.exec(select(Membership).where(col(Membership.grid_id).in_(in_file)))
    changed, gone, touched = 0, [], set()
    for membership in current:
        role = wanted.pop((membership.person_id, membership.grid_id), None)
        if role is None:
            gone.append(membership.id)
        elif role != membership.role:
            membership.role = role
            changed += 1
        else:
            continue
        touched.add(membership.person_id)
    if gone:
        session.exec(delete(Membership).where(col(Membership.id).in_(gone)))
    session.add_all(Membership(person_id=p, grid_id=g, role=r) for (p, g), r in wanted.items())
    touched |= {p for p, _ in wanted}
    session.flush()
    return len(wanted), changed, len(gone), touched


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
