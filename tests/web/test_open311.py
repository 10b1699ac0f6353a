"""Open311 GeoReport v2, tested against the spec: fields, statuses, defaults, errors, XML."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlmodel import select

from bot.core.clock import FixedClock
from bot.services.public import apikeys, triage
from bot.services.roster.lookup import Actor
from bot.services.tickets.ledger import Origin
from bot.web import keys
from config.settings import Settings
from models.tables import Person, PublicReport, Ticket
from tests.web.conftest import START, settings_for

Client = TestClient[web.Request, web.Application]
BASE = "/open311/v2"
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
REQUEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "service_request_id": str,
    "status": str,
    "status_notes": str,
    "service_name": str,
    "service_code": str,
    "description": str,
    "agency_responsible": str,
    "service_notice": str,
    "requested_datetime": str,
    "updated_datetime": str,
    "expected_datetime": (str, type(None)),
    "address": (str, type(None)),
    "address_id": (str, type(None)),
    "zipcode": (str, type(None)),
    "lat": (float, type(None)),
    "long": (float, type(None)),
    "media_url": (str, type(None)),
}


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The whole app on each database (SQLite and PostgreSQL), with the demo roster."""
    return settings_for(db_url, tmp_path)


@pytest.fixture
def api_key(client: Client) -> str:
    runtime = client.app[keys.RUNTIME]
    with runtime.transaction() as session:
        return apikeys.issue(session, "12345热线", runtime.clock.now()).key


async def _post(client: Client, fmt: str = "json", **fields: str) -> tuple[int, object]:
    response = await client.post(f"{BASE}/requests.{fmt}", data=fields)
    body = await response.text()
    return response.status, body if fmt == "xml" else await response.json()


async def _file(client: Client, api_key: str, **fields: str) -> str:
    given = {"service_code": "sanmei", "lat": "35.49", "long": "112.85", "description": "烧煤"}
    status, body = await _post(client, api_key=api_key, **{**given, **fields})
    assert status == 201, body
    assert isinstance(body, list)
    return str(body[0]["service_request_id"])


async def _get(client: Client, path: str) -> tuple[int, object]:
    response = await client.get(f"{BASE}/{path}")
    if path.split("?")[0].endswith(".xml"):
        return response.status, ElementTree.fromstring(await response.text())
    return response.status, await response.json()


def _ids(body: object) -> list[str]:
    assert isinstance(body, list)
    return [row["service_request_id"] for row in body]


def _error(body: object, code: int) -> str:
    assert isinstance(body, list) and len(body) == 1
    assert set(body[0]) == {"code", "description"} and body[0]["code"] == code
    return str(body[0]["description"])


# -- services -----------------------------------------------------------------------------
async def test_services_list_every_category_with_the_specs_fields(client: Client) -> None:
    status, body = await _get(client, "services.json")
    assert status == 200 and isinstance(body, list)
    assert len(body) == len(client.app[keys.RUNTIME].policy.categories)
    for service in body:
        assert set(service) == {
            "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
        }  # fmt: skip
        assert service["metadata"] is False and service["type"] == "realtime"
        assert service["service_code"].isascii()
    assert body[0]["service_code"] == "sanmei" and body[0]["service_name"] == "散煤"


async def test_services_in_xml_use_the_specs_elements(client: Client) -> None:
    status, root = await _get(client, "services.xml")
    assert status == 200 and isinstance(root, ElementTree.Element)
    assert root.tag == "services"
    first = root.find("service")
    assert first is not None
    assert first.findtext("service_code") == "sanmei"
    assert first.findtext("metadata") == "false" and first.findtext("type") == "realtime"


async def test_an_unknown_format_is_a_404_in_the_error_format(client: Client) -> None:
    for path in ("services.yaml", "requests.html", "requests/J1.csv"):
        status, body = await _get(client, path)
        assert status == 404
        assert "format" in _error(body, 404)


# -- POST requests ------------------------------------------------------------------------
async def test_a_request_is_filed_into_the_triage_queue(client: Client, api_key: str) -> None:
    status, body = await _post(
        client,
        api_key=api_key,
        service_code="gongdiyangchen",
        address_string="东关街12号工地",
        description="夜间施工扬尘",
        first_name="伟",
        last_name="张",
        phone="13900002222",
        email="z@example.cn",
        media_url="https://example.cn/a.jpg",
        device_id="d1",
    )
    assert status == 201
    assert isinstance(body, list) and len(body) == 1
    assert set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    assert body[0]["account_id"] is None and body[0]["service_notice"]
    with client.app[keys.RUNTIME].transaction() as session:
        row = session.exec(select(PublicReport)).one()
    assert (row.code, row.channel, row.status) == (
        body[0]["service_request_id"],
        "open311",
        "triage",
    )
    assert (row.service_code, row.address, row.name, row.phone) == (
        "gongdiyangchen", "东关街12号工地", "伟 张", "13900002222",
    )  # fmt: skip
    assert row.api_key_id is not None


async def test_a_request_answered_in_xml(client: Client, api_key: str) -> None:
    status, body = await _post(
        client, "xml", api_key=api_key, service_code="sanmei", address_id="A-17"
    )
    assert status == 201 and isinstance(body, str)
    root = ElementTree.fromstring(body)
    assert root.tag == "service_requests"
    assert (root.findtext("request/service_request_id") or "").startswith("J")


@pytest.mark.parametrize("key", [None, "", "g311_wrong"])
async def test_a_missing_or_wrong_api_key_is_a_403(client: Client, key: str | None) -> None:
    fields = {"service_code": "sanmei", "lat": "35.5", "long": "112.8"}
    if key is not None:
        fields["api_key"] = key
    status, body = await _post(client, **fields)
    assert status == 403
    assert "api_key" in _error(body, 403)
    status, xml = await _post(client, "xml", **fields)
    assert status == 403 and isinstance(xml, str)
    root = ElementTree.fromstring(xml)
    assert root.tag == "errors" and root.findtext("error/code") == "403"
    assert "api_key" in (root.findtext("error/description") or "")


async def test_a_revoked_key_no_longer_works(client: Client, api_key: str) -> None:
    runtime = client.app[keys.RUNTIME]
    with runtime.transaction() as session:
        [key] = apikeys.list_keys(session)
        apikeys.revoke(session, key.id, runtime.clock.now())
    status, _ = await _post(client, api_key=api_key, service_code="sanmei", address_id="1")
    assert status == 403


@pytest.mark.parametrize(
    ("fields", "word"),
    [
        ({"lat": "35.5", "long": "112.8"}, "service_code"),
        ({"service_code": "nosuch", "lat": "35.5", "long": "112.8"}, "service_code"),
        ({"service_code": "sanmei"}, "location"),
        ({"service_code": "sanmei", "lat": "35.5"}, "lat"),
        ({"service_code": "sanmei", "lat": "95", "long": "112.8"}, "lat"),
        ({"service_code": "sanmei", "lat": "nan", "long": "1"}, "lat"),
        ({"service_code": "sanmei", "address_string": "x" * 501}, "address_string"),
        ({"service_code": "sanmei", "address_id": "1", "media_url": "file:///etc"}, "media_url"),
    ],
)
async def test_a_missing_or_bad_field_is_a_400_naming_it(
    client: Client, api_key: str, fields: dict[str, str], word: str
) -> None:
    status, body = await _post(client, api_key=api_key, **fields)
    assert status == 400
    assert word in _error(body, 400)
    with client.app[keys.RUNTIME].transaction() as session:
        assert session.exec(select(PublicReport)).all() == []


# -- GET requests -------------------------------------------------------------------------
async def test_a_request_has_every_field_typed_with_local_offsets(
    client: Client, api_key: str
) -> None:
    code = await _file(client, api_key)
    status, body = await _get(client, f"requests/{code}.json")
    assert status == 200 and isinstance(body, list) and len(body) == 1
    request = body[0]
    assert set(request) == set(REQUEST_FIELDS)
    for name, kind in REQUEST_FIELDS.items():
        assert isinstance(request[name], kind), name
    assert request["requested_datetime"] == "2026-11-22T08:00:00+08:00"
    assert OFFSET.match(request["updated_datetime"])
    assert (request["status"], request["expected_datetime"]) == ("open", None)
    assert (request["lat"], request["long"]) == (35.49, 112.85)
    assert request["agency_responsible"] == "城区网格化环境监管平台"


async def test_an_unknown_request_is_a_404_in_json_and_xml(client: Client) -> None:
    status, body = await _get(client, "requests/JAAAAAAAA.json")
    assert status == 404 and "JAAAAAAAA" in _error(body, 404)
    status, root = await _get(client, "requests/JAAAAAAAA.xml")
    assert status == 404 and isinstance(root, ElementTree.Element)
    assert root.tag == "errors" and root.findtext("error/code") == "404"


def _route(client: Client, code: str, grid: str = "CQ-XJ-01") -> Ticket:
    runtime = client.app[keys.RUNTIME]
    with runtime.transaction() as session:
        clerk = Person(name="值班员")
        session.add(clerk)
        session.flush()
        report = session.exec(select(PublicReport).where(PublicReport.code == code)).one()
        origin = Origin(Actor(clerk.id or 0, clerk.name), runtime.clock.now())
        triage.route(session, runtime, report.id or 0, grid, origin)
        return session.exec(select(Ticket).where(Ticket.id == report.ticket_id)).one()


async def test_a_routed_request_names_its_grid_and_due_time_and_closes_with_it(
    client: Client, api_key: str
) -> None:
    code = await _file(client, api_key)
    ticket = _route(client, code)
    _, body = await _get(client, f"requests/{code}.json")
    assert isinstance(body, list)
    request = body[0]
    assert request["status"] == "open" and request["agency_responsible"] == "东关社区"
    expected = datetime.fromisoformat(request["expected_datetime"])
    assert OFFSET.match(request["expected_datetime"]) and expected == ticket.due_at
    assert ticket.code in request["status_notes"]
    runtime = client.app[keys.RUNTIME]
    with runtime.transaction() as session:
        row = session.get(Ticket, ticket.id)
        assert row is not None
        row.status, row.closed_at = "closed", runtime.clock.now()
        session.add(row)
    _, body = await _get(client, f"requests/{code}.json")
    assert isinstance(body, list) and body[0]["status"] == "closed"


async def test_requests_default_to_the_last_90_days_newest_first(
    client: Client, clock: FixedClock, api_key: str
) -> None:
    old = await _file(client, api_key)
    clock.advance(timedelta(days=10))
    middle = await _file(client, api_key)
    clock.advance(timedelta(days=85))
    new = await _file(client, api_key)
    _, body = await _get(client, "requests.json")
    assert _ids(body) == [new, middle]
    _, body = await _get(client, "requests.json?start_date=2026-11-01T00:00:00%2B08:00")
    assert _ids(body) == [middle, old]  # 90 days from the start
    _, body = await _get(client, "requests.json?start_date=2026-11-01&end_date=2027-12-31")
    assert _ids(body) == [new, middle, old]
    _, body = await _get(client, "requests.json?end_date=2026-11-22T09:00:00+08:00")
    assert _ids(body) == [old]  # an unencoded "+" arrives as a space, and is understood
    _, body = await _get(client, f"requests.json?service_request_id={old},{new}")
    assert _ids(body) == [new, old]  # ids override every other filter


async def test_requests_filter_by_service_and_status(client: Client, api_key: str) -> None:
    coal = await _file(client, api_key)
    dust = await _file(client, api_key, service_code="gongdiyangchen")
    runtime = client.app[keys.RUNTIME]
    with runtime.transaction() as session:
        clerk = Person(name="值班员")
        session.add(clerk)
        session.flush()
        report = session.exec(select(PublicReport).where(PublicReport.code == dust)).one()
        origin = Origin(Actor(clerk.id or 0, clerk.name), runtime.clock.now())
        triage.reject(session, runtime, report.id or 0, "重复举报", origin)
    _, body = await _get(client, "requests.json?service_code=sanmei")
    assert _ids(body) == [coal]
    _, body = await _get(client, "requests.json?status=closed")
    assert _ids(body) == [dust]
    assert isinstance(body, list) and body[0]["status_notes"] == "不予受理：重复举报"
    _, body = await _get(client, "requests.json?status=open")
    assert _ids(body) == [coal]
    _, body = await _get(client, "requests.json?status=open,closed")
    assert set(_ids(body)) == {coal, dust}


@pytest.mark.parametrize(
    ("query", "status", "word"),
    [
        ("start_date=yesterday", 400, "start_date"),
        ("end_date=2026-13-01", 400, "end_date"),
        ("status=pending", 400, "status"),
        ("service_code=nosuch", 400, "service_code"),
        ("start_date=9999-12-01", 400, "start_date"),
        ("end_date=0001-01-02", 400, "start_date"),
        ("start_date=0001-01-01T00:00:00%2B14:00", 400, "start_date"),
    ],
)
async def test_bad_filters_are_errors(client: Client, query: str, status: int, word: str) -> None:
    got, body = await _get(client, f"requests.json?{query}")
    assert got == status and word in _error(body, status)
    got, root = await _get(client, f"requests.xml?{query}")
    assert got == status and isinstance(root, ElementTree.Element)
    assert root.findtext("error/code") == str(status)


async def test_at_most_1000_requests_are_returned(client: Client) -> None:
    runtime = client.app[keys.RUNTIME]
    with runtime.transaction() as session:
        session.add_all(
            PublicReport(
                code=f"JCAP{n:05d}",
                service_code="sanmei",
                address="某处",
                created_at=START - timedelta(seconds=n),
                updated_at=START - timedelta(seconds=n),
            )
            for n in range(1001)
        )
    _, body = await _get(client, "requests.json")
    ids = _ids(body)
    assert len(ids) == 1000 and ids[0] == "JCAP00000" and ids[-1] == "JCAP00999"


async def test_requests_in_xml_use_the_specs_elements(client: Client, api_key: str) -> None:
    code = await _file(client, api_key, description="<b>&</b>")
    status, root = await _get(client, "requests.xml")
    assert status == 200 and isinstance(root, ElementTree.Element)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request is not None
    assert [child.tag for child in request] == list(REQUEST_FIELDS)
    assert request.findtext("service_request_id") == code
    assert request.findtext("description") == "<b>&</b>"
    assert request.findtext("status") == "open"
    _, one = await _get(client, f"requests/{code}.xml")
    assert isinstance(one, ElementTree.Element) and len(one.findall("request")) == 1
