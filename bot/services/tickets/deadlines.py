"""Rectification deadlines (整改期限): reading the 期限 a patroller wrote, and the default.

A day given without a time of day ("11月25日", "明天", "周五前", "3个工作日") means 18:00 local
time, the end of the working day: the people who must rectify and verify work office hours, and
a deadline at midnight would pass unnoticed overnight. Durations ("2天", "48小时") count from now.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.errors import UserError
from bot.services.calendar.worktime import WorkCalendar, official_workday
from bot.services.runtime import Policy
from bot.services.tickets import texts
from bot.services.understanding.categories import Category, index_for

END_OF_WORKDAY = time(18, 0)
# 立即 / 马上: the category's urgent deadline.
URGENT = re.compile(r"(?:立即|马上|立刻|即刻)\S{0,6}")
# "1月5日" written in late November means next January; "11月20日" written on 11月22日 is a
# mistake to point out, not a deadline a year away.
NEXT_YEAR_AFTER = timedelta(days=61)
# Longer than anyone means; also keeps the working-day walk and date arithmetic bounded.
_MAX_DAYS = 366

_NUMBER = r"(?P<n>\d{1,4}|[零一二两三四五六七八九十]{1,3})"
_TIME = r"(?:(?P<ampm>上午|中午|下午|晚上)?(?P<hour>\d{1,2})(?::|时|点)(?P<minute>\d{1,2}|半)?分?)?"
_FRAME = re.compile(
    r"(?:截止到|截止|截至|限期|限|要求|必须|务必|于|在|到)*(?P<core>.*?)"
    r"(?:之前|以前|前|为止|之内|以内|内)?"
    r"(?:必须|务必|要)?(?:完成|整改|办结|处理|处置|清理|清运|清扫|取缔|撤掉|撤除|拆除|到位|完毕|完)*"
    r"[。.!]?"
)
_DURATION = re.compile(rf"{_NUMBER}个?(?P<unit>天|日|小时|钟头|h|hr|hrs|周|星期)")
_WORKDAYS = re.compile(rf"{_NUMBER}个?工作日")
_DATE = re.compile(
    rf"(?:(?P<year>\d{{4}})[-/.年])?(?P<month>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})[-/.月]"
    rf"(?P<day>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})[日号]?{_TIME}"
)
_RELATIVE_DAY = re.compile(rf"(?P<rel>今天|今日|明天|明日|后天|大后天|今晚|明晚)?{_TIME}")
_PERIOD_END = re.compile(r"(?P<which>本周|这周|本星期|这星期|月底|本月底|本月|这个月)")
_WEEKDAY = re.compile(
    rf"(?P<which>本|这|下)?个?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7]){_TIME}"
)

_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_DIGITS |= {"八": 8, "九": 9}
_DAYS_AHEAD = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_DAYS_AHEAD |= {"今晚": 0, "明晚": 1}
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def parse_deadline(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The deadline a patroller wrote, as an aware UTC datetime; `now` is aware UTC.

    Accepts durations ("2天", "两天", "3日", "48小时", "48h", "12个小时"), working days
    ("3个工作日": 18:00 on the 3rd working day after today, per the official holiday calendar),
    dates ("11月25日前", "11月25号", "2026-11-25", "11/25", "11月25日18时", "11月25日 18:00"),
    and days by name ("明天", "后天", "本周五", "周五前", "下周一"). A date or day without a
    time means 18:00 local. A month/day more than two months behind today means next year.
    Raises UserError with BAD_DEADLINE if unreadable, PAST_DEADLINE if past.
    """
    given = text.strip()
    frame = _FRAME.fullmatch(re.sub(r"\s+", "", unicodedata.normalize("NFKC", given).lower()))
    core = frame.group("core") if frame else ""
    local_now = now.astimezone(tz)
    due = None
    for parse in _PARSERS:
        try:
            due = parse(core, local_now)
        except (ValueError, OverflowError):  # "2月30日", "25点": shaped right, not a moment
            break
        if due is not None:
            break
    if due is None:
        raise UserError(texts.BAD_DEADLINE.format(given=given))
    if due <= now:
        raise UserError(texts.PAST_DEADLINE.format(given=given))
    return due.astimezone(UTC)


def default_deadline(
    category: Category,
    now: datetime,
    calendar: WorkCalendar | None = None,
    *,
    alert: bool = False,
) -> datetime:
    """The deadline when the report names none: the category's usual time from now.

    Counted in 工作时 / 工作日 when the category says so; during a heavy-pollution alert the
    category's alert deadline, if it has one.
    """
    if alert and category.alert_deadline is not None:
        return now + category.alert_deadline
    if calendar is not None and category.deadline_unit == "working_hours":
        return calendar.add_working_hours(now, category.deadline_amount)
    if calendar is not None and category.deadline_unit == "working_days":
        return calendar.add_working_days(now, category.deadline_amount)
    return now + category.deadline


def escalation_interval(
    policy: Policy, category_name: str, supervised: bool, *, at_top: bool = False
) -> timedelta:
    """The time between escalation steps: the category's own (burning cannot wait a day per
    level), else the deployment's; shorter under 督办. Once the top has been told, repeats
    come at the deployment's interval: a burning report unsolved for a week must not ping
    the district every two hours (measured in a simulated week: 105 pings)."""
    category = index_for(policy.categories).exact(category_name)
    own = category.escalation if category and not at_top else None
    base = own or policy.escalation_interval
    return base * policy.supervision_factor if supervised else base


def format_hours(delta: timedelta) -> str:
    """48, or 1.5: hours as a deadline setting reads them."""
    hours = delta.total_seconds() / 3600
    return f"{hours:g}"


def add_working_days(today: date, count: int) -> date:
    """The `count`-th working day after `today`, skipping weekends and official holidays."""
    day = today
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def is_working_day(day: date) -> bool:
    """Per the State Council holiday calendar, including make-up working weekends (调休);
    Mon–Fri for a year whose calendar is not published yet (`worktime.official_workday`)."""
    return official_workday(day)


def _duration(core: str, now: datetime) -> datetime | None:
    match = _DURATION.fullmatch(core)
    count = _number(match.group("n")) if match else None
    if match is None or not count:
        return None
    unit = match.group("unit")
    if unit in ("小时", "钟头", "h", "hr", "hrs"):
        return now + timedelta(hours=count) if count <= _MAX_DAYS * 24 else None
    days = count * 7 if unit in ("周", "星期") else count
    return now + timedelta(days=days) if days <= _MAX_DAYS else None


def _working_days(core: str, now: datetime) -> datetime | None:
    match = _WORKDAYS.fullmatch(core)
    count = _number(match.group("n")) if match else None
    if match is None or not count or count > _MAX_DAYS:
        return None
    return _at(add_working_days(now.date(), count), END_OF_WORKDAY, now)


def _calendar_date(core: str, now: datetime) -> datetime | None:
    match = _DATE.fullmatch(core)
    if match is None:
        return None
    month, day = _number(match.group("month")), _number(match.group("day"))
    if month is None or day is None:
        return None
    if match.group("year"):
        year = int(match.group("year"))
    else:
        today = now.date()
        behind = today - date(today.year, month, day)
        year = today.year + 1 if behind > NEXT_YEAR_AFTER else today.year
    return _at(date(year, month, day), _clock(match), now)


def _relative_day(core: str, now: datetime) -> datetime | None:
    match = _RELATIVE_DAY.fullmatch(core)
    if match is None or not (match.group("rel") or match.group("hour")):
        return None
    rel = match.group("rel") or "今天"
    clock = _clock(match, evening=rel in ("今晚", "明晚"))
    return _at(now.date() + timedelta(days=_DAYS_AHEAD[rel]), clock, now)


def _period_end(core: str, now: datetime) -> datetime | None:
    """本周内 (by Sunday), 月底前 (the month's last day), at the end of the working day."""
    match = _PERIOD_END.fullmatch(core)
    if match is None:
        return None
    today = now.date()
    if "周" in match.group("which") or "星期" in match.group("which"):
        return _at(today + timedelta(days=6 - today.weekday()), END_OF_WORKDAY, now)
    next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return _at(next_month - timedelta(days=1), END_OF_WORKDAY, now)


def _weekday(core: str, now: datetime) -> datetime | None:
    """本周五 is this Monday-to-Sunday week's Friday, 下周五 next week's, 周五 the next one."""
    match = _WEEKDAY.fullmatch(core)
    if match is None:
        return None
    name = match.group("wd")
    target = int(name) - 1 if name.isdigit() else _WEEKDAY_INDEX[name]
    today, clock = now.date(), _clock(match)
    monday = today - timedelta(days=today.weekday())
    which = match.group("which")
    if which in ("本", "这"):
        return _at(monday + timedelta(days=target), clock, now)
    if which == "下":
        return _at(monday + timedelta(days=7 + target), clock, now)
    due = _at(today + timedelta(days=(target - today.weekday()) % 7), clock, now)
    return due if due > now else due + timedelta(days=7)


_PARSERS: tuple[Callable[[str, datetime], datetime | None], ...] = (
    _duration,
    _working_days,
    _calendar_date,
    _relative_day,
    _weekday,
    _period_end,
)


def _clock(match: re.Match[str], evening: bool = False) -> time:
    """The time of day written after a date, or the end of the working day.

    下午/晚上 (or 今晚) move an hour before 12 into the afternoon; 中午 does for 1 and 2
    (中午1点 is 13:00, 中午12点 noon).
    """
    if match.group("hour") is None:
        return END_OF_WORKDAY
    hour, minute = int(match.group("hour")), match.group("minute") or "0"
    ampm = match.group("ampm")
    if ((ampm in ("下午", "晚上") or evening) and hour < 12) or (ampm == "中午" and hour <= 2):
        hour += 12
    return time(hour, 30 if minute == "半" else int(minute))


def _at(day: date, clock: time, now: datetime) -> datetime:
    """`day` at `clock` in the zone of `now` (local time)."""
    return datetime.combine(day, clock, tzinfo=now.tzinfo)


def _number(text: str) -> int | None:
    """Arabic or Chinese numerals up to 99 ("12", "两", "十二", "二十四")."""
    if text.isdigit():
        return int(text)
    tens, ten, ones = text.partition("十")
    if not ten:
        return _DIGITS.get(text) if len(text) == 1 else None
    tens_value = _DIGITS.get(tens) if tens else 1
    ones_value = _DIGITS.get(ones) if ones else 0
    if tens_value is None or ones_value is None or len(ones) > 1:
        return None
    return tens_value * 10 + ones_value
