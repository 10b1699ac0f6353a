"""Reminders before anyone is overdue, quiet hours, per-category intervals and the daily cap.

The harness starts on Sunday 22 November 2026, 10:00 Shanghai (not a working day).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.harness import Harness, Sent


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def kind(sent: list[Sent], mark: str) -> list[Sent]:
    return [s for s in sent if mark in s.text[:14]]


def report(bot: Harness, category: str, deadline: str = "", where: str = "一村3号楼东侧") -> str:
    extra = f"\n期限：{deadline}" if deadline else ""
    bot.say("一村群", "巡查员辛", f"【问题上报】\n类型：{category}\n地点：{where}{extra}")
    return str(bot.tickets()[-1]["code"])


def at(bot: Harness, day: int, hour: int, minute: int = 0) -> timedelta:
    """How far to move the clock to reach 11月<day>日 <hour>:<minute> Shanghai."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    target = datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))
    return target - bot.clock.now()


def test_the_head_is_reminded_once_before_a_long_deadline(bot: Harness) -> None:
    code = report(bot, "散煤")  # 48 h: due Tuesday 10:00
    bot.say("一村群", "片长庚", f"受理 {code}")
    assert kind(bot.tick(at(bot, 23, 9, 59)), "即将到期") == []
    [soon] = bot.tick(timedelta(minutes=1))  # Monday 10:00, 24 h before
    assert soon.room == "一村群" and soon.mentions == ("片长庚",)
    assert soon.text.startswith(
        f"【即将到期】工单 {code}（散煤｜一村3号楼东侧）整改期限 11月24日 10:00"
    )
    assert "还剩1天" in soon.text
    assert kind(bot.tick(timedelta(hours=12)), "即将到期") == []  # once


def test_a_short_deadline_is_reminded_two_hours_before(bot: Harness) -> None:
    report(bot, "道路扬尘")  # 24 h: due Monday 10:00
    bot.say("一村群", "片长庚", f"受理 {bot.tickets()[-1]['code']}")
    assert kind(bot.tick(at(bot, 23, 7, 59)), "即将到期") == []
    [soon] = kind(bot.tick(timedelta(minutes=1)), "即将到期")  # 08:00
    assert "还剩2小时" in soon.text


def test_not_accepted_after_two_working_hours(bot: Harness) -> None:
    code = report(bot, "散煤")  # Sunday 10:00: the two working hours end Monday 10:30
    assert kind(bot.tick(at(bot, 23, 10, 29)), "待受理") == []
    sent = bot.tick(timedelta(minutes=1))
    [waiting] = kind(sent, "待受理")
    assert waiting.text.startswith(f"【待受理】工单 {code}") and waiting.mentions == ("片长庚",)
    assert kind(bot.tick(timedelta(hours=3)), "待受理") == []


def test_two_reminders_at_once_are_one_message(bot: Harness) -> None:
    a = report(bot, "散煤")
    b = report(bot, "散煤", where="一村5号楼西侧")
    [both] = kind(bot.tick(at(bot, 23, 10, 30)), "【提醒】")  # due soon, not accepted: both
    assert both.text.startswith("【提醒】片长庚，您有 4 件事项：")
    assert all(code in both.text for code in (a, b)) and both.mentions == ("片长庚",)


def test_waiting_for_verification_reminds_then_climbs(bot: Harness) -> None:
    code = report(bot, "道路扬尘")
    bot.say("一村群", "片长庚", f"办结 {code} 已洒水")  # Sunday 10:00
    assert kind(bot.tick(at(bot, 23, 9, 59)), "待核查") == []
    [first] = kind(bot.tick(timedelta(minutes=1)), "待核查")  # one working day later
    assert (first.room, first.mentions) == ("一村群", ("村书记戊",))
    assert f"核查通过 {code}" in first.text
    [second] = kind(bot.tick(timedelta(days=1)), "待核查")  # Tuesday: one level up
    assert (second.room, second.mentions) == ("一镇群", ("镇长丙",))
    assert "村书记戊仍未核查" in second.text
    [third] = kind(bot.tick(timedelta(days=1)), "待核查")
    assert (third.room, third.mentions) == ("区平台群", ("区长甲",))
    assert kind(bot.tick(timedelta(days=1)), "待核查") == []  # the top: it stops
    bot.say("一村群", "村书记戊", f"核查通过 {code}")
    assert kind(bot.tick(timedelta(days=3)), "待核查") == []


def test_quiet_hours_hold_routine_pings_and_coalesce_them(bot: Harness) -> None:
    a = report(bot, "散煤", "今天21时30分")
    b = report(bot, "散煤", "今天22时", where="一村5号楼西侧")
    assert bot.pings(at(bot, 22, 21, 31)) == []  # due 21:30, but quiet from 21:00
    assert bot.pings(at(bot, 23, 7, 29)) == []
    [ping] = bot.pings(timedelta(minutes=1))  # 07:30: one message for both
    assert ping.text.startswith("【超期提醒】以下 2 件工单") and a in ping.text and b in ping.text


def test_burning_does_not_wait_and_climbs_every_two_hours(bot: Harness) -> None:
    bot.clock.advance(at(bot, 22, 21, 30))
    code = report(bot, "露天焚烧垃圾")  # 4 h: due 01:30
    [ping] = bot.pings(timedelta(hours=4, minutes=1))  # 01:31, in quiet hours
    assert code in ping.text and ping.mentions == ("村书记戊",)
    [again] = bot.pings(timedelta(hours=2))  # its own interval: 2 h, not 24
    assert again.mentions == ("镇长丙",)


def test_at_the_top_burning_repeats_daily_not_every_two_hours(bot: Harness) -> None:
    report(bot, "秸秆焚烧")  # 4 h: due 14:00; then every 2 h one level up, three levels
    pings = [bot.pings(timedelta(hours=4, minutes=1))]
    pings += [bot.pings(timedelta(hours=2)) for _ in range(2)]
    assert [p[0].mentions for p in pings] == [("村书记戊",), ("镇长丙",), ("区长甲",)]
    assert bot.pings(timedelta(hours=23)) == []  # the top is told again a day later, not sooner
    [again] = bot.pings(timedelta(hours=1))
    assert "第2次" in again.text


def test_supervised_tickets_do_not_wait_either(bot: Harness) -> None:
    code = report(bot, "散煤", "今天21时30分")
    bot.say("一镇群", "镇长丙", f"督办 {code}")
    [ping] = bot.pings(at(bot, 22, 21, 31))
    assert ping.text.startswith("【督办】【超期提醒】") and code in ping.text


def test_one_person_gets_at_most_the_daily_cap(engine: Engine) -> None:
    bot = Harness.on(engine)
    capped = replace(bot.runtime.policy.schedule.reminders, per_person_daily_cap=1)
    schedule = replace(bot.runtime.policy.schedule, reminders=capped)
    bot.runtime = replace(bot.runtime, policy=replace(bot.runtime.policy, schedule=schedule))
    code = report(bot, "散煤")
    bot.say("一村群", "片长庚", f"受理 {code}")
    assert len(kind(bot.tick(at(bot, 23, 10, 0)), "即将到期")) == 1  # today's one message
    later = report(bot, "散煤", where="一村9号楼")  # Monday 10:00: not accepted by 12:00
    assert kind(bot.tick(timedelta(hours=3)), "待受理") == []  # held: the cap is reached
    [held] = kind(bot.tick(at(bot, 24, 7, 30)), "待受理")  # the next day's first
    assert later in held.text


def test_two_sweeps_send_a_reminder_once(bot: Harness, engine: Engine) -> None:
    from bot.services.reminders import sweep

    report(bot, "散煤")
    bot.clock.advance(at(bot, 23, 10, 30))
    first, second = sweep.sweep(bot.runtime), sweep.sweep(bot.runtime)
    assert len(first) == 1 and second == []


def test_working_days_skip_the_national_day_holiday(bot: Harness) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    bot.clock.set(datetime(2026, 9, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    code = report(bot, "道路扬尘", where="一村8号楼")
    bot.say("一村群", "片长庚", f"办结 {code} 已洒水")
    sent = bot.tick(timedelta(days=7, hours=23))  # 8 October 09:00: still the holiday's wake
    assert kind(sent, "待核查") == []
    [due] = kind(bot.tick(timedelta(hours=1)), "待核查")  # 8 October 10:00, back at work
    assert code in due.text


def test_a_category_in_working_days_gets_its_deadline_on_the_calendar(bot: Harness) -> None:
    code = report(bot, "水污染", where="一村河道东段")  # Sunday 10:00, 3 working days
    [row] = [t for t in bot.tickets() if t["code"] == code]
    assert str(row["due_at"]).startswith("2026-11-25T10:00")  # Mon, Tue, Wed
