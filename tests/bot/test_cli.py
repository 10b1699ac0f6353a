"""The command line as operators use it: the real `gridbot` script, output as the contract."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Gridbot
from tests.harness import TEST_ROSTER

REPORT = "【问题上报】\n类型：散煤\n地点：一村3号楼东侧\n描述：居民使用燃煤炉取暖，冒黑烟"


def lines(done: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_say_tick_tickets(gridbot: Gridbot) -> None:
    [reply] = lines(
        gridbot(
            "say",
            "--room",
            "一村群",
            "--from",
            "wx_a_member",
            "--at",
            "2026-11-22T10:00:00+08:00",
            REPORT,
        )
    )
    assert reply["room"] == "一村群"
    assert reply["mentions"] == ["片长庚"]
    assert str(reply["text"]).startswith("已登记工单 112201")
    [ticket] = json.loads(gridbot("tickets", "--json").stdout)
    assert {k: ticket[k] for k in ("code", "status", "category", "grid", "reporter", "due_at")} == {
        "code": "112201",
        "status": "open",
        "category": "散煤",
        "grid": "D-T1-V1-A",
        "reporter": "巡查员辛",
        "due_at": "2026-11-24T10:00:00+08:00",
    }
    sent = lines(gridbot("tick", "--at", "2026-11-24T09:59:00+08:00"))
    briefings = [b for b in sent if str(b["text"]).startswith("【每日简报】")]
    assert {b["room"] for b in briefings} == {"区平台群", "一镇群", "二镇群", "一村群", "二村群"}
    # Also: 112201 is due in 24 h, and it was never 受理'd: one message for its head.
    [reminder] = [m for m in sent if m not in briefings]
    assert reminder["room"] == "一村群" and reminder["mentions"] == ["片长庚"]
    assert str(reminder["text"]).startswith("【提醒】片长庚，您有 2 件事项：")
    [ping] = lines(gridbot("tick", "--at", "2026-11-24T10:01:00+08:00"))
    assert ping["room"] == "一村群" and ping["mentions"] == ["村书记戊"]
    assert lines(gridbot("tick", "--at", "2026-11-24T10:02:00+08:00")) == []


def test_import_report_and_bad_roster(gridbot: Gridbot, tmp_path: Path) -> None:
    again = gridbot("import-roster", str(TEST_ROSTER))
    assert "花名册导入完成" in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(
        TEST_ROSTER.read_text(encoding="utf-8") + "X,坏网格,3,NOPE,,,,,\n", encoding="utf-8"
    )
    done = gridbot("import-roster", str(bad), ok=False)
    assert done.returncode == 2
    assert "第16行" in done.stderr and "Traceback" not in done.stderr


def test_bad_time_is_a_clear_error(gridbot: Gridbot) -> None:
    done = gridbot("tick", "--at", "明天早上", ok=False)
    assert done.returncode == 2
    assert "--at 的时间格式不对" in done.stderr


def test_unknown_room_is_pointed_out(gridbot: Gridbot) -> None:
    done = gridbot("say", "--room", "家族群", "--from", "巡查员辛", REPORT)
    assert done.stdout == ""
    assert "群「家族群」不在花名册中" in done.stderr


def test_wechat_mode_without_the_wechat_extra_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from bot import cli
    from bot.services.roster import texts as roster_texts

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "wechaty" else real(name, *a)
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WECHATY_PUPPET_SERVICE_ENDPOINT", "127.0.0.1:9")
    assert cli.main(["run"]) == 2
    assert capsys.readouterr().err == roster_texts.CLI_NO_WECHATY + "\n"


def test_a_configured_admin_token_is_never_printed(tmp_path: Path) -> None:
    from bot import cli
    from config.settings import load_settings

    token = "configured-admin-token-0042"
    configured = load_settings(
        environ={"GRIDBOT_ADMIN_TOKEN": token, "GRIDBOT_DATA_DIR": str(tmp_path)}
    )
    assert token not in cli._link("http://127.0.0.1:8080/", configured, token)
    random_one = load_settings(environ={"GRIDBOT_DATA_DIR": str(tmp_path)})
    link = cli._link("http://127.0.0.1:8080/", random_one, "generated-per-start-1234")
    assert link == "http://127.0.0.1:8080/?token=generated-per-start-1234"


def test_case_flow_commands_through_gridbot_say(gridbot: Gridbot, tmp_path: Path) -> None:
    at = ("--at", "2026-11-22T10:00:00+08:00")
    task = "交办 一村一片 工地扬尘 一村工地东门 渣土未覆盖 2天"
    here, there = lines(gridbot("say", "--room", "一镇群", "--from", "镇长丙", *at, task))
    assert here["room"] == "一镇群" and str(here["text"]).startswith("已交办工单 112201")
    assert there["room"] == "一村群" and there["mentions"] == ["片长庚"]
    [extend] = lines(
        gridbot("say", "--room", "一村群", "--from", "片长庚", *at, "延期 112201 2天 等车")
    )
    assert str(extend["text"]).startswith("【延期申请】") and extend["mentions"] == ["村书记戊"]
    [todo] = lines(gridbot("say", "--room", "一村群", "--from", "村书记戊", *at, "待办"))
    assert "待我审批延期（1 件）" in str(todo["text"])
    # The head of 一村一片 changes: the import says the new head was told.
    roster = tmp_path / "new-head.csv"
    roster.write_text(
        TEST_ROSTER.read_text(encoding="utf-8").replace(",片长庚,网格长,", ",片长庚,网格员,")
        + "D-T1-V1-A,一村一片,4,D-T1-V1,,新片长酉,网格长,wx_a_new,13800000099\n",
        encoding="utf-8",
    )
    assert "已通知 1 位新网格长" in gridbot("import-roster", str(roster)).stdout
