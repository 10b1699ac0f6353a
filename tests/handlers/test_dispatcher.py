"""A report in a grid group opens a ticket; commands move it; strangers and chat get handled."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.core import texts
from bot.services.intake import texts as intake_texts
from bot.services.tickets import texts as ticket_texts
from bot.services.understanding import texts as report_texts
from handlers.dispatcher import Dispatcher
from models import db
from models.tables import (
    InboundMessage,
    Outbox,
    PatrolRecord,
    Ticket,
    TicketEvent,
    TicketSequence,
)
from tests.harness import Harness, end_connections

REPORT = "【问题上报】\n类型：散煤\n地点：一村3号楼东侧\n描述：居民使用燃煤炉取暖，冒黑烟"


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def count(engine: Engine, table: type) -> int:
    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())


def test_report_opens_ticket_and_mentions_head(bot: Harness) -> None:
    [reply] = bot.say("一村群", "巡查员辛", REPORT)
    assert reply.room == "一村群"
    assert reply.mentions == ("片长庚",)
    assert reply.text.startswith(
        "已登记工单 112201\n类型：散煤\n地点：一村3号楼东侧\n责任网格：一村一片"
    )
    assert "整改期限：11月24日 10:00" in reply.text  # 散煤: 48 hours, local time
    [ticket] = bot.tickets()
    assert ticket["code"] == "112201"
    assert ticket["status"] == "open"
    assert ticket["grid"] == "D-T1-V1-A"
    assert ticket["reporter"] == "巡查员辛"
    assert ticket["due_at"] == "2026-11-24T10:00:00+08:00"


def test_codes_are_short_and_sequential(bot: Harness) -> None:
    codes = [bot.report("一村群", "巡查员辛") for _ in range(3)]
    assert codes == ["112201", "112202", "112203"]
    bot.clock.advance(timedelta(days=1))
    assert bot.report("一村群", "巡查员辛") == "112301"


def test_grid_field_and_deadline_field(bot: Harness) -> None:
    reply, there = bot.say(
        "一镇群", "副镇长丁", "上报：类型：工地扬尘；地点：二村东口；网格：D-T2-V2；期限：2天"
    )
    assert "责任网格：二村" in reply.text
    # 村书记丑 reads 二村群, not 一镇群: he is pinged there.
    assert reply.mentions == () and there.room == "二村群" and there.mentions == ("村书记丑",)
    assert there.text.startswith("【新工单】副镇长丁在一镇群上报：")
    assert bot.tickets()[0]["due_at"] == "2026-11-24T10:00:00+08:00"


def test_a_grid_written_before_the_report_is_the_grid_not_the_place(bot: Harness) -> None:
    """「网格：一村一片 东关街12号门口路面积尘」: the grid is one word, the rest is the report."""
    for text in (
        "上报 网格：一村一片 东关街12号门口路面积尘",
        "上报 一村一片 东关街13号门口路面积尘",
    ):
        reply, *_ = bot.say("一镇群", "副镇长丁", text)
        assert "责任网格：一村一片" in reply.text and "请补充" not in reply.text
    assert [(t["location"], t["grid"]) for t in bot.tickets()] == [
        ("东关街12号门口", "D-T1-V1-A"),
        ("东关街13号门口", "D-T1-V1-A"),
    ]


def test_grid_without_head_is_said_plainly(bot: Harness) -> None:
    [reply] = bot.say("二村群", "巡查员寅", REPORT)
    assert "该网格未设网格长" in reply.text
    assert reply.mentions == ("村书记丑",)  # the head above is asked at once


def test_an_empty_report_gets_the_template_and_no_ticket(bot: Harness, engine: Engine) -> None:
    [reply] = bot.say("一村群", "巡查员辛", "【问题上报】")
    assert "类型" in reply.text and "地点" in reply.text
    assert report_texts.REPORT_TEMPLATE in reply.text
    assert count(engine, Ticket) == 0


def test_a_report_without_a_place_asks_for_it(bot: Harness, engine: Engine) -> None:
    [reply] = bot.say("一村群", "巡查员辛", "【问题上报】\n描述：有人烧东西")
    assert reply.text == ticket_texts.ASK_LOCATION.format(minutes=10)
    assert count(engine, Ticket) == 0


def test_an_unknown_category_is_filed_as_other_and_said(bot: Harness, engine: Engine) -> None:
    [reply] = bot.say("一村群", "巡查员辛", "上报：类型：外星人；地点：村口")
    assert "已登记工单" in reply.text and "类型：其他" in reply.text
    assert ticket_texts.ASSUMED_OTHER.format(given="外星人") in reply.text
    assert [t["category"] for t in bot.tickets()] == ["其他"]


def test_an_unreadable_deadline_keeps_the_default_and_says_so(bot: Harness, engine: Engine) -> None:
    [reply] = bot.say("一村群", "巡查员辛", "上报：类型：散煤；地点：村口；期限：下辈子")
    assert ticket_texts.ASSUMED_DEADLINE.format(given="下辈子", hours="48") in reply.text
    [ticket] = bot.tickets()
    assert ticket["due_at"] == "2026-11-24T10:00:00+08:00"


def test_ordinary_chat_gets_no_reply(bot: Harness, engine: Engine) -> None:
    for text in ["大家辛苦了", "报告领导，收到", "今天上报了三件", "受理了吗？"]:
        assert bot.say("一村群", "巡查员辛", text) == []
    assert count(engine, Outbox) == 0


def test_stranger_gets_one_polite_refusal_a_day(bot: Harness, engine: Engine) -> None:
    [reply] = bot.say("一村群", "路人", REPORT)
    assert reply.text == texts.NOT_IN_ROSTER
    assert bot.say("一村群", "路人", REPORT) == []
    assert count(engine, Ticket) == 0


def test_a_problem_told_in_passing_is_asked_about_once_and_filed_on_上报(bot: Harness) -> None:
    """No keyword, no @: 「要登记为工单吗？」, once; 「上报」 files what was told meanwhile."""
    [asked] = bot.say("一村群", "巡查员辛", "东关街17号院有一户还在烧煤炉子取暖，烟很大")
    assert asked.text.startswith("要登记为工单吗？散煤（东关街17号院）")
    assert bot.tickets() == []
    # Told again before the answer: kept with the first, not asked about twice.
    assert bot.say("一村群", "巡查员辛", "还有西街菜市场门口有人烧垃圾") == []
    assert bot.say("一村群", "stranger", "东关街18号院有人烧煤炉子，烟很大") == []
    # Nothing of his waits, and he heads no one who waits: how to write one.
    [how] = bot.say("一村群", "巡查员卯", "上报")
    assert how.text.startswith("请把问题的类型和地点写在「上报」后面")
    [filed] = bot.say("一村群", "巡查员辛", "上报")
    assert filed.text.startswith("已登记 2 件工单")
    assert sorted((t["category"], t["location"]) for t in bot.tickets()) == [
        ("散煤", "东关街17号院"),
        ("露天焚烧垃圾", "西街菜市场门口"),
    ]
    assert bot.say("一村群", "巡查员辛", "登记") == []  # used up


def test_the_same_kind_of_problem_at_another_place_is_another_problem(bot: Harness) -> None:
    [asked] = bot.say("一村群", "巡查员辛", "东关社区锅炉房烟囱冒黑烟")
    assert asked.text.startswith("要登记为工单吗？燃煤锅炉（东关社区锅炉房）")
    assert bot.say("一村群", "巡查员辛", "还有3号楼锅炉房烟囱也冒黑烟") == []
    assert bot.say("一村群", "巡查员辛", "就是东关社区锅炉房那个，还在冒黑烟") == []  # the first
    [filed] = bot.say("一村群", "巡查员辛", "上报")
    assert filed.text.startswith("已登记 2 件工单")
    assert sorted(str(t["location"]) for t in bot.tickets()) == ["3号楼锅炉房", "东关社区锅炉房"]


def test_a_head_answering_上报_files_what_a_member_told(bot: Harness) -> None:
    bot.say("一村群", "巡查员辛", "东关街洗车房污水直排，河里都黑了")
    # Another patroller heads no one: how to write a report, and the question still waits.
    [how] = bot.say("一村群", "巡查员卯", "上报")
    assert how.text.startswith("请把问题的类型和地点写在「上报」后面")
    [filed] = bot.say("一村群", "片长庚", "上报")  # the head of 巡查员辛's grid
    assert filed.text.startswith("已登记工单")
    [ticket] = bot.tickets()
    assert (ticket["category"], ticket["location"]) == ("水污染", "东关街洗车房")
    assert ticket["reporter"] == "巡查员辛"
    [how] = bot.say("一村群", "巡查员辛", "上报")  # used up
    assert how.text.startswith("请把问题的类型和地点")
    # The head of the group's grid may answer too, for anyone of it.
    bot.say("一村群", "巡查员卯", "村口有人烧秸秆，烟很大")
    [filed] = bot.say("一村群", "村书记戊", "上报")
    assert filed.text.startswith("已登记工单")
    assert bot.tickets()[-1]["reporter"] == "巡查员卯"


def test_a_head_filing_a_members_problem_without_a_place_gets_the_member_asked(
    bot: Harness,
) -> None:
    bot.say("一村群", "巡查员辛", "有人在烧秸秆，烟很大")
    bot.say("一村群", "巡查员卯", "东关街18号门口有人烧垃圾，烟很大")
    # Two wait, but 片长庚 heads only 巡查员辛's grid: his 「上报」 is for 辛.
    [ask] = bot.say("一村群", "片长庚", "上报")
    assert "请补充问题地点" in ask.text
    assert ask.mentions == ("巡查员辛",)  # whose place it is to give
    [filed] = bot.say("一村群", "巡查员辛", "村东头麦地")
    assert filed.text.startswith("已登记工单")
    [ticket] = bot.tickets()
    assert (ticket["location"], ticket["reporter"]) == ("村东头麦地", "巡查员辛")


def test_answering_the_question_by_quote_or_to_the_bot_files_once(bot: Harness) -> None:
    bot.say("一村群", "巡查员辛", "东关街17号院有一户还在烧煤炉子取暖，烟很大")
    # The same problem told again is kept once.
    bot.say("一村群", "巡查员辛", "就是17号院东头那户，还在烧煤炉子")
    quoted = "「网格通：要登记为工单吗？散煤（东关街17号院）」\n- - - - - - - - - - - - - - -\n上报"
    [filed] = bot.say("一村群", "巡查员辛", quoted)
    assert filed.text.startswith("已登记工单")
    assert [t["location"] for t in bot.tickets()] == ["东关街17号院"]
    [asked] = bot.say("一村群", "巡查员辛", "@马建国 西街38号饭店油烟直排，呛得很")
    assert "餐饮油烟（西街38号饭店）" in asked.text and asked.mentions == ("巡查员辛",)
    [filed] = bot.say("一村群", "巡查员辛", "@网格通 上报")
    assert filed.text.startswith("已登记工单")
    assert bot.tickets()[-1]["location"] == "西街38号饭店"


def test_a_place_with_letters_and_digits_completes_the_report(bot: Harness) -> None:
    [asked] = bot.say("一村群", "巡查员辛", "上报 有人烧垃圾")
    assert "请补充问题地点" in asked.text
    [filed] = bot.say("一村群", "巡查员辛", "东关花园A3栋楼下")  # names no ticket A3
    assert filed.text.startswith("已登记工单")
    assert bot.tickets()[0]["location"] == "东关花园A3栋楼下"


def test_group_talk_about_problems_is_not_asked_about(bot: Harness) -> None:
    for chat in (
        "小李，你去东关街12号看看，有人烧垃圾",
        "收到，马上去东关街看看那户烧煤的",
        "到现场了，确实有人在烧垃圾，正在劝",
        "有人知道东关街工地渣土车几点进场吗",
        "哈哈，我家那口子又在烧烤了，油烟很大",
        "我们这边在烧秸秆的地方是邻村的，不归我们",
        "请上报",
    ):
        assert bot.say("一村群", "巡查员辛", chat) == [], chat


def test_a_problem_told_in_passing_waits_ten_minutes_and_no_more(bot: Harness) -> None:
    [asked] = bot.say("一村群", "巡查员辛", "村口有人烧秸秆，烟很大")
    assert asked.text.startswith("要登记为工单吗？秸秆焚烧（村口）")
    bot.clock.advance(timedelta(minutes=11))
    [late] = bot.say("一村群", "巡查员辛", "上报")
    assert late.text.startswith("请把问题的类型和地点") and bot.tickets() == []
    # Chat about a case, a rule or work done is no new problem: no question.
    for chat in (
        "那家烧煤的我劝过了，说明天就换电暖器",
        "各村注意，今天起橙色预警，发现烧秸秆的立即制止并上报",
        "东关街17号院那个烧煤的上报了吗？",
        "二片区巡查完毕，无烧煤，无烧垃圾",
    ):
        assert bot.say("一村群", "巡查员辛", chat) == [], chat


def test_a_code_with_words_no_command_is_read_from_gets_what_can_be_done(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛", category="道路扬尘")
    [hint] = bot.say("一村群", "片长庚", f"{code} 这个不归我们管")
    assert hint.text.startswith(f"没看懂要对工单 {code}（待受理）做什么")
    assert f"申诉 {code} 原因" in hint.text
    assert bot.say("一村群", "片长庚", f"{code} 这个不归我们管") == []  # once a day
    assert bot.say("一村群", "片长庚", f"{code} 辛苦了") == []
    assert bot.say("一村群", "片长庚", "会议号 998877 明天九点") == []  # no such ticket
    assert bot.say("一村群", "stranger", f"{code} 这个不归我们管") == []
    assert bot.say("二村群", "村书记丑", f"{code} 这个不归我们管") == []  # not his to see


def test_unbound_room_is_ignored(bot: Harness, engine: Engine) -> None:
    assert bot.say("家族群", "巡查员辛", REPORT) == []
    assert count(engine, Ticket) == 0


def test_redelivered_message_is_handled_once(bot: Harness, engine: Engine) -> None:
    assert len(bot.say("一村群", "巡查员辛", REPORT, message_id="wx-1")) == 1
    assert bot.say("一村群", "巡查员辛", REPORT, message_id="wx-1") == []
    assert count(engine, Ticket) == 1
    assert count(engine, InboundMessage) == 1


def test_accepting_after_the_deadline_says_it_is_overdue(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛", category="道路扬尘")
    bot.clock.advance(timedelta(days=3, hours=2))  # 道路扬尘 has 24 hours
    [r] = bot.say("一村群", "片长庚", f"受理 {code}")
    assert r.text.startswith(f"工单 {code} 已受理（片长庚）")
    assert "已超期" in r.text and "请在" not in r.text
    assert f"延期 {code}" in r.text


def test_a_plan_or_a_question_about_finishing_resolves_nothing(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛", category="道路扬尘")
    for text in (f"{code} 什么时候能搞定", f"{code} 争取明天整改到位", f"{code} 还没整改到位"):
        [r] = bot.say("一村群", "片长庚", text)
        assert r.text.startswith(f"工单 {code}"), text
        assert bot.tickets()[0]["status"] == "open", text
    [done] = bot.say("一村群", "片长庚", f"{code} 搞定")
    assert bot.tickets()[0]["status"] == "resolved", done.text


def test_accept_resolve_close_by_the_right_people(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛", category="道路扬尘")
    [r] = bot.say("一村群", "片长庚", f"受理 {code}")
    assert r.text.startswith(f"工单 {code} 已受理（片长庚）")
    [r] = bot.say("一村群", "片长庚", f"受理 {code}")
    assert "已经受理过了" in r.text
    [r] = bot.say("一村群", "片长庚", f"销号 {code}")
    assert r.text == ticket_texts.NOT_ALLOWED_CLOSE.format(code=code)
    [r] = bot.say("一村群", "村书记戊", f"销号 {code}")
    assert r.text == ticket_texts.CLOSE_NEEDS_RESOLVED.format(code=code)
    [r] = bot.say("一村群", "巡查员辛", f"办结 {code} 已洒水清扫")
    # The verifier (the village head, in this same group) is asked, with a mention.
    assert r.text.startswith(f"【待核查】工单 {code} 已办结（一村一片，巡查员辛）")
    assert f"核查通过 {code}" in r.text and r.mentions == ("村书记戊",)
    [r] = bot.say("一村群", "村书记戊", f"销号 {code}")
    assert r.text == f"工单 {code} 已销号（村书记戊）。"
    assert bot.tickets()[0]["status"] == "closed"


def test_refusals_say_why(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛")
    [r] = bot.say("一村群", "片长癸", f"办结 {code} 处理了")  # a sibling grid's head
    assert r.text == ticket_texts.NOT_ALLOWED_RESOLVE.format(code=code, grid="一村一片")
    [r] = bot.say("二村群", "巡查员寅", f"受理 {code}")
    assert r.text == ticket_texts.NOT_ALLOWED_ACCEPT.format(code=code, grid="一村一片")
    [r] = bot.say("二村群", "巡查员寅", f"查询 {code}")
    assert r.text == ticket_texts.NOT_ALLOWED_QUERY.format(code=code)
    [r] = bot.say("一村群", "片长庚", "受理 999999")
    assert r.text == ticket_texts.TICKET_NOT_FOUND.format(code="999999")
    [r] = bot.say("一村群", "片长庚", f"办结 {code}")
    assert r.text == ticket_texts.RESOLVE_NEEDS_NOTE.format(code=code)
    [r] = bot.say("一村群", "片长庚", "办结")
    assert r.text.startswith("用法：办结 工单编号 处置情况")
    assert bot.tickets()[0]["status"] == "open"


def test_admin_may_close_anywhere(bot: Harness) -> None:
    code = bot.report("二村群", "巡查员寅", category="道路扬尘")
    bot.say("二村群", "村书记丑", f"办结 {code} 已劝导")
    [r] = bot.say("区平台群", "管理员乙", f"销号 {code}")
    assert r.text == f"工单 {code} 已销号（管理员乙）。"


def test_query_shows_status_and_history(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛")
    bot.clock.advance(timedelta(minutes=5))
    bot.say("一村群", "片长庚", f"受理 {code}")
    [r] = bot.say("一村群", "巡查员辛", f"查询 {code}")
    lines = r.text.splitlines()
    assert lines[0] == f"工单 {code}（处置中）"
    assert "地点：一村3号楼东侧" in lines
    assert "责任网格：一村一片（网格长：片长庚）" in lines
    assert lines[-2] == "· 11月22日 10:00 巡查员辛 上报"
    assert lines[-1] == "· 11月22日 10:05 片长庚 受理"


def test_a_bug_in_a_handler_apologises_and_writes_nothing(
    bot: Harness, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services.tickets import ledger as tickets

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tickets, "_info", boom)  # after the ticket and its event are written
    [r] = bot.say("一村群", "巡查员辛", REPORT, message_id="m-boom")
    assert r.text == texts.SORRY
    assert "disk" not in r.text
    assert count(engine, Ticket) == 0
    assert count(engine, TicketEvent) == 0
    assert count(engine, TicketSequence) == 0
    # The message itself is recorded, once: its redelivery gets nothing.
    assert count(engine, InboundMessage) == 1
    assert bot.say("一村群", "巡查员辛", REPORT, message_id="m-boom") == []


def test_a_refused_command_after_a_report_keeps_the_report(bot: Harness, engine: Engine) -> None:
    code = bot.report("一村群", "巡查员辛")
    [refused] = bot.say("二村群", "巡查员寅", f"更正 {code} 地点：别处")
    assert refused.text == ticket_texts.NOT_ALLOWED_CORRECT.format(code=code)
    [ticket] = bot.tickets()
    assert ticket["code"] == code and "别处" not in str(ticket["location"])
    assert count(engine, InboundMessage) == 2


def test_a_connection_lost_under_a_message_is_handled_again(
    pg_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    bot = Harness.on(pg_engine)
    inbound = bot.inbound("一村群", "巡查员辛", REPORT)
    assert end_connections(pg_engine) >= 1  # the pooled connection, in steady use, not pinged
    with caplog.at_level(logging.WARNING):
        queued = Dispatcher(bot.runtime).handle(inbound)
    assert len(queued) == 1
    assert "database connection lost" in caplog.text
    [reply] = bot.flush()
    assert reply.text.startswith("已登记工单 112201")
    assert count(pg_engine, Ticket) == 1


def test_an_idle_connection_is_pinged_and_replaced_before_use(
    pg_engine: Engine, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)  # every connection counts as idle
    bot = Harness.on(pg_engine)
    inbound = bot.inbound("一村群", "巡查员辛", REPORT)
    assert end_connections(pg_engine) >= 1
    with caplog.at_level(logging.WARNING):
        assert len(Dispatcher(bot.runtime).handle(inbound)) == 1
    assert "database connection lost" not in caplog.text  # no statement ever failed
    assert count(pg_engine, Ticket) == 1


def test_ambiguous_name_is_never_guessed(engine: Engine, tmp_path: Path) -> None:
    from tests.harness import TEST_ROSTER

    roster = tmp_path / "roster.csv"
    roster.write_text(
        TEST_ROSTER.read_text(encoding="utf-8")
        + "D-T1-V1-A,一村一片,4,D-T1-V1,,王芳,网格员,,13900000001\n"
        + "D-T1-V1-B,一村二片,4,D-T1-V1,,王芳,网格员,,13900000002\n",
        encoding="utf-8",
    )
    bot = Harness.on(engine, roster_file=roster)
    sent = bot.say_as("一村群", "wxid_wangfang_2", "王芳", REPORT)
    assert [(s.room, s.mentions) for s in sent] == [("一村群", ()), ("区平台群", ("管理员乙",))]
    assert sent[0].text == intake_texts.AMBIGUOUS_MEMBER.format(name="王芳")
    assert "请在花名册「微信号」一列为此人填写微信号" in sent[1].text
    assert bot.tickets() == []


def test_sender_bound_by_unique_name_is_remembered(bot: Harness) -> None:
    [r] = bot.say_as("一村群", "wxid_7f3k", "片长庚", REPORT)
    assert r.text.startswith("已登记工单")
    # Later the display name changes; the platform id is remembered.
    [r] = bot.say_as("一村群", "wxid_7f3k", "庚哥🌲", "受理 112201")
    assert r.text.startswith("工单 112201 已受理（片长庚）")


def test_a_place_sent_after_the_question_completes_the_report(bot: Harness, engine: Engine) -> None:
    [asked] = bot.say("一村群", "巡查员辛", "上报一下 有人烧秸秆 烟很大")
    assert asked.text == ticket_texts.ASK_LOCATION.format(minutes=10)
    bot.clock.advance(timedelta(minutes=3))
    [opened] = bot.say("一村群", "巡查员辛", "一村南地玉米田")
    assert opened.text.startswith("已登记工单 ")
    [ticket] = bot.tickets()
    assert (ticket["category"], ticket["location"]) == ("秸秆焚烧", "一村南地玉米田")
    # Used up: the same place again is chat.
    assert bot.say("一村群", "巡查员辛", "一村南地玉米田") == []


def test_a_place_after_the_window_or_from_someone_else_is_chat(
    bot: Harness, engine: Engine
) -> None:
    bot.say("一村群", "巡查员辛", "上报一下 有人烧秸秆")
    assert bot.say("一村群", "片长庚", "一村南地玉米田") == []
    assert bot.say("一村群", "stranger", "一村南地玉米田") == []
    bot.clock.advance(timedelta(minutes=11))
    assert bot.say("一村群", "巡查员辛", "地点：一村南地玉米田") == []
    assert count(engine, Ticket) == 0


def test_a_correction_by_the_reporter_is_recorded(bot: Harness) -> None:
    code = bot.report("一村群", "巡查员辛")
    [done] = bot.say("一村群", "巡查员辛", f"更正 {code} 地点：一村5号楼西侧")
    assert done.text == f"工单 {code} 已更正（巡查员辛）：地点：一村5号楼西侧。"
    [done] = bot.say("一村群", "巡查员辛", f"更正 {code} 类型：烧秸秆")
    assert [t["location"] for t in bot.tickets()] == ["一村5号楼西侧"]
    assert [t["category"] for t in bot.tickets()] == ["秸秆焚烧"]
    [history] = bot.say("一村群", "巡查员辛", f"查询 {code}")
    assert "更正：地点：一村3号楼东侧 → 一村5号楼西侧" in history.text
    [refused] = bot.say("二村群", "巡查员寅", f"更正 {code} 地点：别处")
    assert refused.text == ticket_texts.NOT_ALLOWED_CORRECT.format(code=code)
    [usage] = bot.say("一村群", "巡查员辛", f"更正 {code} 随便")
    assert usage.text == ticket_texts.CORRECT_USAGE.format(code=code)


def test_a_grid_by_short_name_near_the_sender_and_a_question_when_ambiguous(
    engine: Engine,
) -> None:
    from config.settings import DEMO_ROSTER

    demo = Harness.on(engine, roster_file=DEMO_ROSTER)
    [opened] = demo.say("东关社区环保网格群", "高静", "上报：二片区凤台东街口烧烤摊油烟很大")
    assert "责任网格：东关社区二片区" in opened.text
    [asked] = demo.say(
        "城区环保网格平台群", "赵立新", "【问题上报】类型：散煤\n地点：某街\n网格：二片区"
    )
    assert asked.text.startswith("「二片区」对应多个网格：")
    assert "北石店村二片区（CQ-BSD-01-02）" in asked.text


def test_a_code_of_the_same_day_last_year_is_skipped_not_reused(
    bot: Harness, engine: Engine
) -> None:
    now = bot.clock.now()
    bot.clock.set(now.replace(year=now.year - 1))
    old = bot.report("一村群", "巡查员辛")
    bot.clock.set(now)
    [reply] = bot.say("一村群", "巡查员辛", REPORT)
    assert old == "112201"
    assert reply.text.startswith("已登记工单 112202")  # 112201 is last year's
    with engine.connect() as c:
        events = c.execute(
            select(col(Ticket.code), col(TicketEvent.kind))
            .join(TicketEvent, col(TicketEvent.ticket_id) == col(Ticket.id))
            .order_by(col(TicketEvent.id))
        ).all()
        patrols = c.execute(select(func.count()).select_from(PatrolRecord)).scalar_one()
    assert [tuple(e) for e in events] == [("112201", "reported"), ("112202", "reported")]
    assert patrols == 2  # one a day: last year's and today's


def test_a_connection_lost_inside_the_handler_is_not_an_apology(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services.tickets import ledger

    bot = Harness.on(pg_engine)
    inbound = bot.inbound("一村群", "巡查员辛", REPORT)
    real = ledger.find_duplicate
    cut: list[int] = []

    def server_restarts_first(*args: object, **kwargs: object) -> object:
        if not cut:  # mid-transaction, the first time only
            cut.append(end_connections(pg_engine))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ledger, "find_duplicate", server_restarts_first)
    assert len(Dispatcher(bot.runtime).handle(inbound)) == 1
    [reply] = bot.flush()
    assert reply.text.startswith("已登记工单 112201")
    assert cut and count(pg_engine, Ticket) == 1


def test_the_warm_up_at_start_reads_a_report_and_commands_and_records_nothing(
    bot: Harness, engine: Engine
) -> None:
    from bot.services.understanding.reader import understand
    from handlers.dispatcher import ROOT, WARM_UP

    grammar, categories = ROOT.grammar, bot.runtime.policy.categories
    meanings = [understand(text, categories, grammar) for text in WARM_UP]
    assert meanings[0] is not None and meanings[0].reports  # the reader's report path
    assert all(m is not None and m.command is not None for m in meanings[1:])
    Dispatcher(bot.runtime).warm_up()
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(InboundMessage)).scalar() == 0
        assert c.execute(select(func.count()).select_from(Outbox)).scalar() == 0
