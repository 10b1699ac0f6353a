"""Heavy-pollution alerts: every group at once, receipts chased, a restart changes nothing.

Groups of the test roster: 区平台群 (测试区, 区长甲), 一镇群 (镇长丙), 二镇群 (镇长子),
一村群 (村书记戊), 二村群 (村书记丑). The harness starts on Sunday 22 November 2026, 10:00.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.services.alerts import texts
from handlers.texts import HELP_HEADER
from models.tables import AlertAck, Ticket
from tests.harness import Harness, Sent

GROUPS = {"区平台群", "一镇群", "二镇群", "一村群", "二村群"}
ISSUE = "发布预警 橙色 11月22日12时至11月24日24时 启动II级应急响应"


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def alerts(sent: list[Sent]) -> dict[str | None, Sent]:
    return {s.room: s for s in sent if s.text.startswith("【重污染天气")}


def test_an_alert_reaches_every_group_with_its_measures(bot: Harness) -> None:
    sent = bot.say("区平台群", "区长甲", ISSUE)
    assert sent[0].room == "区平台群" and sent[0].text.startswith("已向 5 个群发布橙色预警")
    got = alerts(sent)
    assert set(got) == GROUPS
    text = got["一村群"].text
    assert text.startswith("【重污染天气橙色预警】11月22日 12:00 至 11月25日 00:00")
    assert "启动II级应急响应" in text and "减排不少于30%" in text and "回复「收到」" in text


@pytest.mark.parametrize("who", ["镇长丙", "村书记戊", "巡查员辛"])
def test_only_the_district_issues_alerts(bot: Harness, who: str) -> None:
    room = {"镇长丙": "一镇群"}.get(who, "一村群")
    [refused] = bot.say(room, who, ISSUE)
    assert refused.text == texts.NOT_ALLOWED


def test_bad_alerts_are_explained(bot: Harness) -> None:
    [r] = bot.say("区平台群", "管理员乙", "发布预警 紫色 即日起至11月24日24时")
    assert r.text == texts.BAD_COLOR.format(given="紫色")
    [r] = bot.say("区平台群", "管理员乙", "发布预警 红色 11月24日至11月23日")
    assert r.text.startswith("预警结束时间")
    [r] = bot.say("区平台群", "管理员乙", "发布预警")
    assert r.text == texts.USAGE


def test_receipts_are_chased_then_escalated_and_tallied(bot: Harness, engine: Engine) -> None:
    bot.say("区平台群", "区长甲", ISSUE)
    [ack] = bot.say("一镇群", "镇长丙", "收到，马上部署")
    assert ack.text == "一镇已确认收到橙色预警（镇长丙）。"
    assert bot.say("一镇群", "镇长丙", "收到") == []  # once
    assert bot.say("一村群", "巡查员辛", "收到") == []  # not the group's head: chat
    bot.say("区平台群", "区长甲", "收到")
    assert [s for s in bot.tick(timedelta(minutes=29)) if "预警" in s.text] == []
    sent = bot.tick(timedelta(minutes=1))  # 30 minutes: the three who have not
    reminded = {s.room: s for s in sent if s.text.startswith("【预警未确认】")}
    assert set(reminded) == {"二镇群", "一村群", "二村群"}
    assert reminded["一村群"].mentions == ("村书记戊",)
    [tally] = [s for s in sent if s.text.startswith("【预警确认】")]
    assert tally.room == "区平台群"
    assert tally.text == "【预警确认】橙色预警已确认 2/5，未确认：二镇、一村、二村"
    bot.say("一村群", "村书记戊", "收到")
    later = bot.tick(timedelta(minutes=30))  # one hour: the parents of those still silent
    told = {s.room: s.mentions for s in later if s.text.startswith("【预警未确认】")}
    assert told == {"区平台群": ("区长甲",), "二镇群": ("镇长子",)}  # for 二镇 and 二村
    bot.say("二镇群", "镇长子", "收到")
    [done] = bot.say("二村群", "村书记丑", "已收到")[1:]
    assert (done.room, done.text) == ("区平台群", "【预警确认】橙色预警全部 5 个群已确认收到。")
    with Session(engine) as session:
        assert len(session.exec(select(AlertAck)).all()) == 5


def test_a_restart_in_the_middle_of_an_alert_neither_repeats_nor_skips(
    bot: Harness, engine: Engine
) -> None:
    bot.say("区平台群", "区长甲", ISSUE)
    first = bot.tick(timedelta(minutes=31))
    # Four: the issuer's own group (区平台群) has the alert from the start.
    assert len([s for s in first if s.text.startswith("【预警未确认】")]) == 4
    restarted = Harness(bot.runtime, bot.clock)  # a new process on the same database
    assert [s for s in restarted.tick(timedelta(minutes=1)) if "预警" in s.text] == []
    escalated = restarted.tick(timedelta(minutes=30))
    assert len([s for s in escalated if s.text.startswith("【预警未确认】")]) == 4  # to parents
    assert [s for s in restarted.tick(timedelta(minutes=30)) if "预警" in s.text] == []


def test_alerts_and_their_chase_ignore_quiet_hours(bot: Harness) -> None:
    bot.clock.advance(timedelta(hours=12, minutes=30))  # 22:30
    sent = bot.say("区平台群", "区长甲", "发布预警 红色 即日起至11月25日24时")
    assert set(alerts(sent)) == GROUPS
    assert "50%" in alerts(sent)["一村群"].text
    chased = bot.tick(timedelta(minutes=30))  # 23:00
    assert len([s for s in chased if s.text.startswith("【预警未确认】")]) == 4


def test_upgrade_and_lift(bot: Harness) -> None:
    bot.say("区平台群", "区长甲", ISSUE)
    bot.say("一镇群", "镇长丙", "收到")
    sent = bot.say("区平台群", "区长甲", "升级为红色")
    red = alerts(sent)
    assert set(red) == GROUPS and red["一镇群"].text.startswith("【重污染天气红色预警】")
    assert "（由橙色预警升级）" in red["一镇群"].text
    assert sent[0].text.startswith("已将橙色预警升级为红色预警")
    [ack] = bot.say("一镇群", "镇长丙", "收到")  # the upgrade is confirmed anew
    assert "红色预警" in ack.text
    [same] = bot.say("区平台群", "区长甲", "升级为红色")
    assert same.text == texts.SAME_COLOR.format(color="红色")
    lowered = bot.say("区平台群", "区长甲", "调整为黄色")  # the weather eases
    assert lowered[0].text.startswith("已将红色预警调整为黄色预警")
    assert "（由红色预警调整）" in alerts(lowered)["一镇群"].text
    lifted = bot.say("区平台群", "区长甲", "解除预警")
    assert lifted[0].text == "已解除黄色预警，已通知 5 个群。"
    assert {s.room for s in lifted[1:]} == GROUPS
    assert all(s.text.startswith("【预警解除】") for s in lifted[1:])
    assert bot.say("一镇群", "镇长丙", "收到") == []  # no alert: chat again
    assert bot.say("区平台群", "区长甲", "解除预警")[0].text == texts.NONE_ACTIVE


def test_during_an_alert_deadlines_shorten_and_patrols_are_due_twice(
    bot: Harness, engine: Engine
) -> None:
    bot.say("区平台群", "区长甲", "发布预警 橙色 即日起至11月24日24时")
    code = bot.report("一村群", "巡查员辛", category="工地扬尘")
    with Session(engine) as session:
        row = session.exec(select(Ticket).where(Ticket.code == code)).one()
    assert row.due_at - row.created_at == timedelta(hours=4)  # not the usual 24 h
    bot.say("一村群", "巡查员卯", "巡查打卡")
    bot.say("二村群", "巡查员寅", "巡查打卡")
    sent = bot.tick(timedelta(hours=1))  # 11:00: the first alert slot, all have records
    assert [s for s in sent if "巡查提醒" in s.text] == []
    later = bot.tick(timedelta(hours=6))  # 17:00: nobody patrolled since 11:00
    chased = {s.room: s for s in later if s.text.startswith("【预警期间巡查提醒】")}
    assert set(chased) == {"一村群", "二村群"}  # one message per group, however many grids
    assert "一村一片、一村二片" in chased["一村群"].text
    assert chased["一村群"].mentions == ("巡查员辛", "巡查员卯")


def test_a_receipt_that_mentions_the_bot_counts_too(bot: Harness) -> None:
    bot.say("区平台群", "区长甲", ISSUE)
    [ack] = bot.say_as("一镇群", "wx_t1_head", "镇长丙", "@网格通\u2005收到", mentions_bot=True)
    assert ack.text == "一镇已确认收到橙色预警（镇长丙）。"
    [help_text] = bot.say_as("一镇群", "wx_t1_head", "镇长丙", "@网格通 收到", mentions_bot=True)
    assert help_text.text.startswith(HELP_HEADER)  # confirmed already: the bot answers with help


def test_receipts_as_heads_type_them(bot: Harness) -> None:
    bot.say("区平台群", "区长甲", ISSUE)
    [ack] = bot.say("一镇群", "镇长丙", "好的，收到")
    assert ack.text == "一镇已确认收到橙色预警（镇长丙）。"
    [ack] = bot.say("一村群", "村书记戊", "一村收到[OK]")
    assert ack.text.startswith("一村已确认收到")
    # quoting the alert, then 收到
    quoted = "「网格通：【橙色预警】…回复「收到」确认」\n- - - - - - - - - - - - - - -\n收到"
    [ack] = bot.say("二村群", "村书记丑", quoted)
    assert ack.text.startswith("二村已确认收到")
    for asked in ("我没收到", "是否收到", "二镇收到了吧", "请各村收到后回复", "未收到"):
        assert bot.say("二镇群", "镇长子", asked) == [], asked  # asks or says no: no receipt
    [ack, *_] = bot.say("二镇群", "镇长子", "收到，请各村落实")  # the last: the tally too
    assert ack.text.startswith("二镇已确认收到")
