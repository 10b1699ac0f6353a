"""Finding a roster's header row (表头) and telling its columns apart.

Clerks' sheets put a title row (merged across) above the headers, write 联系电话 for 手机,
mark required columns with * or （必填）, and add columns of their own (序号, 备注). The
header is the row among the first few that names the most known columns; what it names is
mapped to the nine fields, and everything else is ignored and reported.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.services.roster import texts
from bot.services.roster.report import RosterError

HEADERS = (
    "网格编码",
    "网格名称",
    "层级",
    "上级网格编码",
    "微信群",
    "姓名",
    "职务",
    "微信号",
    "手机",
)
# Every column is required: without 微信号 a row's person is matched by name among people
# without one, so leaving the column out would duplicate everyone who has a 微信号.
REQUIRED = HEADERS

# Other names clerks use for a column, compared after `normalized`.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "网格编码": ("网格代码", "编码", "网格编号"),
    "网格名称": ("网格", "网格名", "所属网格"),
    "层级": ("级别", "网格层级", "网格级别"),
    "上级网格编码": ("上级编码", "上级网格", "上级网格代码", "上级"),
    "微信群": ("群名", "群名称", "微信群名", "微信群名称", "所在群", "所在微信群"),
    "姓名": ("名字", "人员姓名", "网格员姓名"),
    "职务": ("职位", "岗位", "角色", "网格职务"),
    "微信号": ("微信", "微信id"),
    "手机": ("手机号", "手机号码", "联系电话", "电话", "电话号码", "联系方式"),
}
# A row naming fewer known columns than this is not a header (a title, a note, data).
MIN_KNOWN = 3
# Title rows and notes sit above the header; further down it is not looked for.
SEARCH_ROWS = 10

_MARKS = re.compile(r"\((必填|选填|必须|可选|可不填)\)|[*※]")
_NOTE = re.compile(r"\(.*?\)")


def normalized(cell: str) -> str:
    """A header cell as compared: half-width, no spaces, no required marks or notes."""
    text = unicodedata.normalize("NFKC", cell).casefold()
    text = "".join(text.split())
    text = _MARKS.sub("", text)
    return _NOTE.sub("", text)


def _known() -> dict[str, str]:
    known: dict[str, str] = {}
    for header in HEADERS:
        for name in (header, *SYNONYMS[header]):
            assert normalized(name) not in known, name  # a synonym must name one column
            known[normalized(name)] = header
    return known


KNOWN = _known()


@dataclass(frozen=True)
class Header:
    """The header row: its row number, the column of each field it has, what it ignores."""

    line: int
    columns: dict[str, int]  # header (one of HEADERS) -> column index
    ignored: tuple[str, ...]  # header cells that name no known column, as written


def find_header(numbered: Sequence[tuple[int, Sequence[str]]]) -> Header:
    """The header among the first non-blank rows; RosterError naming what is missing."""
    if not numbered:
        raise RosterError(texts.ROSTER_EMPTY.format(headers=",".join(HEADERS)))
    scores = [known_count(cells) for _, cells in numbered]
    best = max(range(len(numbered)), key=lambda i: (scores[i], -i))
    line, cells = numbered[best]
    if scores[best] < MIN_KNOWN:
        found = {KNOWN.get(normalized(c)) for c in cells}
        missing = "、".join(h for h in REQUIRED if h not in found)
        raise RosterError(texts.ROSTER_NO_HEADER.format(missing=missing, headers=",".join(HEADERS)))
    if best >= SEARCH_ROWS:
        raise RosterError(texts.ROSTER_HEADER_TOO_LOW.format(line=line))
    return _header(line, cells)


def known_count(cells: Sequence[str]) -> int:
    """How many known columns a row names (each column once)."""
    return len({KNOWN[n] for n in map(normalized, cells) if n in KNOWN})


def _header(line: int, cells: Sequence[str]) -> Header:
    columns: dict[str, int] = {}
    written: dict[str, list[str]] = {}
    ignored: list[str] = []
    for index, cell in enumerate(cells):
        header = KNOWN.get(normalized(cell))
        if header is None:
            if cell:
                ignored.append(cell)
            continue
        columns.setdefault(header, index)
        written.setdefault(header, []).append(cell)
    problems = []
    missing = [h for h in REQUIRED if h not in columns]
    if missing:
        problems.append(texts.ROSTER_HEADER_MISSING.format(names="、".join(missing)))
        if ignored:
            problems.append(texts.ROSTER_HEADER_UNKNOWN.format(names="、".join(ignored)))
    for header, names in written.items():
        if len(names) > 1:
            shown = "」「".join(names)
            problems.append(texts.ROSTER_HEADER_TWICE.format(names=shown, header=header))
    if problems:
        raise RosterError(
            texts.ROSTER_BAD_HEADER.format(
                line=line, problems="；".join(problems), headers=",".join(HEADERS)
            )
        )
    return Header(line=line, columns=columns, ignored=tuple(ignored))
