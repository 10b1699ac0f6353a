"""Working time on China's calendar: office hours, weekends, holidays, 调休, overrides."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.services.calendar.schedule import ScheduleFileError, load_schedule
from bot.services.calendar.worktime import WorkCalendar
from config.settings import DEFAULT_SCHEDULE

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar(TZ)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        ("2026-11-23T09:00", 2, "2026-11-23T11:00"),  # Monday morning
        ("2026-11-23T11:00", 2, "2026-11-23T15:30"),  # across the lunch break
        ("2026-11-23T17:00", 2, "2026-11-24T09:30"),  # across the night
        ("2026-11-22T10:00", 2, "2026-11-23T10:30"),  # from a Sunday
        ("2026-11-27T17:30", 1, "2026-11-30T09:00"),  # Friday evening to Monday
        ("2026-09-30T17:00", 2, "2026-10-08T09:30"),  # National Day: back on 8 October
        ("2026-02-13T17:00", 2, "2026-02-14T09:30"),  # Saturday 14 February is a 调休 workday
    ],
)
def test_working_hours(start: str, hours: float, expected: str) -> None:
    assert CAL.add_working_hours(at(start), hours) == at(expected)


def test_working_days_skip_weekends_and_holidays() -> None:
    assert CAL.add_working_days(at("2026-11-27T10:00"), 1) == at("2026-11-30T10:00")
    assert CAL.add_working_days(at("2026-09-30T10:00"), 1) == at("2026-10-08T10:00")


def test_a_year_the_package_does_not_know_uses_the_overrides() -> None:
    bare = WorkCalendar(TZ)
    assert bare.is_working_day(date(2027, 1, 1))  # a Friday: unknown year, Monday–Friday
    told = WorkCalendar(
        TZ,
        extra_holidays=frozenset({date(2027, 1, 1)}),
        extra_workdays=frozenset({date(2027, 1, 2)}),
    )
    assert not told.is_working_day(date(2027, 1, 1))
    assert told.is_working_day(date(2027, 1, 2))  # a Saturday made a working day


def test_quiet_hours_wrap_midnight() -> None:
    assert CAL.in_quiet_hours(at("2026-11-23T21:00"))
    assert CAL.in_quiet_hours(at("2026-11-24T07:29"))
    assert not CAL.in_quiet_hours(at("2026-11-24T07:30"))
    assert CAL.quiet_ends(at("2026-11-23T23:10")) == at("2026-11-24T07:30")
    assert CAL.quiet_ends(at("2026-11-24T03:00")) == at("2026-11-24T07:30")


def test_the_shipped_schedule_reads() -> None:
    schedule = load_schedule(DEFAULT_SCHEDULE, TZ)
    assert schedule.calendar.quiet is not None and schedule.calendar.quiet.start == time(21, 0)
    assert [m.name for m in schedule.meetings] == ["每日碰头会", "周调度会", "月度联席会议"]
    assert set(schedule.alerts.measures) == {"黄色", "橙色", "红色"}
    assert "50%" in schedule.alerts.measures["红色"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[calendar]\nquiet_hours = "21点到7点"\n', "quiet_hours"),
        ('[briefing]\nempty = "maybe"\n', "briefing.empty"),
        ('[[meeting]]\nname = "x"\nevery = "hourly"\n', "every must be"),
        ('[patrol]\nremind_at = "25:00"\n', "patrol.remind_at"),
        ("[calendar\n", "cannot read"),
    ],
)
def test_a_bad_schedule_names_the_file_and_the_key(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScheduleFileError) as error:
        load_schedule(path, TZ)
    assert str(path) in str(error.value) and named in str(error.value)
