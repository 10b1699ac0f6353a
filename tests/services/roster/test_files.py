"""Rosters as office clerks make them: a title above the header, their own column names and
extra columns, merged or blank grid cells, full-width spaces; old .xls files refused."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.services.roster.importer import (
    RosterError,
    apply_roster,
    import_roster,
    preview_roster,
)
from models.tables import Grid, Membership, Person

TITLE = "测试镇生态环境网格化管理花名册"
CLERK_HEADER = [
    "序号",
    "网格编码*",
    "网格名称（必填）",
    "层级",
    "上级网格编码",
    "微信群",
    "姓　名",
    "职务",
    "微信号",
    "联系电话",
    "备注",
]
XLS = "不支持 .xls 旧格式，请在 Excel 中“另存为” .xlsx 后再导入。"


CLERK_ROWS: list[list[object]] = [
    [1, "T", "测试镇", 1, None, "测试镇群", "镇长甲", "网格长", "wx_jia", 13800000001.0, None],
    [2, "T-01", "一村", 2, "T", "一村群", "村长乙", "网格长", None, 13800000002, "村支书"],
    [3, None, None, None, None, None, "\u3000网格员丙\u00a0", "网格员", None, 13800000003, None],
    [4, None, None, None, None, None, "网　格　员丁", " 网格员 ", "wx_ding", "", "新调入"],
    [5, "T-02", "二村", 2.0, "T", "二村群", "村长戊", "网格长", None, "13800000005", None],
    [6, *[None] * 10],  # numbered in advance, never filled in
]


def workbook(rows: list[list[object]], merged: list[str]) -> bytes:
    """A clerk's sheet: the title merged across, the header, `rows`, the `merged` ranges."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([TITLE])
    sheet.merge_cells("A1:K1")
    sheet.append(CLERK_HEADER)
    for row in rows:
        sheet.append(row)
    for cells in merged:
        sheet.merge_cells(cells)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def clerk_workbook() -> bytes:
    """The town's roster as its clerk keeps it: one village's cells merged over its 3 people."""
    return workbook(CLERK_ROWS, [f"{column}4:{column}6" for column in "BCDEF"])


def memberships(engine: Engine) -> list[tuple[str, str, str, str | None]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Grid.code, Person.name, Membership.role, Person.phone)
            .join(Membership, col(Membership.grid_id) == col(Grid.id))
            .join(Person, col(Person.id) == col(Membership.person_id))
        )
        return sorted(rows.all())


def test_a_clerks_xlsx_imports_as_the_sheet_shows(engine: Engine) -> None:
    report = apply_roster(engine, clerk_workbook(), "测试镇花名册.xlsx")

    assert memberships(engine) == [
        ("T", "镇长甲", "head", "13800000001"),
        ("T-01", "村长乙", "head", "13800000002"),
        ("T-01", "网格员丁", "member", None),
        ("T-01", "网格员丙", "member", "13800000003"),
        ("T-02", "村长戊", "head", "13800000005"),
    ]
    with Session(engine) as session:
        village = session.exec(select(Grid).where(Grid.code == "T-01")).one()
        ding = session.exec(select(Person).where(Person.name == "网格员丁")).one()
    assert (village.name, village.level, village.room_topic) == ("一村", 2, "一村群")
    assert ding.wechat_id == "wx_ding"
    assert report.summary() == (
        "花名册导入完成：网格 新增 3、更新 0、未变 0；人员 新增 5、更新 0；"
        "职务 新增 5、变更 0、移除 0。\n绑定微信群 3 个。\n"
        "已跳过表头上方 1 行（标题）。\n已忽略列：序号、备注。"
    )
    assert (report.skipped_rows, report.ignored_columns) == (1, ("序号", "备注"))
    assert [(c.name, c.after and c.after.grid_name, c.line) for c in report.added] == [
        ("镇长甲", "测试镇", 3),
        ("村长乙", "一村", 4),
        ("网格员丙", "一村", 5),
        ("网格员丁", "一村", 6),
        ("村长戊", "二村", 7),
    ]


def test_a_csv_with_a_title_line_and_grid_cells_left_blank(engine: Engine) -> None:
    text = (
        "测试镇网格化管理花名册,,,,,,,,,\n"
        "\n"
        "序号,网格代码,网格,级别,上级编码,所在群,名字,岗位,微信,手机号码\n"
        "1,T,测试镇,1,,测试镇群,镇长甲,网格长,wx_jia,\n"
        "2,T-01,一村,2,T,一村群,村长乙,网格长,,13800000002\n"
        "3,,,,,,网格员丙,网格员,,13800000003\n"
        "4,,一村,,,,网格员丁,网格员,,\n"
    )
    report = apply_roster(engine, text.encode("gb18030"), "花名册.csv")

    assert [m[:3] for m in memberships(engine)] == [
        ("T", "镇长甲", "head"),
        ("T-01", "村长乙", "head"),
        ("T-01", "网格员丁", "member"),
        ("T-01", "网格员丙", "member"),
    ]
    assert report.summary().splitlines()[2:] == [
        "已跳过表头上方 1 行（标题）。",
        "已忽略列：序号。",
        "网格编码为空的 2 行沿用了上一行的网格（第6、7行）。",
    ]


def test_a_header_below_a_long_preamble_is_pointed_at(engine: Engine) -> None:
    notes = "".join(f"填表说明第{i}条\n" for i in range(1, 12))
    text = notes + "网格编码,网格名称,层级,上级网格编码,微信群,姓名,职务,微信号,手机\n"
    with pytest.raises(RosterError) as error:
        preview_roster(engine, text.encode(), "r.csv")
    assert error.value.text == "花名册第12行像是表头，请删除第12行以上的标题行后再导入。"


@pytest.mark.parametrize("name", ["花名册.xls", "花名册.csv", "upload"])
def test_old_xls_is_refused_whatever_its_name(engine: Engine, name: str) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    with pytest.raises(RosterError) as error:
        preview_roster(engine, ole, name)
    assert error.value.text == XLS


def test_an_xlsx_is_read_by_its_content_whatever_its_name(engine: Engine) -> None:
    report = preview_roster(engine, clerk_workbook(), "upload")
    assert report.persons_added == 5


def test_the_first_sheet_with_a_header_is_read(engine: Engine, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["填表说明：每人每个网格一行。"])
    roster = book.create_sheet("花名册")
    roster.append(["网格编码", "网格名称", "层级", "上级网格编码", "微信群"])
    roster.append(["T", "测试镇", 1, None, "测试镇群"])
    book.save(tmp_path / "r.xlsx")
    with pytest.raises(RosterError) as error:
        import_roster(engine, tmp_path / "r.xlsx")
    assert error.value.text == (
        "花名册第1行的表头不对：缺少「姓名、职务、微信号、手机」。"
        "表头应为：网格编码,网格名称,层级,上级网格编码,微信群,姓名,职务,微信号,手机"
    )
    roster["F1"], roster["G1"], roster["H1"], roster["I1"] = "姓名", "职务", "微信号", "手机"
    roster["F2"], roster["G2"] = "镇长甲", "网格长"
    book.save(tmp_path / "r.xlsx")
    assert import_roster(engine, tmp_path / "r.xlsx").persons_added == 1


def test_excel_unicode_text_is_read(engine: Engine) -> None:
    lines = [
        "网格编码\t网格名称\t层级\t上级网格编码\t微信群\t姓名\t职务\t微信号\t手机",
        "T\t测试镇\t1\t\t测试镇群\t镇长甲\t网格长\twx_jia\t13800000001",
    ]
    report = apply_roster(engine, "\r\n".join(lines).encode("utf-16"), "花名册.txt")
    assert report.persons_added == 1
    assert memberships(engine) == [("T", "镇长甲", "head", "13800000001")]


def test_a_header_repeated_further_down_is_skipped(engine: Engine) -> None:
    header = "网格编码,网格名称,层级,上级网格编码,微信群,姓名,职务,微信号,手机\n"
    text = (
        header
        + "T,测试镇,1,,测试镇群,镇长甲,网格长,,\n"
        + header
        + "T,测试镇,1,,,镇员乙,网格员,,\n"
    )
    assert apply_roster(engine, text.encode(), "r.csv").memberships_added == 2
