"""Chasing alert receipts: a group's head who has not answered 收到 is reminded after
`remind_minutes`; after `escalate_minutes` their parent grid's head is told; each time the
level-1 groups get the tally (已确认 N/M, and who not). Once per alert, grid and stage (a
unique `Reminder.key`), so a restart in the middle of an alert neither repeats nor skips.
Alerts are not held by quiet hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.services.alerts import texts
from bot.services.alerts.issue import active, to_top
from bot.services.outbox import once
from bot.services.outbox.once import Claim
from bot.services.outbox.queue import PRIORITY_REPLY, Draft, enqueue
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from models.tables import Alert, AlertAck, Grid, Room

LISTED = 20


def sweep(runtime: Runtime) -> list[int]:
    now = runtime.clock.now()
    with runtime.transaction() as session:
        alert = active(session, now)
        if alert is None:
            return []
        settings = runtime.policy.schedule.alerts
        drafts: list[Draft] = []
        for stage, minutes in (
            ("remind", settings.remind_minutes),
            ("escalate", settings.escalate_minutes),
        ):
            if now >= alert.issued_at + timedelta(minutes=minutes):
                drafts += _stage(session, runtime, alert, stage, minutes, now)
        return enqueue(session, drafts, now)


def _stage(
    session: Session, runtime: Runtime, alert: Alert, stage: str, minutes: int, now: datetime
) -> list[Draft]:
    acked = set(session.exec(select(AlertAck.grid_id).where(AlertAck.alert_id == alert.id)))
    rooms = session.exec(
        select(Room.topic, Grid)
        .join(Grid, col(Grid.id) == Room.grid_id)
        .order_by(col(Grid.level), col(Grid.code))
    ).all()
    waiting = [(topic, grid) for topic, grid in rooms if grid.id not in acked]
    keys = [f"alert:{alert.id}:{grid.id}:{stage}" for _, grid in waiting]
    tally_key = f"alert:{alert.id}:tally:{stage}"
    day = runtime.policy.local(now).date()
    won = once.claim(session, [Claim(k, "alert") for k in [*keys, tally_key]], day, now)
    grid_ids = {grid.id or 0 for _, grid in waiting} | {grid.parent_id or 0 for _, grid in waiting}
    leads = lookup.leads_of(session, grid_ids)
    parents = lookup.grids_by_id(session, {grid.parent_id or 0 for _, grid in waiting})
    drafts = []
    for (topic, grid), key in zip(waiting, keys, strict=True):
        if key not in won:
            continue
        lead = leads.get(grid.id or 0)
        if stage == "remind":
            drafts.append(
                Draft(
                    key=f"{key}:msg",
                    text=texts.REMIND.format(color=alert.color, minutes=minutes, grid=grid.name),
                    room_topic=topic,
                    mentions=(lead.id,) if lead and lead.id else (),
                    priority=PRIORITY_REPLY,
                    kind="alert",
                )
            )
            continue
        parent = parents.get(grid.parent_id or 0)
        boss = leads.get(grid.parent_id or 0)
        if parent is None or not parent.room_topic:
            continue
        drafts.append(
            Draft(
                key=f"{key}:msg",
                text=texts.ESCALATE.format(
                    color=alert.color,
                    minutes=minutes,
                    grid=grid.name,
                    head=lead.name if lead else "未设",
                ),
                room_topic=parent.room_topic,
                mentions=(boss.id,) if boss and boss.id else (),
                priority=PRIORITY_REPLY,
                kind="alert",
            )
        )
    if tally_key in won and waiting:
        names = [grid.name for _, grid in waiting]
        shown = "、".join(names[:LISTED]) + (f" 等 {len(names)} 个" if len(names) > LISTED else "")
        text = texts.TALLY.format(
            color=alert.color,
            acked=len(rooms) - len(waiting),
            total=len(rooms),
            missing=shown,
        )
        drafts += to_top(session, alert, text, stage)
    return drafts
