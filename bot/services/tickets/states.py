"""The one table of ticket states: what a ticket can be, and who may move it where.

Every change of state goes through `Transition` (see `lifecycle.apply`) as a conditional
update, ``UPDATE ticket SET status = :to WHERE id = :id AND status IN (:from)``, so when two
heads send commands at once exactly one of them wins and the other is told why not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """Where a ticket stands (stored in `Ticket.status`)."""

    OPEN = "open"  # 待受理: reported, nobody has taken it on yet
    ACCEPTED = "accepted"  # 处置中
    RESOLVED = "resolved"  # 已办结: waiting for an upper head to verify
    CLOSED = "closed"  # 已销号
    APPEALED = "appealed"  # 申诉中: escalation paused until an upper head decides
    DISMISSED = "dismissed"  # 不予处置: appeal upheld; kept on the ledger, out of the rates


# Statuses in which the deadline runs and escalation climbs.
LIVE: tuple[Status, ...] = (Status.OPEN, Status.ACCEPTED)
# Statuses that still need someone to act (for duplicates, hand-overs and 待办).
PENDING: tuple[Status, ...] = (*LIVE, Status.RESOLVED, Status.APPEALED)


class Access(StrEnum):
    """Who may act on a ticket, by their place in the grid tree relative to its grid."""

    ANYONE = "anyone"  # anyone on the roster
    VIEWER = "viewer"  # the reporter, staff of the ticket's grid or any grid above it, admins
    STAFF = "staff"  # staff of the ticket's grid or any grid above it, admins
    VERIFIER = "verifier"  # 网格长/第一网格长/副网格长 of a grid above the ticket's, admins
    OWN = "own"  # staff of the ticket's own (responsible) grid, admins
    HEAD = "head"  # 网格长/第一网格长/副网格长 of the ticket's grid or any grid above it, admins
    LEADER = "leader"  # 网格长/第一网格长/副网格长 of a level-1 or level-2 grid above it, admins
    DISTRICT = "district"  # 网格长/第一网格长/副网格长 of a level-1 grid, admins (预警)


@dataclass(frozen=True)
class Transition:
    """One allowed move: from any of `sources` to `target`, by `access`.

    `event` is the `TicketEvent.kind` recorded, `stamp` the ticket column set to the moment
    of the change, and `stops_escalation` clears the next escalation step.
    """

    name: str
    sources: tuple[Status, ...]
    target: Status
    access: Access
    event: str
    stamp: str | None
    stops_escalation: bool


ACCEPT = Transition(
    "accept", (Status.OPEN,), Status.ACCEPTED, Access.STAFF, "accepted", "accepted_at", False
)
RESOLVE = Transition(
    "resolve", LIVE, Status.RESOLVED, Access.STAFF, "resolved", "resolved_at", True
)
CLOSE = Transition(
    "close", (Status.RESOLVED,), Status.CLOSED, Access.VERIFIER, "closed", "closed_at", True
)

# 退回返工: back to the responsible grid with a new deadline (set by the caller).
RETURN = Transition(
    "return", (Status.RESOLVED,), Status.ACCEPTED, Access.VERIFIER, "returned", None, False
)
# 申诉: escalation pauses; a rejected appeal puts back the status it had (see `requests`).
APPEAL = Transition("appeal", LIVE, Status.APPEALED, Access.OWN, "appealed", None, True)
DISMISS = Transition(
    "dismiss", (Status.APPEALED,), Status.DISMISSED, Access.LEADER, "dismissed", "closed_at", True
)

TRANSITIONS: dict[str, Transition] = {
    t.name: t for t in (ACCEPT, RESOLVE, CLOSE, RETURN, APPEAL, DISMISS)
}
