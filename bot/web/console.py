"""The office console: its pages, the dashboard (with live updates), tickets and their actions.

Pages are static files that read the JSON API below; every route runs behind
`console_auth.require_office`, so `account_of(request)` is the signed-in office user and the
services scope what they return to that account's part of the grid tree.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.core.errors import NotFound, UserError
from bot.services.office import actions, audit, dashboard, detail, photos, search
from bot.services.office import texts as office_texts
from bot.services.office.accounts import Account
from bot.services.reports import ledger
from bot.services.runtime import Runtime
from bot.services.tickets import texts as ticket_texts
from bot.web import keys, texts
from bot.web.console_auth import account_of, client_address, error, runtime_of

STATIC = Path(__file__).resolve().parent / "static" / "console"
# How often the live feed looks for news, and sends a keep-alive comment when there is none.
EVENTS_POLL_SECONDS, EVENTS_KEEPALIVE_SECONDS = 2.0, 15.0
# Past this a page number is a typo (10,000 pages of 100 is a million tickets).
MAX_PAGE = 10_000

routes = web.RouteTableDef()


def jsonable(value: Any, runtime: Runtime) -> Any:
    """Dataclasses to dicts, times to local text (「11月24日 18:00」) and ISO with offset."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name), runtime) for f in dataclasses.fields(value)
        }
    if isinstance(value, datetime):
        return {
            "text": runtime.policy.format_time(value),
            "iso": runtime.policy.local(value).isoformat(),
        }
    if isinstance(value, list | tuple):
        return [jsonable(v, runtime) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v, runtime) for k, v in value.items()}
    return value


def reply(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


async def in_session(request: web.Request, work: Any, *args: Any) -> Any:
    """Run `work(session, runtime, account, *args)` in one transaction in a worker thread;
    a UserError becomes a 400 with its Chinese text and leaves nothing written."""
    runtime, account = runtime_of(request), account_of(request)

    def run() -> Any:
        with runtime.transaction() as session:
            return work(session, runtime, account, *args)

    try:
        return await asyncio.to_thread(run)
    except UserError as exc:
        refusal = web.HTTPNotFound if isinstance(exc, NotFound) else web.HTTPBadRequest
        raise refusal(
            text=json.dumps({"error": exc.text}, ensure_ascii=False),
            content_type="application/json",
        ) from None


# -- pages -----------------------------------------------------------------------------------
def _page(name: str) -> web.FileResponse:
    return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-cache"})


@routes.get("/console/login")
async def login_page(request: web.Request) -> web.FileResponse:
    return _page("login.html")


@routes.get("/console")
async def console_page(request: web.Request) -> web.FileResponse:
    return _page("console.html")


@routes.get("/console/api/meta")
async def meta(request: web.Request) -> web.Response:
    """What the filters and forms offer: categories, statuses, sources, action labels."""
    runtime = runtime_of(request)
    return reply(
        {
            "categories": [c.name for c in runtime.policy.categories],
            "statuses": ticket_texts.STATUS_NAMES,
            "sources": ticket_texts.SOURCE_NAMES,
            "actions": office_texts.ACTION_LABELS,
            "action_fields": office_texts.ACTION_FIELDS,
        }
    )


# -- dashboard -------------------------------------------------------------------------------
@routes.get("/console/api/tree")
async def tree(request: web.Request) -> web.Response:
    """The grid tree of the account's scope, each node with its subtree's figures."""
    nodes = await in_session(request, dashboard.tree, request.app[keys.RATES])
    return reply({"nodes": jsonable(nodes, runtime_of(request))})


def _version(session: Any, runtime: Runtime, account: Account) -> int:
    return dashboard.version(session)


@routes.get("/console/api/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: `change` whenever a ticket changed, so pages refresh what they show."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    closing = request.app[keys.CLOSING]
    seen = await in_session(request, _version)
    await response.write(f"event: hello\ndata: {seen}\n\n".encode())
    quiet = 0.0
    while not closing.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(closing.wait(), EVENTS_POLL_SECONDS)
        if closing.is_set():
            break
        now = await in_session(request, _version)
        quiet += EVENTS_POLL_SECONDS
        try:
            if now != seen:
                seen, quiet = now, 0.0
                await response.write(f"event: change\ndata: {now}\n\n".encode())
            elif quiet >= EVENTS_KEEPALIVE_SECONDS:
                quiet = 0.0
                await response.write(b": keep-alive\n\n")
        except (ConnectionResetError, RuntimeError):
            break
    return response


# -- tickets ---------------------------------------------------------------------------------
def _day(raw: str, runtime: Runtime, *, end: bool = False) -> datetime | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise UserError(texts.CONSOLE_BAD_DATE.format(given=raw)) from None
    start = datetime.combine(day, time(0), tzinfo=runtime.policy.tz)
    return start + timedelta(days=1) if end else start


def _int(raw: str, default: int) -> int:
    try:
        return int(raw) if raw else default
    except ValueError:
        raise UserError(texts.WEB_BAD_REQUEST) from None


def read_filter(request: web.Request) -> search.Filter:
    """The list's filter from the query string (the page keeps it in its own address)."""
    q, runtime = request.query, runtime_of(request)
    try:
        return search.Filter(
            statuses=tuple(s for s in q.get("status", "").split(",") if s),
            category=q.get("category", "").strip(),
            grid=q.get("grid", "").strip(),
            source=q.get("source", "").strip(),
            since=_day(q.get("from", ""), runtime),
            until=_day(q.get("to", ""), runtime, end=True),
            overdue=q.get("overdue") == "1",
            supervised=q.get("supervised") == "1",
            text=q.get("q", "").strip()[:100],
            sort=q.get("sort", "created"),
            descending=q.get("dir", "desc") != "asc",
            page=min(max(_int(q.get("page", ""), 1), 1), MAX_PAGE),
            size=min(max(_int(q.get("size", ""), 50), 1), search.PAGE_MAX),
        )
    except UserError as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": exc.text}, ensure_ascii=False),
            content_type="application/json",
        ) from None


@routes.get("/console/api/tickets")
async def tickets(request: web.Request) -> web.Response:
    """One page of the filtered, sorted list, with the total."""
    page = await in_session(request, search.search, read_filter(request))
    return reply(jsonable(page, runtime_of(request)))


@routes.get("/console/api/tickets/{code}")
async def ticket(request: web.Request) -> web.Response:
    """One ticket with its timeline, photos and the actions this account may take."""
    found = await in_session(request, detail.view, request.match_info["code"])
    return reply(jsonable(found, runtime_of(request)))


async def read_form(request: web.Request) -> dict[str, str]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": texts.WEB_BAD_REQUEST}, ensure_ascii=False),
            content_type="application/json",
        ) from None
    if not isinstance(body, dict):
        body = {}
    return {k: v.strip()[:2000] for k, v in body.items() if isinstance(v, str)}


def _act(
    session: Any, runtime: Runtime, account: Account, code: str, form: actions.ActionInput, ip: str
) -> actions.Done:
    done = actions.act(session, runtime, account, code, form)
    note = " ".join(filter(None, (form.grid, form.note, form.deadline)))
    audit.record(session, runtime.clock.now(), account, form.action, code, note, ip=ip)
    return done


@routes.post("/console/api/tickets/{code}/actions")
async def act(request: web.Request) -> web.Response:
    """Take one action (交办, 转办, 督办, 延期/申诉 decisions, 销号, 退回) on the ticket."""
    body = await read_form(request)
    form = actions.ActionInput(
        body.get("action", ""), body.get("grid", ""), body.get("note", ""), body.get("deadline", "")
    )
    done = await in_session(
        request, _act, request.match_info["code"], form, client_address(request)
    )
    request.app[keys.WAKE].set()
    return reply({"reply": done.reply, "sent": done.sent})


@routes.get("/console/api/photos/{id:\\d{1,9}}")
async def photo(request: web.Request) -> web.StreamResponse:
    """A photo of a ticket in scope: full size, or `?thumb=1` for a small JPEG."""
    path = await in_session(request, detail.photo_path, int(request.match_info["id"]))
    if path is None or not path.is_file():
        return error(texts.WEB_NO_FILE, 404)
    if request.query.get("thumb") == "1":
        folder = runtime_of(request).policy.data_dir / "thumbs"
        thumb = await asyncio.to_thread(photos.thumbnail, path, folder)
        if thumb is not None:
            return web.FileResponse(thumb, headers={"Cache-Control": "private, max-age=86400"})
    return web.FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})


def _export(
    session: Any, runtime: Runtime, account: Account, f: search.Filter, out: Path, ip: str
) -> ledger.LedgerSummary:
    only = search.conditions(session, account, f, runtime.clock.now())
    root = f.grid or account.grid_code
    audit.record(session, runtime.clock.now(), account, "export", root or "全区", ip=ip)
    return ledger.write_ledger(runtime, out, f.since, f.until, root, only)


@routes.get("/console/api/export")
async def export(request: web.Request) -> web.Response:
    """The current filter as the ledger workbook (汇总, 问题整改台账 per town, 巡查, 预警)."""
    f = read_filter(request)
    with tempfile.TemporaryDirectory(prefix="gridbot-export-") as folder:
        out = Path(folder) / "ledger.xlsx"
        await in_session(request, _export, f, out, client_address(request))
        body = await asyncio.to_thread(out.read_bytes)
    runtime = runtime_of(request)
    stamp = runtime.policy.local(runtime.clock.now()).strftime("%Y%m%d-%H%M")
    return web.Response(
        body=body,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="gridbot-ledger-{stamp}.xlsx"'},
    )
