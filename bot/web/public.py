"""Residents' pages and the Open311 API: no login (the auth middleware lets both through).

`/public/report` is the report form (有奖举报) and `/public/report/{code}` a report's status;
`/open311/v2/…` is GeoReport v2 in JSON or XML. Pages are Jinja2 templates with autoescape,
served with a strict Content-Security-Policy (no inline script: the page's JS is a file).
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path

import jinja2
from aiohttp import BodyPartReader, web

from bot.core.clock import SystemClock
from bot.services.public import open311, reports, texts
from bot.services.public.catalog import services_of
from bot.services.public.limits import ReportLimiter
from bot.services.public.open311 import ErrorEntry, Open311Error
from bot.services.public.photos import MAX_PHOTO_BYTES
from bot.services.public.reports import FormRefused, ReportForm
from bot.services.public.views import ReportView
from bot.services.runtime import Runtime
from bot.web import keys
from bot.web.console_auth import client_address, runtime_of

ASSETS = Path(__file__).resolve().parent / "static" / "public"
ASSET_TYPES = {"report.css": "text/css", "report.js": "text/javascript"}
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
TEXT_PART_LIMIT = 20_000  # bytes of one text field: more than any field may hold
FORM_FIELDS = ("category", "address", "description", "name", "phone")
_CODE = re.compile(r"[A-Za-z0-9]{1,32}")
LIMITER = web.AppKey("public_report_limiter", ReportLimiter)

routes = web.RouteTableDef()


@functools.lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(ASSETS),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
    )


def _page(name: str, status: int = 200, **context: object) -> web.Response:
    body = _templates().get_template(name).render(**context)
    response = web.Response(text=body, status=status, content_type="text/html")
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The status page's address is the report's code: it must not leak to other sites.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _form_page(
    request: web.Request,
    status: int = 200,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str = "",
) -> web.Response:
    services = services_of(runtime_of(request).policy.categories)
    values = {name: (values or {}).get(name, "") for name in FORM_FIELDS}
    return _page(
        "report.html", status, services=services, values=values, errors=errors or {},
        message=message, max_mb=MAX_PHOTO_BYTES // (1024 * 1024),
    )  # fmt: skip


# -- the form --------------------------------------------------------------------------
@routes.get("/public/report")
async def report_form(request: web.Request) -> web.Response:
    """The report form (有奖举报)."""
    return _form_page(request)


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    """At most `limit` bytes of the part; the rest is read and dropped."""
    kept, size = bytearray(), 0
    while chunk := await part.read_chunk(64 * 1024):
        if size < limit:
            kept += chunk[: limit - size]
        size += len(chunk)
    return bytes(kept)


async def _read_form(request: web.Request) -> tuple[dict[str, str], bytes | None]:
    """The form's text fields and the photo's bytes (cut just past the size limit)."""
    values: dict[str, str] = {}
    if request.content_type == "application/x-www-form-urlencoded":
        posted = await request.post()
        return {k: v for k, v in posted.items() if isinstance(v, str) and k in FORM_FIELDS}, None
    if request.content_type != "multipart/form-data":
        raise ValueError(request.content_type)
    photo = None
    async for part in await request.multipart():
        if not isinstance(part, BodyPartReader):
            raise ValueError("nested multipart")
        if part.name == "photo":
            data = await _read_part(part, MAX_PHOTO_BYTES + 1)
            photo = data or photo  # an empty file input sends an empty part
        elif part.name in FORM_FIELDS:
            raw = await _read_part(part, TEXT_PART_LIMIT)
            values[part.name] = raw.decode("utf-8", errors="replace")
        else:
            await _read_part(part, 0)
    return values, photo


def _file(runtime: Runtime, new: reports.NewReport) -> reports.Filed:
    with runtime.transaction() as session:
        return reports.file_report(session, runtime, new)


@routes.post("/public/report")
async def report_submit(request: web.Request) -> web.Response:
    """File a report; answer with its public code, or the form again with what to fix."""
    try:
        values, photo = await _read_form(request)
    except (ValueError, web.HTTPException):
        return _form_page(request, 400, message=texts.FORM_UNREADABLE)
    runtime = runtime_of(request)
    form = ReportForm(
        service_code=values.get("category", ""),
        address=values.get("address", ""),
        description=values.get("description", ""),
        name=values.get("name", ""),
        phone=values.get("phone", ""),
        photo=photo,
    )
    try:
        new = reports.check_form(runtime, form)
    except FormRefused as refused:
        return _form_page(request, 400, values, refused.errors, texts.FORM_HAS_ERRORS)
    limiter = request.app[LIMITER]
    client = reports.hash_address(client_address(request), request.app[keys.SESSION_SECRET])
    if not limiter.take(client):
        message = texts.RATE_LIMITED.format(hour=limiter.per_hour, day=limiter.per_day)
        return _form_page(request, 429, values, message=message)
    filed = await asyncio.to_thread(_file, runtime, replace(new, ip_hash=client))
    return _page("filed.html", code=filed.code)


# -- the status page ----------------------------------------------------------------------
def _lookup(runtime: Runtime, code: str) -> ReportView | None:
    with runtime.transaction() as session:
        return reports.lookup(session, runtime, code)


@routes.get("/public/report/{code}")
async def report_status(request: web.Request) -> web.Response:
    """Where a report stands, in plain words; nothing about the reporter."""
    runtime = runtime_of(request)
    view = await asyncio.to_thread(_lookup, runtime, request.match_info["code"])
    if view is None:
        return _page("missing.html", 404, message=texts.REPORT_NOT_FOUND)
    when = runtime.policy.format_time
    return _page(
        "status.html",
        view=view,
        requested=when(view.requested_at),
        updated=when(view.updated_at),
        expected=when(view.expected_at) if view.expected_at else "",
    )


@routes.get("/public/lookup")
async def report_lookup(request: web.Request) -> web.StreamResponse:
    """The form's 查询进度 box: on to the status page of the code typed."""
    code = request.query.get("code", "").strip().upper()
    if not _CODE.fullmatch(code):
        return _page("missing.html", 404, message=texts.REPORT_NOT_FOUND)
    raise web.HTTPSeeOther(f"/public/report/{code}")


@routes.get("/public/assets/{name}")
async def asset(request: web.Request) -> web.StreamResponse:
    """The pages' own stylesheet and script (the templates beside them are not served)."""
    name = request.match_info["name"]
    if name not in ASSET_TYPES:
        raise web.HTTPNotFound()
    response = web.FileResponse(ASSETS / name, headers={"Cache-Control": "no-cache"})
    response.content_type = ASSET_TYPES[name]
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- Open311 GeoReport v2 -------------------------------------------------------------------
Open311Handler = Callable[[web.Request, str], Awaitable[web.Response]]


def _answer(
    fmt: str, root: str, item: str, rows: Sequence[object], status: int = 200
) -> web.Response:
    if fmt == "xml":
        body = open311.to_xml(root, item, rows)
        return web.Response(text=body, status=status, content_type="text/xml", charset="utf-8")
    return web.json_response(
        [asdict(row) for row in rows],  # type: ignore[call-overload]
        status=status,
        dumps=functools.partial(json.dumps, ensure_ascii=False),
    )


def _speaks_open311(handler: Open311Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The format from the path (.json or .xml), and errors in the spec's own shape."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        fmt = request.match_info.get("fmt", "")
        try:
            if fmt not in open311.FORMATS:
                raise Open311Error(404, texts.E_FORMAT.format(fmt=fmt[:10]))
            return await handler(request, fmt)
        except Open311Error as error:
            entry = ErrorEntry(error.status, error.description)
            shown = fmt if fmt in open311.FORMATS else "json"
            return _answer(shown, "errors", "error", [entry], status=error.status)

    return wrapped


def _search(runtime: Runtime, query: Mapping[str, str]) -> list[open311.ServiceRequest]:
    with runtime.transaction() as session:
        return open311.search(session, runtime, query)


def _one(runtime: Runtime, request_id: str) -> list[open311.ServiceRequest]:
    with runtime.transaction() as session:
        return open311.one(session, runtime, request_id)


def _submit(runtime: Runtime, fields: Mapping[str, str]) -> open311.Receipt:
    with runtime.transaction() as session:
        return open311.submit(session, runtime, fields)


@routes.get("/open311/v2/services.{fmt}")
@_speaks_open311
async def services(request: web.Request, fmt: str) -> web.Response:
    """GET services: every problem category as a service."""
    rows = open311.service_list(runtime_of(request))
    return _answer(fmt, "services", "service", rows)


@routes.get("/open311/v2/requests.{fmt}")
@_speaks_open311
async def requests_list(request: web.Request, fmt: str) -> web.Response:
    """GET requests: filters service_request_id, service_code, start_date, end_date, status."""
    query = {k: v for k, v in request.query.items()}
    rows = await asyncio.to_thread(_search, runtime_of(request), query)
    return _answer(fmt, "service_requests", "request", rows)


@routes.get("/open311/v2/requests/{id}.{fmt}")
@_speaks_open311
async def request_one(request: web.Request, fmt: str) -> web.Response:
    """GET requests/{id}: a list of one."""
    found = request.match_info["id"]
    rows = await asyncio.to_thread(_one, runtime_of(request), found)
    return _answer(fmt, "service_requests", "request", rows)


@routes.post("/open311/v2/requests.{fmt}")
@_speaks_open311
async def request_create(request: web.Request, fmt: str) -> web.Response:
    """POST requests (form-encoded): file a report into the office's queue."""
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Open311Error(400, texts.E_BODY)
    try:
        posted = await request.post()
    except (ValueError, web.HTTPException):
        raise Open311Error(400, texts.E_BODY) from None
    fields = {k: v for k, v in posted.items() if isinstance(v, str)}
    receipt = await asyncio.to_thread(_submit, runtime_of(request), fields)
    return _answer(fmt, "service_requests", "request", [receipt], status=201)


def setup_public(app: web.Application) -> None:
    """Install the residents' pages and the Open311 API (open without the admin token).

    The rate limiter counts on the app's clock (a test's fixed one, else the system's).
    """
    app[LIMITER] = ReportLimiter(app.get(keys.CLOCK) or SystemClock())
    app.add_routes(routes)
