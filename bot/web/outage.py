"""A database outage seen from the web: a clear 503 for the page, one log line per outage."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from bot.web import keys, texts

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def database_outage(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 503 with a JSON error while the database is unreachable; log it once."""
    outage = request.app[keys.HEALTH].database
    try:
        response = await handler(request)
    except DBAPIError as exc:
        outage.failed(exc)
        return web.json_response(
            {"error": texts.WEB_DATABASE_DOWN},
            status=503,
            dumps=lambda data: json.dumps(data, ensure_ascii=False),
        )
    if request.path != "/healthz":
        outage.recovered()
    return response
