"""Admin authentication for every page and API, as aiohttp middleware.

The secret is the admin token printed at start-up. Opening `/?token=…` once stores it in an
HttpOnly, SameSite=Strict cookie and redirects to the clean URL, so the token does not linger
in the address bar or in history; scripts may send `Authorization: Bearer …` instead.
Only `/healthz` is open, for process supervisors.
"""

from __future__ import annotations

import html
import posixpath
import re
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from aiohttp import hdrs, web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from bot.web import console_auth, keys, texts

COOKIE = "gridbot_admin"
OPEN_PATHS = frozenset({"/healthz"})
# The public report form and the Open311 API are for residents and their apps, and the
# console's and the form's own static files hold no secret: none of these needs a login.
OPEN_PREFIXES = ("/open311/", "/public/", "/static/console/", "/static/public/")
# Browsers read the page's own files only; nothing may frame it (click-jacking).
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DENIED_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
COOKIE_MAX_AGE = 30 * 24 * 3600

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_DENIED_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>网格通</title>
<style>body{{font:16px/1.6 system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",
sans-serif;color:#1f2933;background:#f4f5f7;margin:0;padding:15vh 1.5rem}}
main{{max-width:28rem;margin:auto;background:#fff;border:1px solid #d8dde3;
border-radius:8px;padding:1.5rem}}h1{{font-size:1.2rem;margin:0 0 .5rem}}</style></head>
<body><main><h1>网格通</h1><p>{message}</p></main></body></html>
"""


def _matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty expected token never matches."""
    if not given or not expected:
        return False
    return secrets.compare_digest(given.encode(), expected.encode())


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def _denied(request: web.Request, status: int, message: str) -> web.Response:
    if _is_api(request):
        response = web.json_response({"error": message}, status=status)
    else:
        body = _DENIED_PAGE.format(message=html.escape(message))
        response = web.Response(text=body, status=status, content_type="text/html")
        response.headers["Content-Security-Policy"] = DENIED_POLICY
    response.headers[hdrs.CACHE_CONTROL] = "no-store"
    return response


def _login(request: web.Request, token: str) -> web.Response:
    """Store the token in the cookie and redirect to the same page without it."""
    query = request.rel_url.query.copy()
    query.popall("token", None)
    location = str(request.rel_url.with_query(query))
    response = web.Response(status=302, headers={hdrs.LOCATION: location})
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=console_auth.is_secure(request) or None,
        path="/",
        max_age=COOKIE_MAX_AGE,
    )
    response.headers[hdrs.CACHE_CONTROL] = "no-store"
    return response


def _foreign_origin(request: web.Request) -> bool:
    """A state-changing request sent from another site's page (defence beside SameSite)."""
    origin = request.headers.get(hdrs.ORIGIN)
    if request.method in ("GET", "HEAD", "OPTIONS") or not origin:
        return False
    return urlsplit(origin).netloc != request.host


@web.middleware
async def require_admin(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Let a request through only with the admin token (cookie, bearer, or first-visit link)."""
    # Judged on the normalised path: `/static/console/../index.html` is not a console file.
    path = posixpath.normpath(request.path)
    if request.path in OPEN_PATHS or (path == request.path and path.startswith(OPEN_PREFIXES)):
        return await handler(request)
    if request.path.startswith(console_auth.PREFIX):  # office accounts: console_auth decides
        return await _secured(request, handler)
    expected = request.app[keys.ADMIN_TOKEN]
    from_link = request.query.get("token")
    if from_link is not None and request.method == "GET" and not _is_api(request):
        if _matches(from_link, expected):
            return _login(request, expected)
        return _denied(request, 401, texts.WEB_NEED_TOKEN)
    bearer = _bearer(request)
    if _matches(bearer, expected):
        return await _secured(request, handler)
    if not _matches(request.cookies.get(COOKIE), expected):
        return await _office_or_denied(request, handler)
    if _foreign_origin(request):
        return _denied(request, 403, texts.WEB_FORBIDDEN_ORIGIN)
    return await _secured(request, handler)


async def _office_or_denied(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The simulator and its API also open to a signed-in district 管理员 (they show and post
    in every group, so a town's account may not); others log in first."""
    found = await console_auth.office_session(request)
    if found is not None and found[0].is_district_admin:
        if request.method in console_auth.WRITES:
            given = request.headers.get("X-CSRF-Token", "")
            if _foreign_origin(request) or not _matches(given, found[1]):
                return _denied(request, 403, texts.CONSOLE_BAD_CSRF)
        return await _secured(request, handler)
    if _is_api(request) or request.method != "GET":
        return _denied(request, 401, texts.WEB_NEED_TOKEN)
    target = quote(request.path_qs, safe="")
    raise web.HTTPFound(f"{console_auth.PREFIX}/login?next={target}")


async def _secured(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Run the handler and add the headers every admin response carries."""
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if _is_api(request):
        response.headers.setdefault(hdrs.CACHE_CONTROL, "no-store")
    return response


_TOKEN_IN_QUERY = re.compile(r"(?i)(token=)[^&\s]*")


def redact(text: str) -> str:
    """A URL or log line with any `token=` value replaced, so the admin token is never logged."""
    return _TOKEN_IN_QUERY.sub(r"\1***", text)


class RedactedAccessLogger(AbstractAccessLogger):
    """aiohttp's access log, one line per request, with the admin token blanked out."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %.1f ms',
            request.remote,
            request.method,
            redact(request.path_qs),
            response.status,
            time * 1000,
        )
