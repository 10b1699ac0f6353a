"""The command router: every chat command is declared once, next to its handler.

In the manner of aiogram's routers, each feature module has a `Router` and declares its
commands with ``@router.command(...)``: the verbs and aliases, the argument grammar, who may
use it and an example; the handler's docstring gives the one-line help. The root router
includes the feature routers, and everything else is derived from the declarations: the
command grammar the parser uses, the dispatcher's table, the usage replies, 「帮助」 and the
README's command table. Decorators only record; nothing runs at import time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from bot.core.messages import Reply
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.states import Access
from bot.services.understanding.commands import Command, Grammar, Verb
from handlers import texts
from handlers.context import Context

CommandHandler = Callable[[Context, Command], list[Reply]]


class Args(StrEnum):
    """What follows the verb, as the usage line shows it."""

    NONE = ""
    CODE = "工单编号"
    CODE_NOTE = "工单编号 [说明]"
    CODE_TEXT = "工单编号 处置情况"
    CODE_FIELD = "工单编号 项目：新内容"
    CODE_REASON = "工单编号 原因"
    CODE_GRID = "工单编号 网格 原因"
    CODE_TIME = "工单编号 时长或日期 原因"
    CODE_REASON_DEADLINE = "工单编号 原因 [新期限]"
    ASSIGN = "网格 类型 地点 描述 [期限]（或：工单编号 网格）"
    PERIOD = "[本周|本月]"
    NOTE = "[情况]"
    TEXT = "内容"
    ALERT = "颜色 开始至结束 [说明]"
    COLOR = "颜色"

    @property
    def takes_code(self) -> bool:
        return self not in (Args.NONE, Args.PERIOD, Args.NOTE, Args.TEXT, Args.ALERT, Args.COLOR)

    @property
    def tail(self) -> re.Pattern[str] | None:
        """What may follow the verb when no code does."""
        if self is Args.PERIOD:
            return _PERIOD_TAIL
        if self is Args.COLOR:
            return _COLOR_TAIL
        if self in (Args.NOTE, Args.TEXT, Args.ALERT):
            return _FREE_TAIL
        return None

    @property
    def several(self) -> bool:
        """One command may name several tickets (「办结 112201 112202」)."""
        return self in (
            Args.CODE,
            Args.CODE_NOTE,
            Args.CODE_TEXT,
            Args.CODE_REASON,
            Args.CODE_REASON_DEADLINE,
        )

    @property
    def free(self) -> bool:
        """Text may follow the verb without a ticket code."""
        return self is Args.ASSIGN

    @property
    def ordered(self) -> bool:
        """The arguments have an order, so the verb counts only at the start."""
        return self in (Args.ASSIGN, Args.CODE_GRID, Args.CODE_TIME)


_PERIOD_TAIL = re.compile(r"本周|本月|今天|上周|上月|这周|这个月")
_COLOR_TAIL = re.compile(r"(?:红|橙|黄)色?(?:预警)?")
_FREE_TAIL = re.compile(r".+", re.S)


@dataclass(frozen=True)
class CommandSpec:
    """One declared command."""

    name: str
    verbs: tuple[str, ...]
    phrases: tuple[str, ...]
    args: Args
    access: Access
    example: str
    help: str
    handler: CommandHandler
    leading_only: bool = False
    # Decisions written after the code (「112201 申诉不成立 …」): only there, as whole words.
    decisions: tuple[str, ...] = ()
    # A long read (a report over a whole city): handled beside the message stream, not in it.
    slow: bool = False

    @property
    def usage(self) -> str:
        return f"{self.verbs[0]} {self.args.value}".strip()

    @property
    def who(self) -> str:
        return ticket_texts.ACCESS_NAMES[self.access]

    def usage_reply(self) -> Reply:
        return Reply(texts.COMMAND_USAGE.format(usage=self.usage, example=self.example))


class Router:
    """The commands of one feature, or (the root) of the whole bot."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._specs: list[CommandSpec] = []
        self._children: list[Router] = []

    def command(
        self,
        *verbs: str,
        args: Args = Args.CODE,
        access: Access,
        example: str,
        phrases: tuple[str, ...] = (),
        decisions: tuple[str, ...] = (),
        leading_only: bool = False,
        slow: bool = False,
    ) -> Callable[[CommandHandler], CommandHandler]:
        """Declare a command; the first verb is the one help and usage show.

        `phrases` are other ways people say it (已处理, 查一下): they count only together with
        a ticket code (written, or in a quoted bot message), never alone. `decisions` are
        ways of saying it right after the code that opens the message, as a whole word
        (「112201 申诉不成立 继续处置」, not 「112201 申诉成立与否要等区里定」). A `slow` command
        only reads, at length (a 月报 over a whole province): the messages behind it do not
        wait for it (see `Dispatcher.handle_taking`).
        """

        def record(handler: CommandHandler) -> CommandHandler:
            doc = (handler.__doc__ or "").strip()
            if not doc:
                raise ValueError(f"command {handler.__name__} needs a docstring (its help)")
            self._specs.append(
                CommandSpec(
                    name=handler.__name__,
                    verbs=verbs,
                    phrases=phrases,
                    args=args,
                    access=access,
                    example=example,
                    help=doc.splitlines()[0].rstrip("。"),
                    handler=handler,
                    leading_only=leading_only,
                    decisions=decisions,
                    slow=slow,
                )
            )
            return handler

        return record

    def include(self, *routers: Router) -> None:
        self._children.extend(routers)

    @property
    def commands(self) -> tuple[CommandSpec, ...]:
        """Every command of this router and of those it includes, in declaration order."""
        return tuple(self._walk())

    def _walk(self) -> Iterator[CommandSpec]:
        yield from self._specs
        for child in self._children:
            yield from child._walk()

    @cached_property
    def by_name(self) -> dict[str, CommandSpec]:
        specs = self.commands
        names = [spec.name for spec in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate command names in router {self.name}: {names}")
        return {spec.name: spec for spec in specs}

    @cached_property
    def grammar(self) -> Grammar:
        """The parser's vocabulary, compiled once from the declarations."""
        verbs = [
            Verb(
                word,
                spec.name,
                spec.args.takes_code,
                command_words=spec.verbs,
                leading_only=spec.args.ordered or spec.leading_only or word in spec.decisions,
                tail=spec.args.tail,
                tail_needs_sep=spec.args.tail is _FREE_TAIL,
                free=spec.args.free,
                whole=word in spec.decisions,
            )
            for spec in self.commands
            for word in (*spec.verbs, *spec.phrases, *spec.decisions)
        ]
        words = [verb.word for verb in verbs]
        if len(set(words)) != len(words):
            raise ValueError(f"a verb is declared twice in router {self.name}: {words}")
        return Grammar(verbs, asked="query" if "query" in self.by_name else None)


def help_text(router: Router, reach: set[Access] | None = None) -> str:
    """The 「帮助」 reply: how to report, then one line per command the reader may use
    (`reach`: the kinds of access they have; None: every command)."""
    lines = [texts.HELP_HEADER, texts.HELP_REPORT, texts.HELP_COMMANDS]
    for spec in router.commands:
        if reach is None or spec.access in reach:
            lines.append(texts.HELP_LINE.format(usage=spec.usage, help=spec.help))
    lines.append(texts.HELP_MORE)
    return "\n".join(lines)


def command_table(router: Router) -> str:
    """The README's command table (Markdown), so the README cannot drift from the code."""
    rows = ["| 命令 | 谁可以用 | 作用 |", "|---|---|---|"]
    rows += [f"| `{spec.example}` | {spec.who} | {spec.help} |" for spec in router.commands]
    return "\n".join(rows)
