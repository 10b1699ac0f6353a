"""Every typed key under which the composition root stores a long-lived resource.

aiohttp's "no singletons" pattern: the application object holds the resources, each under a
`web.AppKey` declared here, so routes, the app's start-up steps and tests name them alike.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiohttp import web

from bot.core.clock import Clock
from bot.core.outage import Outage
from bot.core.ports import ChatSimulator, Transport
from bot.services.office.dashboard import RateCache
from bot.services.outbox.delivery import Deliverer
from bot.services.runtime import Runtime
from bot.web.throttle import LoginLimiter
from config.settings import Settings


@dataclass
class Health:
    """What the admin banner shows: the transport, whether it is logged in, what is wrong."""

    transport: str = "simulator"
    logged_in: bool = True
    problem: str | None = None
    unknown_rooms: list[str] = field(default_factory=list)
    absent_rooms: list[str] = field(default_factory=list)
    # The database outage as the web and the inbound path see it, logged once, not per request.
    database: Outage = field(
        default_factory=lambda: Outage(
            logging.getLogger("bot.web"),
            "database unreachable",
            "database reachable again",
            level=logging.ERROR,
        )
    )


SETTINGS = web.AppKey("settings", Settings)
# Only tests set it (a clock they move); absent means the system clock.
CLOCK = web.AppKey("clock", Clock)
RUNTIME = web.AppKey("runtime", Runtime)
HEALTH = web.AppKey("health", Health)
# The token the page and its API require: configured, or random per start.
ADMIN_TOKEN = web.AppKey("admin_token", str)
TRANSPORT = web.AppKey("transport", Transport)
SIMULATOR = web.AppKey("simulator", ChatSimulator)
DELIVERER = web.AppKey("deliverer", Deliverer)
# Set whenever something was queued, so the delivery loop need not wait for its next poll.
WAKE = web.AppKey("wake", asyncio.Event)
# A fresh value per start: the page reloads when it sees the bot was restarted.
EPOCH = web.AppKey("web_epoch", str)
# Signs the console's session cookies (configured, or kept in the data directory).
SESSION_SECRET = web.AppKey("session_secret", bytes)
LOGIN_LIMITER = web.AppKey("login_limiter", LoginLimiter)
# The dashboard's month rates, kept a few minutes (the counts beside them are always live).
RATES = web.AppKey("dashboard_rates", RateCache)
# Set at shutdown, so long polls answer at once instead of holding the server open.
CLOSING = web.AppKey("web_closing", asyncio.Event)
