"""Reports waiting for their place: asked once, completed by the sender's next message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.services.roster.lookup import Actor
from bot.services.tickets.ledger import Origin
from models.db import insert_ignore
from models.tables import Person, ReportDraft

PRIVATE = "private"


# A report kept because it repeated a live ticket, for 「新问题」 (kind of draft).
DUPLICATE = "dup"
# A problem told without 上报, kept while the bot asks whether to file it.
PASSING = "passing"


def _chat_key(origin: Origin, kind: str = "") -> str:
    prefix = f"{kind}|" if kind else ""
    return (prefix + (origin.room_topic or PRIVATE))[:200]


def keep(session: Session, origin: Origin, text: str, kind: str = "") -> None:
    """Remember the report the bot just asked a place for (replacing an older one)."""
    key = _chat_key(origin, kind)
    session.execute(
        delete(ReportDraft).where(
            col(ReportDraft.person_id) == origin.actor.person_id, col(ReportDraft.chat_key) == key
        )
    )
    row = {"person_id": origin.actor.person_id, "chat_key": key, "text": text[:4000]}
    insert_ignore(session, ReportDraft, [{**row, "asked_at": origin.at}])


def _asked(session: Session, origin: Origin, window: timedelta, kind: str) -> ReportDraft | None:
    """The sender's draft of `kind` in this chat, if asked within `window`."""
    return session.exec(
        select(ReportDraft).where(
            ReportDraft.person_id == origin.actor.person_id,
            ReportDraft.chat_key == _chat_key(origin, kind),
            col(ReportDraft.asked_at) >= origin.at - window,
        )
    ).first()


def take(session: Session, origin: Origin, window: timedelta, kind: str = "") -> str | None:
    """The sender's waiting report in this chat, if asked within `window`; it is used up."""
    draft = _asked(session, origin, window, kind)
    if draft is None:
        return None
    session.delete(draft)
    return draft.text


def take_for(
    session: Session,
    origin: Origin,
    window: timedelta,
    kind: str,
    may: Callable[[int], bool],
) -> tuple[Actor, str] | None:
    """(teller, text) of the one draft of `kind` someone else has waiting in this group,
    asked within `window`, if the sender `may` answer for them (by person id); it is used
    up. None when there is none, or several (whose?)."""
    if origin.room_topic is None:
        return None
    found = session.exec(
        select(ReportDraft, Person.name)
        .join(Person, col(Person.id) == ReportDraft.person_id)
        .where(
            ReportDraft.chat_key == _chat_key(origin, kind),
            ReportDraft.person_id != origin.actor.person_id,
            col(ReportDraft.asked_at) >= origin.at - window,
        )
    ).all()
    answerable = [(draft, name) for draft, name in found if may(draft.person_id)]
    if len(answerable) != 1:
        return None
    draft, name = answerable[0]
    session.delete(draft)
    return Actor(draft.person_id, name), draft.text


def waiting(session: Session, origin: Origin, window: timedelta, kind: str) -> str | None:
    """The sender's draft here if asked within `window`, left in place."""
    draft = _asked(session, origin, window, kind)
    return None if draft is None else draft.text


def append(session: Session, origin: Origin, text: str, window: timedelta, kind: str) -> None:
    """Add `text` to the draft the sender has waiting here (asked within `window`)."""
    draft = _asked(session, origin, window, kind)
    if draft is None:
        keep(session, origin, text, kind)
        return
    draft.text = (draft.text + "\n" + text)[:4000]
    session.add(draft)
