"""What the office may do to a ticket from the console, through the chat commands' services.

Each action calls the same service as its chat command, with the office account's own ledger
identity as the actor, so the rules (who may, from which state, conditional updates) are the
same; the notices go to the groups through the outbox exactly as a chat command's would.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from bot.core.errors import UserError
from bot.services.office import texts
from bot.services.office.accounts import Account
from bot.services.office.detail import visible_ticket
from bot.services.outbox.queue import PRIORITY_REPLY, Draft, enqueue
from bot.services.roster.lookup import Actor
from bot.services.runtime import Runtime
from bot.services.tickets import lifecycle, requests, routing, supervision
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.ledger import Origin
from bot.services.tickets.notices import Notice, Outcome


@dataclass(frozen=True)
class ActionInput:
    """What the console's form sent: the action name and its fields (already stripped)."""

    action: str
    grid: str = ""
    note: str = ""
    deadline: str = ""


@dataclass(frozen=True)
class Done:
    """The answer shown on the page, and how many group messages were queued."""

    reply: str
    sent: int


def origin_of(account: Account, runtime: Runtime) -> Origin:
    name = f"{account.display_name}{texts.OFFICE_SUFFIX}"
    return Origin(Actor(account.person_id, name), runtime.clock.now())


def _close(session: Session, runtime: Runtime, code: str, a: ActionInput, o: Origin) -> Outcome:
    info = lifecycle.close(session, runtime, code, o)
    text = ticket_texts.CLOSED.format(code=info.code, who=o.actor.name)
    mentions = (info.head_id,) if info.head_id else ()
    return Outcome(info, text, (Notice(text, info.room_topic, mentions),))


def _needs(field: str, value: str) -> str:
    if not value:
        raise UserError(texts.ACTION_NEEDS.format(field=field))
    return value


Step = Callable[[Session, Runtime, str, ActionInput, Origin], Outcome]
ACTIONS: dict[str, Step] = {
    "assign": lambda s, r, c, a, o: routing.assign(
        s, r, c, " ".join(filter(None, (_needs("网格", a.grid), a.note, a.deadline))), o
    ),
    "transfer": lambda s, r, c, a, o: routing.transfer(
        s, r, c, " ".join(filter(None, (_needs("网格", a.grid), a.note))), o
    ),
    "supervise": lambda s, r, c, a, o: supervision.supervise(s, r, c, a.note, o, on=True),
    "unsupervise": lambda s, r, c, a, o: supervision.supervise(s, r, c, a.note, o, on=False),
    "grant_extension": lambda s, r, c, a, o: requests.decide_extension(s, r, c, True, a.note, o),
    "refuse_extension": lambda s, r, c, a, o: requests.decide_extension(
        s, r, c, False, _needs("原因", a.note), o
    ),
    "uphold_appeal": lambda s, r, c, a, o: requests.decide_appeal(s, r, c, True, a.note, o),
    "reject_appeal": lambda s, r, c, a, o: requests.decide_appeal(
        s, r, c, False, _needs("原因", a.note), o
    ),
    "send_back": lambda s, r, c, a, o: lifecycle.send_back(
        s, r, c, " ".join(filter(None, (_needs("原因", a.note), a.deadline))), o
    ),
    "close": _close,
}


def act(session: Session, runtime: Runtime, account: Account, code: str, a: ActionInput) -> Done:
    """Run one action; a refusal is a UserError (Chinese) and leaves nothing written."""
    if not account.may_act:
        raise UserError(texts.READ_ONLY)
    step = ACTIONS.get(a.action)
    if step is None:
        raise UserError(texts.UNKNOWN_ACTION)
    code = visible_ticket(session, account, code).code
    origin = origin_of(account, runtime)
    outcome = step(session, runtime, code, a, origin)
    mark = ticket_texts.SUPERVISED_MARK if outcome.info.supervised else ""
    batch = uuid.uuid4().hex
    drafts: list[Draft] = []
    for n, notice in enumerate(outcome.notices):
        room = notice.room_topic or outcome.info.room_topic
        if room is None:
            continue
        text = notice.text if notice.text.startswith(mark) else mark + notice.text
        drafts.append(
            Draft(
                f"office:{batch}:{n}", text, room, mentions=notice.mentions, priority=PRIORITY_REPLY
            )
        )
    enqueue(session, drafts, origin.at)
    return Done("\n".join([outcome.reply, *outcome.extra]), len(drafts))
