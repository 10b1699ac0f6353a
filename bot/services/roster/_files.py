"""Reading a roster file (花名册): a CSV or .xlsx sheet into rows of trimmed text cells.

Only the file's shape is checked here (encoding, header); what the cells mean is checked by
`bot.services.roster_plan`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from bot.core.errors import UserError
from bot.services.roster import texts

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
_FIELDS = (
    "grid_code",
    "grid_name",
    "level",
    "parent_code",
    "room_topic",
    "name",
    "role",
    "wechat_id",
    "phone",
)


class RosterError(UserError):
    """The roster cannot be imported; the text says what to fix. Nothing was written."""


@dataclass(frozen=True)
class RosterRow:
    """One non-blank row of the file, every cell as trimmed text ("" when blank).

    `line` is the row number a spreadsheet shows (the header is row 1), for error messages.
    """

    line: int
    grid_code: str
    grid_name: str
    level: str
    parent_code: str
    room_topic: str
    name: str
    role: str
    wechat_id: str
    phone: str


def read_rows(path: Path) -> list[RosterRow]:
    """The data rows of a roster file (.csv in UTF-8, BOM optional, or .xlsx, first sheet).

    Raises RosterError when the file is missing, unreadable, empty or its header is wrong.
    """
    records = _records(path)
    numbered = [(line, cells) for line, cells in enumerate(records, start=1) if _filled(cells)]
    if not numbered:
        raise RosterError(texts.ROSTER_EMPTY.format(headers=",".join(HEADERS)))
    (_, header), *body = numbered
    columns = _columns(header)
    return [_row(line, cells, columns) for line, cells in body]


def cell_text(value: object) -> str:
    """A cell as text: spreadsheets hand numbers over as floats (13800000000.0, 3.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _filled(cells: Sequence[str]) -> bool:
    return any(cells)


def _records(path: Path) -> list[list[str]]:
    if not path.is_file():
        raise RosterError(texts.ROSTER_NO_FILE.format(name=path.name))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_records(path)
    if suffix == ".xlsx":
        return _xlsx_records(path)
    raise RosterError(texts.ROSTER_BAD_TYPE.format(name=path.name))


def _csv_records(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves "CSV" as GBK; accept it rather than fail on 乱码.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise RosterError(texts.ROSTER_UNREADABLE.format(name=path.name)) from exc
    try:
        return [[cell_text(c) for c in record] for record in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise RosterError(texts.ROSTER_UNREADABLE.format(name=path.name)) from exc


def _xlsx_records(path: Path) -> list[list[str]]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise RosterError(texts.ROSTER_UNREADABLE.format(name=path.name)) from exc
    try:
        sheet = workbook.worksheets[0]
        # Some writers store a wrong sheet size; without this, read-only mode trusts it and
        # silently drops rows or columns.
        sheet.reset_dimensions()
        return [_texts(values) for values in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _texts(values: Iterable[object]) -> list[str]:
    return [cell_text(v) for v in values]


def _columns(header: Sequence[str]) -> dict[str, int]:
    """Column index of each expected header; raises RosterError listing what is wrong."""
    given = [h for h in header if h]
    counts = Counter(given)
    missing = [h for h in HEADERS if h not in counts]
    extra = [h for h in given if h not in HEADERS]
    repeated = [h for h in HEADERS if counts[h] > 1]
    problems = []
    if missing:
        problems.append(texts.ROSTER_HEADER_MISSING.format(names="、".join(missing)))
    if extra:
        problems.append(texts.ROSTER_HEADER_EXTRA.format(names="、".join(extra)))
    if repeated:
        problems.append(texts.ROSTER_HEADER_REPEATED.format(names="、".join(repeated)))
    if problems:
        raise RosterError(
            texts.ROSTER_BAD_HEADER.format(problems="；".join(problems), headers=",".join(HEADERS))
        )
    return {h: header.index(h) for h in HEADERS}


def _row(line: int, cells: Sequence[str], columns: dict[str, int]) -> RosterRow:
    values = {
        field: cells[columns[header]] if columns[header] < len(cells) else ""
        for field, header in zip(_FIELDS, HEADERS, strict=True)
    }
    return RosterRow(line=line, **values)
