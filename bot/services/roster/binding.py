"""Binding the chat platform to the roster: groups by topic, members by 微信号.

Run on login and whenever a group is renamed. Groups the roster does not name are left
alone (the bot ignores them) and listed for the admin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.services.outbox.queue import PRIORITY_REPLY, Draft, enqueue
from bot.services.roster import lookup, texts
from bot.services.runtime import Runtime, format_duration
from models.tables import Grid, Person, Room


@dataclass(frozen=True)
class RoomBinding:
    bound: tuple[str, ...]
    unknown: tuple[str, ...]  # groups the bot sits in that no grid names
    absent: tuple[str, ...]  # roster groups the bot is not (or no longer) in


def bind_rooms(session: Session, rooms: Sequence[tuple[str, str]]) -> RoomBinding:
    """Record the platform id of each roster group the bot sits in, by topic."""
    by_topic = {topic: room_id for room_id, topic in rooms if topic}
    roster = {r.topic: r for r in session.exec(select(Room).where(col(Room.grid_id).is_not(None)))}
    bound_ids = [by_topic[t] for t in roster if t in by_topic]
    if bound_ids:  # a platform id moves to whichever roster topic now carries it
        session.execute(
            update(Room).where(col(Room.platform_id).in_(bound_ids)).values(platform_id=None)
        )
    for topic, room in roster.items():
        room.platform_id = by_topic.get(topic)
        session.add(room)
    return RoomBinding(
        bound=tuple(sorted(t for t in roster if t in by_topic)),
        unknown=tuple(sorted(t for t in by_topic if t not in roster)),
        absent=tuple(sorted(t for t in roster if t not in by_topic)),
    )


def bind_contacts(session: Session, contacts: Sequence[tuple[str, str, str | None]]) -> int:
    """Bind roster members whose 微信号 a contact carries; return how many were bound."""
    by_weixin = {weixin: cid for cid, _, weixin in contacts if weixin}
    if not by_weixin:
        return 0
    people = session.exec(
        select(Person).where(
            col(Person.wechat_id).in_(list(by_weixin)), col(Person.contact_id).is_(None)
        )
    ).all()
    taken = set(
        session.exec(
            select(Person.contact_id).where(col(Person.contact_id).in_(list(by_weixin.values())))
        ).all()
    )
    bound = 0
    for person in people:
        contact_id = by_weixin[person.wechat_id or ""]
        if contact_id not in taken:
            person.contact_id = contact_id
            session.add(person)
            taken.add(contact_id)
            bound += 1
    return bound


def top_groups(session: Session) -> list[tuple[str, list[int]]]:
    """The level-1 groups, each with the people to mention there (admins, else heads)."""
    rows = session.exec(select(Grid).where(Grid.parent_id == None)).all()  # noqa: E711
    admins = dict(lookup.admin_rooms(session))
    leads = lookup.leads_of(session, [g.id or 0 for g in rows])
    result = []
    for grid in rows:
        if not grid.room_topic:
            continue
        lead = leads.get(grid.id or 0)
        people = admins.get(grid.room_topic) or ([lead.id] if lead and lead.id else [])
        result.append((grid.room_topic, [p for p in people if p]))
    return result


def announce_back(runtime: Runtime, down_since: datetime, reason: str) -> list[int]:
    """Tell the level-1 groups that the bot was logged out and is back (once per outage)."""
    now = runtime.clock.now()
    text = texts.LOGIN_RESTORED.format(
        since=runtime.policy.format_time(down_since),
        duration=format_duration(now - down_since),
        reason=reason or "未知",
    )
    return _tell_top_groups(runtime, f"back:{down_since.isoformat()}", text)


def announce_unknown(runtime: Runtime, unknown: Sequence[tuple[int, str | None, str]]) -> list[int]:
    """Tell the level-1 groups which messages may not have gone out (never resent)."""
    if not unknown:
        return []
    lines = [texts.UNKNOWN_SENDS.format(count=len(unknown))]
    for _, room, text in unknown[:LISTED_UNKNOWN]:
        snippet = text.replace("\n", " ")[:30]
        lines.append(texts.UNKNOWN_SEND_LINE.format(room=room or "私聊", text=snippet))
    if len(unknown) > LISTED_UNKNOWN:
        lines.append(texts.UNKNOWN_SENDS_MORE.format(count=len(unknown) - LISTED_UNKNOWN))
    key = "unknown:" + ",".join(str(i) for i, _, _ in unknown[:20])
    return _tell_top_groups(runtime, key, "\n".join(lines))


def _tell_top_groups(runtime: Runtime, key: str, text: str) -> list[int]:
    """Queue one system notice per level-1 group, mentioning its admins (once per `key`)."""
    with runtime.transaction() as session:
        drafts = [
            Draft(
                key=f"{key}:{topic}"[:300],
                text=text,
                room_topic=topic,
                mentions=tuple(people),
                priority=PRIORITY_REPLY,
                kind="notice",
            )
            for topic, people in top_groups(session)
        ]
        return enqueue(session, drafts, runtime.clock.now())


LISTED_UNKNOWN = 10
