"""Every bound group gets its subtree's figures once a day, in its window, and reads well."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.harness import Harness, Sent


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def briefings(sent: list[Sent]) -> dict[str | None, Sent]:
    return {s.room: s for s in sent if s.text.startswith("【每日简报】")}


GROUPS = {"区平台群", "一镇群", "二镇群", "一村群", "二村群"}


def test_briefing_for_each_group_once_a_day(bot: Harness) -> None:
    # Sunday 10:00: two reports in 一村, one in 二村; 二村's gets resolved.
    a = bot.report("一村群", "巡查员辛", category="秸秆焚烧")  # 4 h deadline
    bot.report("一村群", "巡查员辛")
    b = bot.report("二村群", "巡查员寅")
    bot.say("二村群", "村书记丑", f"办结 {b} 已劝导")
    assert len(bot.pings(timedelta(hours=5))) == 1  # 15:00: the straw burning is overdue
    bot.clock.advance(timedelta(hours=17, minutes=29))  # Monday 08:29
    assert briefings(bot.tick()) == {}
    sent = briefings(bot.tick(timedelta(minutes=1)))  # 08:30
    assert set(sent) == GROUPS
    district = sent["区平台群"].text.splitlines()
    assert district[:6] == [
        "【每日简报】测试区 11月23日",
        "昨日新增 3 件，昨日办结 1 件；当前未办结 2 件，其中超期 1 件；待核查 1 件。",
        "各下级网格（新增/未办结/超期/待核查）：",
        "· 一镇：2/2/1/0",
        "· 二镇：1/0/0/1",
        "超期工单：",
    ]
    assert district[6].startswith(f"· {a} 秸秆焚烧 一村一片 网格长：片长庚 超期")
    assert district[7:9] == ["待核查工单：", f"· {b} 散煤 二村一片 办结已22小时"]
    village2 = sent["二村群"].text.splitlines()
    assert (
        village2[1] == "昨日新增 1 件，昨日办结 1 件；当前未办结 0 件，其中超期 0 件；待核查 1 件。"
    )
    assert village2[-1] == "当前没有超期工单，请继续做好日常巡查。"
    assert briefings(bot.tick(timedelta(hours=3))) == {}  # no second briefing that day
    assert len(briefings(bot.tick(timedelta(days=1)))) == 5  # the next day's


def test_late_start_catches_up_only_in_the_morning(bot: Harness) -> None:
    sent = briefings(bot.tick(timedelta(hours=23)))  # Monday 09:00, bot was down at 08:30
    assert set(sent) == GROUPS
    assert briefings(bot.tick()) == {}
    # Down all Tuesday morning, back at 18:09: no "morning" briefing in the evening.
    assert briefings(bot.tick(timedelta(days=1, hours=9, minutes=9))) == {}
    assert len(briefings(bot.tick(timedelta(hours=14, minutes=21)))) == 5  # Wednesday 08:30


def test_a_group_with_nothing_gets_one_short_line(bot: Harness) -> None:
    bot.report("一村群", "巡查员辛")
    sent = briefings(bot.tick(timedelta(hours=22, minutes=30)))  # Monday 08:30
    assert sent["二镇群"].text == "【每日简报】二镇 11月23日：昨日无新增，当前无在办、无超期工单。"
    # 二村 has no tickets either, but its patrolling grid did not patrol yesterday.
    assert sent["二村群"].text.splitlines()[-2:] == [
        "昨日未报告巡查：二村一片",
        "当前没有超期工单，请继续做好日常巡查。",
    ]
    assert "昨日未报告巡查：一村二片" in sent["一村群"].text  # 一村一片 reported: it patrolled


def test_empty_groups_can_get_nothing(engine: Engine) -> None:
    from dataclasses import replace

    bot = Harness.on(engine)
    schedule = replace(bot.runtime.policy.schedule, empty_briefing="none")
    bot.runtime = replace(bot.runtime, policy=replace(bot.runtime.policy, schedule=schedule))
    bot.report("一村群", "巡查员辛")
    sent = briefings(bot.tick(timedelta(hours=22, minutes=30)))
    assert set(sent) == {"区平台群", "一镇群", "一村群", "二村群"}  # not 二镇群
    assert briefings(bot.tick(timedelta(minutes=1))) == {}  # the others are done, not retried


def test_overdue_list_is_capped_at_ten_and_supervised_first(bot: Harness) -> None:
    codes = [
        bot.report("一村群", "巡查员辛", category="秸秆焚烧", location=f"{n}号地")
        for n in range(12)
    ]
    bot.say("一镇群", "镇长丙", f"督办 {codes[-1]}")
    bot.clock.advance(timedelta(hours=22, minutes=30))  # Monday 08:30
    lines = briefings(bot.tick())["一村群"].text.splitlines()
    listed = lines[lines.index("超期工单：") + 1 :]
    assert listed[0].startswith(f"· 【督办】{codes[-1]}")
    assert sum(1 for line in listed if line.startswith("· ")) == 10
    assert "……另有 2 件超期工单，请发送「查询 编号」查看。" in listed
