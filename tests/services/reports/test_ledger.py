"""The Excel ledger (台账): what an inspector opens, read back with openpyxl.

Groups of the test roster: 区平台群 (测试区), 一镇群, 二镇群, 一村群 (一镇), 二村群 (二镇). The
harness starts on Sunday 22 November 2026, 10:00 in Shanghai; the history below runs to
Wednesday 25 November 10:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.core.errors import UserError
from bot.services.reports import indicators
from bot.services.reports.ledger import LedgerSummary, day_start, write_ledger
from models.tables import Grid
from tests.conftest import Gridbot
from tests.harness import TEST_ROSTER, Harness

SH = ZoneInfo("Asia/Shanghai")
NOVEMBER = (datetime(2026, 11, 1, tzinfo=SH), datetime(2026, 12, 1, tzinfo=SH))
TICKET_HEADERS = [
    "编号",
    "来源",
    "类型",
    "地点",
    "描述",
    "责任网格",
    "上报人",
    "上报时间",
    "受理时间",
    "办结时间",
    "销号时间",
    "整改期限",
    "状态",
    "延期次数",
    "返工次数",
    "督办",
    "照片数",
    "超期天数",
    "处置记录",
]
SUMMARY_HEADERS = [
    "镇街",
    "上报数",
    "巡查发现",
    "上级交办",
    "群众举报",
    "有效上报率",
    "及时受理率",
    "按期处置率",
    "结案率",
    "按期核查率",
    "返工率",
    "超期件数",
    "超期时长(小时)",
    "督办件数",
    "巡查到岗率",
    "零报告天数",
]
PATROL_HEADERS = ["日期", "网格", "所属镇街", "人员", "方式", "情况", "时间"]
ALERT_HEADERS = ["预警", "颜色", "发布时间", "群", "网格", "确认人", "确认时间", "用时(分钟)"]
Rows = list[tuple[object, ...]]


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time in November 2026, as Excel shows it (no zone)."""
    return datetime(2026, 11, day, hour, minute)


def until(bot: Harness, day: int, hour: int, minute: int = 0) -> timedelta:
    return local(day, hour, minute).replace(tzinfo=SH) - bot.clock.now()


@pytest.fixture
def bot(engine: Engine) -> Harness:
    return Harness.on(engine)


@pytest.fixture
def history(bot: Harness) -> dict[str, str]:
    """Four reports (一镇 two, 二镇 one, the district one); one of them goes through 受理,
    办结, 退回, 办结 again and 核查通过; a check-in, an alert and one 收到; the rest overdue."""
    codes = {
        "a": bot.report("一村群", "巡查员辛"),
        "b": bot.report("一村群", "巡查员辛"),
        "c": bot.report("二村群", "巡查员寅", location="二村5号院"),
        "d": bot.report("区平台群", "区长甲", location="区政府东门"),
    }
    a = codes["a"]
    bot.clock.advance(timedelta(hours=1))
    bot.say("一村群", "片长庚", f"受理 {a}")
    bot.clock.advance(timedelta(hours=1))
    bot.say("一村群", "片长庚", f"办结 {a} 已处理")
    bot.photo("一村群", "片长庚")
    bot.clock.advance(timedelta(hours=1))
    [returned] = bot.say("一村群", "村书记戊", f"退回 {a} 煤炉未拆除")
    assert returned.text.startswith("【退回返工】")
    bot.clock.advance(timedelta(hours=1))
    bot.say("一村群", "片长庚", f"办结 {a} 已拆除，改用电取暖")
    bot.photo("一村群", "片长庚")
    [closed] = bot.say("一村群", "村书记戊", f"核查通过 {a}")
    assert closed.text == f"工单 {a} 已销号（村书记戊）。"
    bot.clock.advance(until(bot, 23, 9))
    bot.say("一村群", "巡查员辛", "巡查打卡 东关街沿线")
    bot.clock.advance(timedelta(minutes=30))
    bot.say("区平台群", "区长甲", "发布预警 橙色 即日起至11月24日24时")
    bot.clock.advance(timedelta(minutes=12))
    bot.say("一镇群", "镇长丙", "收到")
    bot.tick(until(bot, 24, 10, 1))  # the three live tickets are overdue: 超期提醒
    bot.clock.advance(until(bot, 25, 10))
    return codes


def read(path: Path) -> dict[str, Rows]:
    book = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_the_ledger_of_a_month(bot: Harness, history: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "台账.xlsx"
    summary = write_ledger(bot.runtime, out, *NOVEMBER, None)
    sheets = read(out)
    assert list(sheets) == ["汇总", "一镇", "二镇", "区级", "巡查台账", "预警响应台账"]
    assert summary == LedgerSummary(
        out,
        {"汇总": 2, "一镇": 2, "二镇": 1, "区级": 1, "巡查台账": 4, "预警响应台账": 5},
        towns=2,
        tickets=4,
        patrols=4,
        alerts=5,
    )
    assert summary.line() == (
        f"台账已导出：{out}（2 个镇街，工单 4 件，巡查记录 4 条，预警响应 5 条）"
    )
    for name in ("一镇", "二镇", "区级"):
        assert list(sheets[name][0]) == TICKET_HEADERS
    assert list(sheets["汇总"][0]) == SUMMARY_HEADERS
    assert list(sheets["巡查台账"][0]) == PATROL_HEADERS
    assert list(sheets["预警响应台账"][0]) == ALERT_HEADERS
    assert [row[0] for row in sheets["一镇"][1:]] == [history["a"], history["b"]]
    assert [row[5] for row in sheets["区级"][1:]] == ["测试区"]


def test_a_tickets_row_has_its_times_and_its_whole_trail(
    bot: Harness, history: dict[str, str], tmp_path: Path
) -> None:
    write_ledger(bot.runtime, tmp_path / "l.xlsx", *NOVEMBER, None)
    sheet = openpyxl.load_workbook(tmp_path / "l.xlsx")["一镇"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:S3"
    a = dict(zip(TICKET_HEADERS, [c.value for c in sheet[2]], strict=True))
    assert a["编号"] == history["a"] and a["来源"] == "巡查发现" and a["状态"] == "已销号"
    assert (a["责任网格"], a["上报人"], a["返工次数"], a["照片数"]) == (
        "一村一片",
        "巡查员辛",
        1,
        2,
    )
    times = [a[k] for k in ("上报时间", "受理时间", "办结时间", "销号时间", "整改期限")]
    # 退回 at 13:00 gave a new deadline: 48 hours on.
    assert times == [local(22, 10), local(22, 11), local(22, 14), local(22, 14), local(24, 13)]
    assert all(type(t) is datetime for t in times)
    assert sheet["H2"].number_format == "yyyy-mm-dd hh:mm"
    assert (a["督办"], a["超期天数"]) == ("否", 0)
    assert a["处置记录"] == (
        "11-22 10:00 巡查员辛 上报：散煤｜一村3号楼东侧\n"
        "11-22 11:00 片长庚 受理\n"
        "11-22 12:00 片长庚 办结：已处理\n"
        "11-22 13:00 村书记戊 退回返工：煤炉未拆除\n"
        "11-22 14:00 片长庚 办结：已拆除，改用电取暖\n"
        "11-22 14:00 村书记戊 销号"
    )
    b = dict(zip(TICKET_HEADERS, [c.value for c in sheet[3]], strict=True))
    assert (b["状态"], b["受理时间"], b["照片数"]) == ("待受理", None, 0)
    assert b["超期天数"] == 1.0 and sheet["R3"].number_format == "0.0"  # due 24th, now 25th
    assert b["处置记录"] == (
        "11-22 10:00 巡查员辛 上报：散煤｜一村4号楼东侧\n"
        "11-24 10:01 系统 超期提醒：提醒一村网格长 村书记戊"  # no actor: the bot itself
    )


def test_the_summary_has_a_row_per_town_and_the_totals(
    bot: Harness, history: dict[str, str], tmp_path: Path
) -> None:
    write_ledger(bot.runtime, tmp_path / "l.xlsx", *NOVEMBER, None)
    sheet = openpyxl.load_workbook(tmp_path / "l.xlsx")["汇总"]
    rows = {r[0].value: dict(zip(SUMMARY_HEADERS, r, strict=True)) for r in sheet.iter_rows(2)}
    assert list(rows) == ["一镇", "二镇", "合计"]
    town = {k: c.value for k, c in rows["一镇"].items()}
    assert (town["上报数"], town["巡查发现"], town["上级交办"], town["群众举报"]) == (2, 2, 0, 0)
    assert (town["有效上报率"], town["按期处置率"], town["结案率"], town["返工率"]) == (
        1,
        0.5,
        0.5,
        0.5,
    )
    assert (town["按期核查率"], town["超期件数"], town["超期时长(小时)"]) == (1, 1, 24)
    assert rows["一镇"]["结案率"].number_format == "0.0%"
    assert rows["二镇"]["结案率"].value == 0 and rows["二镇"]["按期核查率"].value is None
    total = {k: c.value for k, c in rows["合计"].items()}
    assert (total["上报数"], total["结案率"], total["超期件数"], total["超期时长(小时)"]) == (
        4,
        0.25,
        3,
        72,
    )
    assert total == pytest.approx(district_figures(bot))


def test_without_district_tickets_the_totals_are_still_the_districts(
    bot: Harness, tmp_path: Path
) -> None:
    a = bot.report("一村群", "巡查员辛")
    bot.report("二村群", "巡查员寅", location="二村5号院")
    bot.say("一村群", "片长庚", f"受理 {a}")
    bot.clock.advance(until(bot, 23, 9))
    bot.say("一村群", "巡查员辛", "巡查打卡")
    bot.say("一村群", "巡查员卯", "今日巡查无异常")
    bot.clock.advance(until(bot, 26, 9))
    write_ledger(bot.runtime, tmp_path / "l.xlsx", *NOVEMBER, None)
    sheet = read(tmp_path / "l.xlsx")["汇总"]
    total = dict(zip(SUMMARY_HEADERS, sheet[-1], strict=True))
    assert (total["镇街"], total["上报数"], total["零报告天数"]) == ("合计", 2, 1)
    assert total == pytest.approx(district_figures(bot) | {"镇街": "合计"})


def district_figures(bot: Harness) -> dict[str, object]:
    """What `indicators.compute` says of the whole district in November, by 汇总's headers."""
    with Session(bot.runtime.engine) as session:
        district = session.exec(select(Grid).where(Grid.code == "D")).one().id or 0
        f = indicators.compute(session, bot.runtime, [district], *NOVEMBER)[district]
    rates = [f.valid_rate, f.accept_rate, f.resolve_rate, f.close_rate, f.verify_rate]
    values = [
        "合计",
        f.reported,
        *(f.by_source[s] for s in ("patrol", "assigned", "public")),
        *rates,
        f.rework_rate,
        f.overdue,
        f.overdue_hours,
        f.supervised,
        f.patrol_rate,
        f.zero_days,
    ]
    return dict(zip(SUMMARY_HEADERS, values, strict=True))


def test_patrols_and_alert_receipts(bot: Harness, history: dict[str, str], tmp_path: Path) -> None:
    write_ledger(bot.runtime, tmp_path / "l.xlsx", *NOVEMBER, None)
    sheets = read(tmp_path / "l.xlsx")
    # A report counts as that day's patrol of the reporter's grid; once per person and day.
    assert sheets["巡查台账"][1:] == [
        (local(22, 0), "测试区", "区级", "区长甲", "上报", None, local(22, 10)),
        (local(22, 0), "一村一片", "一镇", "巡查员辛", "上报", None, local(22, 10)),
        (local(22, 0), "二村一片", "二镇", "巡查员寅", "上报", None, local(22, 10)),
        (local(23, 0), "一村一片", "一镇", "巡查员辛", "打卡", "东关街沿线", local(23, 9)),
    ]
    alert = "11月23日 09:30 至 11月25日 00:00"
    issued = local(23, 9, 30)
    assert sheets["预警响应台账"][1:] == [
        # The issuer's own group has the alert from the start: confirmed by them, in 0 minutes.
        (alert, "橙色", issued, "区平台群", "测试区", "区长甲", issued, 0),
        (alert, "橙色", issued, "一镇群", "一镇", "镇长丙", local(23, 9, 42), 12),
        (alert, "橙色", issued, "二镇群", "二镇", None, None, None),
        (alert, "橙色", issued, "一村群", "一村", None, None, None),
        (alert, "橙色", issued, "二村群", "二村", None, None, None),
    ]


def test_one_town_and_its_groups_only(
    bot: Harness, history: dict[str, str], tmp_path: Path
) -> None:
    summary = write_ledger(bot.runtime, tmp_path / "l.xlsx", None, None, "D-T1")
    sheets = read(tmp_path / "l.xlsx")
    assert list(sheets) == ["汇总", "一镇", "巡查台账", "预警响应台账"]
    assert [r[0] for r in sheets["汇总"][1:]] == ["一镇", "合计"]
    assert [r[1] for r in sheets["汇总"][1:]] == [2, 2]
    assert [r[3] for r in sheets["巡查台账"][1:]] == ["巡查员辛", "巡查员辛"]
    assert [r[3] for r in sheets["预警响应台账"][1:]] == ["一镇群", "一村群"]
    assert (summary.tickets, summary.patrols, summary.alerts) == (2, 2, 2)


def test_a_period_takes_the_tickets_reported_in_it(
    bot: Harness, history: dict[str, str], tmp_path: Path
) -> None:
    # Monday 23rd only: the check-in and the alert, no report.
    monday = (
        day_start("2026-11-23", SH, "--from"),
        day_start("2026-11-23", SH, "--to", inclusive_end=True),
    )
    assert monday == (datetime(2026, 11, 23, tzinfo=SH), datetime(2026, 11, 24, tzinfo=SH))
    summary = write_ledger(bot.runtime, tmp_path / "l.xlsx", *monday, None)
    assert (summary.tickets, summary.patrols, summary.alerts) == (0, 1, 5)
    everything = write_ledger(bot.runtime, tmp_path / "all.xlsx", None, None, None)
    assert (everything.tickets, everything.patrols, everything.alerts) == (4, 4, 5)
    before = write_ledger(bot.runtime, tmp_path / "old.xlsx", None, NOVEMBER[0], None)
    assert (before.tickets, before.patrols, before.alerts) == (0, 0, 0)


def test_bad_requests_are_explained(bot: Harness, tmp_path: Path) -> None:
    with pytest.raises(UserError) as unknown:
        write_ledger(bot.runtime, tmp_path / "l.xlsx", None, None, "D-T9")
    assert unknown.value.text == "找不到网格编码「D-T9」，请填写花名册中的网格编码。"
    with pytest.raises(UserError) as backwards:
        write_ledger(bot.runtime, tmp_path / "l.xlsx", NOVEMBER[1], NOVEMBER[0], None)
    assert backwards.value.text == "开始日期 2026-12-01 晚于结束日期 2026-10-31，请检查时段。"
    with pytest.raises(UserError) as nowhere:
        write_ledger(bot.runtime, tmp_path / "no" / "l.xlsx", None, None, None)
    assert nowhere.value.text.startswith("无法写入")
    assert not (tmp_path / "l.xlsx").exists()
    with pytest.raises(UserError) as bad_day:
        day_start("2026-11-31", SH, "--to")
    assert bad_day.value.text == "--to 的日期格式不对：2026-11-31（应为 YYYY-MM-DD，如 2026-11-01）"


def test_sheet_names_excel_refuses_are_made_acceptable(engine: Engine, tmp_path: Path) -> None:
    long_name = "经济技术开发区/高新区[东区]管理委员会生态环境保护综合行政执法大队"
    roster = tmp_path / "roster.csv"
    roster.write_text(
        TEST_ROSTER.read_text(encoding="utf-8")
        .replace(",一镇,2,", f",{long_name},2,")
        .replace(",二镇,2,", ",汇总,2,"),
        encoding="utf-8",
    )
    bot = Harness.on(engine, roster_file=roster)
    bot.report("一村群", "巡查员辛")
    write_ledger(bot.runtime, tmp_path / "l.xlsx", None, None, None)
    names = list(read(tmp_path / "l.xlsx"))
    # At most 31 characters, none of []:*?/\, and no two alike.
    assert names == [
        "汇总",
        long_name.translate(str.maketrans("/[]", "___"))[:31],
        "汇总(2)",
        *names[3:],
    ]
    assert names[3:] == ["区级", "巡查台账", "预警响应台账"]


# -- the command line -------------------------------------------------------------------------

REPORT = "【问题上报】\n类型：散煤\n地点：一村3号楼东侧\n描述：居民使用燃煤炉取暖，冒黑烟"


def test_gridbot_ledger(gridbot: Gridbot, tmp_path: Path) -> None:
    at = "2026-11-22T10:00:00+08:00"
    gridbot("say", "--room", "一村群", "--from", "wx_a_member", "--at", at, REPORT)
    done = gridbot("ledger", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "11月.xlsx")
    assert done.stdout == (
        "台账已导出：11月.xlsx（2 个镇街，工单 1 件，巡查记录 1 条，预警响应 0 条）\n"
    )
    sheets = read(tmp_path / "11月.xlsx")
    [(code, *_, trail)] = sheets["一镇"][1:]
    assert code == "112201" and trail == "11-22 10:00 巡查员辛 上报：散煤｜一村3号楼东侧"
    everything = gridbot("ledger", "--grid", "D-T2", "--out", "二镇.xlsx")
    assert "1 个镇街，工单 0 件" in everything.stdout
    assert list(read(tmp_path / "二镇.xlsx")) == ["汇总", "二镇", "巡查台账", "预警响应台账"]


def test_gridbot_ledger_errors(gridbot: Gridbot, tmp_path: Path) -> None:
    bad_day = gridbot("ledger", "--from", "11月1日", "--out", "x.xlsx", ok=False)
    assert bad_day.returncode == 2
    assert bad_day.stderr.endswith(
        "--from 的日期格式不对：11月1日（应为 YYYY-MM-DD，如 2026-11-01）\n"
    )
    unknown = gridbot("ledger", "--grid", "NOPE", "--out", "x.xlsx", ok=False)
    assert unknown.returncode == 2
    assert unknown.stderr.endswith("找不到网格编码「NOPE」，请填写花名册中的网格编码。\n")
    assert "Traceback" not in bad_day.stderr + unknown.stderr
    assert not (tmp_path / "x.xlsx").exists()
    missing = gridbot("ledger", ok=False)
    assert missing.returncode == 2 and "--out" in missing.stderr
