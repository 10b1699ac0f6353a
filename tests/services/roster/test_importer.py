"""Roster import (花名册导入) on SQLite and PostgreSQL: the demo roster, re-imports, bad files."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.services.roster.importer import (
    HEADERS,
    RosterError,
    import_if_empty,
    import_roster,
    list_members,
    roster_rooms,
)
from config.settings import DEMO_ROSTER
from models.tables import Grid, GridClosure, Membership, Person, Room

Row = list[str]

# A tiny roster the bad-row cases extend: its rows are file rows 2 and 3.
BASE: list[Row] = [
    ["T", "测试区", "1", "", "测试区群", "甲", "网格长", "wx_a", ""],
    ["T-1", "一镇", "2", "T", "一镇群", "乙", "网格长", "wx_b", ""],
]


def write_csv(path: Path, rows: list[Row], *, bom: bool = True, header: Row | None = None) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        csv.writer(f).writerows([header or list(HEADERS), *rows])
    return path


def demo_rows() -> list[Row]:
    with DEMO_ROSTER.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))[1:]


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in (Grid, GridClosure, Person, Membership, Room)
        }


def grid(engine: Engine, code: str) -> Grid:
    with Session(engine) as session:
        return session.exec(select(Grid).where(Grid.code == code)).one()


def person(engine: Engine, name: str) -> Person:
    with Session(engine) as session:
        return session.exec(select(Person).where(Person.name == name)).one()


def roles_of(engine: Engine, name: str) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Grid.code, Membership.role)
            .join(Membership, col(Membership.grid_id) == col(Grid.id))
            .join(Person, col(Person.id) == col(Membership.person_id))
            .where(Person.name == name)
        )
        return sorted((code, role) for code, role in rows)


# -- the demo roster --------------------------------------------------------------------------


def test_demo_roster_imports_and_counts_match_the_file(engine: Engine) -> None:
    rows = demo_rows()
    levels = {r[0]: int(r[2]) for r in rows}

    report = import_roster(engine, DEMO_ROSTER)

    assert report.summary() == (
        "花名册导入完成：网格 新增 22、更新 0、未变 0；人员 新增 52、更新 0；"
        "职务 新增 52、变更 0、移除 0。\n绑定微信群 7 个。"
    )
    assert Counter(levels.values()) == {1: 1, 2: 2, 3: 4, 4: 12, 5: 3}
    assert counts(engine) == {
        "Grid": len(levels),
        "GridClosure": sum(levels.values()),  # a level-n grid has n ancestors, itself included
        "Person": len({r[5] for r in rows}),
        "Membership": len(rows),
        "Room": len({r[4] for r in rows if r[4]}),
    }
    with Session(engine) as session:
        assert roster_rooms(session) == [
            ("城区环保网格平台群", "CQ", 1),
            ("北石店镇环保网格群", "CQ-BSD", 2),
            ("西街街道环保网格群", "CQ-XJ", 2),
            ("北石店村环保网格群", "CQ-BSD-01", 3),
            ("吕匠村环保网格群", "CQ-BSD-02", 3),
            ("东关社区环保网格群", "CQ-XJ-01", 3),
            ("西关社区环保网格群", "CQ-XJ-02", 3),
        ]


def test_demo_reporter_and_the_heads_above_him(engine: Engine) -> None:
    import_roster(engine, DEMO_ROSTER)
    assert roles_of(engine, "张伟") == [("CQ-XJ-01-01", "member")]
    heads = {code: _roles_in(engine, code) for code in ("CQ-XJ-01-01", "CQ-XJ-01", "CQ-XJ", "CQ")}
    assert heads == {
        "CQ-XJ-01-01": {"李秀英": "head", "张伟": "member", "薛芳": "member"},
        "CQ-XJ-01": {
            "何志明": "first_head",
            "马建国": "head",
            "高静": "member",
            "罗晓东": "member",
        },
        "CQ-XJ": {"吴志强": "head", "郑晓梅": "deputy"},
        "CQ": {"陈国栋": "head", "刘振华": "deputy", "王秀兰": "deputy", "赵立新": "admin"},
    }


def _roles_in(engine: Engine, code: str) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.exec(
            select(Person.name, Membership.role)
            .join(Membership, col(Membership.person_id) == col(Person.id))
            .join(Grid, col(Grid.id) == col(Membership.grid_id))
            .where(Grid.code == code)
        )
        return dict(rows.all())


def test_closure_of_a_level_5_grid_lists_its_five_ancestors(engine: Engine) -> None:
    import_roster(engine, DEMO_ROSTER)
    market = grid(engine, "CQ-XJ-01-01-01")
    with Session(engine) as session:
        chain = session.exec(
            select(Grid.code, GridClosure.depth)
            .join(GridClosure, col(GridClosure.ancestor_id) == col(Grid.id))
            .where(GridClosure.descendant_id == market.id)
            .order_by(col(GridClosure.depth))
        ).all()
    assert market.name == "东关农贸市场"
    assert chain == [
        ("CQ-XJ-01-01-01", 0),
        ("CQ-XJ-01-01", 1),
        ("CQ-XJ-01", 2),
        ("CQ-XJ", 3),
        ("CQ", 4),
    ]


def test_grids_without_a_group_use_the_nearest_ancestors(engine: Engine) -> None:
    import_roster(engine, DEMO_ROSTER)
    sub = grid(engine, "CQ-XJ-01-01")
    point = grid(engine, "CQ-XJ-01-01-01")
    town = grid(engine, "CQ-XJ")
    assert (sub.own_room_topic, sub.room_topic) == (None, "东关社区环保网格群")
    assert (point.own_room_topic, point.room_topic) == (None, "东关社区环保网格群")
    assert (town.own_room_topic, town.room_topic) == ("西街街道环保网格群", "西街街道环保网格群")


def test_list_members_of_a_village_group(engine: Engine) -> None:
    import_roster(engine, DEMO_ROSTER)
    zhang = person(engine, "张伟")
    with Session(engine) as session:
        members = list_members(session, "东关社区环保网格群")
        assert list_members(session, "没有这个群") == []
    assert (zhang.id, "张伟", "网格员", "东关社区一片区", 4) in members
    assert [m[3] for m in members[:4]] == ["东关社区"] * 4  # the village's own staff first
    assert [m[3] for m in members[-2:]] == ["东关农贸市场", "东关花园小区"]
    assert len(members) == 13


def test_import_if_empty_imports_once(engine: Engine) -> None:
    first = import_if_empty(engine, DEMO_ROSTER)
    assert first is not None and first.grids_added == 22
    assert import_if_empty(engine, DEMO_ROSTER) is None


# -- re-importing -----------------------------------------------------------------------------


def test_reimport_changes_nothing_and_keeps_platform_bindings(engine: Engine) -> None:
    import_roster(engine, DEMO_ROSTER)
    with Session(engine) as session:
        zhang = session.exec(select(Person).where(Person.name == "张伟")).one()
        zhang.contact_id = "wechat-contact-zhangwei"
        room = session.exec(select(Room).where(Room.topic == "东关社区环保网格群")).one()
        room.platform_id = "room-123@chatroom"
        session.add_all([zhang, room])
        session.commit()
    before = counts(engine)

    report = import_roster(engine, DEMO_ROSTER)

    assert report.summary() == (
        "花名册导入完成：网格 新增 0、更新 0、未变 22；人员 新增 0、更新 0；"
        "职务 新增 0、变更 0、移除 0。\n绑定微信群 7 个。"
    )
    assert counts(engine) == before
    assert person(engine, "张伟").contact_id == "wechat-contact-zhangwei"
    with Session(engine) as session:
        room = session.exec(select(Room).where(Room.topic == "东关社区环保网格群")).one()
    assert room.platform_id == "room-123@chatroom"


def test_changed_role_moved_person_and_renamed_grid_are_reported(
    engine: Engine, tmp_path: Path
) -> None:
    import_roster(engine, DEMO_ROSTER)
    renamed_id = grid(engine, "CQ-XJ-01-03").id
    rows = []
    for row in demo_rows():
        if row[0] == "CQ-XJ-01-03":
            row[1] = "东关社区东三片区"
        if row[5] == "罗晓东":
            row[6] = "副网格长"
        if row[5] == "阎小燕":  # moves from 二片区 to 三片区
            row[:2] = ["CQ-XJ-01-03", "东关社区东三片区"]
        if row[5] == "高静":
            row[8] = "13900000000"
        if row[5] != "汪涛":  # dropped from the file: their role in CQ-XJ-02-03 goes
            rows.append(row)

    report = import_roster(engine, write_csv(tmp_path / "changed.csv", rows))

    assert report.summary() == (
        "花名册导入完成：网格 新增 0、更新 1、未变 21；人员 新增 0、更新 4；"
        "职务 新增 1、变更 1、移除 2。\n绑定微信群 7 个。"
    )
    assert grid(engine, "CQ-XJ-01-03").name == "东关社区东三片区"
    assert grid(engine, "CQ-XJ-01-03").id == renamed_id
    assert roles_of(engine, "罗晓东") == [("CQ-XJ-01", "deputy")]
    assert roles_of(engine, "阎小燕") == [("CQ-XJ-01-03", "member")]
    assert roles_of(engine, "汪涛") == []
    assert person(engine, "高静").phone == "13900000000"


def test_grids_absent_from_the_file_are_kept_and_parents_may_be_stored(
    engine: Engine, tmp_path: Path
) -> None:
    import_roster(engine, DEMO_ROSTER)
    rows = [["CQ-XJ-01-03-01", "东关三片区小区", "5", "CQ-XJ-01-03", "", "新人", "网格长", "", ""]]

    report = import_roster(engine, write_csv(tmp_path / "one.csv", rows))

    assert report.grids_added == 1
    assert report.summary().splitlines()[1] == "另有 22 个网格不在本文件中，已保留未改动。"
    new = grid(engine, "CQ-XJ-01-03-01")
    assert new.room_topic == "东关社区环保网格群"
    assert counts(engine)["Grid"] == 23
    assert counts(engine)["GridClosure"] == 80 + 5


def test_dry_run_reports_but_writes_nothing(engine: Engine) -> None:
    report = import_roster(engine, DEMO_ROSTER, dry_run=True)
    assert report.summary().startswith("花名册检查通过（试导入，未写入）：网格 新增 22、")
    assert set(counts(engine).values()) == {0}


# -- people -----------------------------------------------------------------------------------


def test_filling_in_wechat_id_or_phone_keeps_the_person(engine: Engine, tmp_path: Path) -> None:
    import_roster(engine, DEMO_ROSTER)
    with Session(engine) as session:
        for name in ("唐小军", "邓飞"):
            p = session.exec(select(Person).where(Person.name == name)).one()
            p.contact_id = f"contact-{name}"
            session.add(p)
        session.commit()
    rows = demo_rows()
    for row in rows:
        if row[5] == "唐小军":  # had only a phone
            row[7] = "wxid_tangxiaojun"
        if row[5] == "邓飞":  # had neither
            row[8] = "13812345678"

    report = import_roster(engine, write_csv(tmp_path / "filled.csv", rows))

    assert (report.persons_added, report.persons_updated) == (0, 2)
    tang, deng = person(engine, "唐小军"), person(engine, "邓飞")
    assert (tang.wechat_id, tang.contact_id) == ("wxid_tangxiaojun", "contact-唐小军")
    assert (deng.phone, deng.contact_id) == ("13812345678", "contact-邓飞")


def test_person_in_two_grids_is_one_person(engine: Engine, tmp_path: Path) -> None:
    rows = [*BASE, ["T-1", "一镇", "2", "T", "", "甲", "副网格长", "wx_a", "13800000000"]]
    report = import_roster(engine, write_csv(tmp_path / "r.csv", rows))
    assert (report.persons_added, report.memberships_added) == (2, 3)
    assert roles_of(engine, "甲") == [("T", "head"), ("T-1", "deputy")]
    assert person(engine, "甲").phone == "13800000000"


def test_name_alone_that_fits_two_people_is_rejected(engine: Engine, tmp_path: Path) -> None:
    rows = [
        *BASE,
        ["T-1", "一镇", "2", "T", "", "王芳", "网格员", "", "13800000001"],
        ["T", "测试区", "1", "", "", "王芳", "网格员", "", "13800000002"],
        ["T-1", "一镇", "2", "T", "", "王芳", "副网格长", "", ""],
    ]
    with pytest.raises(RosterError) as error:
        import_roster(engine, write_csv(tmp_path / "r.csv", rows))
    assert error.value.text == (
        "花名册有 1 处错误，未导入任何数据：\n"
        "第6行：姓名「王芳」对应多名人员，无法确定是谁，请填写微信号或手机"
    )


# -- file formats -----------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_csv_with_or_without_bom_and_loose_whitespace(
    engine: Engine, tmp_path: Path, bom: bool
) -> None:
    header = [f" {h} " for h in HEADERS]
    rows = [
        [" T-1 ", "一镇 ", "2", " T", "一镇群", " 乙 ", " 网格长", "wx_b", "13800000002 "],
        [],
        ["", "", "", "", "", "", "", "", ""],
        ["T", "测试区", "1", "", "测试区群", "", "", "", ""],  # parent after child; no person
    ]
    report = import_roster(engine, write_csv(tmp_path / "r.csv", rows, bom=bom, header=header))
    assert (report.grids_added, report.persons_added, report.rooms) == (2, 1, 2)
    assert grid(engine, "T-1").parent_id == grid(engine, "T").id
    assert person(engine, "乙").phone == "13800000002"
    assert roles_of(engine, "乙") == [("T-1", "head")]


def test_xlsx_with_numbers_read_as_floats(engine: Engine, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    sheet.append(["T", "测试区", 1, None, "测试区群", "甲", "网格长", "wx_a", 13800000001.0])
    sheet.append([None] * 9)
    sheet.append(["T-1", "一镇", 2.0, "T", None, "乙", "网格员", None, 13800000002])
    book.save(tmp_path / "r.xlsx")

    report = import_roster(engine, tmp_path / "r.xlsx")

    assert (report.grids_added, report.persons_added) == (2, 2)
    assert grid(engine, "T-1").level == 2
    assert grid(engine, "T-1").room_topic == "测试区群"
    assert person(engine, "甲").phone == "13800000001"
    assert person(engine, "乙").phone == "13800000002"


def test_xlsx_errors_use_sheet_row_numbers(engine: Engine, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    sheet.append(["T", "测试区", 1, None, "测试区群", "甲", "网格长", "wx_a", None])
    sheet.append([None] * 9)
    sheet.append(["T-1", "一镇", 2.5, "T", None, None, None, None, None])
    book.save(tmp_path / "bad.xlsx")
    with pytest.raises(RosterError) as error:
        import_roster(engine, tmp_path / "bad.xlsx")
    assert error.value.text.splitlines()[1] == "第4行：层级「2.5」不是整数"
    assert set(counts(engine).values()) == {0}


def test_missing_and_unknown_headers(engine: Engine, tmp_path: Path) -> None:
    header = [h if h != "微信群" else "所属群聊" for h in HEADERS if h != "职务"]
    with pytest.raises(RosterError) as error:
        import_roster(engine, write_csv(tmp_path / "r.csv", [], header=header))
    assert error.value.text == (
        "花名册第1行的表头不对：缺少「微信群、职务」；不认识的列「所属群聊」。"
        "表头应为：网格编码,网格名称,层级,上级网格编码,微信群,姓名,职务,微信号,手机"
    )


def test_two_columns_for_one_header(engine: Engine, tmp_path: Path) -> None:
    header = [*HEADERS[:-1], "联系电话", "手机号"]
    with pytest.raises(RosterError) as error:
        import_roster(engine, write_csv(tmp_path / "r.csv", [], header=header))
    assert error.value.text.startswith(
        "花名册第1行的表头不对：「联系电话」「手机号」都是「手机」，只能保留一列。"
    )


def test_no_header_at_all(engine: Engine, tmp_path: Path) -> None:
    rows = [["T", "测试区", "1", "", "测试区群", "甲", "网格长", "wx_a", ""]]
    with pytest.raises(RosterError) as error:
        import_roster(engine, write_csv(tmp_path / "r.csv", rows[1:], header=rows[0]))
    assert error.value.text.startswith(
        "花名册找不到表头，缺少「网格编码、网格名称、层级、上级网格编码、微信群、姓名、职务、微信号、手机」。"
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("r.xls", b"x", "不支持 .xls 旧格式，请在 Excel 中“另存为” .xlsx 后再导入。"),
        (
            "r.csv",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "不支持 .xls 旧格式，请在 Excel 中“另存为” .xlsx 后再导入。",
        ),
        ("r.pdf", b"%PDF-1.4", "花名册只支持 .csv 或 .xlsx 文件，「r.pdf」不是。"),
        (
            "r.xlsx",
            b"not a zip",
            "花名册文件「r.xlsx」无法读取，请另存为 .xlsx 或 UTF-8 编码的 .csv 后重试。",
        ),
        ("r.csv", b"\n \n", "花名册是空的。第一行应为表头：" + ",".join(HEADERS)),
        ("gone.csv", None, "找不到花名册文件「gone.csv」。"),
    ],
)
def test_unusable_files(
    engine: Engine, tmp_path: Path, name: str, content: bytes | None, expected: str
) -> None:
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(RosterError) as error:
        import_roster(engine, tmp_path / name)
    assert error.value.text == expected


# -- bad rows: everything is checked first, nothing is written ----------------------------------

BAD_ROWS: dict[str, tuple[list[Row], str]] = {
    "unknown parent": (
        [["T-2", "二镇", "2", "T09", "", "", "", "", ""]],
        "第4行：上级网格编码 T09 不存在",
    ),
    "level skips one": (
        [["T-1-1", "一村", "3", "T", "", "", "", "", ""]],
        "第4行：网格 T-1-1 写的是3级，但上级 T 是1级，应为2级",
    ),
    "level below 1": (
        [["T-0", "零区", "0", "", "", "", "", "", ""]],
        "第4行：层级「0」无效，最小为 1",
    ),
    "level not an integer": (
        [["T-2", "二镇", "二", "T", "", "", "", "", ""]],
        "第4行：层级「二」不是整数",
    ),
    "unknown role": (
        [["T-1", "一镇", "2", "T", "", "丙", "组长", "wx_c", ""]],
        "第4行：职务「组长」不认识，应为：网格长、副网格长、第一网格长、网格员、管理员",
    ),
    "same grid, other parent": (
        [
            ["U", "另一区", "1", "", "", "", "", "", ""],
            ["T-1", "一镇", "2", "U", "", "", "", "", ""],
        ],
        "第5行：网格 T-1 的上级网格编码「U」与第3行的「T」不一致",
    ),
    "same grid, other name": (
        [["T-1", "壹镇", "2", "T", "", "", "", "", ""]],
        "第4行：网格 T-1 的网格名称「壹镇」与第3行的「一镇」不一致",
    ),
    "same grid, other level": (
        [["T-1", "一镇", "3", "T", "", "", "", "", ""]],
        "第4行：网格 T-1 的层级「3」与第3行的「2」不一致",
    ),
    "same grid, other group": (
        [["T-1", "一镇", "2", "T", "二镇群", "", "", "", ""]],
        "第4行：网格 T-1 的微信群「二镇群」与第3行的「一镇群」不一致",
    ),
    "person without grid, after a blank row": (
        [[], ["", "", "", "", "", "丙", "网格员", "wx_c", ""]],
        "第5行：填写了姓名但网格编码为空",
    ),
    "person without grid code, under another grid's name": (
        [["", "二镇", "", "", "", "丙", "网格员", "wx_c", ""]],
        "第4行：填写了姓名但网格编码为空",
    ),
    "level 1 with a parent": (
        [["U", "另一区", "1", "T", "", "", "", "", ""]],
        "第4行：一级网格 U 不应填写上级网格编码",
    ),
    "level 2 without a parent": (
        [["T-2", "二镇", "2", "", "", "", "", "", ""]],
        "第4行：2级网格 T-2 缺少上级网格编码（只有一级网格可以不填）",
    ),
    "missing grid name": (
        [["T-2", "", "2", "T", "", "", "", "", ""]],
        "第4行：网格 T-2 缺少网格名称",
    ),
    "child of a bad row is not blamed again": (
        [
            ["T-2", "", "2", "T", "", "", "", "", ""],
            ["T-2-1", "一村", "3", "T-2", "", "", "", "", ""],
        ],
        "第4行：网格 T-2 缺少网格名称",
    ),
    "same person, two roles in one grid": (
        [["T-1", "一镇", "2", "T", "", "乙", "网格员", "wx_b", ""]],
        "第4行：乙 在网格 T-1 已于第3行登记为网格长，这里又写成网格员",
    ),
    "one wechat id, two names": (
        [["T-1", "一镇", "2", "T", "", "丁", "网格员", "wx_a", ""]],
        "第4行：微信号 wx_a 的姓名「丁」与第2行的「甲」不一致",
    ),
    "details without a name": (
        [["T-1", "一镇", "2", "T", "", "", "网格员", "wx_c", ""]],
        "第4行：填写了职务、微信号但姓名为空",
    ),
    "group shared by siblings": (
        [["T-2", "二镇", "2", "T", "一镇群", "", "", "", ""]],
        "第4行：微信群「一镇群」已绑定网格 T-1，只有它的下级网格才能共用此群，T-2 不是它的下级",
    ),
}


@pytest.mark.parametrize(("extra", "message"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_bad_rows_are_named_and_nothing_is_written(
    engine: Engine, tmp_path: Path, extra: list[Row], message: str
) -> None:
    import_roster(engine, DEMO_ROSTER)
    before = counts(engine)
    with pytest.raises(RosterError) as error:
        import_roster(engine, write_csv(tmp_path / "bad.csv", [*BASE, *extra]))
    assert error.value.text == f"花名册有 1 处错误，未导入任何数据：\n{message}"
    assert counts(engine) == before


def test_group_shared_down_one_branch_is_allowed(engine: Engine, tmp_path: Path) -> None:
    rows = [*BASE, ["T-1-1", "一村", "3", "T-1", "一镇群", "", "", "", ""]]
    report = import_roster(engine, write_csv(tmp_path / "r.csv", rows))
    assert report.rooms == 2
    with Session(engine) as session:
        room = session.exec(select(Room).where(Room.topic == "一镇群")).one()
    assert room.grid_id == grid(engine, "T-1").id


def test_all_errors_are_collected_and_the_list_is_capped(engine: Engine, tmp_path: Path) -> None:
    rows = [*BASE, *([f"T-X{i}", "某镇", "2", "T09", "", "", "", "", ""] for i in range(25))]
    with pytest.raises(RosterError) as error:
        import_roster(engine, write_csv(tmp_path / "bad.csv", rows))
    lines = error.value.text.splitlines()
    assert lines[0] == "花名册有 25 处错误，未导入任何数据："
    assert lines[1] == "第4行：上级网格编码 T09 不存在"
    assert lines[20] == "第23行：上级网格编码 T09 不存在"
    assert lines[21:] == ["……另有 5 处错误未列出。"]
    assert set(counts(engine).values()) == {0}
