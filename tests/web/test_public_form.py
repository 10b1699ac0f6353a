"""The public report form (有奖举报): no login, Chinese errors, escaped output, a rate limit."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient
from sqlmodel import select

from bot.core.clock import FixedClock
from bot.services.public import triage
from bot.services.roster.lookup import Actor
from bot.services.tickets.ledger import Origin
from bot.web import keys
from config.settings import Settings
from models.tables import Person, PublicReport
from tests.web.conftest import settings_for

Client = TestClient[web.Request, web.Application]
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
GOOD = {"category": "sanmei", "address": "东关街12号对面", "description": "院子里烧散煤，黑烟很大"}


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The whole app on each database (SQLite and PostgreSQL), with the demo roster."""
    return settings_for(db_url, tmp_path)


def _reports(client: Client) -> list[PublicReport]:
    with client.app[keys.RUNTIME].transaction() as session:
        return list(session.exec(select(PublicReport)).all())


async def _submit(client: Client, **fields: str) -> tuple[int, str]:
    response = await client.post("/public/report", data={**GOOD, **fields})
    return response.status, await response.text()


def _code(page: str) -> str:
    found = re.search(r'id="report-code">(J[A-Z2-7]{8})<', page)
    assert found, page
    return found.group(1)


async def test_the_form_needs_no_login_and_runs_no_inline_script(client: Client) -> None:
    response = await client.get("/public/report")
    assert response.status == 200
    page = await response.text()
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/public/assets/report.js">']
    assert '<option value="sanmei">散煤</option>' in page
    assert "领取奖励" in page and "手机号" in page
    assert "http" not in page  # nothing from elsewhere


async def test_a_good_report_is_filed_and_its_code_shown(client: Client) -> None:
    status, page = await _submit(client, name="李女士", phone="13900001111")
    assert status == 200
    code = _code(page)
    assert f'href="/public/report/{code}"' in page
    [row] = _reports(client)
    assert (row.code, row.status, row.channel, row.phone) == (code, "triage", "web", "13900001111")
    assert row.ip_hash not in ("", "127.0.0.1", hashlib.sha256(b"127.0.0.1").hexdigest())
    assert len(row.ip_hash) == 64  # an HMAC under the deployment secret, not the address
    status_page = await client.get(f"/public/report/{code}")
    text = await status_page.text()
    assert status_page.status == 200
    assert "待分派" in text and "东关街12号对面" in text
    assert "13900001111" not in text and "李女士" not in text


async def test_what_a_resident_typed_comes_back_as_text(client: Client) -> None:
    _, page = await _submit(client, description="<script>alert(1)</script>")
    response = await client.get(f"/public/report/{_code(page)}")
    text = await response.text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert" not in text
    status, again = await _submit(client, address="", description='"><img src=x onerror=alert(1)>')
    assert status == 400
    assert "<img src=x" not in again and "&lt;img src=x" in again


async def test_a_photo_is_kept_by_its_digest(client: Client, settings: Settings) -> None:
    form = FormData(GOOD)
    form.add_field("photo", JPEG, filename="现场.jpg", content_type="image/jpeg")
    response = await client.post("/public/report", data=form)
    assert response.status == 200
    [row] = _reports(client)
    expected = settings.data_dir / "public" / f"{hashlib.sha256(JPEG).hexdigest()}.jpg"
    assert row.photo_path == str(expected) and expected.read_bytes() == JPEG


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "照片不能超过5MB"),
        (b"GIF89a" + b"\x00" * 100, "照片只能是 JPG 或 PNG 格式"),
        (b"<html><script>alert(1)</script>", "照片只能是 JPG 或 PNG 格式"),
    ],
)
async def test_a_photo_too_big_or_not_an_image_is_refused(
    client: Client, data: bytes, message: str
) -> None:
    form = FormData(GOOD)
    form.add_field("photo", data, filename="a.jpg", content_type="image/jpeg")
    response = await client.post("/public/report", data=form)
    page = await response.text()
    assert response.status == 400
    assert re.search(rf'id="error-photo">{message}', page)
    assert "东关街12号对面" in page  # what was typed is kept
    assert _reports(client) == []


async def test_missing_place_and_description_are_named_next_to_their_fields(
    client: Client,
) -> None:
    status, page = await _submit(client, address=" ", description="", phone="12")
    assert status == 400
    assert 'id="error-address">请填写地点' in page
    assert 'id="error-description">请简单描述' in page
    assert 'id="error-phone">手机号码格式不对' in page
    assert _reports(client) == []


async def test_an_unreadable_body_is_refused_without_writing(client: Client) -> None:
    response = await client.post(
        "/public/report", data=b"{}", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert "无法读取" in await response.text()
    assert _reports(client) == []


async def test_the_sixth_report_in_an_hour_waits_until_the_clock_moves(
    client: Client, clock: FixedClock
) -> None:
    for _ in range(5):
        assert (await _submit(client))[0] == 200
    status, page = await _submit(client)
    assert status == 429
    assert "您提交得太频繁了" in page
    assert len(_reports(client)) == 5
    clock.advance(timedelta(minutes=61))
    assert (await _submit(client))[0] == 200


async def test_at_most_twenty_reports_a_day_from_one_address(
    client: Client, clock: FixedClock
) -> None:
    for _ in range(4):
        for _ in range(5):
            assert (await _submit(client))[0] == 200
        clock.advance(timedelta(hours=1, minutes=1))
    assert (await _submit(client))[0] == 429
    clock.advance(timedelta(hours=21))
    assert (await _submit(client))[0] == 200


async def test_the_status_follows_the_ticket(client: Client) -> None:
    _, page = await _submit(client)
    code = _code(page)
    runtime = client.app[keys.RUNTIME]
    with runtime.transaction() as session:
        clerk = Person(name="值班员")
        session.add(clerk)
        session.flush()
        [item] = triage.queue(session, runtime)
        assert triage.suggest_grid(session, item) is None  # 东关街 names no grid
    with runtime.transaction() as session:
        origin = Origin(Actor(clerk.id or 0, clerk.name), runtime.clock.now())
        routed = triage.route(session, runtime, item.id, "CQ-XJ-01", origin)
    text = await (await client.get(f"/public/report/{code.lower()}")).text()
    assert "已受理，处置中" in text and f"工单 {routed.ticket.code}" in text


async def test_unknown_codes_and_the_lookup_box(client: Client) -> None:
    missing = await client.get("/public/report/JAAAAAAAA")
    assert missing.status == 404 and "找不到" in await missing.text()
    _, page = await _submit(client)
    code = _code(page)
    found = await client.get(f"/public/lookup?code={code.lower()}", allow_redirects=False)
    assert found.status == 303 and found.headers["Location"] == f"/public/report/{code}"
    bad = await client.get("/public/lookup?code=<x>")
    assert bad.status == 404


async def test_only_the_pages_own_files_are_served(client: Client) -> None:
    css = await client.get("/public/assets/report.css")
    assert css.status == 200 and css.content_type == "text/css"
    assert (await client.get("/public/assets/report.js")).content_type == "text/javascript"
    assert (await client.get("/public/assets/report.html")).status == 404
