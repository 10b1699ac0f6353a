"""Reading problem reports (上报) and ticket commands out of free-form group chat.

Pure functions, no database. What counts as a report:

* The message must *start* with the keyword, after optional whitespace, emoji and leading
  @mentions. Keywords: 上报, 问题上报, 报告; written bare, as ``#上报`` (``#上报#``), or in
  brackets ``【上报】`` / ``[上报]`` / ``〔上报〕``.
* ``#上报`` / ``【上报】`` (and the same for 问题上报) is always a report: the sender chose the
  report format, so if fields are missing the bot answers with the template.
* Bare ``上报`` / ``问题上报`` must be followed by a colon, whitespace or a line break, and the
  rest must contain a field key (``类型：…``) or start with a word that is exactly a category
  name or synonym (``上报 油烟 西街烧烤摊 …``). So 「上报了吗」「上报：今日巡查无异常」 are chat.
* 报告 in any form only counts when the rest *starts* with a field key (``报告：类型：散煤…``):
  it is an everyday word (「报告领导，收到」「【报告】今日巡查完毕」).
* Anything else — keyword mid-sentence, keyword glued to other text — is ordinary chat.

The bot must never answer ordinary chat, so every doubtful case falls on the side of "chat".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.services.understanding import texts
from bot.services.understanding._text import fold as _fold
from bot.services.understanding._text import term as _term
from bot.services.understanding._text import trim as _trim
from bot.services.understanding.categories import Category


@dataclass(frozen=True)
class ParsedReport:
    """The fields of a report as written; `category` is None when the text matched nothing."""

    category: Category | None
    category_text: str | None
    location: str | None
    description: str | None
    deadline_text: str | None
    grid_text: str | None

    @property
    def missing(self) -> tuple[str, ...]:
        """Chinese names of required fields that were not given, e.g. ("类型", "地点")."""
        missing = []
        if self.category_text is None:
            missing.append(texts.REPORT_FIELD_CATEGORY)
        if self.location is None:
            missing.append(texts.REPORT_FIELD_LOCATION)
        return tuple(missing)


_FIELD_KEYS = {
    "问题类型": "category", "类型": "category", "类别": "category",
    "问题地点": "location", "地点": "location", "位置": "location", "地址": "location",
    "问题描述": "description", "描述": "description", "情况": "description",
    "整改期限": "deadline", "期限": "deadline", "时限": "deadline",
    "责任网格": "grid", "所属网格": "grid", "网格": "grid",
}  # fmt: skip
_KEYS = "|".join(sorted(_FIELD_KEYS, key=len, reverse=True))
# Two ways a key starts a field. At the start of the body, of a line or after ";" it may be
# followed by a colon or a space ("类型 散煤"). After a comma, 、 or a space it needs a colon,
# so a description like "烟很大，情况 严重" is not cut in two.
_FIELD = re.compile(
    rf"(?:^|(?<=[\n;]))[^\S\n]*(?P<line_key>{_KEYS})(?:[^\S\n]*:|[^\S\n]+(?=\S))"
    rf"|(?<=[\s,、])(?P<inline_key>{_KEYS})[^\S\n]*:"
)
_HEAD = re.compile(
    r"\s*(?:@\S+\s+)*(?P<open>[\[【〔#]?)\s*(?P<word>问题上报|上报|报告)(?:\s*(?P<close>[\]】〕#]))?"
)
_AFTER_HEAD = re.compile(r"[^\S\n]*:?")
_WORD = re.compile(r"[^\s,;、]+")


def parse_report(text: str, categories: Sequence[Category]) -> ParsedReport | None:
    """Read a report out of a chat message; None when the message is not a report.

    Accepts key/value fields (``类型：散煤`` on lines or separated by ；/;, or by ， when each
    piece starts with a key) and the one-line form ``#上报 <类型> <地点> <描述>``. Values keep
    their text as written, trimmed of whitespace, emoji and separators. Text before the first
    key is used as the description when no 描述 field is given.
    """
    folded = _fold(text)
    head = _report_head(folded)
    if head is None:
        return None
    word, decorated, start = head
    body, body_folded = text[start:], folded[start:]
    spans = _field_spans(body_folded)
    if word == "报告":
        if not spans or body_folded[: spans[0][1]].strip():
            return None
    elif not decorated and not spans:
        first = _WORD.search(body_folded)
        if first is None or _exact_category(first.group(), categories) is None:
            return None
    values = _field_values(body, spans) if spans else _positional_values(body, body_folded)
    category_text = values.get("category")
    return ParsedReport(
        category=match_category(category_text, categories) if category_text else None,
        category_text=category_text,
        location=values.get("location"),
        description=values.get("description"),
        deadline_text=values.get("deadline"),
        grid_text=values.get("grid"),
    )


def match_category(text: str, categories: Sequence[Category]) -> Category | None:
    """The category a patroller's words name, or None.

    An exact name or synonym wins; otherwise the longest name or synonym contained in the text
    (「烧煤取暖」 → 散煤); otherwise the one category whose words contain the text, if only
    one does (「黑烟」 → 冒黑烟车辆). Case, width and spaces are ignored.
    """
    exact = _exact_category(text, categories)
    if exact is not None:
        return exact
    key = _term(text)
    if not key:
        return None
    terms = [(_term(word), cat) for cat in categories for word in (cat.name, *cat.synonyms)]
    contained = [(term, cat) for term, cat in terms if term and term in key]
    if contained:
        return max(contained, key=lambda pair: len(pair[0]))[1]
    # One character ("煤", "烟") names too many things to guess from.
    owners = {cat.name: cat for term, cat in terms if len(key) >= 2 and key in term}
    return next(iter(owners.values())) if len(owners) == 1 else None


def missing_fields_reply(report: ParsedReport) -> str:
    """The reply to a report lacking its category or location: what is missing, and the form."""
    if not report.missing:
        raise ValueError("report has all required fields")
    return texts.REPORT_MISSING.format(
        missing=texts.REPORT_FIELD_SEPARATOR.join(report.missing),
        template=texts.REPORT_TEMPLATE,
    )


def unknown_category_reply(report: ParsedReport, categories: Sequence[Category]) -> str:
    """The reply to a report whose category text matched no category: what was given, choices."""
    return texts.REPORT_UNKNOWN_CATEGORY.format(
        given=report.category_text,
        choices=texts.REPORT_FIELD_SEPARATOR.join(cat.name for cat in categories),
    )


def _report_head(folded: str) -> tuple[str, bool, int] | None:
    """(keyword, decorated?, where the body starts) when the text opens with a report keyword."""
    head = _HEAD.match(folded)
    if head is None:
        return None
    opening, closing = head.group("open"), head.group("close") or ""
    bracketed = opening not in ("", "#")
    if bracketed != (closing not in ("", "#")) or (closing == "#" and opening != "#"):
        return None
    after = folded[head.end() :]
    if not (bracketed or closing) and after and not (after[0].isspace() or after[0] == ":"):
        return None  # "上报了吗", "报告领导": the keyword runs on into a sentence
    body = _AFTER_HEAD.match(folded, head.end())
    assert body is not None  # the pattern matches the empty string
    return head.group("word"), bool(opening), body.end()


def _field_spans(folded: str) -> list[tuple[str, int, int]]:
    """(field, key start, value start) of each field key, first occurrence of each field."""
    spans: list[tuple[str, int, int]] = []
    for match in _FIELD.finditer(folded):
        field = _FIELD_KEYS[match.group("line_key") or match.group("inline_key")]
        # A repeated key ("情况 严重" inside a description) is text of the field before it.
        if all(field != seen for seen, _, _ in spans):
            spans.append((field, match.start(), match.end()))
    return spans


def _field_values(body: str, spans: list[tuple[str, int, int]]) -> dict[str, str]:
    ends = [key_start for _, key_start, _ in spans[1:]] + [len(body)]
    values: dict[str, str] = {}
    for (field, _, value_start), end in zip(spans, ends, strict=True):
        value = _trim(body[value_start:end])
        if value is not None:
            values[field] = value
    preamble = _trim(body[: spans[0][1]])
    if preamble is not None and "description" not in values:
        values["description"] = preamble
    return values


def _positional_values(body: str, folded: str) -> dict[str, str]:
    """The one-line form: category, location, then the rest of the message as description."""
    words = list(_WORD.finditer(folded))
    spans = [(word.start(), word.end()) for word in words[:2]]
    if len(words) > 2:
        spans.append((words[2].start(), len(body)))
    values: dict[str, str] = {}
    for field, (start, end) in zip(("category", "location", "description"), spans, strict=False):
        value = _trim(body[start:end])
        if value is not None:
            values[field] = value
    return values


def _exact_category(text: str, categories: Sequence[Category]) -> Category | None:
    key = _term(text)
    for cat in categories:
        if key and any(key == _term(word) for word in (cat.name, *cat.synonyms)):
            return cat
    return None
