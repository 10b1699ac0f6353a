"""The schedule file (config/schedule.toml): reminders, quiet hours, briefings, patrols,
meetings and alert measures, read and checked once at start-up."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.calendar.worktime import Period, WorkCalendar, parse_period


class ScheduleFileError(ValueError):
    """The schedule file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Reminders:
    short_deadline_hours: float = 24
    short_hours_before: float = 2
    long_hours_before: float = 24
    not_accepted_working_hours: float = 2
    verify_working_days: float = 1
    per_person_daily_cap: int = 6


@dataclass(frozen=True)
class Meeting:
    name: str
    levels: tuple[int, ...]
    every: str  # day | week | month
    at: time
    remind_minutes: int = 30
    weekday: int = 1  # 1 = Monday, for every = "week"


@dataclass(frozen=True)
class Alerts:
    remind_minutes: int = 30
    escalate_minutes: int = 60
    measures: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Schedule:
    calendar: WorkCalendar
    reminders: Reminders = Reminders()
    catch_up_until: time = time(12, 0)
    empty_briefing: str = "line"
    patrol_at: time = time(17, 0)
    patrol_alert_times: tuple[time, ...] = (time(11, 0), time(17, 0))
    meetings: tuple[Meeting, ...] = ()
    alerts: Alerts = Alerts()


def default_schedule(tz: ZoneInfo) -> Schedule:
    return Schedule(calendar=WorkCalendar(tz))


def _time(raw: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(raw))
    except ValueError as exc:
        raise ScheduleFileError(f"{where}: not a time HH:MM: {raw!r}") from exc


def _period(raw: Any, where: str) -> Period:
    try:
        return parse_period(str(raw))
    except ValueError as exc:
        raise ScheduleFileError(f"{where}: {exc}") from None


def _dates(raw: Any, where: str) -> frozenset[date]:
    try:
        return frozenset(date.fromisoformat(str(d)) for d in raw or [])
    except ValueError as exc:
        raise ScheduleFileError(f"{where}: not a date YYYY-MM-DD: {exc}") from exc


def load_schedule(path: Path, tz: ZoneInfo) -> Schedule:
    """Read and check the schedule file; any problem names the file and the key."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScheduleFileError(f"{path}: cannot read the schedule: {exc}") from exc
    try:
        return _schedule(data, tz)
    except ScheduleFileError as exc:
        raise ScheduleFileError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ScheduleFileError(f"{path}: malformed entry: {exc}") from exc


def _schedule(data: dict[str, Any], tz: ZoneInfo) -> Schedule:
    cal = data.get("calendar", {})
    office: tuple[Period, ...] = tuple(
        _period(p, "calendar.office_hours")
        for p in cal.get("office_hours", ["08:30-12:00", "14:30-18:00"])
    )
    quiet_raw = cal.get("quiet_hours", "21:00-07:30")
    calendar = WorkCalendar(
        tz=tz,
        office=office,
        quiet=_period(quiet_raw, "calendar.quiet_hours") if quiet_raw else None,
        extra_holidays=_dates(cal.get("extra_holidays"), "calendar.extra_holidays"),
        extra_workdays=_dates(cal.get("extra_workdays"), "calendar.extra_workdays"),
    )
    raw = data.get("reminders", {})
    defaults = Reminders()
    reminders = Reminders(
        **{
            name: type(getattr(defaults, name))(raw.get(name, getattr(defaults, name)))
            for name in Reminders.__dataclass_fields__
        }
    )
    if reminders.per_person_daily_cap < 1:
        raise ScheduleFileError("reminders.per_person_daily_cap: must be at least 1")
    briefing = data.get("briefing", {})
    empty = str(briefing.get("empty", "line"))
    if empty not in ("line", "none"):
        raise ScheduleFileError(f'briefing.empty: must be "line" or "none", not {empty!r}')
    patrol = data.get("patrol", {})
    meetings = tuple(_meeting(m, n) for n, m in enumerate(data.get("meeting", []), start=1))
    alerts = data.get("alerts", {})
    colors = alerts.get("colors", {})
    return Schedule(
        calendar=calendar,
        reminders=reminders,
        catch_up_until=_time(briefing.get("catch_up_until", "12:00"), "briefing.catch_up_until"),
        empty_briefing=empty,
        patrol_at=_time(patrol.get("remind_at", "17:00"), "patrol.remind_at"),
        patrol_alert_times=tuple(
            _time(t, "patrol.alert_times") for t in patrol.get("alert_times", ["11:00", "17:00"])
        ),
        meetings=meetings,
        alerts=Alerts(
            remind_minutes=int(alerts.get("remind_minutes", 30)),
            escalate_minutes=int(alerts.get("escalate_minutes", 60)),
            measures={str(k): str(v.get("measures", "")) for k, v in colors.items()},
        ),
    )


def _meeting(raw: dict[str, Any], n: int) -> Meeting:
    where = f"meeting #{n}"
    every = str(raw.get("every", "day"))
    if every not in ("day", "week", "month"):
        raise ScheduleFileError(f"{where}: every must be day, week or month, not {every!r}")
    weekday = int(raw.get("weekday", 1))
    if not 1 <= weekday <= 7:
        raise ScheduleFileError(f"{where}: weekday must be 1 (Monday) to 7")
    return Meeting(
        name=str(raw["name"]),
        levels=tuple(int(x) for x in raw.get("levels", [])),
        every=every,
        at=_time(raw.get("at", "09:00"), f"{where}.at"),
        remind_minutes=int(raw.get("remind_minutes", 30)),
        weekday=weekday,
    )
