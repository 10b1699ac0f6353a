"""The console's office desk: alerts, reports, accounts and the audit log."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.services.office import accounts, audit, desk
from bot.services.office import texts as office_texts
from bot.services.office.accounts import Account
from bot.services.reports import sweep
from bot.services.runtime import Runtime
from bot.web import keys, texts
from bot.web.console import in_session, jsonable, read_form, reply
from bot.web.console_auth import account_of, client_address, district_only, error, runtime_of

routes = web.RouteTableDef()


# -- alerts ----------------------------------------------------------------------------------
@routes.get("/console/api/alert")
async def alert(request: web.Request) -> web.Response:
    """The alert in force (or null) and which groups have confirmed it."""
    state = await in_session(request, desk.alert_state)
    return reply({"alert": jsonable(state, runtime_of(request))})


def _alert(session: Any, runtime: Runtime, account: Account, form: dict[str, str], ip: str) -> str:
    action = form.get("action", "")
    text = desk.alert_action(
        session, runtime, account, action, form.get("color", ""), form.get("period", "")
    )
    detail = " ".join(filter(None, (form.get("color"), form.get("period"))))
    audit.record(session, runtime.clock.now(), account, f"alert_{action}", detail, ip=ip)
    return text


@routes.post("/console/api/alert")
async def alert_action(request: web.Request) -> web.Response:
    """发布 (issue), 升级 (upgrade) or 解除 (lift) the heavy-pollution alert."""
    form = await read_form(request)
    text = await in_session(request, _alert, form, client_address(request))
    request.app[keys.WAKE].set()
    return reply({"reply": text})


# -- reports ---------------------------------------------------------------------------------
@routes.get("/console/api/report")
async def report(request: web.Request) -> web.Response:
    """The last complete 周报 (kind=weekly) or 月报 (kind=monthly) of a grid, with its chart."""
    kind = request.query.get("kind", "weekly")
    view = await in_session(request, desk.latest_report, kind, request.query.get("grid", ""))
    data = jsonable(view, runtime_of(request))
    data["chart"] = f"/console/api/files/{view.chart}" if view.chart else None
    return reply(data)


@routes.get("/console/api/files/{name}")
async def report_file(request: web.Request) -> web.StreamResponse:
    """A chart or ledger the bot made (the reports folder only, and only the account's own)."""
    name = request.match_info["name"]
    path = sweep.stored_file(runtime_of(request), name)
    if path is None or not await in_session(request, desk.may_read_file, name):
        return error(texts.WEB_NO_FILE, 404)
    return web.FileResponse(path)


# -- accounts and the audit log --------------------------------------------------------------
def _accounts(session: Any, runtime: Runtime, account: Account) -> list[dict[str, object]]:
    return [
        {
            "username": a.username,
            "name": a.display_name,
            "role_name": office_texts.ROLE_NAMES.get(a.role, a.role),
            "scope": a.grid_name or "全区",
            "disabled": disabled,
            "last_login": jsonable(last, runtime),
        }
        for a, disabled, last in accounts.list_accounts(session)
    ]


@routes.get("/console/api/users")
async def users(request: web.Request) -> web.Response:
    district_only(account_of(request))
    return reply({"users": await in_session(request, _accounts)})


def _add_user(
    session: Any, runtime: Runtime, account: Account, form: dict[str, str], ip: str
) -> Account:
    now = runtime.clock.now()
    created = accounts.create(
        session,
        now,
        username=form.get("username", ""),
        display_name=form.get("name", ""),
        password=form.get("password", ""),
        role=form.get("role", "查看"),
        grid_code=form.get("grid") or None,
    )
    audit.record(session, now, account, "user_add", created.username, created.role, ip=ip)
    return created


@routes.post("/console/api/users")
async def add_user(request: web.Request) -> web.Response:
    """A new office account (管理员 or 查看, optionally for one town)."""
    district_only(account_of(request))
    form = await read_form(request)
    created = await in_session(request, _add_user, form, client_address(request))
    return reply({"username": created.username}, status=201)


def _set_disabled(
    session: Any, runtime: Runtime, account: Account, username: str, off: bool, ip: str
) -> None:
    accounts.set_disabled(session, username, off)
    action = "user_disable" if off else "user_enable"
    audit.record(session, runtime.clock.now(), account, action, username, ip=ip)


@routes.post("/console/api/users/{username}")
async def change_user(request: web.Request) -> web.Response:
    """Disable (`{"disabled": "1"}`) or enable an account; its sessions end at once."""
    district_only(account_of(request))
    form = await read_form(request)
    off = form.get("disabled") == "1"
    await in_session(
        request, _set_disabled, request.match_info["username"], off, client_address(request)
    )
    return reply({"ok": True})


def _audit(session: Any, runtime: Runtime, account: Account) -> list[dict[str, object]]:
    return [jsonable(entry, runtime) for entry in audit.recent(session)]


@routes.get("/console/api/audit")
async def audit_log(request: web.Request) -> web.Response:
    """The latest office actions, newest first."""
    district_only(account_of(request))
    return reply({"entries": await in_session(request, _audit)})
