"""Office log-in for the console: sessions in a signed HttpOnly cookie, CSRF, a login limit.

Every `/console` page and API needs a signed-in office account; writes to the API also need
the session's CSRF token in the `X-CSRF-Token` header (the page reads it from `/me`) and a
same-site Origin. A 查看 (viewer) account may read everything in its scope and write nothing.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

from aiohttp import hdrs, web

from bot.core.errors import UserError
from bot.services.office import accounts, audit, sessions
from bot.services.office import texts as office_texts
from bot.services.office.accounts import Account
from bot.services.runtime import Runtime
from bot.web import keys, texts
from bot.web.throttle import LOGIN_WINDOW

COOKIE = "gridbot_session"
PREFIX = "/console"
OPEN = frozenset({"/console/login", "/console/api/login"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ACCOUNT_KEY = web.RequestKey("office_account", Account)
CSRF_KEY = web.RequestKey("office_csrf", str)


def session_secret(configured: str, data_dir: Path) -> bytes:
    """The configured secret, else one made once and kept in the data directory (mode 600)."""
    if configured:
        return configured.encode()
    path = data_dir / "session.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def error(message: str, status: int = 400) -> web.Response:
    return _json({"error": message}, status)


def account_of(request: web.Request) -> Account:
    return request[ACCOUNT_KEY]


def client_address(request: web.Request) -> str:
    """The client's address: behind a configured proxy (GRIDBOT_TRUSTED_PROXIES), the last
    X-Forwarded-For hop the proxy added; otherwise the peer itself."""
    peer = request.remote or ""
    if peer and peer in request.app[keys.SETTINGS].trusted_proxy_set:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        return forwarded[:64] or peer
    return peer


def is_secure(request: web.Request) -> bool:
    """HTTPS, directly or (from a trusted proxy) as X-Forwarded-Proto says."""
    if request.secure:
        return True
    peer = request.remote or ""
    trusted = peer in request.app[keys.SETTINGS].trusted_proxy_set
    return trusted and request.headers.get("X-Forwarded-Proto", "") == "https"


def runtime_of(request: web.Request) -> Runtime:
    return request.app[keys.RUNTIME]


def district_only(account: Account) -> None:
    """Rosters, accounts, api keys and triage concern the whole district: 403 for others."""
    if not account.is_district_admin:
        raise web.HTTPForbidden(
            text=json.dumps({"error": texts.CONSOLE_DISTRICT_ONLY}, ensure_ascii=False),
            content_type="application/json",
        )


def _look_up(runtime: Runtime, token: str) -> tuple[Account, str] | None:
    with runtime.transaction() as session:
        return sessions.find(session, token, runtime.clock.now())


async def office_session(request: web.Request) -> tuple[Account, str] | None:
    """(account, csrf token) of the request's signed-in session, if any."""
    token = sessions.token_of(request.cookies.get(COOKIE), request.app[keys.SESSION_SECRET])
    if token is None:
        return None
    return await asyncio.to_thread(_look_up, runtime_of(request), token)


def _same_site(request: web.Request) -> bool:
    origin = request.headers.get(hdrs.ORIGIN)
    return not origin or urlsplit(origin).netloc == request.host


@web.middleware
async def require_office(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Console requests need a session; writes need its CSRF token and a 管理员 account."""
    if not request.path.startswith(PREFIX):
        return await handler(request)
    api = request.path.startswith(f"{PREFIX}/api/")
    if request.method in WRITES and not _same_site(request):
        return error(texts.WEB_FORBIDDEN_ORIGIN, 403)
    if request.path in OPEN:
        return await handler(request)
    found = await office_session(request)
    if found is None:
        if api:
            return error(texts.CONSOLE_LOGIN_NEEDED, 401)
        raise web.HTTPFound(f"{PREFIX}/login?next={quote(request.path_qs, safe='')}")
    account, csrf = found
    if request.method in WRITES:
        given = request.headers.get("X-CSRF-Token", "")
        if not secrets.compare_digest(given.encode(), csrf.encode()):
            return error(texts.CONSOLE_BAD_CSRF, 403)
        if not account.may_act and request.path != f"{PREFIX}/api/logout":
            return error(office_texts.READ_ONLY_ACCOUNT, 403)
    request[ACCOUNT_KEY], request[CSRF_KEY] = account, csrf
    return await handler(request)


routes = web.RouteTableDef()


def _login(runtime: Runtime, username: str, password: str, ip: str) -> tuple[Account, str]:
    """(account, session token); a refusal is raised only after its failure count is saved."""
    now = runtime.clock.now()
    with runtime.transaction() as session:
        found = accounts.authenticate(session, username, password, now, ip)
        if isinstance(found, str):  # the failure is in the audit log already
            refusal = found
        else:
            token, _ = sessions.open_session(session, found, now, ip)
            audit.record(session, now, found, "login", ip=ip)
            return found, token
    raise UserError(refusal)


@routes.post("/console/api/login")
async def login(request: web.Request) -> web.Response:
    """Check the password; on success set the session cookie."""
    runtime = runtime_of(request)
    if not request.app[keys.LOGIN_LIMITER].allow(client_address(request), runtime.clock.now()):
        minutes = int(LOGIN_WINDOW.total_seconds() // 60)
        return error(office_texts.TOO_MANY_TRIES.format(minutes=minutes), 429)
    try:
        body = await request.json()
    except ValueError:
        return error(texts.WEB_BAD_REQUEST)
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        return error(texts.CONSOLE_FILL_LOGIN)
    if len(username) > 64 or len(password) > 200:
        return error(office_texts.BAD_LOGIN, 401)
    try:
        account, token = await asyncio.to_thread(
            _login, runtime, username, password, client_address(request)
        )
    except UserError as exc:
        return error(exc.text, 401)
    response = _json({"ok": True, "name": account.display_name})
    response.set_cookie(
        COOKIE,
        sessions.cookie_value(token, request.app[keys.SESSION_SECRET]),
        httponly=True,
        samesite="Strict",
        secure=is_secure(request) or None,
        path="/",
        max_age=int(sessions.LIFETIME.total_seconds()),
    )
    return response


def _logout(runtime: Runtime, token: str | None, account: Account, ip: str) -> None:
    with runtime.transaction() as session:
        if token:
            sessions.close_session(session, token)
        audit.record(session, runtime.clock.now(), account, "logout", ip=ip)


@routes.post("/console/api/logout")
async def logout(request: web.Request) -> web.Response:
    token = sessions.token_of(request.cookies.get(COOKIE), request.app[keys.SESSION_SECRET])
    await asyncio.to_thread(
        _logout, runtime_of(request), token, account_of(request), client_address(request)
    )
    response = _json({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


@routes.get("/console/api/me")
async def me(request: web.Request) -> web.Response:
    """Who is signed in, their scope, and the CSRF token the page sends with every write."""
    account = account_of(request)
    return _json(
        {
            "username": account.username,
            "name": account.display_name,
            "role": account.role,
            "role_name": office_texts.ROLE_NAMES.get(account.role, account.role),
            "scope": account.grid_name or "全区",
            "scope_code": account.grid_code,
            "may_act": account.may_act,
            "csrf": request[CSRF_KEY],
            "simulator": request.app.get(keys.SIMULATOR) is not None,
        }
    )
