"""What the office takes in through the console: roster uploads (previewed before anything is
written) and residents' public reports (routed to a grid, or turned down), and Open311 keys."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.core.errors import UserError
from bot.services.office import audit
from bot.services.office.accounts import Account
from bot.services.office.actions import origin_of
from bot.services.public import apikeys, photos, triage
from bot.services.roster import importer
from bot.services.roster.report import RosterError, RosterReport
from bot.services.runtime import Runtime
from bot.services.tickets import handover
from bot.web import keys, texts
from bot.web.console import in_session, jsonable, read_form, reply
from bot.web.console_auth import account_of, client_address, district_only, error, runtime_of

routes = web.RouteTableDef()
MAX_ROSTER_BYTES = 5 * 1024 * 1024
UPLOAD_KEPT_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
_SUFFIXES = (".csv", ".xlsx", ".xls")


# -- roster ----------------------------------------------------------------------------------
def _uploads(runtime: Runtime) -> Path:
    return runtime.policy.data_dir / "uploads"


def _report_json(report: RosterReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data["summary"] = report.summary()
    data["ok"] = not report.problems
    return data


async def _read_upload(request: web.Request) -> tuple[str, bytes]:
    """(file name, bytes) of the form's `file` field, or a 400 saying what is wrong."""
    if not request.content_type.startswith("multipart/"):
        raise _bad(texts.CONSOLE_PICK_FILE)
    reader = await request.multipart()
    async for part in reader:
        if getattr(part, "name", None) != "file":
            continue
        name = Path(getattr(part, "filename", None) or "roster.xlsx").name
        data = bytearray()
        while chunk := await part.read_chunk():  # type: ignore[union-attr]
            data.extend(chunk)
            if len(data) > MAX_ROSTER_BYTES:
                raise _bad(texts.CONSOLE_FILE_TOO_BIG.format(mb=MAX_ROSTER_BYTES // 2**20))
        if not data:
            raise _bad(texts.CONSOLE_PICK_FILE)
        return name, bytes(data)
    raise _bad(texts.CONSOLE_PICK_FILE)


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=f'{{"error": "{message}"}}', content_type="application/json")


@routes.post("/console/api/roster/preview")
async def roster_preview(request: web.Request) -> web.Response:
    """Read an uploaded roster and say, by name, what importing it would change."""
    district_only(account_of(request))
    name, data = await _read_upload(request)
    runtime = runtime_of(request)
    try:
        report = await asyncio.to_thread(importer.preview_roster, runtime.engine, data, name)
    except RosterError as exc:
        return error(exc.text)
    token = secrets.token_urlsafe(24)
    folder = _uploads(runtime)
    await asyncio.to_thread(_keep, folder, token, name, data, runtime.clock.now())
    return reply({"token": token, "file": name, "report": _report_json(report)})


def _keep(folder: Path, token: str, name: str, data: bytes, now: datetime) -> None:
    """Keep the previewed bytes for 确认导入; uploads never applied go after a day."""
    folder.mkdir(parents=True, exist_ok=True)
    stale = now.timestamp() - UPLOAD_KEPT_SECONDS
    for old in folder.iterdir():
        if old.is_file() and old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)
    suffix = Path(name).suffix.lower()
    (folder / f"{token}{suffix if suffix in _SUFFIXES else ''}").write_bytes(data)


def _apply(runtime: Runtime, path: Path, account: Account, ip: str) -> RosterReport:
    report = importer.apply_roster(runtime.engine, path.read_bytes(), path.name)
    handover.follow_new_heads(runtime)
    with runtime.transaction() as session:
        audit.record(
            session, runtime.clock.now(), account, "roster_import", "", report.summary(), ip=ip
        )
    path.unlink(missing_ok=True)
    return report


@routes.post("/console/api/roster/apply")
async def roster_apply(request: web.Request) -> web.Response:
    """Import the previewed upload (its token), in one transaction."""
    account = account_of(request)
    district_only(account)
    token = (await read_form(request)).get("token", "")
    runtime = runtime_of(request)
    folder = _uploads(runtime)
    names = [f"{token}{suffix}" for suffix in ("", *_SUFFIXES)] if _TOKEN.fullmatch(token) else []
    found = [folder / name for name in names if (folder / name).is_file()]
    if not found:
        return error(texts.CONSOLE_UPLOAD_GONE, 404)
    try:
        report = await asyncio.to_thread(
            _apply, runtime, found[0], account, client_address(request)
        )
    except RosterError as exc:
        return error(exc.text)
    request.app[keys.WAKE].set()
    return reply({"report": _report_json(report)})


# -- public reports --------------------------------------------------------------------------
def _queue(session: Any, runtime: Runtime, account: Account, which: str) -> list[dict[str, Any]]:
    """The district office triages; a town's account sees only what was routed into its
    subtree, without the resident's name, phone or e-mail."""
    district = account.grid_id is None
    if not district:
        statuses: tuple[str, ...] = ("routed",)
    else:
        statuses = ("triage",) if which != "all" else ("triage", "routed", "rejected")
    items = triage.queue(session, runtime, statuses=statuses, under_grid_id=account.grid_id)
    out = []
    for item in items:
        data = jsonable(item, runtime)
        suggested = triage.suggest_grid(session, item) if item.status == "triage" else None
        data["suggested"] = {"code": suggested.code, "name": suggested.name} if suggested else None
        data["photo"] = photos.local_photo(item.photo_path) is not None
        data["media_url"] = item.photo_path if photos.is_link(item.photo_path) else None
        data.pop("photo_path", None)
        if not district:
            data.update(name="", phone="", email="")
        out.append(data)
    return out


@routes.get("/console/api/public")
async def public_queue(request: web.Request) -> web.Response:
    """Residents' reports waiting for triage (`?all=1`: decided ones too), newest first."""
    which = "all" if request.query.get("all") == "1" else "triage"
    return reply({"reports": await in_session(request, _queue, which)})


def _photo(session: Any, runtime: Runtime, account: Account, report_id: int) -> Path | None:
    if account.grid_id is not None:  # a town sees the photo on the routed ticket instead
        return None
    return photos.local_photo(triage.get(session, runtime, report_id).photo_path)


@routes.get("/console/api/public/{id:\\d{1,9}}/photo")
async def public_photo(request: web.Request) -> web.StreamResponse:
    path = await in_session(request, _photo, int(request.match_info["id"]))
    if path is None or not path.is_file():
        return error(texts.WEB_NO_FILE, 404)
    return web.FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})


def _route(
    session: Any, runtime: Runtime, account: Account, report_id: int, grid: str, ip: str
) -> str:
    district_only(account)
    if not grid:
        raise UserError(texts.CONSOLE_PICK_GRID)
    routed = triage.route(session, runtime, report_id, grid, origin_of(account, runtime))
    audit.record(
        session,
        runtime.clock.now(),
        account,
        "public_route",
        routed.report_code,
        f"{routed.ticket.code} → {routed.ticket.grid_name}",
        ip=ip,
    )
    return texts.CONSOLE_ROUTED.format(
        report=routed.report_code, code=routed.ticket.code, grid=routed.ticket.grid_name
    )


def _reject(
    session: Any, runtime: Runtime, account: Account, report_id: int, note: str, ip: str
) -> str:
    district_only(account)
    view = triage.reject(session, runtime, report_id, note, origin_of(account, runtime))
    audit.record(session, runtime.clock.now(), account, "public_reject", view.code, note, ip=ip)
    return texts.CONSOLE_REJECTED.format(report=view.code)


@routes.post("/console/api/public/{id:\\d{1,9}}/route")
async def public_route(request: web.Request) -> web.Response:
    """Make the report an ordinary ticket (群众举报) of the chosen grid."""
    form = await read_form(request)
    text = await in_session(
        request,
        _route,
        int(request.match_info["id"]),
        form.get("grid", ""),
        client_address(request),
    )
    request.app[keys.WAKE].set()
    return reply({"reply": text})


@routes.post("/console/api/public/{id:\\d{1,9}}/reject")
async def public_reject(request: web.Request) -> web.Response:
    """不予受理, with the reason the resident will read on the status page."""
    form = await read_form(request)
    text = await in_session(
        request,
        _reject,
        int(request.match_info["id"]),
        form.get("note", ""),
        client_address(request),
    )
    return reply({"reply": text})


# -- Open311 api keys ------------------------------------------------------------------------
def _keys(session: Any, runtime: Runtime, account: Account) -> list[Any]:
    return [jsonable(k, runtime) for k in apikeys.list_keys(session)]


@routes.get("/console/api/apikeys")
async def api_keys(request: web.Request) -> web.Response:
    district_only(account_of(request))
    return reply({"keys": await in_session(request, _keys)})


def _issue(session: Any, runtime: Runtime, account: Account, name: str, ip: str) -> Any:
    if not name:
        raise UserError(texts.CONSOLE_KEY_NAME)
    issued = apikeys.issue(session, name[:100], runtime.clock.now(), account.id)
    audit.record(session, runtime.clock.now(), account, "apikey_add", name, ip=ip)
    return issued


@routes.post("/console/api/apikeys")
async def issue_key(request: web.Request) -> web.Response:
    """A new Open311 api_key for a client app; its value is shown this once."""
    district_only(account_of(request))
    form = await read_form(request)
    issued = await in_session(request, _issue, form.get("name", ""), client_address(request))
    return reply({"id": issued.id, "name": issued.name, "key": issued.key}, status=201)


def _revoke(session: Any, runtime: Runtime, account: Account, key_id: int, ip: str) -> bool:
    done = apikeys.revoke(session, key_id, runtime.clock.now())
    audit.record(session, runtime.clock.now(), account, "apikey_revoke", str(key_id), ip=ip)
    return done


@routes.post("/console/api/apikeys/{id:\\d{1,9}}/revoke")
async def revoke_key(request: web.Request) -> web.Response:
    district_only(account_of(request))
    done = await in_session(
        request, _revoke, int(request.match_info["id"]), client_address(request)
    )
    return reply({"ok": done})
