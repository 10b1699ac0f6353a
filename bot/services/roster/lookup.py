"""Who is who: roster look-ups shared by tickets, escalation and briefings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from bot.core.errors import UserError
from bot.core.messages import Inbound
from bot.services import memory as directory
from bot.services.roster import texts
from models.tables import Grid, GridClosure, Membership, OfficeUser, Person, Room

# Whom to hold responsible (and mention) for a grid, best first.
LEAD_ROLES = ("head", "first_head", "deputy")
CLOSE_ROLES = ("head", "first_head", "deputy")
# Local senders (the simulator page, the command line) name a roster member directly;
# chat platforms never issue ids of this form.
ROSTER_PREFIX = "roster:"


@dataclass(frozen=True)
class Actor:
    """The roster member behind an inbound message."""

    person_id: int
    name: str


@dataclass(frozen=True)
class Identity:
    # Read only: from the roster memory it is a copy shared by every session.
    person: Person | None
    # Set when the display name fits several roster members: never guessed.
    ambiguous_name: str | None = None


def resolve_sender(session: Session, inbound: Inbound) -> Identity:
    """The roster member who sent `inbound`, binding the platform id on first sight.

    Order: a bound contact id, then 微信号, then a unique display name (or room alias) among
    people not yet bound. An ambiguous name is never guessed.
    """
    if inbound.sender_id.startswith(ROSTER_PREFIX):
        number = inbound.sender_id.removeprefix(ROSTER_PREFIX)
        return Identity(session.get(Person, int(number)) if number.isdigit() else None)
    bound = directory.remembered(
        session,
        ("contact", inbound.sender_id),
        lambda: directory.detached(
            session.exec(select(Person).where(Person.contact_id == inbound.sender_id)).first()
        ),
    )
    if bound is not None:
        return Identity(bound)
    person = session.exec(select(Person).where(Person.wechat_id == inbound.sender_id)).first()
    if person is None:
        names = [n for n in (inbound.sender_alias, inbound.sender_name) if n]
        for name in names:
            candidates = session.exec(
                select(Person).where(Person.name == name, col(Person.contact_id).is_(None))
            ).all()
            if len(candidates) > 1:
                return Identity(None, ambiguous_name=name)
            if candidates:
                person = candidates[0]
                break
        if person is None:
            return Identity(None)
    if person.contact_id is None:
        person.contact_id = inbound.sender_id
        session.add(person)
        directory.note_write(session)
    return Identity(person)


def admin_rooms(session: Session) -> list[tuple[str, list[int]]]:
    """(group topic, admin person ids) for every group an admin sits in via their grid."""
    rows = session.exec(
        select(Grid.room_topic, Membership.person_id)
        .join(Grid, col(Grid.id) == Membership.grid_id)
        .where(Membership.role == "admin", col(Grid.room_topic).is_not(None))
    ).all()
    rooms: dict[str, list[int]] = {}
    for topic, person_id in rows:
        rooms.setdefault(topic or "", []).append(person_id)
    return sorted(rooms.items())


def home_grid(session: Session, person_id: int) -> Grid | None:
    """The person's own grid: the lowest (deepest) grid they belong to. Read only: a copy
    the roster memory shares between sessions (`memory.detached`)."""

    def load() -> Grid | None:
        return directory.detached(
            session.exec(
                select(Grid)
                .join(Membership, col(Membership.grid_id) == Grid.id)
                .where(Membership.person_id == person_id)
                .order_by(col(Grid.level).desc(), col(Grid.id))
            ).first()
        )

    return directory.remembered(session, ("home", person_id), load)


def guessed_home_grid(session: Session, sender_id: str) -> int | None:
    """The home grid's id of the sender of a message not yet claimed, as the memory last
    held it (`memory.guessed`): what a read taken along with the claim may assume."""
    person = directory.guessed(session, ("contact", sender_id))
    if not isinstance(person, Person) or person.id is None:
        return None
    grid = directory.guessed(session, ("home", person.id))
    return grid.id if isinstance(grid, Grid) else None


def find_grid(session: Session, text: str) -> Grid | None:
    """A grid by code (case-insensitive) or exact name."""
    text = text.strip()
    grid = session.exec(select(Grid).where(func.upper(Grid.code) == text.upper())).first()
    return grid or session.exec(select(Grid).where(Grid.name == text)).first()


_ORDINAL = re.compile(r"^第?(?P<n>[一二三四五六七八九十\d]+)(?:网格|片区|片)$")


def grids_named(session: Session, text: str, near: int | None) -> list[Grid]:
    """Grids a person may mean by `text`: a code or full name, else a short name.

    A short name is the end of a grid's name (二片区 for 东关社区二片区; 第二网格 and 二片 mean
    the same), looked for first under `near` (the sender's grid), then under each of its
    ancestors in turn, so the nearest match wins. Several at the same distance: all of them
    (the caller asks which).
    """
    exact = find_grid(session, text)
    if exact is not None:
        return [exact]
    wanted = text.strip()
    ordinal = _ORDINAL.match(wanted)
    endings = [wanted] + ([f"{ordinal.group('n')}片区"] if ordinal else [])
    if near is None or not wanted:
        return []
    for ancestor_id in [near, *[g.id or 0 for g in ancestors_of(session, near)]]:
        under = session.exec(
            select(Grid)
            .join(GridClosure, col(GridClosure.descendant_id) == Grid.id)
            .where(GridClosure.ancestor_id == ancestor_id)
        ).all()
        found = [g for g in under if any(g.name.endswith(e) for e in endings)]
        if found:
            return sorted(found, key=lambda g: g.code)
    return []


def ancestors_of(session: Session, grid_id: int) -> list[Grid]:
    """The grid's ancestors, nearest first."""
    return list(
        session.exec(
            select(Grid)
            .join(GridClosure, col(GridClosure.ancestor_id) == Grid.id)
            .where(GridClosure.descendant_id == grid_id, col(GridClosure.depth) > 0)
            .order_by(col(GridClosure.depth))
        ).all()
    )


def ancestor_chains(session: Session, grid_ids: Iterable[int]) -> dict[int, list[Grid]]:
    """`ancestors_of` for many grids at once: each grid's ancestors, nearest first."""
    rows = session.exec(
        select(GridClosure.descendant_id, Grid)
        .join(Grid, col(Grid.id) == GridClosure.ancestor_id)
        .where(col(GridClosure.descendant_id).in_(set(grid_ids)), col(GridClosure.depth) > 0)
        .order_by(col(GridClosure.descendant_id), col(GridClosure.depth))
    ).all()
    chains: dict[int, list[Grid]] = {}
    for descendant_id, grid in rows:
        chains.setdefault(descendant_id, []).append(grid)
    return chains


def leads_of(session: Session, grid_ids: Iterable[int]) -> dict[int, Person]:
    """The responsible person (网格长, else 第一网格长, else 副网格长) of each grid. Read
    only: for one grid, a copy the roster memory shares between sessions."""
    ids = list(set(grid_ids))
    if len(ids) == 1:  # a report's grid: from memory while the roster stays the same
        lead = directory.remembered(
            session, ("lead", ids[0]), lambda: directory.detached(_leads(session, ids).get(ids[0]))
        )
        return {} if lead is None else {ids[0]: lead}
    return _leads(session, ids)


def _leads(session: Session, ids: list[int]) -> dict[int, Person]:
    if not ids:
        return {}
    rows = session.exec(
        select(Membership.grid_id, Membership.role, Person)
        .join(Person, col(Person.id) == Membership.person_id)
        .where(col(Membership.grid_id).in_(ids), col(Membership.role).in_(LEAD_ROLES))
    ).all()
    best: dict[int, tuple[int, Person]] = {}
    for grid_id, role, person in rows:
        rank = LEAD_ROLES.index(role)
        if (
            grid_id not in best
            or rank < best[grid_id][0]
            or (rank == best[grid_id][0] and (person.id or 0) < (best[grid_id][1].id or 0))
        ):
            best[grid_id] = (rank, person)
    return {grid_id: person for grid_id, (_, person) in best.items()}


def roles_over(session: Session, person_id: int, grid_id: int) -> list[tuple[str, int]]:
    """(role, depth) for each membership the person holds in the grid or its ancestors.

    Depth 0 is the grid itself, 1 its parent, and so on.
    """
    rows = session.exec(
        select(Membership.role, GridClosure.depth)
        .join(GridClosure, col(GridClosure.ancestor_id) == Membership.grid_id)
        .where(Membership.person_id == person_id, GridClosure.descendant_id == grid_id)
    ).all()
    if not rows:  # office accounts hold no membership: one look-up only for them
        return office_roles(session, person_id, grid_id)
    return [(role, depth) for role, depth in rows]


def office_roles(session: Session, person_id: int, grid_id: int) -> list[tuple[str, int]]:
    """An office 管理员 acts as a district admin over its scope (a town, or every level-1 grid).

    A 查看 (viewer) account or a disabled one has no rights in the ledger.
    """
    user = session.exec(
        select(OfficeUser).where(
            OfficeUser.person_id == person_id,
            OfficeUser.role == "admin",
            col(OfficeUser.disabled).is_(False),
        )
    ).first()
    if user is None:
        return []
    ancestor = aliased(Grid)
    query = (
        select(GridClosure.depth)
        .join(ancestor, col(ancestor.id) == GridClosure.ancestor_id)
        .where(GridClosure.descendant_id == grid_id)
    )
    if user.grid_id is not None:
        query = query.where(GridClosure.ancestor_id == user.grid_id)
    else:
        query = query.where(ancestor.level == 1)
    depth = session.exec(query).first()
    return [] if depth is None else [("admin", depth)]


def district_office(session: Session, person_id: int) -> bool:
    """An office 管理员 of the whole district (it may issue alerts, like a level-1 head)."""
    return (
        session.exec(
            select(OfficeUser.id).where(
                OfficeUser.person_id == person_id,
                OfficeUser.role == "admin",
                col(OfficeUser.grid_id).is_(None),
                col(OfficeUser.disabled).is_(False),
            )
        ).first()
        is not None
    )


def room_for_topic(session: Session, topic: str) -> Room | None:
    return session.exec(select(Room).where(Room.topic == topic)).first()


def room_bound(session: Session, topic: str) -> bool:
    """Whether the group is on the roster (from memory while the roster stays the same)."""
    return directory.remembered(
        session, ("room", topic), lambda: room_for_topic(session, topic) is not None
    )


def grids_by_id(session: Session, ids: Iterable[int]) -> dict[int, Grid]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {g.id: g for g in session.exec(select(Grid).where(col(Grid.id).in_(wanted))) if g.id}


def sender_for(session: Session, who: str) -> tuple[str, str]:
    """(sender id, display name) for a roster member named by 姓名 or 微信号.

    Someone not on the roster is passed through as is, so the bot's refusal can be tried.
    """
    matches = session.exec(
        select(Person).where(or_(Person.wechat_id == who, Person.name == who))
    ).all()
    if len(matches) > 1:
        raise UserError(texts.AMBIGUOUS_SENDER.format(name=who))
    if not matches:
        return who, who
    person = matches[0]
    return person.wechat_id or f"{ROSTER_PREFIX}{person.id}", person.name
