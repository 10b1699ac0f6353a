"""Defects a review found in the case flow, alerts and reminders; each reproduced first.

Same roster and clock as tests/handlers/test_caseflow.py (Sunday 22 November 2026, 10:00).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.services.tickets import texts as t
from models.tables import Ticket
from tests.harness import Harness, Sent


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def one(replies: list[Sent]) -> Sent:
    assert len(replies) == 1, replies
    return replies[0]


def road_dust(bot: Harness, where: str = "一村3号楼东侧") -> str:
    return bot.report("一村群", "巡查员辛", category="道路扬尘", location=where)


@pytest.mark.parametrize(
    "restart",
    [
        "退回 {code} 没扫干净 1天",
        "同意延期 {code}",
        "上报上级 {code} 协调不了",
    ],
)
def test_after_a_restart_the_chain_pings_again(bot: Harness, restart: str) -> None:
    """Step numbers never repeat: a ticket pinged once is pinged again after the restart."""
    code = road_dust(bot)  # due Monday 10:00
    [first] = bot.pings(timedelta(hours=24, minutes=1))
    assert first.mentions == ("村书记戊",)
    if restart.startswith("退回"):
        bot.say("一村群", "片长庚", f"办结 {code} 已洒水")
    if restart.startswith("同意延期"):
        bot.say("一村群", "片长庚", f"延期 {code} 1天 等车")  # to Tuesday 10:00
    bot.say("一村群", "村书记戊" if not restart.startswith("上报") else "片长庚",
            restart.format(code=code))  # fmt: skip
    pings = bot.pings(timedelta(days=2))
    assert pings and code in pings[0].text, restart


def test_nobody_decides_their_own_appeal_or_extension(bot: Harness) -> None:
    code = bot.report("一村群", "村书记戊")  # on 一村
    bot.say("一村群", "村书记戊", f"上报上级 {code} 村里协调不了")  # now on 一镇
    bot.say("一镇群", "镇长丙", f"申诉 {code} 不属于本镇")
    refused = one(bot.say("一镇群", "镇长丙", f"申诉通过 {code}"))
    assert refused.text == t.NOT_ALLOWED_DECIDE_APPEAL.format(code=code)
    assert bot.tickets()[0]["status"] == "appealed"
    assert "申诉通过" in bot.say("区平台群", "区长甲", f"申诉通过 {code}")[0].text
    second = road_dust(bot, "一村9号楼")
    bot.say("区平台群", "管理员乙", f"延期 {second} 1天 等车")
    own = one(bot.say("区平台群", "管理员乙", f"同意延期 {second}"))
    assert own.text == t.NOT_OWN_DECISION.format(code=second)


@pytest.mark.parametrize(
    ("setup", "command"),
    [
        ("延期 {code} 1天 等车", "同意延期 {code} "),
        ("申诉 {code} 不是问题", "申诉通过 {code} "),
        ("", "交办 {code} 一村工地 "),
    ],
)
def test_long_notes_are_refused_the_same_on_both_databases(
    bot: Harness, setup: str, command: str
) -> None:
    code = road_dust(bot)
    if setup:
        bot.say("一村群", "片长庚", setup.format(code=code))
    who, room = ("区长甲", "区平台群") if "申诉" in command else ("村书记戊", "一村群")
    reply = one(bot.say(room, who, command.format(code=code) + "很" * 4100))
    assert reply.text == t.TOO_LONG.format(field=t.FIELD_NOTE, limit=2000, given=4100)


def test_a_task_like_a_live_ticket_is_a_task_of_its_own(bot: Harness, engine: Engine) -> None:
    code = road_dust(bot)
    bot.say("一村群", "片长庚", f"办结 {code} 已洒水")
    bot.say("一镇群", "镇长丙", "交办 一村一片 道路扬尘 一村3号楼东侧 路面积尘 2天")
    rows = bot.tickets()
    assert len(rows) == 2 and rows[0]["source"] == "patrol" and rows[1]["source"] == "assigned"


def test_a_new_problem_keeps_the_grid_it_was_reported_for(bot: Harness) -> None:
    report = "【问题上报】类型：散煤 地点：一村5号楼东侧 网格：一村二片"
    bot.say("一村群", "村书记戊", report)
    bot.say("一村群", "村书记戊", report.replace("东侧", "东侧门口"))
    bot.say("一村群", "村书记戊", "新问题")
    assert [row["grid"] for row in bot.tickets()] == ["D-T1-V1-B", "D-T1-V1-B"]


def test_a_task_sent_down_is_not_reminded_at_once(bot: Harness) -> None:
    code = bot.report("一村群", "村书记戊")
    bot.say("一村群", "村书记戊", f"受理 {code}")
    bot.clock.advance(timedelta(days=1))  # Monday 10:00
    bot.say("一村群", "村书记戊", f"交办 {code} 一村一片 请片区处理")
    assert [s for s in bot.tick(timedelta(minutes=1)) if "待受理" in s.text] == []
    later = [s for s in bot.tick(timedelta(hours=3)) if "待受理" in s.text]
    assert len(later) == 1 and "登记已3小时" in later[0].text


def test_an_old_extension_request_cannot_shorten_the_deadline(bot: Harness, engine: Engine) -> None:
    code = road_dust(bot)
    bot.say("一村群", "片长庚", f"延期 {code} 1天 等车")  # asks for Tuesday 10:00
    bot.say("一村群", "片长庚", f"办结 {code} 已洒水")  # the request lapses
    bot.say("一村群", "村书记戊", f"退回 {code} 没扫干净 7天")
    reply = one(bot.say("一村群", "村书记戊", f"同意延期 {code}"))
    assert reply.text == t.NO_PENDING_EXTENSION.format(code=code)
    with Session(engine) as session:
        row = session.exec(select(Ticket).where(Ticket.code == code)).one()
    assert row.extensions == 0 and row.due_at - row.created_at == timedelta(days=7)


def test_alert_tallies_issuers_and_questions(bot: Harness) -> None:
    bot.say("区平台群", "区长甲", "发布预警 橙色 即日起至11月24日24时")
    assert bot.say("一村群", "村书记戊", "收到了吗？") == []  # a question, not a receipt
    bot.say("一镇群", "镇长丙", "收到")
    thirty = bot.tick(timedelta(minutes=30))
    chased = {s.room for s in thirty if s.text.startswith("【预警未确认】")}
    assert "区平台群" not in chased  # the issuer's own group has it already
    [first] = [s for s in thirty if s.text.startswith("【预警确认】")]
    assert first.text.endswith("已确认 2/5，未确认：二镇、一村、二村")
    bot.say("一村群", "村书记戊", "收到")
    sixty = bot.tick(timedelta(minutes=30))
    [second] = [s for s in sixty if s.text.startswith("【预警确认】")]  # the second tally too
    assert second.text.endswith("已确认 3/5，未确认：二镇、二村")
