"""Working time (工作时 / 工作日) and quiet hours, on China's official calendar.

Working days follow the State Council calendar (chinesecalendar, with its 调休 make-up days);
a year the package does not know yet is Monday–Friday unless `extra_holidays` and
`extra_workdays` in config/schedule.toml say otherwise. Working hours are the office hours of
those days (default 08:30-12:00 and 14:30-18:00). Quiet hours (default 21:00-07:30) are when
routine messages wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

# Longer than any deadline or interval anyone means; keeps the walks bounded.
_MAX_DAYS = 400


@lru_cache(maxsize=1 << 13)  # 22 years of days
def official_workday(day: date) -> bool:
    """The State Council calendar's answer, once per day: the package checks each date
    against the range it knows with a min() and max() over every holiday it lists (20 µs a
    call), and a month's report asks for a working day 370,000 times (8 of its 17 s at a
    province's 1M tickets)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year whose calendar is not published in the package
        return day.weekday() < 5


@dataclass(frozen=True)
class Period:
    start: time
    end: time


def parse_period(text: str) -> Period:
    """「08:30-12:00」 → Period; raises ValueError with the text when it cannot be read."""
    try:
        first, second = (part.strip() for part in text.replace("—", "-").split("-"))
        return Period(time.fromisoformat(first), time.fromisoformat(second))
    except ValueError as exc:
        raise ValueError(f"not a period HH:MM-HH:MM: {text!r}") from exc


@dataclass(frozen=True)
class WorkCalendar:
    """Office hours on working days, plus the quiet hours of every day."""

    tz: ZoneInfo
    office: tuple[Period, ...] = (
        Period(time(8, 30), time(12, 0)),
        Period(time(14, 30), time(18, 0)),
    )
    quiet: Period | None = Period(time(21, 0), time(7, 30))
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        return official_workday(day)

    def add_working_days(self, at: datetime, days: float) -> datetime:
        """The same local time `days` working days later (whole days; a fraction rounds up)."""
        local = at.astimezone(self.tz)
        count = max(int(-(-days // 1)), 0)
        day = local.date()
        for _ in range(_MAX_DAYS):
            if count == 0:
                break
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return datetime.combine(day, local.timetz()).astimezone(at.tzinfo)

    def add_working_hours(self, at: datetime, hours: float) -> datetime:
        """`hours` of office time after `at` (time outside office hours does not count)."""
        left = timedelta(hours=hours)
        local = at.astimezone(self.tz)
        day = local.date()
        for _ in range(_MAX_DAYS):
            if self.is_working_day(day):
                for period in self.office:
                    start = datetime.combine(day, period.start, self.tz)
                    end = datetime.combine(day, period.end, self.tz)
                    begin = max(start, local)
                    if begin >= end:
                        continue
                    if begin + left <= end:
                        return (begin + left).astimezone(at.tzinfo)
                    left -= end - begin
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), self.tz)
        return at + timedelta(hours=hours)

    def in_quiet_hours(self, at: datetime) -> bool:
        if self.quiet is None:
            return False
        now = at.astimezone(self.tz).time()
        start, end = self.quiet.start, self.quiet.end
        return start <= now or now < end if start > end else start <= now < end

    def quiet_ends(self, at: datetime) -> datetime:
        """When the quiet hours `at` falls in are over (`at` itself when it is not quiet)."""
        if self.quiet is None or not self.in_quiet_hours(at):
            return at
        local = at.astimezone(self.tz)
        end = datetime.combine(local.date(), self.quiet.end, self.tz)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(at.tzinfo)
