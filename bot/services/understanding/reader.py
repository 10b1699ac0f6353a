"""What a chat message is: a report, a command, a call for help, or ordinary chat.

One pure function over the text, so the dispatcher, the corpus test and the bench all read
messages the same way. Ordinary chat (most group traffic) is told apart without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.services.understanding._text import clean
from bot.services.understanding.categories import Category
from bot.services.understanding.commands import Command, Grammar
from bot.services.understanding.reports import (
    ParsedReport,
    nothing_to_report,
    read_addressed,
    read_cleaned,
    read_unmarked,
    says_nothing_found,
)


@dataclass(frozen=True)
class Understood:
    """A message that asks something of the bot (exactly one of the four is set)."""

    reports: tuple[ParsedReport, ...] = ()
    command: Command | None = None
    help: bool = False
    # A problem told in passing, without a report keyword: the bot asks whether to file it.
    passing: tuple[ParsedReport, ...] = ()


HELP = Understood(help=True)
# The command a keyworded message saying nothing was found is (see `nothing_to_report`).
ZERO_REPORT = "今日巡查无异常"


def understand(
    text: str, categories: Sequence[Category], grammar: Grammar, *, mentions_bot: bool = False
) -> Understood | None:
    """The message's meaning, or None for ordinary chat (which gets no reply).

    A report wins over a command, a command over help; a message that @-mentions the bot
    always gets an answer: a report when it tells of a problem, even without a keyword, and
    help when nothing else fits.
    """
    cleaned = clean(text)  # once: traditional folded, emoji codes dropped, quote set apart
    first = grammar.leading(cleaned.body, cleaned.quoted)
    free = first is not None and bool(first.note) and grammar.takes_text(first)
    if first is not None and (first.code is not None or (free and not cleaned.quoted)):
        # 「更正 112201 类型：… 地点：…」 and 「交办 一村二片 类型：…」 are no new reports
        return Understood(command=first)
    reports = read_cleaned(cleaned.body, categories)
    if reports:
        return _reported(reports, cleaned.body, categories, grammar)
    command = grammar.read(cleaned.body, cleaned.quoted)
    if command is not None:  # 「上报一下，120401已整改，复查无异常」 is the ticket's
        return Understood(command=command)
    if says_nothing_found(cleaned.body, categories):  # 「上报一下，今日巡查无异常」
        zero = grammar.read(ZERO_REPORT)
        if zero is not None:
            return Understood(command=replace(zero, note=cleaned.body))
    if not mentions_bot:
        passing = read_unmarked(cleaned.body, categories)
        return Understood(passing=tuple(passing)) if passing else None
    # 「@网格通 东关街12号门口有人烧垃圾」: told to the bot, a problem needs no keyword.
    addressed = None if cleaned.quoted else read_addressed(cleaned.body, categories)
    if not addressed:
        return HELP
    return _reported(addressed, cleaned.body, categories, grammar) or HELP


def _reported(
    reports: list[ParsedReport], body: str, categories: Sequence[Category], grammar: Grammar
) -> Understood | None:
    """Reports, unless the message says nothing was found (a zero report) or work was done."""
    nothing = nothing_to_report(body, categories)
    if nothing == "nothing":  # 「上报一下，今日无秸秆焚烧」 is a zero report, not a case
        zero = grammar.read(ZERO_REPORT)
        return Understood(command=replace(zero, note=body)) if zero else None
    if nothing == "done":  # 「上报一下，散煤清零工作已经完成」 tells the group, not the bot
        return None
    return Understood(reports=tuple(reports))


def body_of(text: str) -> str:
    """The message as the readers read it: folded, without a quoted message."""
    return clean(text).body
