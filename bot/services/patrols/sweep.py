"""Patrol and meeting reminders, once per grid (or group) and day: the database is the
schedule (a unique `Reminder.key`), so a late, restarted or doubled sweep sends each once.

Patrols: at the configured time (17:00), grids with 网格员 and no patrol record today are
reminded in their group (one message per group, naming each such grid and mentioning its
members); during a heavy-pollution alert, at each alert
slot (11:00, 17:00), for records since the slot before. Meetings: each configured meeting is
announced in the groups of its levels from `remind_minutes` before until it starts. Nothing is
sent in quiet hours, and a day's reminder is never sent on a later day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from bot.services.calendar.schedule import Meeting
from bot.services.outbox import once
from bot.services.outbox.once import Claim, short
from bot.services.outbox.queue import PRIORITY_ESCALATION, Draft, enqueue
from bot.services.patrols import texts
from bot.services.patrols.records import patrol_grids, patrol_status
from bot.services.roster import lookup
from bot.services.runtime import Runtime
from bot.services.tickets.ledger import alert_in_force
from models.tables import Grid, Room


def _claim(
    session: Session, runtime: Runtime, keyed: list[tuple[str, Draft]], kind: str, now: datetime
) -> list[Draft]:
    day = runtime.policy.local(now).date()
    won = once.claim(session, [Claim(key, kind) for key, _ in keyed], day, now)
    return [draft for key, draft in keyed if key in won]


def sweep(runtime: Runtime) -> list[int]:
    now = runtime.clock.now()
    if runtime.policy.calendar.in_quiet_hours(now):
        return []
    with runtime.transaction() as session:
        drafts = _patrols(session, runtime, now) + _meetings(session, runtime, now)
        return enqueue(session, drafts, now)


def _slots(
    session: Session, runtime: Runtime, now: datetime
) -> list[tuple[str, time, time | None]]:
    """(slot name, reminder time, start of the records it wants) for today."""
    schedule = runtime.policy.schedule
    if alert_in_force(session, now) is None:
        return [("day", schedule.patrol_at, None)]
    times = sorted(schedule.patrol_alert_times)
    return [(f"alert{n}", at, times[n - 1] if n else None) for n, at in enumerate(times)]


def _patrols(session: Session, runtime: Runtime, now: datetime) -> list[Draft]:
    tz = runtime.policy.tz
    local = runtime.policy.local(now)
    day = local.date()
    due = [s for s in _slots(session, runtime, now) if local.time() >= s[1]]
    if not due:
        return []
    name, _, since = due[-1]  # only the latest slot: an earlier one missed is superseded
    members = patrol_grids(session)
    if not members:
        return []
    start = datetime.combine(day, since, tz) if since else None
    status = patrol_status(session, list(members), day, start)
    missing = [g for g in members if g not in status]
    if not missing:
        return []
    grids = lookup.grids_by_id(session, missing)
    by_room: dict[str, list[int]] = {}
    for grid_id in sorted(missing, key=lambda g: grids[g].code):
        if grids[grid_id].room_topic:
            by_room.setdefault(grids[grid_id].room_topic or "", []).append(grid_id)
    template = texts.PATROL_REMINDER if name == "day" else texts.PATROL_REMINDER_ALERT
    keyed = []
    for topic, ids in sorted(by_room.items()):
        # One message per group, naming every grid in it that has no record yet.
        key = f"patrol:{short(topic)}:{day.isoformat()}:{name}"
        mentions = tuple(dict.fromkeys(p for g in ids for p in sorted(members[g])))
        keyed.append(
            (
                key,
                Draft(
                    key=key,
                    text=template.format(grid="、".join(grids[g].name for g in ids)),
                    room_topic=topic,
                    mentions=mentions,
                    priority=PRIORITY_ESCALATION,
                    kind="patrol",
                ),
            )
        )
    return _claim(session, runtime, keyed, "patrol", now)


def meets_on(meeting: Meeting, day: date, runtime: Runtime) -> bool:
    calendar = runtime.policy.calendar
    if meeting.every == "day":
        return calendar.is_working_day(day)
    if meeting.every == "week":
        return day.isoweekday() == meeting.weekday and calendar.is_working_day(day)
    first = day.replace(day=1)
    while not calendar.is_working_day(first) and first.month == day.month:
        first += timedelta(days=1)
    return day == first


def _meetings(session: Session, runtime: Runtime, now: datetime) -> list[Draft]:
    local = runtime.policy.local(now)
    day = local.date()
    due = [
        m
        for m in runtime.policy.schedule.meetings
        if meets_on(m, day, runtime)
        and datetime.combine(day, m.at, runtime.policy.tz) - timedelta(minutes=m.remind_minutes)
        <= local
        < datetime.combine(day, m.at, runtime.policy.tz)
    ]
    if not due:
        return []
    rooms = session.exec(
        select(Room.topic, Grid.level).join(Grid, col(Grid.id) == Room.grid_id)
    ).all()
    keyed = []
    for meeting in due:
        for topic, level in rooms:
            if level not in meeting.levels:
                continue
            key = f"meeting:{short(meeting.name)}:{short(topic)}:{day.isoformat()}"
            keyed.append(
                (
                    key,
                    Draft(
                        key=key,
                        text=texts.MEETING_REMINDER.format(
                            at=meeting.at.strftime("%H:%M"), name=meeting.name
                        ),
                        room_topic=topic,
                        priority=PRIORITY_ESCALATION,
                        kind="meeting",
                    ),
                )
            )
    return _claim(session, runtime, keyed, "meeting", now)
