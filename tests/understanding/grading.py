"""Grading the corpus: what a person would expect of each message, checked against the reader.

Used by tests/understanding/test_corpus.py (which asserts the targets) and by
bench/understanding.py (which prints the rates and the speed).
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.errors import UserError
from bot.services.tickets.deadlines import URGENT, parse_deadline
from bot.services.understanding.categories import Category, load_categories
from bot.services.understanding.reader import Understood, understand
from config.settings import DEFAULT_CATEGORIES
from handlers.dispatcher import ROOT

CORPUS = Path(__file__).parent / "corpus"
# Written by another hand from the domain only; most of its reports have no report keyword
# (a problem described in passing), which the bot leaves alone on purpose (see README).
SECOND = Path(__file__).parent / "corpus2"
# A fourth hand's corpus, written against the README's guide, with voice-to-text run-ons,
# greetings before 上报, lists and zero reports (used to tune the readers of December 2026).
FOURTH = Path(__file__).parent / "corpus4"
# The case-flow commands (交办, 延期, 申诉, 督办, 待办 …) and chat that uses the same words.
CASEFLOW = Path(__file__).parent / "corpus3"
TZ = ZoneInfo("Asia/Shanghai")
# Every corpus message is posted on Sunday 22 November 2026 at 10:00 in Shanghai.
AT = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
BOT_MENTION = "@网格通"


def corpus(folder: Path = CORPUS) -> list[dict[str, Any]]:
    lines = []
    for name in ("reports.jsonl", "commands.jsonl", "chat.jsonl"):
        if not (folder / name).exists():
            continue  # corpus3 has commands and chat only
        with (folder / name).open(encoding="utf-8") as fh:
            lines += [json.loads(line) for line in fh if line.strip()]
    return lines


def categories() -> tuple[Category, ...]:
    return load_categories(DEFAULT_CATEGORIES)


def read(text: str, cats: tuple[Category, ...]) -> Understood | None:
    return understand(text, cats, ROOT.grammar, mentions_bot=BOT_MENTION in text)


def _due(text: str | None, category: Category) -> str | None:
    if text is None:
        return None
    if URGENT.fullmatch(text.strip()):
        return "urgent"
    try:
        return parse_deadline(text, AT, TZ).astimezone(TZ).isoformat()
    except UserError:
        return None


def problems(line: dict[str, Any], got: Understood | None) -> list[str]:
    """What differs from what a person would expect (empty: handled right)."""
    expect = line["expect"]
    if expect == "chat":
        return [] if got is None else [f"answered chat: {got}"]
    if got is None:
        return ["silent miss"]
    if expect in ("command", "not_found"):
        verb = line.get("verb")
        if verb == "help":
            return (
                []
                if got.help or (got.command and got.command.verb == "show_help")
                else [f"not help: {got}"]
            )
        command = got.command
        if command is None:
            return [f"not a command: {got}"]
        wrong = []
        if command.verb != verb:
            wrong.append(f"verb {command.verb} != {verb}")
        expected = line.get("code")
        wanted = "" if expected is None else unicodedata.normalize("NFKC", str(expected))
        if (command.code or "").upper() != wanted.upper():
            wrong.append(f"code {command.code} != {expected}")
        return wrong
    if got.passing:  # told without 上报: the bot asks whether to file it
        return ["asked to file"]
    if expect == "question":
        if got.reports and all(r.location is None for r in got.reports):
            return []
        return [f"no question asked: {got}"]
    wanted = line["tickets"]
    if len(got.reports) != len(wanted) or any(r.location is None for r in got.reports):
        return [
            f"{len(got.reports)} reports {[(r.category_text, r.location) for r in got.reports]}"
        ]
    wrong = []
    for report, want in zip(got.reports, wanted, strict=True):
        name = report.category.name if report.category else "其他"
        if name != want["category"]:
            wrong.append(f"category {name} ({report.category_text}) != {want['category']}")
        if want["location"] not in (report.location or ""):
            wrong.append(f"location {report.location!r} lacks {want['location']!r}")
        if "deadline" in want and report.category is not None:
            due = _due(report.deadline_text, report.category)
            expected = want["deadline"]
            if expected != "urgent":
                expected = datetime.fromisoformat(expected).isoformat()
            if due != expected:
                wrong.append(f"deadline {report.deadline_text!r}={due} != {expected}")
    return wrong


@dataclass
class Grade:
    total: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    silent_misses: int = 0
    asked: int = 0  # reports told without 上报 that the bot asks whether to file
    failures: list[tuple[str, list[str]]] = field(default_factory=list)

    def rate(self, *kinds: str) -> float:
        total = sum(self.total[k] for k in kinds)
        return sum(self.right[k] for k in kinds) / total if total else 1.0


def grade(folder: Path = CORPUS) -> Grade:
    cats = categories()
    result = Grade()
    for line in corpus(folder):
        kind = {"not_found": "command", "question": "report"}.get(line["expect"], line["expect"])
        result.total[kind] += 1
        wrong = problems(line, read(line["text"], cats))
        if wrong:
            result.failures.append((line["text"], wrong))
            if wrong == ["silent miss"]:
                result.silent_misses += 1
            if wrong == ["asked to file"]:
                result.asked += 1
        else:
            result.right[kind] += 1
    return result
