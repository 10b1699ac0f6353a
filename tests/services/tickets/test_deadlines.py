"""Deadlines as patrollers write them, read at a fixed moment in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import UserError
from bot.services.tickets.deadlines import (
    add_working_days,
    default_deadline,
    is_working_day,
    parse_deadline,
)
from bot.services.understanding.reports import Category

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Sunday 2026-11-22, 10:00 in Shanghai.
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
# Wednesday 2026-09-30, 10:00 in Shanghai: the last working day before National Day
# (10-01..10-07 off, Saturday 10-10 a make-up working day), all covered by chinese_calendar.
BEFORE_NATIONAL_DAY = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2天", utc(2026, 11, 24, 2)),
        ("两天", utc(2026, 11, 24, 2)),
        ("3日", utc(2026, 11, 25, 2)),
        ("3天内完成", utc(2026, 11, 25, 2)),
        ("48小时", utc(2026, 11, 24, 2)),
        ("48h", utc(2026, 11, 24, 2)),
        ("48H", utc(2026, 11, 24, 2)),
        ("12个小时", utc(2026, 11, 22, 14)),
        ("二十四小时", utc(2026, 11, 23, 2)),
        ("一周", utc(2026, 11, 29, 2)),
        # Mon 23, Tue 24, Wed 25 are the three working days after Sunday; due 18:00 local.
        ("3个工作日", utc(2026, 11, 25, 10)),
        ("三个工作日内", utc(2026, 11, 25, 10)),
        ("11月25日前", utc(2026, 11, 25, 10)),
        ("11月25日", utc(2026, 11, 25, 10)),
        ("11月25号", utc(2026, 11, 25, 10)),
        ("１１月２５日", utc(2026, 11, 25, 10)),
        ("2026-11-25", utc(2026, 11, 25, 10)),
        ("2026年11月25日", utc(2026, 11, 25, 10)),
        ("11/25", utc(2026, 11, 25, 10)),
        ("11月25日18时", utc(2026, 11, 25, 10)),
        ("11月25日 18:00", utc(2026, 11, 25, 10)),
        ("2026-11-25 9:30", utc(2026, 11, 25, 1, 30)),
        ("11月25日下午3点半", utc(2026, 11, 25, 7, 30)),
        ("截止11月30日", utc(2026, 11, 30, 10)),
        ("今天", utc(2026, 11, 22, 10)),
        ("今天下午5点", utc(2026, 11, 22, 9)),
        ("18点前", utc(2026, 11, 22, 10)),
        ("明天", utc(2026, 11, 23, 10)),
        ("明天12:00", utc(2026, 11, 23, 4)),
        ("后天", utc(2026, 11, 24, 10)),
        ("周五前", utc(2026, 11, 27, 10)),
        ("星期一", utc(2026, 11, 23, 10)),
        ("下周五", utc(2026, 11, 27, 10)),
        ("本周日", utc(2026, 11, 22, 10)),
        # Over two months behind today: the patroller means next year.
        ("1月5日", utc(2027, 1, 5, 10)),
        ("9月1日", utc(2027, 9, 1, 10)),
    ],
)
def test_reads_deadline(text: str, expected: datetime) -> None:
    due = parse_deadline(text, NOW, SHANGHAI)
    assert due == expected
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1个工作日", utc(2026, 10, 8, 10)),
        # 10-08 Thu, 10-09 Fri, 10-10 the make-up Saturday.
        ("3个工作日", utc(2026, 10, 10, 10)),
        ("4个工作日", utc(2026, 10, 12, 10)),
        ("2天", utc(2026, 10, 2, 2)),
    ],
)
def test_working_days_skip_national_day(text: str, expected: datetime) -> None:
    assert parse_deadline(text, BEFORE_NATIONAL_DAY, SHANGHAI) == expected


def test_this_weeks_day_on_a_monday() -> None:
    monday = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert parse_deadline("本周五", monday, SHANGHAI) == utc(2026, 11, 27, 10)


def test_weekday_today_after_the_hour_means_next_week() -> None:
    friday_evening = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)  # 19:00 local
    assert parse_deadline("周五前", friday_evening, SHANGHAI) == utc(2026, 12, 4, 10)


@pytest.mark.parametrize(
    "text",
    ["本周五", "11月20日", "11月22日 9:00", "2025-12-01", "今天上午9点", "9:00"],
)
def test_past_deadline(text: str) -> None:
    with pytest.raises(UserError) as raised:
        parse_deadline(text, NOW, SHANGHAI)
    assert raised.value.text == f"期限「{text}」已经过去了，请填写今后的时间。"


@pytest.mark.parametrize(
    "text",
    ["尽快", "马上", "0天", "2.5天", "2月30日", "13月1日", "25点", "99999天", "1000个工作日", ""],
)
def test_unreadable_deadline(text: str) -> None:
    with pytest.raises(UserError) as raised:
        parse_deadline(f" {text} ", NOW, SHANGHAI)
    assert raised.value.text == (
        f"看不懂期限「{text}」。请写成「2天」「48小时」「3个工作日」或「11月25日前」。"
    )


def test_working_days_past_the_published_calendar_count_monday_to_friday() -> None:
    # chinese_calendar raises for years it has no data for; 2099 will stay unpublished a while.
    # Fri 2099-01-02 counts, the weekend does not, even though New Year would be a holiday.
    assert add_working_days(date(2098, 12, 31), 3) == date(2099, 1, 5)
    assert is_working_day(date(2099, 1, 1))
    assert not is_working_day(date(2099, 1, 3))


def test_make_up_saturday_is_a_working_day() -> None:
    assert is_working_day(date(2026, 10, 10))
    assert not is_working_day(date(2026, 10, 5))


def test_default_deadline_is_the_categorys_time_from_now() -> None:
    straw = Category(name="秸秆焚烧", synonyms=("烧秸秆",), deadline=timedelta(hours=4))
    assert default_deadline(straw, NOW) == utc(2026, 11, 22, 6)


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("明天中午1点", (11, 23, 13, 0)),  # was read as 01:00
        ("明天中午12点前", (11, 23, 12, 0)),
        ("今晚8点前", (11, 22, 20, 0)),
        ("今天下午3点前清扫完", (11, 22, 15, 0)),
        ("限期一周整改", (11, 29, 10, 0)),
        ("本周内", (11, 22, 18, 0)),  # 22 November 2026 is a Sunday
        ("月底前", (11, 30, 18, 0)),
        ("十二月五日前", (12, 5, 18, 0)),
        ("下周一前", (11, 23, 18, 0)),
        ("限48小时清理", (11, 24, 10, 0)),
        ("3日内整改到位", (11, 25, 10, 0)),
    ],
)
def test_deadlines_as_staff_write_them_in_a_report(
    text: str, local: tuple[int, int, int, int]
) -> None:
    month, day, hour, minute = local
    expected = datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)
    assert parse_deadline(text, NOW, SHANGHAI) == expected
