"""The indicators on a small fixed history, against figures worked out by hand.

Four tickets in 一镇's subtree, reported on Sunday 22 November 2026 at 10:00 (not a working
day; two working hours for 受理 end on Monday at 10:30):

- A 道路扬尘 (24 h): 受理 at once, 办结 12:00, 核查通过 Monday 09:00.
- B 散煤 (48 h): 受理 Monday 11:30 (late), 办结 Wednesday 10:00, 退回 11:00 (new deadline
  Friday 11:00), 办结 again Thursday 09:00 (in time for the new deadline).
- C 道路扬尘: 申诉, 申诉通过 (不予处置): out of every denominator.
- D 散煤: 延期 2天 (Tuesday 10:00 → Thursday 10:00) granted, 督办, never acted on: at
  Thursday 12:00 it is two hours overdue.

Patrols: 巡查员辛 checks in on Monday and Tuesday, 巡查员卯 reports 无异常 on Wednesday; the
Sunday reports fall on a non-working day. Two patrolling grids × four working days = 8.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from bot.services.reports.indicators import Indicators, compute, resolve_rates
from bot.services.roster import lookup
from tests.harness import Harness

TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def history(engine: Engine) -> Harness:
    bot = Harness.on(engine)
    a = bot.report("一村群", "巡查员辛", category="道路扬尘", location="一村1号")
    b = bot.report("一村群", "巡查员辛", category="散煤", location="一村2号")
    c = bot.report("一村群", "巡查员卯", category="道路扬尘", location="二片1号")
    d = bot.report("一村群", "巡查员卯", category="散煤", location="二片2号")
    steps = [
        (at(22, 10), "一村群", "片长庚", f"受理 {a}"),
        (at(22, 10), "一村群", "片长癸", f"申诉 {c} 不属于本网格"),
        (at(22, 10), "一镇群", "镇长丙", f"申诉通过 {c}"),
        (at(22, 10), "一村群", "片长癸", f"延期 {d} 2天 等车"),
        (at(22, 10), "一村群", "村书记戊", f"同意延期 {d}"),
        (at(22, 10), "一镇群", "镇长丙", f"督办 {d}"),
        (at(22, 12), "一村群", "片长庚", f"办结 {a} 已洒水"),
        (at(23, 9), "一村群", "村书记戊", f"核查通过 {a}"),
        (at(23, 9), "一村群", "巡查员辛", "巡查打卡"),
        (at(23, 11, 30), "一村群", "片长庚", f"受理 {b}"),
        (at(24, 9), "一村群", "巡查员辛", "巡查打卡"),
        (at(25, 10), "一村群", "片长庚", f"办结 {b} 已劝导"),
        (at(25, 11), "一村群", "村书记戊", f"退回 {b} 煤炉未拆"),
        (at(25, 12), "一村群", "巡查员卯", "今日巡查无异常"),
        (at(26, 9), "一村群", "片长庚", f"办结 {b} 煤炉已拆"),
    ]
    for moment, room, who, text in steps:
        bot.clock.set(moment)
        [reply, *_] = bot.say(room, who, text)
        assert "不能" not in reply.text and "只有" not in reply.text, (text, reply.text)
    bot.clock.set(at(26, 12))
    return bot


def figures(bot: Harness, grid: str, **options: object) -> Indicators:
    with bot.runtime.transaction() as session:
        found = lookup.find_grid(session, grid)
        assert found is not None and found.id is not None
        return compute(session, bot.runtime, [found.id], at(22, 0), at(26, 12), **options)[found.id]  # type: ignore[arg-type]


def test_the_indicators_match_the_hand_computed_figures(history: Harness) -> None:
    f = figures(history, "一镇")
    assert (f.reported, f.dismissed, f.valid) == (4, 1, 3)
    assert f.by_source == {"patrol": 4, "assigned": 0, "public": 0}
    assert f.by_category == {"道路扬尘": 2, "散煤": 2}
    assert f.valid_rate == pytest.approx(3 / 4)
    assert f.accept_rate == pytest.approx(1 / 3)  # only A within two working hours
    assert f.resolve_rate == pytest.approx(2 / 3)  # A, and B by its new deadline
    assert f.close_rate == pytest.approx(1 / 3)
    assert f.verify_rate == pytest.approx(1 / 2)  # A verified in time, B not yet
    assert f.rework_rate == pytest.approx(1 / 3)
    assert (f.overdue, f.overdue_hours) == (1, pytest.approx(2.0))  # D, extended to Thursday
    assert f.supervised == 1
    assert (f.patrol_days, f.patrol_expected, f.zero_days) == (3, 8, 1)
    assert f.patrol_rate == pytest.approx(3 / 8)


def test_the_rework_denominator_is_a_setting(history: Harness) -> None:
    assert figures(history, "一镇", rework_denominator="resolved").rework_rate == pytest.approx(
        1 / 2
    )


def test_a_child_grid_counts_its_own_subtree(history: Harness) -> None:
    first = figures(history, "一村一片")  # A and B
    assert (first.reported, first.dismissed, first.closed) == (2, 0, 1)
    second = figures(history, "一村二片")  # C (dismissed) and D
    assert (second.reported, second.dismissed, second.valid) == (2, 1, 1)
    assert second.resolve_rate == 0 and second.overdue == 1
    assert figures(history, "二镇").reported == 0 and figures(history, "二镇").accept_rate is None


def test_a_public_complaint_counts_as_such(engine: Engine) -> None:
    bot = Harness.on(engine)
    bot.report("一村群", "巡查员辛", extra="，群众举报多次")
    bot.clock.set(at(22, 12))
    assert figures(bot, "一镇").by_source == {"patrol": 0, "assigned": 0, "public": 1}


def test_the_dashboards_grouped_rate_is_computes_rate(history: Harness) -> None:
    with history.runtime.transaction() as session:
        rates = resolve_rates(session, at(22, 0), at(26, 12))
        grids = {g: lookup.find_grid(session, g) for g in ("一镇", "一村一片", "一村二片")}
    ids = {name: grid.id for name, grid in grids.items() if grid is not None and grid.id}
    assert len(ids) == 3
    for name, grid_id in ids.items():
        assert rates[grid_id] == pytest.approx(figures(history, name).resolve_rate), name
    assert rates[ids["一镇"]] == pytest.approx(2 / 3)
