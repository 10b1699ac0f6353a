"""Who must act next, and where they sit: the group and the mention a notice goes to."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from bot.services import memory as directory
from bot.services.roster import lookup
from bot.services.tickets.ledger import TicketInfo
from models.tables import Grid, Person


@dataclass(frozen=True)
class Notice:
    """A message for a group other than (or the same as) the one the command came from.

    `room_topic` None means the chat the command came from.
    """

    text: str
    room_topic: str | None = None
    mentions: tuple[int, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What a case-flow command did: the reply to its sender and the notices it sends."""

    info: TicketInfo
    reply: str
    notices: tuple[Notice, ...] = field(default_factory=tuple)
    # Lines only the sender needs (「请发送整改后照片」), said whatever the notices say.
    extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lead:
    """The person to ask, their grid and the group they read."""

    grid: Grid
    person: Person | None

    @property
    def name(self) -> str | None:
        return self.person.name if self.person else None

    def notice(self, text: str) -> Notice:
        mentions = (self.person.id,) if self.person and self.person.id else ()
        return Notice(text, self.grid.room_topic, mentions)


def lead_of(session: Session, grid: Grid) -> Lead:
    return Lead(grid, lookup.leads_of(session, [grid.id or 0]).get(grid.id or 0))


def lead_above(session: Session, grid_id: int, *, top_level: int | None = None) -> Lead | None:
    """The nearest grid above `grid_id` that has a lead (or the nearest above at all).

    `top_level` (2 for 申诉) skips ahead to the nearest ancestor at that level or higher.
    Read only: from the roster memory while the roster stays the same (every report to a
    grid without a head asks it: two queries, a fifth of such a report's time).
    """
    return directory.remembered(
        session,
        ("lead_above", grid_id, top_level),
        lambda: _detached(_lead_above(session, grid_id, top_level)),
    )


def _detached(lead: Lead | None) -> Lead | None:
    if lead is None:
        return None
    grid = directory.detached(lead.grid)
    assert grid is not None
    return Lead(grid, directory.detached(lead.person))


def _lead_above(session: Session, grid_id: int, top_level: int | None) -> Lead | None:
    chain = lookup.ancestors_of(session, grid_id)
    if top_level is not None:
        chain = [g for g in chain if g.level <= top_level]
    if not chain:
        return None
    leads = lookup.leads_of(session, [g.id or 0 for g in chain])
    for grid in chain:
        if grid.id in leads:
            return Lead(grid, leads[grid.id])
    return Lead(chain[0], None)
