"""What the office reads after an import or a preview: who joins, moves, leaves, and why a
file cannot be imported, row by row."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.services.roster.importer import (
    PersonChange,
    Post,
    RosterError,
    apply_roster,
    import_roster,
    preview_roster,
)
from config.settings import DEMO_ROSTER
from models.tables import Grid, Membership, Person
from tests.services.roster.test_files import CLERK_ROWS, clerk_workbook, workbook


def moved_and_removed() -> bytes:
    """The clerk's next version: 网格员丙 left, 网格员丁 moved to 二村 (whose cells are now
    merged over its two people), 村长乙 is now 副网格长."""
    first, village_head, _, _, second, _ = CLERK_ROWS
    rows: list[list[object]] = [
        first,
        [*village_head[:7], "副网格长", *village_head[8:]],
        [3, *second[1:]],
        [4, None, None, None, None, None, "网格员丁", "网格员", "wx_ding", None, None],
    ]
    return workbook(rows, [f"{column}5:{column}6" for column in "BCDEF"])


def stored(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.exec(select(func.count()).select_from(t)).one()
            for t in (Grid, Person, Membership)
        )


def test_a_reimport_names_who_moved_changed_and_left(engine: Engine) -> None:
    apply_roster(engine, clerk_workbook(), "花名册.xlsx")

    report = apply_roster(engine, moved_and_removed(), "花名册.xlsx")

    assert report.removed == (PersonChange("网格员丙", Post("T-01", "一村", "网格员"), None),)
    assert report.changed == (
        PersonChange("村长乙", Post("T-01", "一村", "网格长"), Post("T-01", "一村", "副网格长"), 4),
        PersonChange("网格员丁", Post("T-01", "一村", "网格员"), Post("T-02", "二村", "网格员"), 6),
    )
    assert report.added == ()
    assert report.text() == (
        "花名册导入完成：网格 新增 0、更新 0、未变 3；人员 新增 0、更新 3；"
        "职务 新增 1、变更 1、移除 2。\n"
        "绑定微信群 3 个。\n"
        "已跳过表头上方 1 行（标题）。\n"
        "已忽略列：序号、备注。\n"
        "职务或网格变动（2）：\n"
        "· 村长乙：一村（T-01）网格长 → 副网格长\n"
        "· 网格员丁：一村（T-01）网格员 → 二村（T-02）网格员\n"
        "移出网格（1）：\n"
        "· 网格员丙：一村（T-01）网格员"
    )


def test_preview_writes_nothing_and_names_who_would_join(engine: Engine) -> None:
    report = preview_roster(engine, clerk_workbook(), "花名册.xlsx")

    assert stored(engine) == (0, 0, 0)
    assert report.ok and report.dry_run
    assert report.summary().startswith("花名册检查通过（试导入，未写入）：网格 新增 3、")
    assert report.details()[:3] == [
        "新加入（5）：",
        "· 镇长甲：测试镇（T）网格长",
        "· 村长乙：一村（T-01）网格长",
    ]
    assert all(change.new_person for change in report.added)
    assert apply_roster(engine, clerk_workbook(), "花名册.xlsx").persons_added == 5


def test_preview_lists_every_bad_row_and_apply_refuses(engine: Engine) -> None:
    text = (
        "网格编码,网格名称,层级,上级网格编码,微信群,姓名,职务,微信号,手机\n"
        "T,测试镇,1,,测试镇群,镇长甲,网格长,,\n"
        "T-01,一村,2,T09,,村长乙,网格长,,\n"
        "T-02,二村,2,T,,村长戊,组长,,\n"
    ).encode()

    report = preview_roster(engine, text, "r.csv")

    assert not report.ok and report.added == ()
    assert report.text() == (
        "花名册有 2 处错误，未导入任何数据：\n"
        "第3行：上级网格编码 T09 不存在\n"
        "第4行：职务「组长」不认识，应为：网格长、副网格长、第一网格长、网格员、管理员"
    )
    with pytest.raises(RosterError) as error:
        apply_roster(engine, text, "r.csv")
    assert error.value.text == report.text()
    assert stored(engine) == (0, 0, 0)


def test_long_lists_are_cut_with_a_count(engine: Engine) -> None:
    report = import_roster(engine, DEMO_ROSTER, dry_run=True)
    lines = report.details()
    assert len(report.added) == 52
    assert lines[0] == "新加入（52）："
    assert len(lines) == 1 + 50 + 1
    assert lines[-1] == "……等 2 人"
