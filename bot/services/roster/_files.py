"""Reading a roster file (花名册): CSV or .xlsx bytes into rows of clean text cells.

Only the file's shape is handled here (format, encoding, header, merged and repeated grid
cells); what the cells mean is checked by `_plan`.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePath

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from bot.services.roster import texts
from bot.services.roster._headers import HEADERS, MIN_KNOWN, find_header, known_count
from bot.services.roster.report import RosterError

__all__ = ["HEADERS", "RosterRow", "RosterSheet", "read_path", "read_roster"]

_FIELDS = dict(
    zip(
        HEADERS,
        (
            "grid_code",
            "grid_name",
            "level",
            "parent_code",
            "room_topic",
            "name",
            "role",
            "wechat_id",
            "phone",
        ),
        strict=True,
    )
)
# The cells that describe the grid; clerks write them once per grid and leave them blank on
# the rows below (or merge them), so a person's row without a 网格编码 takes the row above's.
GRID_FIELDS = ("grid_code", "grid_name", "level", "parent_code", "room_topic")
# Typed with a Chinese input method, codes and numbers come full-width (ＣＱ－０１, ２).
_HALF_WIDTH = {"grid_code", "level", "parent_code", "wechat_id", "phone"}
# No 微信号 or 手机 has spaces; a Chinese name's spaces only align it (张　伟).
_NO_SPACES = {"wechat_id", "phone"}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_OLE = b"\xd0\xcf\x11\xe0"  # the old .xls (and password-protected .xlsx) container
_ZIP = b"PK\x03\x04"


@dataclass(frozen=True)
class RosterRow:
    """One non-blank row of the file, every cell as clean text ("" when blank).

    `line` is the row number a spreadsheet shows (its first row is 1), for error messages.
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


@dataclass(frozen=True)
class RosterSheet:
    """The data rows, and what reading them left out or filled in (for the report)."""

    rows: list[RosterRow]
    skipped_rows: int  # non-blank rows above the header
    ignored_columns: tuple[str, ...]
    filled_rows: tuple[int, ...]  # rows whose grid cells were copied from the row above


def read_path(path: Path) -> RosterSheet:
    """`read_roster` of a file on disk; RosterError when it is missing."""
    if not path.is_file():
        raise RosterError(texts.ROSTER_NO_FILE.format(name=path.name))
    return read_roster(path.read_bytes(), path.name)


def read_roster(data: bytes, filename: str) -> RosterSheet:
    """The data rows of a roster (.csv in UTF-8 or GBK, or .xlsx: its first sheet with a header).

    The format is told by the content, else by `filename`. Raises RosterError when the file
    is of another format, unreadable, empty or has no usable header.
    """
    sheets = _sheets(data, filename)
    numbered = [[(n, cells) for n, cells in enumerate(s, start=1) if any(cells)] for s in sheets]
    records, filled = next(
        ((s, f) for s, f in zip(sheets, numbered, strict=True) if _has_header(f)),
        (sheets[0], numbered[0]),
    )
    header = find_header(filled)
    columns = {_FIELDS[h]: i for h, i in header.columns.items()}
    rows: list[RosterRow] = []
    copied: list[int] = []
    above: RosterRow | None = None
    for line, cells in enumerate(records[header.line :], start=header.line + 1):
        row = None if known_count(cells) >= MIN_KNOWN else _row(line, cells, columns)
        if row is None:  # a header repeated on every printed page counts as blank, too
            above = None  # a blank row ends a grid's block
            continue
        if above is not None and _continues(row, above):
            row = replace(row, **{f: getattr(above, f) for f in GRID_FIELDS})
            copied.append(line)
        if row.grid_code:
            above = row
        rows.append(row)
    return RosterSheet(
        rows=rows,
        skipped_rows=sum(1 for n, _ in filled if n < header.line),
        ignored_columns=header.ignored,
        filled_rows=tuple(copied),
    )


def cell_text(value: object) -> str:
    """A cell as text: spreadsheets hand numbers over as floats (13800000000.0, 3.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).translate(_INVISIBLE).strip()


def _has_header(numbered: Sequence[tuple[int, Sequence[str]]]) -> bool:
    return any(known_count(cells) >= MIN_KNOWN for _, cells in numbered)


def _continues(row: RosterRow, above: RosterRow) -> bool:
    """A person's row that leaves the grid blank (or repeats part of the row above's)."""
    return (
        bool(row.name)
        and not row.grid_code
        and all(getattr(row, f) in ("", getattr(above, f)) for f in GRID_FIELDS)
    )


def _row(line: int, cells: Sequence[str], columns: dict[str, int]) -> RosterRow | None:
    values = {f: _clean(f, cells[i]) if i < len(cells) else "" for f, i in columns.items()}
    if not any(values.values()):
        return None  # blank, or only cells of ignored columns (序号 numbered in advance)
    return RosterRow(line=line, **{f: values.get(f, "") for f in _FIELDS.values()})


def _clean(field: str, text: str) -> str:
    if field in _HALF_WIDTH:
        text = unicodedata.normalize("NFKC", text).strip()
    if field in _NO_SPACES or (field == "name" and _is_chinese(text)):
        text = "".join(text.split())
    return text


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _sheets(data: bytes, filename: str) -> list[list[list[str]]]:
    suffix = PurePath(filename).suffix.lower()
    if data.startswith(_OLE):
        if suffix == ".xlsx":
            raise RosterError(texts.ROSTER_ENCRYPTED.format(name=filename))
        raise RosterError(texts.ROSTER_XLS)
    if data.startswith(_ZIP) or suffix in (".xlsx", ".xlsm"):
        return _xlsx_sheets(data, filename)
    if suffix == ".xls":
        raise RosterError(texts.ROSTER_XLS)
    if suffix in (".csv", ".txt", ""):
        return [_csv_records(data, filename)]
    raise RosterError(texts.ROSTER_BAD_TYPE.format(name=filename))


def _csv_records(data: bytes, filename: str) -> list[list[str]]:
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")  # Excel's 「Unicode 文本」
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves "CSV" as GBK; accept it rather than fail on 乱码.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise RosterError(texts.ROSTER_UNREADABLE.format(name=filename)) from exc
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        return [[cell_text(c) for c in record] for record in reader]
    except csv.Error as exc:
        raise RosterError(texts.ROSTER_UNREADABLE.format(name=filename)) from exc


def _xlsx_sheets(data: bytes, filename: str) -> list[list[list[str]]]:
    try:
        # Not read-only: only a fully loaded sheet knows its merged cells.
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RosterError(texts.ROSTER_UNREADABLE.format(name=filename)) from exc
    try:
        return [_sheet_records(sheet) for sheet in workbook.worksheets] or [[]]
    finally:
        workbook.close()


def _sheet_records(sheet: Worksheet) -> list[list[str]]:
    """Every row's cells as text, each merged range filled with its top-left cell's value."""
    records = [_texts(values) for values in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        if merged.min_row > len(records):
            continue
        top = records[merged.min_row - 1]
        value = top[merged.min_col - 1] if merged.min_col <= len(top) else ""
        for record in records[merged.min_row - 1 : merged.max_row]:
            if len(record) < merged.max_col:
                record.extend([""] * (merged.max_col - len(record)))
            record[merged.min_col - 1 : merged.max_col] = [value] * (
                merged.max_col - merged.min_col + 1
            )
    return records


def _texts(values: Iterable[object]) -> list[str]:
    return [cell_text(v) for v in values]
