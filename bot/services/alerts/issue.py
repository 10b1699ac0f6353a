"""Issuing, upgrading and lifting an alert, and the receipts (收到) of each group's head.

An alert goes to every bound group at once, at the priority of replies (before every routine
message), and is never held by quiet hours. Each group's head answers 收到; `sweep` chases
those who have not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from bot.core.errors import NotAllowed, UserError
from bot.services.alerts import texts
from bot.services.outbox.queue import PRIORITY_REPLY, Draft
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from bot.services.tickets.deadlines import parse_deadline
from bot.services.tickets.ledger import NOTE_LIMIT, Origin, check_length
from models.db import insert_ignore
from models.tables import Alert, AlertAck, Grid, Membership, Room

COLORS = ("黄色", "橙色", "红色")
_COLOR = {"黄": "黄色", "橙": "橙色", "红": "红色", "黄色": "黄色", "橙色": "橙色", "红色": "红色"}
_RANK = {"黄色": 1, "橙色": 2, "红色": 3}
_NOW_WORDS = re.compile(r"^(?:即日起|即时起|现在起|立即|从现在起|今日起|即日)$")
_MIDNIGHT = re.compile(r"(24[时点]|24:00)$")
# An alert with no end written lasts this long (the issuer can lift it earlier).
DEFAULT_LENGTH = timedelta(days=3)


@dataclass(frozen=True)
class Issued:
    reply: str
    drafts: list[Draft]


def active(session: Session, now: datetime) -> Alert | None:
    return session.exec(
        select(Alert)
        .where(col(Alert.lifted_at).is_(None), col(Alert.ends_at) > now)
        .order_by(col(Alert.issued_at).desc())
    ).first()


def may_issue(session: Session, person_id: int) -> bool:
    rows = session.exec(
        select(Membership.role, Grid.level)
        .join(Grid, col(Grid.id) == Membership.grid_id)
        .where(Membership.person_id == person_id)
    ).all()
    if not rows:
        return lookup.district_office(session, person_id)
    return any(
        role == "admin" or (role in lookup.CLOSE_ROLES and level == 1) for role, level in rows
    )


def _moment(text: str, now: datetime, runtime: Runtime, *, start: bool) -> datetime:
    text = text.strip()
    if start and (not text or _NOW_WORDS.match(text)):
        return now
    shift = timedelta(0)
    if _MIDNIGHT.search(text):  # 「4日24时」 is the midnight that ends the 4th
        text, shift = _MIDNIGHT.sub("23时59分", text), timedelta(minutes=1)
    try:
        return parse_deadline(text, now, runtime.policy.tz) + shift
    except UserError as exc:
        if start and "已经过去" in exc.text:
            return now  # an alert that started earlier today starts now for the bot
        raise UserError(texts.BAD_TIME.format(given=text)) from None


def _period(text: str, now: datetime, runtime: Runtime) -> tuple[datetime, datetime, str]:
    """「12月2日0时至12月4日24时 说明」 → start, end, the rest as the note."""
    words = text.strip().split(maxsplit=1)
    span = words[0] if words else ""
    note = words[1] if len(words) > 1 else ""
    if "至" not in span and "到" not in span:
        if span and not _NOW_WORDS.match(span):
            note = text.strip()  # no period: it starts now, for the default length
        return now, now + DEFAULT_LENGTH, note
    first, _, second = re.split(r"(至|到)", span, maxsplit=1)
    begin = _moment(first, now, runtime, start=True)
    end = _moment(second, now, runtime, start=False)
    if end <= begin:
        fmt = runtime.policy.format_time
        raise UserError(texts.END_BEFORE_START.format(end=fmt(end), start=fmt(begin)))
    return begin, end, note


def _issuer_confirms(session: Session, alert: Alert, origin: Origin) -> None:
    """The issuer's own grids have the alert already: nobody chases them to confirm it."""
    grids = session.exec(
        select(Membership.grid_id)
        .join(Room, col(Room.grid_id) == Membership.grid_id)
        .where(Membership.person_id == origin.actor.person_id)
        .distinct()
    ).all()
    insert_ignore(
        session,
        AlertAck,
        [
            {
                "alert_id": alert.id,
                "grid_id": g,
                "person_id": origin.actor.person_id,
                "at": origin.at,
            }
            for g in grids
        ],
    )


def _lift_current(session: Session, now: datetime) -> Alert | None:
    """Lift the alert in force, if any, as a conditional update: of two issuers, one wins."""
    current = active(session, now)
    if current is None:
        return None
    lifted = session.execute(
        update(Alert)
        .where(col(Alert.id) == current.id, col(Alert.lifted_at).is_(None))
        .values(lifted_at=now)
    )
    if lifted.rowcount != 1:  # type: ignore[attr-defined]
        raise UserError(texts.CHANGED_MEANWHILE)
    return current


def _broadcast(session: Session, alert: Alert, runtime: Runtime, text: str) -> list[Draft]:
    rooms = session.exec(select(Room.topic).where(col(Room.grid_id).is_not(None))).all()
    return [
        Draft(
            key=f"alert:{alert.id}:{topic}:{text[:8]}",
            text=text,
            room_topic=topic,
            priority=PRIORITY_REPLY,
            kind="alert",
        )
        for topic in sorted(rooms)
    ]


def _alert_text(alert: Alert, runtime: Runtime, upgraded_from: str | None = None) -> str:
    fmt = runtime.policy.format_time
    note = f"{alert.note}\n" if alert.note else ""
    if upgraded_from:
        changed = (
            texts.ALERT_UPGRADED
            if _RANK[alert.color] > _RANK[upgraded_from]
            else texts.ALERT_LOWERED
        )
        note = changed.format(old=upgraded_from) + "\n" + note
    return texts.ALERT.format(
        color=alert.color,
        start=fmt(alert.starts_at),
        end=fmt(alert.ends_at),
        note=note,
        measures=runtime.policy.schedule.alerts.measures.get(alert.color, ""),
    )


def issue(session: Session, runtime: Runtime, text: str, origin: Origin) -> Issued:
    """发布预警 <颜色> <开始>至<结束> [说明]."""
    if not may_issue(session, origin.actor.person_id):
        raise NotAllowed(texts.NOT_ALLOWED)
    words = text.strip().split(maxsplit=1)
    if not words:
        raise UserError(texts.USAGE)
    color = _COLOR.get(words[0].removesuffix("预警"))
    if color is None:
        raise UserError(texts.BAD_COLOR.format(given=words[0]))
    start, end, note = _period(words[1] if len(words) > 1 else "", origin.at, runtime)
    check_length("说明", note, NOTE_LIMIT)
    _lift_current(session, origin.at)
    alert = Alert(
        color=color,
        starts_at=start,
        ends_at=end,
        note=note,
        issued_by=origin.actor.person_id,
        issued_at=origin.at,
        message_id=origin.message_id,
    )
    session.add(alert)
    session.flush()
    _issuer_confirms(session, alert, origin)
    drafts = _broadcast(session, alert, runtime, _alert_text(alert, runtime))
    fmt = runtime.policy.format_time
    reply = texts.ISSUED.format(count=len(drafts), color=color, start=fmt(start), end=fmt(end))
    return Issued(reply, drafts)


def upgrade(session: Session, runtime: Runtime, color_text: str, origin: Origin) -> Issued:
    """升级为红色: the same period, a stronger colour; every group confirms again."""
    if not may_issue(session, origin.actor.person_id):
        raise NotAllowed(texts.NOT_ALLOWED)
    current = active(session, origin.at)
    if current is None:
        raise UserError(texts.NONE_ACTIVE)
    color = _COLOR.get(color_text.strip().removesuffix("预警"))
    if color is None:
        raise UserError(texts.BAD_COLOR.format(given=color_text.strip()))
    if color == current.color:
        raise UserError(texts.SAME_COLOR.format(color=color))
    lifted = session.execute(
        update(Alert)
        .where(col(Alert.id) == current.id, col(Alert.lifted_at).is_(None))
        .values(lifted_at=origin.at)
    )
    if lifted.rowcount != 1:  # type: ignore[attr-defined]
        raise UserError(texts.NONE_ACTIVE)
    alert = Alert(
        color=color,
        starts_at=origin.at,
        ends_at=current.ends_at,
        note=current.note,
        issued_by=origin.actor.person_id,
        issued_at=origin.at,
        message_id=origin.message_id,
    )
    session.add(alert)
    session.flush()
    _issuer_confirms(session, alert, origin)
    drafts = _broadcast(session, alert, runtime, _alert_text(alert, runtime, current.color))
    fmt = runtime.policy.format_time
    changed = texts.UPGRADED if _RANK[color] > _RANK[current.color] else texts.LOWERED
    reply = changed.format(
        count=len(drafts), old=current.color, color=color, end=fmt(alert.ends_at)
    )
    return Issued(reply, drafts)


def lift(session: Session, runtime: Runtime, origin: Origin) -> Issued:
    """解除预警."""
    if not may_issue(session, origin.actor.person_id):
        raise NotAllowed(texts.NOT_ALLOWED)
    current = active(session, origin.at)
    if current is None:
        raise UserError(texts.NONE_ACTIVE)
    lifted = session.execute(
        update(Alert)
        .where(col(Alert.id) == current.id, col(Alert.lifted_at).is_(None))
        .values(lifted_at=origin.at)
    )
    if lifted.rowcount != 1:  # type: ignore[attr-defined]
        raise UserError(texts.NONE_ACTIVE)
    text = texts.ALERT_LIFTED.format(color=current.color, at=runtime.policy.format_time(origin.at))
    drafts = _broadcast(session, current, runtime, text)
    return Issued(texts.LIFTED.format(color=current.color, count=len(drafts)), drafts)


def acknowledge(session: Session, runtime: Runtime, origin: Origin) -> Issued | None:
    """收到 from a group's head while an alert waits for that group: recorded once.

    None when it is no receipt (no alert, not a head of the group's grid, already confirmed):
    then 收到 is ordinary chat and gets no reply.
    """
    current = active(session, origin.at)
    if current is None or not origin.room_topic:
        return None
    room = session.exec(select(Room).where(Room.topic == origin.room_topic)).first()
    if room is None or room.grid_id is None:
        return None
    roles = lookup.roles_over(session, origin.actor.person_id, room.grid_id)
    if not any(
        (role in lookup.CLOSE_ROLES and depth == 0) or role == "admin" for role, depth in roles
    ):
        return None
    row = {
        "alert_id": current.id,
        "grid_id": room.grid_id,
        "person_id": origin.actor.person_id,
        "at": origin.at,
    }
    if not insert_ignore(session, AlertAck, [row]):
        return None
    grid = session.get(Grid, room.grid_id)
    reply = texts.ACKED.format(
        grid=grid.name if grid else "", color=current.color, who=origin.actor.name
    )
    drafts: list[Draft] = []
    total, acked = _counts(session, current)
    if acked >= total:
        text = texts.ALL_ACKED.format(color=current.color, total=total)
        drafts = to_top(session, current, text, "all")
    return Issued(reply, drafts)


def _counts(session: Session, alert: Alert) -> tuple[int, int]:
    total = session.exec(
        select(func.count(func.distinct(Room.grid_id))).where(col(Room.grid_id).is_not(None))
    ).one()
    acked = session.exec(
        select(func.count(col(AlertAck.id))).where(AlertAck.alert_id == alert.id)
    ).one()
    return int(total), int(acked)


def to_top(session: Session, alert: Alert, text: str, stage: str) -> list[Draft]:
    """A message for the level-1 groups (the tally goes there), once per alert and stage."""
    topics = session.exec(
        select(Room.topic).join(Grid, col(Grid.id) == Room.grid_id).where(Grid.level == 1)
    ).all()
    return [
        Draft(
            key=f"alert-tally:{alert.id}:{topic}:{stage}",
            text=text,
            room_topic=topic,
            priority=PRIORITY_REPLY,
            kind="alert",
        )
        for topic in topics
    ]
