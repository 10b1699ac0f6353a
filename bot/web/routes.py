"""The simulator page, the tickets page, their JSON API, and the health check.

Database look-ups run in a worker thread (the services are synchronous); the conversation
itself comes from the simulated chat. New lines reach the page by long polling:
`GET /api/messages?after=<id>` answers at once when there is news, else waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import secrets
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.core.inputs import clean_text, fit_id
from bot.core.messages import ChatLine
from bot.core.ports import ChatSimulator
from bot.services.office.dashboard import RateCache
from bot.services.outbox import queue
from bot.services.reports import sweep
from bot.services.roster import importer as roster
from bot.services.runtime import Runtime
from bot.services.tickets import texts as ticket_texts
from bot.services.tickets.listing import list_tickets
from bot.services.tickets.states import LIVE
from bot.services.understanding import texts as report_texts
from bot.web import (
    auth,
    console,
    console_admin,
    console_auth,
    console_intake,
    keys,
    outage,
    texts,
)
from bot.web.console_auth import runtime_of
from bot.web.public import setup_public
from bot.web.throttle import LoginLimiter

STATIC = Path(__file__).resolve().parent / "static"
LONG_POLL_SECONDS = 25.0
MAX_TEXT = 2000

# Changes on every start: the simulated chat starts over, so the page forgets what it has read.
# Set on shutdown so pending long polls answer at once instead of holding the server up.

routes = web.RouteTableDef()


class BadRequest(web.HTTPBadRequest):
    """A request the page can fix; the Chinese text is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(
            text=json.dumps({"error": message}, ensure_ascii=False),
            content_type="application/json",
        )


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


# -- pages -----------------------------------------------------------------------------------
@routes.get("/")
async def chat_page(request: web.Request) -> web.StreamResponse:
    """The simulated group chat; connected to real WeChat there is none: the console instead."""
    if request.app.get(keys.SIMULATOR) is None:
        raise web.HTTPFound("/console")
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


@routes.get("/tickets")
async def tickets_page(request: web.Request) -> web.FileResponse:
    """All tickets as a table."""
    return web.FileResponse(STATIC / "tickets.html", headers={"Cache-Control": "no-cache"})


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Health for supervisors, open without the token, so it reveals nothing else.

    The database and the chat transport are reported apart; 503 when the database is down
    (the bot can then neither take reports nor send), 200 while only WeChat is away (replies
    wait in the outbox).
    """
    health = request.app[keys.HEALTH]
    reachable = await asyncio.to_thread(runtime_of(request).database_reachable)
    body = {
        "ok": reachable,
        "database": "ok" if reachable else "down",
        "transport": health.transport,
        "logged_in": health.logged_in,
    }
    return _json(body, status=200 if reachable else 503)


def _backlog(runtime: Runtime) -> tuple[int, int]:
    with runtime.transaction() as session:
        return queue.backlog(session)


@routes.get("/api/status")
async def status(request: web.Request) -> web.Response:
    """What the banner shows: the chat connection and anything wrong with it."""
    health = request.app[keys.HEALTH]
    waiting, failed = await asyncio.to_thread(_backlog, runtime_of(request))
    return _json(
        {
            "transport": health.transport,
            "logged_in": health.logged_in,
            "problem": health.problem,
            "unknown_rooms": list(health.unknown_rooms),
            "absent_rooms": list(health.absent_rooms),
            "outbox_waiting": waiting,
            "outbox_failed": failed,
            "epoch": request.app[keys.EPOCH],
            "report_template": report_texts.REPORT_TEMPLATE,
        }
    )


# -- roster ----------------------------------------------------------------------------------
def _rooms(runtime: Runtime) -> list[tuple[str, str, int]]:
    with runtime.transaction() as session:
        return roster.roster_rooms(session)


def _members(runtime: Runtime, topic: str) -> list[tuple[int, str, str, str, int]] | None:
    """The room's roster members, or None when no such room is bound."""
    with runtime.transaction() as session:
        if topic not in {room for room, _, _ in roster.roster_rooms(session)}:
            return None
        return roster.list_members(session, topic)


@routes.get("/api/rooms")
async def rooms(request: web.Request) -> web.Response:
    """Bound groups, highest grid level first."""
    rows = await asyncio.to_thread(_rooms, runtime_of(request))
    return _json(
        {"rooms": [{"topic": topic, "grid": code, "level": level} for topic, code, level in rows]}
    )


@routes.get("/api/rooms/{topic}/members")
async def members(request: web.Request) -> web.Response:
    """Who may speak in one group: the people of the grids that report there."""
    topic = request.match_info["topic"]
    rows = await asyncio.to_thread(_members, runtime_of(request), topic)
    if rows is None:
        return _json({"error": texts.WEB_UNKNOWN_ROOM.format(room=topic)}, status=404)
    return _json(
        {
            "members": [
                {"person_id": pid, "name": name, "role": role, "grid": grid, "level": level}
                for pid, name, role, grid, level in rows
            ]
        }
    )


# -- conversation ----------------------------------------------------------------------------
def _line(line: ChatLine, runtime: Runtime) -> dict[str, object]:
    return {
        "id": line.id,
        "room": line.room_topic,
        "sender": line.sender_name,
        "text": line.text,
        "at": runtime.policy.local(line.at).isoformat(),
        "time": runtime.policy.format_time(line.at),
        "mentions": list(line.mentions),
        "from_bot": line.from_bot,
        "attachment": f"/api/files/{line.attachment}" if line.attachment else None,
    }


@routes.get("/api/files/{name}")
async def report_file(request: web.Request) -> web.StreamResponse:
    """A chart or ledger the bot sent (behind the admin token, like the whole page)."""
    path = sweep.stored_file(runtime_of(request), request.match_info["name"])
    if path is None:
        return web.json_response({"error": texts.WEB_NO_FILE}, status=404)
    return web.FileResponse(path)


def _number_param(request: web.Request, name: str, default: float) -> float:
    raw = request.query.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(texts.WEB_BAD_REQUEST) from None
    if not math.isfinite(value):
        raise BadRequest(texts.WEB_BAD_REQUEST)
    return value


def _simulator(request: web.Request) -> ChatSimulator:
    """The simulated chat, or a clear refusal when the bot is connected to real WeChat."""
    simulator = request.app.get(keys.SIMULATOR)
    if simulator is None:
        raise web.HTTPConflict(
            text=json.dumps({"error": texts.WEB_NO_SIMULATOR}, ensure_ascii=False),
            content_type="application/json",
        )
    return simulator


async def _wait_for_news(request: web.Request, after: int, timeout: float) -> None:
    """Wait for a line newer than `after`, the timeout, or shutdown, whichever comes first."""
    news = asyncio.ensure_future(_simulator(request).wait_for_news(after, timeout))
    closing = asyncio.ensure_future(request.app[keys.CLOSING].wait())
    try:
        await asyncio.wait({news, closing}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (news, closing):
            task.cancel()
        for task in (news, closing):
            with contextlib.suppress(asyncio.CancelledError):
                await task


@routes.get("/api/messages")
async def messages(request: web.Request) -> web.Response:
    """Lines after `after` (optionally one room's); waits up to `wait` seconds for news.

    `last` is the newest line id looked at in any room: the next poll starts there, so a
    room-filtered poll does not spin on other rooms' news.
    """
    after = int(_number_param(request, "after", 0))
    wait = min(max(_number_param(request, "wait", LONG_POLL_SECONDS), 0.0), LONG_POLL_SECONDS)
    room = request.query.get("room") or None
    simulator = _simulator(request)
    news = simulator.history(after)
    if not news and wait > 0 and not request.app[keys.CLOSING].is_set():
        await _wait_for_news(request, after, wait)
        news = simulator.history(after)
    runtime = runtime_of(request)
    lines = [_line(line, runtime) for line in news if room is None or line.room_topic == room]
    return _json(
        {
            "lines": lines,
            "last": news[-1].id if news else after,
            "epoch": request.app[keys.EPOCH],
        }
    )


async def _read_post(request: web.Request) -> tuple[str, int, str]:
    """(room, person id, text) from the JSON body, or a BadRequest the page can show."""
    if request.content_type != "application/json":
        raise BadRequest(texts.WEB_BAD_REQUEST)
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest(texts.WEB_BAD_REQUEST) from None
    if not isinstance(body, dict):
        raise BadRequest(texts.WEB_BAD_REQUEST)
    room, person_id, text = body.get("room"), body.get("person_id"), body.get("text")
    if not isinstance(room, str) or not isinstance(text, str):
        raise BadRequest(texts.WEB_BAD_REQUEST)
    # Before anything stores or shows it: a lone surrogate or a NUL would poison the chat.
    room, text = fit_id(room), clean_text(text)
    if isinstance(person_id, str) and person_id.isdigit():
        person_id = int(person_id)
    if not isinstance(person_id, int) or isinstance(person_id, bool):
        raise BadRequest(texts.WEB_NOT_IN_ROOM.format(room=room))
    if not text.strip():
        raise BadRequest(texts.WEB_EMPTY_TEXT)
    if len(text) > MAX_TEXT:
        raise BadRequest(texts.WEB_TEXT_TOO_LONG.format(limit=MAX_TEXT))
    return room, person_id, text


@routes.post("/api/messages")
async def post_message(request: web.Request) -> web.Response:
    """Say something in a group as a roster member; the bot answers through the chat."""
    room, person_id, text = await _read_post(request)
    people = await asyncio.to_thread(_members, runtime_of(request), room)
    if people is None:
        raise BadRequest(texts.WEB_UNKNOWN_ROOM.format(room=room))
    name = next((row[1] for row in people if row[0] == person_id), None)
    if name is None:
        raise BadRequest(texts.WEB_NOT_IN_ROOM.format(room=room))
    await _simulator(request).post(room, f"roster:{person_id}", name, text)
    return _json({"ok": True}, status=201)


# -- tickets ---------------------------------------------------------------------------------
def _tickets(runtime: Runtime) -> list[dict[str, object]]:
    with runtime.transaction() as session:
        rows = list_tickets(session, runtime.policy.tz)
    now = runtime.clock.now()
    for row in rows:
        due = datetime.fromisoformat(str(row["due_at"]))
        row["status_name"] = ticket_texts.STATUS_NAMES.get(str(row["status"]), str(row["status"]))
        row["due_text"] = runtime.policy.format_time(due)
        row["overdue"] = row["status"] in LIVE and due < now
    return rows


@routes.get("/api/tickets")
async def tickets(request: web.Request) -> web.Response:
    """Every ticket, newest first, with Chinese status and local due time."""
    rows = await asyncio.to_thread(_tickets, runtime_of(request))
    return _json({"tickets": rows[::-1]})


async def _wake_pollers(app: web.Application) -> None:
    app[keys.CLOSING].set()


def setup_routes(app: web.Application) -> None:
    """Install the admin middleware, the pages, the API and the page's static files."""
    app[keys.EPOCH] = secrets.token_hex(4)
    app[keys.CLOSING] = asyncio.Event()
    app.middlewares.append(outage.database_outage)
    app.middlewares.append(auth.require_admin)
    app.middlewares.append(console_auth.require_office)
    app[keys.LOGIN_LIMITER] = LoginLimiter()
    app[keys.RATES] = RateCache()
    app.on_shutdown.append(_wake_pollers)
    app.add_routes(routes)
    app.add_routes(console_auth.routes)
    app.add_routes(console.routes)
    app.add_routes(console_admin.routes)
    app.add_routes(console_intake.routes)
    setup_public(app)
    app.router.add_static("/static", STATIC)
