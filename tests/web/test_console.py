"""The console's log-in, sessions, CSRF and refusals, through the real app and its HTTP API."""

from __future__ import annotations

import logging
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.core.clock import FixedClock
from bot.web import keys
from config.settings import Settings
from tests.web.conftest import settings_for
from tests.web.console_seed import PASSWORD, in_thread, make_account, report

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The console on each database: refusals must read the same on SQLite and PostgreSQL."""
    return settings_for(db_url, tmp_path)


async def log_in(client: Client, username: str = "office") -> str:
    """Log in and return the CSRF token the page would send with every write."""
    response = await client.post(
        "/console/api/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status == 200, await response.text()
    me = await client.get("/console/api/me")
    return str((await me.json())["csrf"])


async def test_the_console_asks_for_a_log_in(client: Client) -> None:
    page = await client.get("/console", allow_redirects=False)
    assert page.status == 302 and page.headers["Location"].startswith("/console/login")
    api = await client.get("/console/api/tree")
    assert api.status == 401 and (await api.json())["error"] == "请先登录。"
    login_page = await client.get("/console/login")
    assert login_page.status == 200 and "登录" in await login_page.text()


async def test_a_good_log_in_sets_a_signed_httponly_strict_cookie(client: Client) -> None:
    await in_thread(make_account, client.app, "office")
    wrong = await client.post("/console/api/login", json={"username": "office", "password": "x"})
    assert wrong.status == 401 and (await wrong.json())["error"] == "用户名或密码不正确。"
    good = await client.post(
        "/console/api/login", json={"username": "office", "password": PASSWORD}
    )
    assert good.status == 200
    cookie = good.headers["Set-Cookie"]
    assert "gridbot_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    value = cookie.split("gridbot_session=", 1)[1].split(";", 1)[0]
    assert value.count(".") >= 1 and len(value) > 60  # token.signature
    tree = await client.get("/console/api/tree")
    assert tree.status == 200
    assert {n["code"] for n in (await tree.json())["nodes"]} >= {"CQ", "CQ-XJ"}


async def test_writes_need_the_csrf_token_and_the_same_site(client: Client) -> None:
    await in_thread(make_account, client.app, "office")
    code = await in_thread(report, client.app, "东关街9号工地")
    csrf = await log_in(client)
    url = f"/console/api/tickets/{code}/actions"
    body = {"action": "supervise", "note": "群众反映强烈"}
    missing = await client.post(url, json=body)
    assert missing.status == 403 and "刷新" in (await missing.json())["error"]
    foreign = await client.post(
        url, json=body, headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    )
    assert foreign.status == 403
    done = await client.post(url, json=body, headers={"X-CSRF-Token": csrf})
    assert done.status == 200, await done.text()
    assert "督办" in (await done.json())["reply"]
    again = await client.post(url, json=body, headers={"X-CSRF-Token": csrf})
    assert again.status == 400 and "督办" in (await again.json())["error"]  # a clear refusal
    audit = await client.get("/console/api/audit")
    actions = [e["action"] for e in (await audit.json())["entries"]]
    assert actions[:2] == ["supervise", "login"]


async def test_a_viewer_may_read_but_not_write(client: Client) -> None:
    await in_thread(make_account, client.app, "reader", "查看")
    code = await in_thread(report, client.app, "东关街11号工地")
    csrf = await log_in(client, "reader")
    view = await client.get(f"/console/api/tickets/{code}")
    assert view.status == 200 and (await view.json())["actions"] == []
    refused = await client.post(
        f"/console/api/tickets/{code}/actions",
        json={"action": "supervise"},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status == 403 and "只读" in (await refused.json())["error"]
    users = await client.get("/console/api/users")
    assert users.status == 403


async def test_log_in_is_limited_per_address(client: Client, clock: FixedClock) -> None:
    for _ in range(10):
        await client.post("/console/api/login", json={"username": "nobody", "password": "x"})
    limited = await client.post("/console/api/login", json={"username": "nobody", "password": "x"})
    assert limited.status == 429 and "频繁" in (await limited.json())["error"]
    clock.advance(timedelta(minutes=11))
    freed = await client.post("/console/api/login", json={"username": "nobody", "password": "x"})
    assert freed.status == 401


async def test_log_out_ends_the_session_and_a_disabled_account_is_out_at_once(
    client: Client,
) -> None:
    await in_thread(make_account, client.app, "office")
    await in_thread(make_account, client.app, "other", "查看")
    csrf = await log_in(client)
    off = await client.post(
        "/console/api/users/other", json={"disabled": "1"}, headers={"X-CSRF-Token": csrf}
    )
    assert off.status == 200
    out = await client.post("/console/api/logout", headers={"X-CSRF-Token": csrf})
    assert out.status == 200
    assert (await client.get("/console/api/me")).status == 401
    refused = await client.post(
        "/console/api/login", json={"username": "other", "password": PASSWORD}
    )
    assert refused.status == 401 and "停用" in (await refused.json())["error"]


async def test_bad_filters_and_uploads_get_a_chinese_400(client: Client) -> None:
    await in_thread(make_account, client.app, "office")
    csrf = await log_in(client)
    bad_date = await client.get("/console/api/tickets?from=2026-13-40")
    assert bad_date.status == 400 and "日期格式不对" in (await bad_date.json())["error"]
    bad_grid = await client.get("/console/api/tickets?grid=NOPE")
    assert bad_grid.status == 400 and "NOPE" in (await bad_grid.json())["error"]
    not_a_file = await client.post(
        "/console/api/roster/preview", json={}, headers={"X-CSRF-Token": csrf}
    )
    assert not_a_file.status == 400 and "花名册" in (await not_a_file.json())["error"]
    unknown = await client.post(
        "/console/api/tickets/999999/actions",
        json={"action": "close"},
        headers={"X-CSRF-Token": csrf},
    )
    assert unknown.status == 404 and "999999" in (await unknown.json())["error"]
    huge = await client.get("/console/api/tickets?page=9223372036854775807")
    assert huge.status == 200 and (await huge.json())["rows"] == []
    assert (await client.get("/console/api/photos/99999999999999999999")).status == 404


async def test_the_first_start_leaves_the_admin_password_in_a_private_file(
    settings: Settings, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        async with TestClient(TestServer(build_app(settings, clock))) as client:
            path = settings.data_dir / "initial-admin-password.txt"
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            password = path.read_text().split("初始密码：")[1].split()[0]
            response = await client.post(
                "/console/api/login", json={"username": "admin", "password": password}
            )
            assert response.status == 200
    assert "initial-admin-password.txt" in caplog.text  # the log says where, never what
    assert password not in caplog.text


async def test_a_town_account_stays_in_its_town(client: Client) -> None:
    """Neither the simulator's API (every group, posting as anyone) nor triage nor another
    town's report files open to a town's 管理员."""
    await in_thread(make_account, client.app, "town", "管理员", "CQ-BSD")
    filed = await client.post(
        "/public/report",
        data={
            "category": "sanmei",
            "address": "东关街1号",
            "description": "烧散煤",
            "phone": "13900001111",
        },
    )
    assert filed.status == 200
    csrf = await log_in(client, "town")
    assert (await client.get("/api/tickets")).status == 401
    assert (await client.get("/api/messages?wait=0")).status == 401
    posted = await client.post(
        "/api/messages",
        json={"room": "东关社区环保网格群", "person_id": 15, "text": "办结 112201 已处理"},
        headers={"X-CSRF-Token": csrf},
    )
    assert posted.status == 401
    routed = await client.post(
        "/console/api/public/1/route", json={"grid": "CQ-XJ-02"}, headers={"X-CSRF-Token": csrf}
    )
    assert routed.status == 403
    queue = await client.get("/console/api/public?all=1")
    assert (await queue.json())["reports"] == []  # not routed into the town: not shown
    assert (await client.get("/console/api/public/1/photo")).status == 404
    reports = client.app[keys.RUNTIME].policy.data_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "ledger-2026-10-CQ.xlsx").write_bytes(b"district")
    (reports / "weekly-CQ-BSD-2026-11-22.png").write_bytes(b"town")
    assert (await client.get("/console/api/files/ledger-2026-10-CQ.xlsx")).status == 404
    assert (await client.get("/console/api/files/weekly-CQ-BSD-2026-11-22.png")).status == 200


async def test_static_paths_cannot_climb_out_of_the_open_folders(client: Client) -> None:
    for path in ("/static/console/../index.html", "/static/console/%2e%2e/index.html"):
        response = await client.get(path, allow_redirects=False)
        assert response.status in (302, 401, 404), path
    assert (await client.get("/static/console/console.css")).status == 200


async def test_the_report_shelf_keeps_to_the_scope(client: Client) -> None:
    await in_thread(make_account, client.app, "office")
    await in_thread(make_account, client.app, "town", "查看", "CQ-BSD")
    await log_in(client)
    district = await (await client.get("/console/api/report?kind=weekly")).json()
    assert district["grid"] == "城区" and district["title"] == "周报"
    assert district["chart"].startswith("/console/api/files/weekly-CQ-")
    assert (await client.get(district["chart"])).status == 200
    assert (await client.get("/console/api/report?kind=yearly")).status == 400
    await log_in(client, "town")
    own = await (await client.get("/console/api/report?kind=monthly")).json()
    assert own["grid"] == "北石店镇"
    other = await client.get("/console/api/report?kind=weekly&grid=CQ-XJ")
    assert other.status == 400 and "不在您负责的范围内" in (await other.json())["error"]
    assert (await client.get(district["chart"])).status == 404  # the district's chart
