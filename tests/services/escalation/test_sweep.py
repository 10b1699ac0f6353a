"""Overdue tickets climb the tree one level per interval, each step exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.services.escalation import sweep
from models.tables import Escalation
from tests.harness import Harness

DAY = timedelta(hours=24)


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def test_chain_climbs_five_levels_then_repeats_at_the_top(bot: Harness) -> None:
    code = bot.report("一村群", "工地负责人壬")  # a level-5 grid point; 散煤 = 48 h
    assert bot.pings(timedelta(hours=47, minutes=59)) == []
    [s1] = bot.pings(timedelta(minutes=2))
    assert (s1.room, s1.mentions) == ("一村群", ("片长庚",))
    assert s1.text.startswith(
        f"【超期提醒】工单 {code} 整改期限 11月24日 10:00，已超期1分钟，仍未办结。"
    )
    assert "责任网格：一村工地（网格长：工地负责人壬）" in s1.text
    assert bot.pings() == []  # the same moment again: nothing twice
    assert bot.pings(DAY - timedelta(seconds=1)) == []
    [s2] = bot.pings(timedelta(seconds=1))
    assert (s2.room, s2.mentions) == ("一村群", ("村书记戊",))
    [s3] = bot.pings(DAY)
    assert (s3.room, s3.mentions) == ("一镇群", ("镇长丙",))
    [s4] = bot.pings(DAY)
    assert (s4.room, s4.mentions) == ("区平台群", ("区长甲",))
    [s5] = bot.pings(DAY)
    assert (s5.room, s5.mentions) == ("区平台群", ("区长甲",))
    assert "（已提醒至最高一级，第2次）" in s5.text


def test_resolving_stops_escalation(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛")
    [first] = bot.pings(timedelta(hours=49))
    assert first.mentions == ("村书记戊",)
    bot.say("一村群", "片长庚", f"办结 {code} 已处理")
    assert bot.pings(DAY * 3) == []


def test_accepted_but_unresolved_still_escalates(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛")
    bot.say("一村群", "片长庚", f"受理 {code}")
    [ping] = bot.pings(timedelta(hours=49))
    assert code in ping.text


def test_late_sweep_after_downtime_sends_one_step_not_a_burst(bot: Harness) -> None:
    bot.report("一村群", "巡查员辛")
    [only] = bot.pings(timedelta(days=10))
    assert only.mentions == ("村书记戊",)
    [nxt] = bot.pings(DAY)
    assert nxt.mentions == ("镇长丙",)


def test_tickets_due_together_become_one_message_per_group(bot: Harness) -> None:
    codes = [bot.report("一村群", "巡查员辛", location=f"{n}号院") for n in range(3)]
    [ping] = bot.pings(timedelta(hours=49))
    assert ping.mentions == ("村书记戊",)
    assert ping.text.startswith(
        "【超期提醒】以下 3 件工单已超过整改期限仍未办结，请一村网格长督促处置："
    )
    for code in codes:
        assert code in ping.text


def test_two_sweeps_at_once_send_each_step_once(bot: Harness, engine: Engine) -> None:
    for n in range(20):
        bot.report("一村群", "巡查员辛", location=f"{n}号院")
    bot.clock.advance(timedelta(hours=49))
    barrier = threading.Barrier(2)
    results: list[list[int]] = []

    def run() -> None:
        barrier.wait()
        results.append(sweep.sweep(bot.runtime))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r) for r in results) == [0, 1]
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(Escalation)).scalar_one() == 20


def test_a_backlog_is_one_capped_message_per_head_not_a_flood(bot: Harness) -> None:
    for n in range(25):
        bot.report("一村群", "巡查员辛", location=f"{n}号院")
    [ping] = bot.pings(timedelta(days=3))
    lines = ping.text.splitlines()
    assert lines[0].startswith("【超期提醒】以下 25 件工单")
    assert sum(1 for line in lines if line.startswith("· ")) == 10
    assert lines[-1] == "……另有 15 件超期工单，请发送「查询 编号」查看。"
