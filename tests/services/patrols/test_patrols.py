"""Daily patrols (巡查打卡, 零报告), their reminder and the briefing's 零报告/未报告 lists;
meeting reminders and minutes. The harness starts on Sunday 22 November 2026, 10:00."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.tables import MeetingRecord, PatrolRecord
from tests.harness import Harness, Sent


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def at(bot: Harness, day: int, hour: int, minute: int = 0) -> timedelta:
    target = datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))
    return target - bot.clock.now()


def of(sent: list[Sent], mark: str) -> list[Sent]:
    return [s for s in sent if s.text.startswith(mark)]


def test_check_ins_are_recorded_once_and_answered(bot: Harness, engine: Engine) -> None:
    [r] = bot.say("一村群", "巡查员辛", "巡查打卡 东关街沿线已巡查")
    assert r.text == "已记录一村一片 11月22日巡查打卡（巡查员辛）：东关街沿线已巡查。"
    bot.say("一村群", "巡查员辛", "巡查打卡 又巡查了一遍")
    [z] = bot.say("一村群", "巡查员卯", "今日巡查无异常")
    assert z.text == "已记录一村二片 11月22日巡查零报告（巡查员卯）：未发现问题。"
    with Session(engine) as session:
        rows = session.exec(select(PatrolRecord.kind)).all()
    assert sorted(rows) == ["checkin", "zero"]
    assert bot.say("一村群", "巡查员辛", "巡查打卡了吗") == []  # chat


def test_grids_without_a_record_are_reminded_at_five(bot: Harness) -> None:
    bot.say("一村群", "巡查员辛", "巡查打卡")
    assert of(bot.tick(at(bot, 22, 16, 59)), "【巡查提醒】") == []
    sent = of(bot.tick(timedelta(minutes=1)), "【巡查提醒】")
    assert sorted((s.room, s.mentions) for s in sent) == [
        ("一村群", ("巡查员卯",)),  # 一村二片; 一村一片 has checked in
        ("二村群", ("巡查员寅",)),
    ]
    assert of(bot.tick(timedelta(hours=2)), "【巡查提醒】") == []  # once a day


def test_a_photo_or_a_report_counts_as_the_patrol(bot: Harness) -> None:
    bot.photo("一村群", "巡查员卯")  # belongs to no ticket: patrol evidence
    bot.report("二村群", "巡查员寅")
    bot.say("一村群", "巡查员辛", "打卡")
    assert of(bot.tick(at(bot, 22, 17, 0)), "【巡查提醒】") == []


def test_the_parent_sees_zero_reports_apart_from_missing_ones(bot: Harness) -> None:
    bot.say("一村群", "巡查员卯", "今日巡查无异常")
    sent = {s.room: s for s in bot.tick(at(bot, 23, 8, 30)) if s.text.startswith("【每日简报】")}
    village = sent["一村群"].text.splitlines()
    assert "昨日零报告：一村二片" in village
    assert "昨日未报告巡查：一村一片" in village


def test_meeting_reminders_go_to_their_levels_once(bot: Harness) -> None:
    sent = of(bot.tick(at(bot, 23, 7, 30)), "【会议提醒】")  # Monday, as quiet hours end
    assert sorted(s.room or "" for s in sent) == ["一村群", "一镇群", "二村群", "二镇群"]
    assert "08:00 召开每日碰头会" in sent[0].text
    weekly = of(bot.tick(timedelta(minutes=30)), "【会议提醒】")  # 08:00: the weekly, level 2
    assert sorted(s.room or "" for s in weekly) == ["一镇群", "二镇群"]
    assert "周调度会" in weekly[0].text
    assert of(bot.tick(timedelta(hours=2)), "【会议提醒】") == []
    # Tuesday 1 December is the month's first working day: the level-1 joint meeting.
    monthly = of(bot.tick(at(bot, 30, 23, 0) + timedelta(hours=8, minutes=30)), "【会议提醒】")
    [district] = [s for s in monthly if s.room == "区平台群"]
    assert "09:00 召开月度联席会议" in district.text


def test_no_meeting_reminder_on_a_sunday(bot: Harness) -> None:
    assert of(bot.tick(at(bot, 22, 11, 0)), "【会议提醒】") == []


def test_minutes_are_recorded(bot: Harness, engine: Engine) -> None:
    [r] = bot.say("一镇群", "镇长丙", "会议纪要 研究东关街散煤整治，明确三片区负责")
    assert r.text == "已记录一镇 11月22日会议纪要（镇长丙）。"
    [usage] = bot.say("一镇群", "镇长丙", "会议纪要")
    assert usage.text.startswith("请写明会议内容")
    with Session(engine) as session:
        [row] = session.exec(select(MeetingRecord)).all()
    assert row.note == "研究东关街散煤整治，明确三片区负责"
