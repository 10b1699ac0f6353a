"""Checking a roster's rows and turning them into a plan of grids, people and roles.

Everything is checked before anything is written, and every error is collected, so the user
can fix the whole file in one go. The plan is pure data; `bot.services.roster` writes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from bot.services.roster import texts
from bot.services.roster._files import RosterRow
from bot.services.roster._people import PersonEntry, PersonIndex, PersonKey, PersonSlot, person_key

ROLE_CODES = {label: code for code, label in texts.ROLE_NAMES.items()}
MAX_LISTED_ERRORS = 20

Errors = list[tuple[int, str]]


@dataclass(frozen=True)
class GridSpec:
    """A grid as the file defines it (or as stored, for grids the file does not mention)."""

    code: str
    name: str
    level: int
    parent_code: str | None
    own_topic: str | None
    line: int = 0  # 0: stored, not in the file


@dataclass(frozen=True)
class Plan:
    grids: dict[str, GridSpec]
    people: list[PersonSlot]
    # (grid code, index into people) -> role code, and the row that gives it
    roles: dict[tuple[str, int], str] = field(default_factory=dict)
    lines: dict[tuple[str, int], int] = field(default_factory=dict)


def check_plan(
    rows: list[RosterRow], stored: dict[str, GridSpec], people: list[PersonSlot]
) -> tuple[Plan, Errors]:
    """Check the rows against themselves and the stored grids/people.

    Returns the plan and every (row, text) error, by row; the plan is usable only without
    errors (`error_text` words them for a RosterError).
    """
    errors: Errors = []
    grids: dict[str, GridSpec] = {}
    entries: dict[PersonKey, PersonEntry] = {}
    listed: list[tuple[str, PersonKey, str, int]] = []
    for row in rows:
        spec = _grid_of(row, errors)
        if spec is not None:
            _merge_grid(grids, spec, errors)
        member = _member_of(row, errors)
        if member is not None and spec is not None:
            entry, role = member
            _merge_person(entries, entry, errors)
            listed.append((spec.code, entry.key, role, row.line))
    named = {row.grid_code for row in rows}
    _check_tree(grids, stored, named, errors)
    _check_rooms({**stored, **grids}, errors)
    index = PersonIndex(people)
    found, unclear = index.resolve(entries)
    errors.extend(unclear)
    roles, lines = _roles(listed, found, index.slots, errors)
    errors.sort(key=lambda e: e[0])
    return Plan(grids=grids, people=index.slots, roles=roles, lines=lines), errors


def error_text(errors: Errors) -> str:
    """The user's list of errors, by row, capped so a broken file gives a readable message."""
    ordered = sorted(errors, key=lambda e: e[0])
    lines = [texts.ROSTER_ERRORS.format(count=len(ordered))]
    lines += [
        texts.ROSTER_ERROR_LINE.format(line=n, text=t) for n, t in ordered[:MAX_LISTED_ERRORS]
    ]
    if len(ordered) > MAX_LISTED_ERRORS:
        lines.append(texts.ROSTER_MORE_ERRORS.format(count=len(ordered) - MAX_LISTED_ERRORS))
    return "\n".join(lines)


def _grid_of(row: RosterRow, errors: Errors) -> GridSpec | None:
    code, line = row.grid_code, row.line
    if not code:
        errors.append((line, texts.ROSTER_PERSON_NO_GRID if row.name else texts.ROSTER_NO_GRID))
        return None
    problems = len(errors)
    if not row.grid_name:
        errors.append((line, texts.ROSTER_NO_GRID_NAME.format(code=code)))
    level = _level(row, errors)
    if level == 1 and row.parent_code:
        errors.append((line, texts.ROSTER_ROOT_WITH_PARENT.format(code=code)))
    if level is not None and level > 1 and not row.parent_code:
        errors.append((line, texts.ROSTER_NO_PARENT.format(code=code, level=level)))
    if level is None or len(errors) > problems:
        return None
    return GridSpec(
        code, row.grid_name, level, row.parent_code or None, row.room_topic or None, line
    )


def _level(row: RosterRow, errors: Errors) -> int | None:
    given = row.level
    if not given:
        errors.append((row.line, texts.ROSTER_NO_LEVEL.format(code=row.grid_code)))
        return None
    try:
        number = float(given)
    except ValueError:
        number = math.nan
    if not number.is_integer():
        errors.append((row.line, texts.ROSTER_BAD_LEVEL.format(given=given)))
        return None
    if number < 1:
        errors.append((row.line, texts.ROSTER_LOW_LEVEL.format(given=given)))
        return None
    return int(number)


def _merge_grid(grids: dict[str, GridSpec], spec: GridSpec, errors: Errors) -> None:
    first = grids.get(spec.code)
    if first is None:
        grids[spec.code] = spec
        return
    pairs = [
        (texts.ROSTER_FIELD_NAME, first.name, spec.name),
        (texts.ROSTER_FIELD_LEVEL, first.level, spec.level),
        (texts.ROSTER_FIELD_PARENT, first.parent_code, spec.parent_code),
    ]
    if first.own_topic and spec.own_topic:
        pairs.append((texts.ROSTER_FIELD_ROOM, first.own_topic, spec.own_topic))
    elif spec.own_topic:
        grids[spec.code] = replace(first, own_topic=spec.own_topic)
    for label, expected, given in pairs:
        if expected != given:
            text = texts.ROSTER_GRID_CONFLICT.format(
                code=spec.code,
                field=label,
                given=_shown(given),
                first=first.line,
                expected=_shown(expected),
            )
            errors.append((spec.line, text))


def _shown(value: object) -> str:
    return texts.ROSTER_BLANK if value is None or value == "" else str(value)


def _member_of(row: RosterRow, errors: Errors) -> tuple[PersonEntry, str] | None:
    if not row.name:
        given = [
            h
            for h, v in (
                (texts.ROSTER_FIELD_ROLE, row.role),
                (texts.ROSTER_FIELD_WECHAT, row.wechat_id),
                (texts.ROSTER_FIELD_PHONE, row.phone),
            )
            if v
        ]
        if given:
            errors.append((row.line, texts.ROSTER_NO_NAME.format(fields="、".join(given))))
        return None
    role = ROLE_CODES.get(row.role)
    if role is None:
        choices = "、".join(ROLE_CODES)
        errors.append((row.line, texts.ROSTER_UNKNOWN_ROLE.format(given=row.role, choices=choices)))
        return None
    wechat_id, phone = row.wechat_id or None, row.phone or None
    key = person_key(row.name, wechat_id, phone)
    return PersonEntry(key, row.name, wechat_id, phone, row.line), role


def _merge_person(
    entries: dict[PersonKey, PersonEntry], entry: PersonEntry, errors: Errors
) -> None:
    first = entries.setdefault(entry.key, entry)
    if first is entry or not entry.wechat_id:
        return  # without a 微信号 the key is the name (and phone), so they cannot differ
    for label, expected, given in (
        (texts.ROSTER_FIELD_PERSON, first.name, entry.name),
        (texts.ROSTER_FIELD_PHONE, first.phone, entry.phone),
    ):
        if expected and given and expected != given:
            text = texts.ROSTER_PERSON_CONFLICT.format(
                wechat_id=entry.wechat_id,
                field=label,
                first=first.line,
                expected=expected,
                given=given,
            )
            errors.append((entry.line, text))
    if entry.phone and not first.phone:
        entries[entry.key] = replace(first, phone=entry.phone)


def _check_tree(
    grids: dict[str, GridSpec], stored: dict[str, GridSpec], named: set[str], errors: Errors
) -> None:
    """Parents must exist (in the file or stored) and be exactly one level up.

    A parent the file names on rows that are themselves wrong is not reported again here.
    """
    for spec in grids.values():
        if spec.parent_code is None:
            continue
        parent = grids.get(spec.parent_code) or stored.get(spec.parent_code)
        if parent is None and spec.parent_code in named:
            continue
        if parent is None:
            errors.append((spec.line, texts.ROSTER_UNKNOWN_PARENT.format(parent=spec.parent_code)))
        elif parent.level + 1 != spec.level:
            text = texts.ROSTER_LEVEL_MISMATCH.format(
                code=spec.code,
                level=spec.level,
                parent=parent.code,
                parent_level=parent.level,
                expected=parent.level + 1,
            )
            errors.append((spec.line, text))
    for child in stored.values():
        parent = grids.get(child.parent_code or "")
        if child.code not in grids and parent and parent.level + 1 != child.level:
            text = texts.ROSTER_CHILD_MISMATCH.format(
                code=parent.code, level=parent.level, child=child.code, child_level=child.level
            )
            errors.append((parent.line, text))


def _check_rooms(grids: dict[str, GridSpec], errors: Errors) -> None:
    """A group may be declared by several grids only along one branch: the highest owns it."""
    owners: dict[str, GridSpec] = {}
    for spec in sorted(grids.values(), key=lambda g: (g.level, g.line)):
        if spec.own_topic is None:
            continue
        owner = owners.setdefault(spec.own_topic, spec)
        if owner is spec or _is_ancestor(owner.code, spec, grids):
            continue
        line = spec.line or owner.line
        if line:
            text = texts.ROSTER_ROOM_CONFLICT.format(
                topic=spec.own_topic, owner=owner.code, code=spec.code
            )
            errors.append((line, text))


def _is_ancestor(code: str, spec: GridSpec, grids: dict[str, GridSpec]) -> bool:
    seen: set[str] = set()
    parent = spec.parent_code
    while parent is not None and parent not in seen:
        if parent == code:
            return True
        seen.add(parent)
        parent = grids[parent].parent_code if parent in grids else None
    return False


def _roles(
    listed: list[tuple[str, PersonKey, str, int]],
    found: dict[PersonKey, int],
    people: list[PersonSlot],
    errors: Errors,
) -> tuple[dict[tuple[str, int], str], dict[tuple[str, int], int]]:
    """One role per person per grid (and its first row); listing someone twice with the same
    role is harmless."""
    roles: dict[tuple[str, int], tuple[str, int]] = {}
    for grid_code, key, role, line in listed:
        if key not in found:
            continue
        slot = (grid_code, found[key])
        first_role, first_line = roles.setdefault(slot, (role, line))
        if first_role != role:
            text = texts.ROSTER_ROLE_CONFLICT.format(
                name=people[found[key]].name,
                code=grid_code,
                first=first_line,
                role=texts.ROLE_NAMES[first_role],
                other=texts.ROLE_NAMES[role],
            )
            errors.append((line, text))
    return (
        {slot: role for slot, (role, _) in roles.items()},
        {slot: line for slot, (_, line) in roles.items()},
    )
