"""Every bound group gets its subtree's figures once a day, also after a late start."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from tests.harness import Harness


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def by_room(sent: list) -> dict:
    return {s.room: s for s in sent}


def test_briefing_for_each_group_once_a_day(bot: Harness) -> None:
    # Sunday 10:00: two reports in 一村, one in 二村; one of 一村's gets resolved.
    a = bot.report("一村群", "巡查员辛", category="秸秆焚烧")  # 4 h deadline
    bot.report("一村群", "巡查员辛")
    b = bot.report("二村群", "巡查员寅")
    bot.say("二村群", "村书记丑", f"办结 {b} 已劝导")
    escalations = bot.pings(timedelta(hours=5))  # 15:00: the straw burning is overdue
    assert len(escalations) == 1
    bot.clock.advance(timedelta(hours=17, minutes=29))  # Monday 08:29
    assert bot.tick() == []
    sent = by_room(bot.tick(timedelta(minutes=1)))  # 08:30
    assert set(sent) == {"区平台群", "一镇群", "二镇群", "一村群", "二村群"}
    district = sent["区平台群"].text.splitlines()
    assert district[0] == "【每日简报】测试区 11月23日"
    assert district[1] == "昨日新增 3 件，昨日办结 1 件；当前未办结 2 件，其中超期 1 件。"
    assert district[2] == "超期工单："
    assert district[3].startswith(f"· {a} 秸秆焚烧 一村一片 网格长：片长庚 超期")
    village2 = sent["二村群"].text.splitlines()
    assert village2[1] == "昨日新增 1 件，昨日办结 1 件；当前未办结 0 件，其中超期 0 件。"
    assert village2[2] == "当前没有超期工单，请继续做好日常巡查。"
    assert bot.tick(timedelta(hours=3)) == []  # no second briefing that day
    nxt = [s for s in bot.tick(timedelta(days=1)) if s.text.startswith("【每日简报】")]
    assert len(nxt) == 5  # the next day's


def test_late_start_still_sends_todays_briefing_once(bot: Harness) -> None:
    sent = bot.tick(timedelta(hours=23))  # Monday 09:00, bot was down at 08:30
    assert len([s for s in sent if s.text.startswith("【每日简报】")]) == 5
    assert bot.tick() == []


def test_overdue_list_is_capped_at_ten(bot: Harness) -> None:
    for n in range(12):
        bot.report("一村群", "巡查员辛", category="秸秆焚烧", location=f"{n}号地")
    bot.clock.advance(timedelta(hours=22, minutes=30))  # Monday 08:30
    sent = by_room(bot.tick())
    lines = sent["一村群"].text.splitlines()
    assert sum(1 for line in lines if line.startswith("· ")) == 10
    assert lines[-1] == "……另有 2 件超期工单，请发送「查询 编号」查看。"
