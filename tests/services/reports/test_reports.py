"""Weekly and monthly reports: on their days through the sweeps, with a chart, once; on
demand with 周报 / 月报. The harness starts on Sunday 22 November 2026, 10:00."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from bot.services.reports import texts
from tests.harness import Harness, Sent

TZ = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def bot(engine: Engine, tmp_path: Path) -> Harness:
    bot = Harness.on(engine, data_dir=tmp_path)
    a = bot.report("一村群", "巡查员辛", category="道路扬尘")
    bot.report("二村群", "巡查员寅")
    bot.say("一村群", "片长庚", f"办结 {a} 已洒水")
    bot.say("一村群", "村书记戊", f"核查通过 {a}")
    return bot


def reports(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.text.startswith(("【周报】", "【月报】")) or s.attachment]


def tick_at(bot: Harness, day: int, hour: int, minute: int = 0, month: int = 11) -> list[Sent]:
    bot.clock.set(datetime(2026, month, day, hour, minute, tzinfo=TZ))
    return reports(bot.tick())


def test_the_weekly_report_comes_on_thursday_with_its_chart_once(bot: Harness) -> None:
    assert tick_at(bot, 26, 15, 59) == []
    sent = tick_at(bot, 26, 16, 0)
    texts_by_room = {s.room: s.text for s in sent if not s.attachment}
    assert set(texts_by_room) == {"区平台群", "一镇群", "二镇群"}  # levels 1 and 2
    district = texts_by_room["区平台群"].splitlines()
    assert district[0] == "【周报】测试区 11月19日—11月25日"
    assert district[1] == "上报 2 件（巡查发现 2，上级交办 0，群众举报 0），较上期 +2 件"
    assert "各下级网格（上报/按期处置率/结案率/得分/等级）：" in district
    assert any(line.startswith("1. 一镇：1/100%/100%/") for line in district)
    assert "· 112202 散煤 二村一片 超期" in "\n".join(district)
    charts = [s for s in sent if s.attachment]
    assert {s.room for s in charts} == {"区平台群", "一镇群", "二镇群"}
    for chart in charts:
        assert Path(chart.attachment or "").read_bytes().startswith(PNG)
    assert tick_at(bot, 26, 17, 0) == []  # once


def test_the_monthly_report_on_the_first_with_the_ledger(bot: Harness) -> None:
    from openpyxl import load_workbook

    sent = tick_at(bot, 1, 9, 0, month=12)
    [district] = [s for s in sent if s.room == "区平台群" and not s.attachment]
    assert district.text.startswith("【月报】测试区 11月1日—11月30日")
    files = [s for s in sent if s.room == "区平台群" and s.attachment]
    assert [s.text for s in files] == ["月报图表：测试区", "11月问题整改台账（Excel）"]
    book = load_workbook(files[1].attachment or "", read_only=True)
    assert "汇总" in book.sheetnames
    assert not [s for s in sent if s.room == "一镇群" and (s.attachment or "").endswith(".xlsx")]


def test_no_report_in_the_evening_of_a_missed_day(bot: Harness) -> None:
    assert tick_at(bot, 26, 20, 30) == []  # the bot was down from 16:00 to 20:30


def test_on_demand_for_heads_only(bot: Harness) -> None:
    text, chart = bot.say("一镇群", "镇长丙", "周报")
    assert text.text.startswith("【周报】一镇 11月16日—11月22日")  # the seven days so far
    assert chart.attachment and Path(chart.attachment).read_bytes().startswith(PNG)
    [refused] = bot.say("一村群", "巡查员辛", "月报")
    assert refused.text == texts.NOT_A_HEAD
