"""Open311 GeoReport v2: the services, filing a request and reading requests back.

The field names are the spec's (https://wiki.open311.org/GeoReport_v2). A service request id
is the report's public code; datetimes are ISO 8601 with the deployment zone's offset. Open311
requests enter the same triage queue as the public form (channel "open311").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from xml.etree.ElementTree import Element, SubElement, tostring

from sqlalchemy import ColumnElement
from sqlmodel import Session, col

from bot.services.public import apikeys, texts
from bot.services.public.catalog import Service, service_for, services_of
from bot.services.public.reports import (
    ADDRESS_LIMIT,
    DESCRIPTION_LIMIT,
    EMAIL_LIMIT,
    NAME_LIMIT,
    URL_LIMIT,
    NewReport,
    file_report,
    is_phone,
)
from bot.services.public.views import ReportView, open_condition, select_views
from bot.services.runtime import Runtime
from models.tables import PublicReport

FORMATS = ("json", "xml")
DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
OPEN, CLOSED = "open", "closed"
# "+08:00" in a query string arrives as " 08:00" when the client did not encode it.
_SPACED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


class Open311Error(Exception):
    """A request the spec answers with an error: its HTTP status and a description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass(frozen=True)
class ServiceEntry:
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


@dataclass(frozen=True)
class Receipt:
    service_request_id: str
    service_notice: str
    account_id: str | None


@dataclass(frozen=True)
class ServiceRequest:
    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


def _entry(service: Service) -> ServiceEntry:
    return ServiceEntry(
        service_code=service.code,
        service_name=service.name,
        description="、".join((service.name, *service.keywords[:4])),
        metadata=False,
        type="realtime",
        keywords=",".join(service.keywords),
        group=texts.SERVICE_GROUP,
    )


def service_list(runtime: Runtime) -> list[ServiceEntry]:
    """Every problem category as a GeoReport service, in the categories file's order."""
    return [_entry(s) for s in services_of(runtime.policy.categories)]


def _text(fields_: Mapping[str, str], name: str, limit: int) -> str:
    value = fields_.get(name, "").strip()
    if len(value) > limit:
        raise Open311Error(400, texts.E_TOO_LONG.format(field=name, limit=limit))
    return value


def _coordinates(fields_: Mapping[str, str]) -> tuple[float | None, float | None]:
    lat, long = fields_.get("lat", "").strip(), fields_.get("long", "").strip()
    if not lat and not long:
        return None, None
    try:
        north, east = float(lat), float(long)
    except ValueError:
        raise Open311Error(400, texts.E_LAT_LONG) from None
    if not (-90 <= north <= 90 and -180 <= east <= 180):  # NaN fails here too
        raise Open311Error(400, texts.E_LAT_LONG)
    return north, east


def _new_report(runtime: Runtime, fields_: Mapping[str, str], key_id: int) -> NewReport:
    code = fields_.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, texts.E_SERVICE_CODE_MISSING)
    service = service_for(runtime.policy.categories, code)
    if service is None:
        raise Open311Error(400, texts.E_SERVICE_CODE_UNKNOWN.format(code=code[:50]))
    lat, long = _coordinates(fields_)
    address = _text(fields_, "address_string", ADDRESS_LIMIT)
    address_id = _text(fields_, "address_id", 100)
    if lat is None and not address and not address_id:
        raise Open311Error(400, texts.E_LOCATION)
    if not address and address_id:
        address = texts.ADDRESS_ID.format(address_id=address_id)
    name = " ".join(
        part for part in (_text(fields_, "first_name", 50), _text(fields_, "last_name", 50)) if part
    )
    phone = _text(fields_, "phone", 40)
    if phone and not is_phone(phone):
        raise Open311Error(400, texts.E_PHONE)
    media_url = _text(fields_, "media_url", URL_LIMIT) or None
    if media_url and not media_url.lower().startswith(("http://", "https://")):
        raise Open311Error(400, texts.E_MEDIA_URL)
    return NewReport(
        service=service,
        address=address,
        description=_text(fields_, "description", DESCRIPTION_LIMIT),
        name=name[:NAME_LIMIT],
        phone=phone,
        email=_text(fields_, "email", EMAIL_LIMIT),
        lat=lat,
        long=long,
        media_url=media_url,
        channel="open311",
        api_key_id=key_id,
    )


def submit(session: Session, runtime: Runtime, fields_: Mapping[str, str]) -> Receipt:
    """POST requests: check the api_key and the fields, then queue the report for triage."""
    key_id = apikeys.check(session, fields_.get("api_key"))
    if key_id is None:
        raise Open311Error(403, texts.E_API_KEY)
    filed = file_report(session, runtime, _new_report(runtime, fields_, key_id))
    return Receipt(filed.code, texts.SERVICE_NOTICE, None)


def _stamp(runtime: Runtime, at: datetime | None) -> str | None:
    return runtime.policy.local(at).isoformat(timespec="seconds") if at is not None else None


def _request(runtime: Runtime, view: ReportView) -> ServiceRequest:
    notes = view.state
    if view.note:
        notes = f"{view.state}：{view.note}"
    elif view.ticket_code and view.grid_name:
        routed = texts.STATUS_NOTE_ROUTED.format(grid=view.grid_name, ticket=view.ticket_code)
        notes = f"{view.state}：{routed}"
    return ServiceRequest(
        service_request_id=view.code,
        status=OPEN if view.is_open else CLOSED,
        status_notes=notes,
        service_name=view.service_name,
        service_code=view.service_code,
        description=view.description,
        agency_responsible=view.agency,
        service_notice=texts.SERVICE_NOTICE,
        requested_datetime=_stamp(runtime, view.requested_at) or "",
        updated_datetime=_stamp(runtime, view.updated_at) or "",
        expected_datetime=_stamp(runtime, view.expected_at),
        address=view.address or None,
        address_id=None,
        zipcode=None,
        lat=view.lat,
        long=view.long,
        media_url=view.media_url,
    )


def _when(runtime: Runtime, name: str, raw: str) -> datetime:
    """A W3C datetime from the query; one without an offset is in the deployment's zone."""
    try:
        at = datetime.fromisoformat(_SPACED_OFFSET.sub(r"+\1", raw.strip()))
    except ValueError:
        raise Open311Error(400, texts.E_DATE.format(field=name)) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=runtime.policy.tz)
    try:
        return at.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the first representable instant
        raise Open311Error(400, texts.E_DATE.format(field=name)) from None


def _listed(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _filters(runtime: Runtime, query: Mapping[str, str]) -> list[ColumnElement[bool]]:
    start = _when(runtime, "start_date", query["start_date"]) if query.get("start_date") else None
    end = _when(runtime, "end_date", query["end_date"]) if query.get("end_date") else None
    try:
        if end is None:
            end = start + DEFAULT_WINDOW if start is not None else runtime.clock.now()
        if start is None:
            start = end - DEFAULT_WINDOW
    except OverflowError:  # 90 days past 9999-12-01 or before 0001-01-02
        raise Open311Error(400, texts.E_DATE.format(field="start_date/end_date")) from None
    conditions = [col(PublicReport.created_at) >= start, col(PublicReport.created_at) <= end]
    codes = _listed(query.get("service_code", ""))
    for code in codes:
        if service_for(runtime.policy.categories, code) is None:
            raise Open311Error(400, texts.E_SERVICE_CODE_UNKNOWN.format(code=code[:50]))
    if codes:
        conditions.append(col(PublicReport.service_code).in_(codes))
    statuses = set(_listed(query.get("status", "")))
    if not statuses <= {OPEN, CLOSED}:
        raise Open311Error(400, texts.E_STATUS)
    if len(statuses) == 1:
        conditions.append(open_condition(OPEN in statuses))
    return conditions


def search(session: Session, runtime: Runtime, query: Mapping[str, str]) -> list[ServiceRequest]:
    """GET requests: newest first, at most 1000; by default the last 90 days.

    `service_request_id` (comma-separated) overrides every other filter, as the spec says.
    Without dates: the 90 days up to now; with only one of them, 90 days from or up to it.
    """
    ids = [i.upper() for i in _listed(query.get("service_request_id", ""))]
    conditions: list[ColumnElement[bool]]
    if ids:
        conditions = [col(PublicReport.code).in_(ids[:MAX_RESULTS])]
    else:
        conditions = _filters(runtime, query)
    views = select_views(session, runtime, conditions, limit=MAX_RESULTS)
    return [_request(runtime, v) for v in views]


def one(session: Session, runtime: Runtime, request_id: str) -> list[ServiceRequest]:
    """GET requests/{id}: a list of one, or a 404 error."""
    views = select_views(session, runtime, [col(PublicReport.code) == request_id.upper()], 1)
    if not views:
        raise Open311Error(404, texts.E_REQUEST_UNKNOWN.format(id=request_id[:50]))
    return [_request(runtime, views[0])]


def _xml_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_xml(root: str, item: str, rows: Sequence[object]) -> str:
    """The spec's XML: ``<root><item><field>…</field>…</item>…</root>`` (escaped)."""
    top = Element(root)
    for row in rows:
        node = SubElement(top, item)
        for f in fields(row):  # type: ignore[arg-type]
            SubElement(node, f.name).text = _xml_text(getattr(row, f.name))
    return '<?xml version="1.0" encoding="utf-8"?>\n' + tostring(top, encoding="unicode")


@dataclass(frozen=True)
class ErrorEntry:
    """One entry of the spec's error list."""

    code: int
    description: str
