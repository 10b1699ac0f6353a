"""The command router: declarations drive the parser, usage, 「帮助」 and the README table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.core.messages import Reply
from bot.services.understanding.commands import Command
from handlers import texts
from handlers.context import Context
from handlers.dispatcher import ROOT
from handlers.router import Args, Router, command_table, help_text
from tests.harness import Harness

README = Path(__file__).resolve().parents[2] / "README.md"
TABLE = re.compile(r"<!-- commands:start -->\n(?P<table>.*?)\n<!-- commands:end -->", re.S)


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


def test_the_readme_command_table_is_the_declared_one() -> None:
    found = TABLE.search(README.read_text(encoding="utf-8"))
    assert found is not None, "README.md lacks the <!-- commands:start/end --> markers"
    assert found.group("table") == command_table(ROOT), (
        "README.md's command table differs from the declarations; paste this:\n"
        + command_table(ROOT)
    )


def test_help_lists_what_the_reader_may_use(bot: Harness) -> None:
    [member] = bot.say("一村群", "巡查员辛", "帮助")
    lines = member.text.splitlines()
    assert lines[0] == texts.HELP_HEADER
    shown = {spec.name for spec in ROOT.commands if f"· {spec.usage}：{spec.help}" in lines}
    assert {"accept", "resolve", "query", "extend", "appeal", "check_in", "todo"} <= shown
    assert not shown & {"close", "send_back", "supervise", "publish", "assign"}
    [admin] = bot.say("区平台群", "管理员乙", "帮助")  # a district admin may use every command
    assert admin.text == help_text(ROOT)
    for spec in ROOT.commands:
        assert f"· {spec.usage}：{spec.help}" in admin.text.splitlines()
    verbs = {verb for s in ROOT.commands for verb in s.verbs}
    assert {"受理", "办结", "销号", "核查通过", "退回", "交办", "延期", "申诉", "督办"} <= verbs
    assert {"待办", "超期", "统计", "查询", "照片", "帮助"} <= verbs


@pytest.mark.parametrize("text", ["@网格通", "@网格通 ", "@网格通\u2005"])
def test_a_bare_mention_of_the_bot_answers_with_help(bot: Harness, text: str) -> None:
    [reply] = bot.say_as("一村群", "wx_a_member", "巡查员辛", text, mentions_bot=True)
    assert reply.text == bot.say("一村群", "巡查员辛", "帮助")[0].text


def test_help_words_inside_chat_are_chat(bot: Harness) -> None:
    for text in ("帮助一下老王", "谁来帮助我们村", "怎么用这个表"):
        assert bot.say("一村群", "巡查员辛", text) == []
    # The bot always answers when @-mentioned: with help when nothing else fits.
    [thanks] = bot.say_as("一村群", "wx_a_member", "巡查员辛", "@网格通 辛苦了", mentions_bot=True)
    assert thanks.text.startswith(texts.HELP_HEADER) and "· 受理 工单编号" in thanks.text


def test_a_problem_told_to_the_bot_is_a_report_without_a_keyword(bot: Harness) -> None:
    text = "@网格通 东关街12号门口有人烧垃圾"
    [filed] = bot.say_as("一村群", "wx_a_member", "巡查员辛", text, mentions_bot=True)
    [ticket] = bot.tickets()
    assert ticket["location"] == "东关街12号门口" and str(ticket["code"]) in filed.text
    # A question to the bot about a kind of problem is still answered with help.
    for text in ("@网格通 秸秆焚烧怎么上报", "@网格通 地点怎么写"):
        [reply] = bot.say_as("一村群", "wx_a_member", "巡查员辛", text, mentions_bot=True)
        assert reply.text.startswith(texts.HELP_HEADER)
    assert len(bot.tickets()) == 1


def test_usage_comes_from_the_declaration(bot: Harness) -> None:
    for spec in ROOT.commands:
        if not spec.args.takes_code:
            continue
        [reply] = bot.say("一村群", "片长庚", spec.verbs[0])
        assert reply.text == f"用法：{spec.usage}，例如：{spec.example}"


def test_adding_a_command_is_one_declaration() -> None:
    router = Router("demo")
    root = Router("root")
    root.include(router)

    @router.command("催办", access=ROOT.by_name["accept"].access, example="催办 112201")
    def urge(ctx: Context, command: Command) -> list[Reply]:
        """提醒责任人尽快处置"""
        return []

    [spec] = root.commands
    assert (spec.name, spec.usage, spec.help) == ("urge", "催办 工单编号", "提醒责任人尽快处置")
    parsed = root.grammar.parse("催办 112201")
    assert parsed is not None and (parsed.verb, parsed.code) == ("urge", "112201")
    assert "`催办 112201`" in command_table(root)


def test_a_verb_declared_twice_is_refused() -> None:
    router = Router("twice")
    for name in ("one", "two"):

        def handler(ctx: Context, command: Command) -> list[Reply]:
            """说明"""
            return []

        handler.__name__ = name
        router.command("受理", args=Args.CODE, access=ROOT.by_name["accept"].access, example="x")(
            handler
        )
    with pytest.raises(ValueError, match="declared twice"):
        _ = router.grammar
