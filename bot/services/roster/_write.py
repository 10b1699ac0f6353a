"""Writing a checked roster plan: grids, the derived tables, rooms, people and memberships.

Returns what changed, by count and by name; the caller commits or (for a dry run) rolls back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from bot.services.roster import texts
from bot.services.roster._people import PersonSlot
from bot.services.roster._plan import GridSpec, Plan
from bot.services.roster.report import PersonChange, Post, RosterReport
from models.tables import Grid, GridClosure, Membership, Person, Room

# (person id, grid id) -> role code
Roles = dict[tuple[int, int], str]


def write_plan(
    session: Session, plan: Plan, grids: dict[str, Grid], stored: dict[int, Person], dry_run: bool
) -> RosterReport:
    """Write `plan` into the session (grids and stored people as loaded) and report it."""
    not_in_file = sum(1 for code in grids if code not in plan.grids)
    names_before = {_id(g): g.name for g in grids.values()}
    grid_counts = _write_grids(session, plan.grids, grids)
    _write_derived(session, grids)
    rooms = _write_rooms(session, grids)
    ids, persons_added = _write_people(session, plan.people, stored)
    before, after = _write_roles(session, plan, grids, ids)
    touched = {p for p, _ in before.keys() ^ after.keys()}
    touched |= {p for (p, _), role in before.items() if after.get((p, _), role) != role}
    updated = {i for i, slot in zip(ids, plan.people, strict=True) if slot.changed}
    lines = {(ids[i], _id(grids[code])): n for (code, i), n in plan.lines.items()}
    people = _People(
        names={**{_id(p): p.name for p in stored.values()}, **_names(ids, plan.people)},
        new={ids[i] for i, slot in enumerate(plan.people) if slot.id is None},
        lines=lines,
        grids={_id(g): g for g in grids.values()},
        names_before=names_before,
    )
    added, changed, removed = people.changes(before, after)
    return RosterReport(
        grids_added=grid_counts[0],
        grids_updated=grid_counts[1],
        grids_unchanged=grid_counts[2],
        grids_not_in_file=not_in_file,
        persons_added=persons_added,
        persons_updated=len((updated | touched) & set(stored)),
        memberships_added=len(after.keys() - before.keys()),
        memberships_changed=sum(1 for k, r in before.items() if after.get(k, r) != r),
        memberships_removed=len(before.keys() - after.keys()),
        rooms=rooms,
        dry_run=dry_run,
        added=added,
        changed=changed,
        removed=removed,
    )


def _names(ids: list[int], slots: list[PersonSlot]) -> dict[int, str]:
    return {i: slot.name for i, slot in zip(ids, slots, strict=True)}


@dataclass(frozen=True)
class _People:
    """What is needed to name the people whose memberships changed."""

    names: dict[int, str]
    new: set[int]
    lines: dict[tuple[int, int], int]
    grids: dict[int, Grid]
    names_before: dict[int, str]

    def changes(
        self, before: Roles, after: Roles
    ) -> tuple[tuple[PersonChange, ...], tuple[PersonChange, ...], tuple[PersonChange, ...]]:
        """(added, changed, removed): a person who leaves one grid and joins another moved."""
        held: dict[int, dict[int, str]] = defaultdict(dict)
        wanted: dict[int, dict[int, str]] = defaultdict(dict)
        for (person, grid), role in before.items():
            held[person][grid] = role
        for (person, grid), role in after.items():
            wanted[person][grid] = role
        added, changed, removed = [], [], []
        for person in held.keys() | wanted.keys():
            old, new = held[person], wanted[person]
            changed += [
                self._change(person, (g, old[g]), (g, new[g]))
                for g in old.keys() & new.keys()
                if old[g] != new[g]
            ]
            gone = sorted(old.keys() - new.keys(), key=self._grid_order)
            joined = sorted(new.keys() - old.keys(), key=lambda g: self.lines.get((person, g), 0))
            for g_old, g_new in zip(gone, joined, strict=False):
                changed.append(self._change(person, (g_old, old[g_old]), (g_new, new[g_new])))
            added += [self._change(person, None, (g, new[g])) for g in joined[len(gone) :]]
            removed += [self._change(person, (g, old[g]), None) for g in gone[len(joined) :]]
        return (
            tuple(sorted(added, key=_by_line)),
            tuple(sorted(changed, key=_by_line)),
            tuple(sorted(removed, key=self._by_grid)),
        )

    def _change(
        self, person: int, before: tuple[int, str] | None, after: tuple[int, str] | None
    ) -> PersonChange:
        return PersonChange(
            name=self.names[person],
            before=self._post(*before, self.names_before) if before else None,
            after=self._post(*after, None) if after else None,
            line=self.lines.get((person, after[0])) if after else None,
            new_person=person in self.new,
        )

    def _post(self, grid_id: int, role: str, names: dict[int, str] | None) -> Post:
        grid = self.grids[grid_id]
        name = names.get(grid_id, grid.name) if names else grid.name
        return Post(grid.code, name, texts.ROLE_NAMES.get(role, role))

    def _grid_order(self, grid_id: int) -> tuple[int, str]:
        return self.grids[grid_id].level, self.grids[grid_id].code

    def _by_grid(self, change: PersonChange) -> tuple[int, str, str]:
        assert change.before is not None
        code = change.before.grid_code
        level = next(g.level for g in self.grids.values() if g.code == code)
        return level, code, change.name


def _by_line(change: PersonChange) -> tuple[int, str]:
    return change.line or 0, change.name


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
) -> tuple[Roles, Roles]:
    """Roles in the file's grids, written: (before, after)."""
    after = {(ids[i], _id(grids[code])): role for (code, i), role in plan.roles.items()}
    in_file = {_id(grids[code]) for code in plan.grids}
    current = session.exec(select(Membership).where(col(Membership.grid_id).in_(in_file)))
    before: Roles = {}
    gone = []
    for membership in current:
        key = (membership.person_id, membership.grid_id)
        before[key] = membership.role
        role = after.get(key)
        if role is None:
            gone.append(membership.id)
        elif role != membership.role:
            membership.role = role
    if gone:
        session.exec(delete(Membership).where(col(Membership.id).in_(gone)))
    session.add_all(
        Membership(person_id=p, grid_id=g, role=r)
        for (p, g), r in after.items()
        if (p, g) not in before
    )
    session.flush()
    return before, after


def _id(row: Grid | Person) -> int:
    """The id of a flushed row (the column is nullable only until the insert)."""
    assert row.id is not None
    return row.id
