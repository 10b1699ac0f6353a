"""A database outage seen from the web: a clear 503 for the page, one log line per outage."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from bot.web import keys, texts

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def database_outage(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 503 with a JSON error while the database is unreachable; log it once."""
    state = request.app[keys.HEALTH]
    try:
        response = await handler(request)
    except DBAPIError as exc:
        if not state.database_down:
            state.database_down = True
            log.error("database unreachable: %s", type(exc.orig).__name__ if exc.orig else exc)
        return web.json_response(
            {"error": texts.WEB_DATABASE_DOWN},
            status=503,
            dumps=lambda data: json.dumps(data, ensure_ascii=False),
        )
    if state.database_down and request.path != "/healthz":
        state.database_down = False
        log.warning("database reachable again")
    return response
