"""Typed keys under which the composition root stores what the web routes need."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from bot.core.ports import ChatSimulator
from bot.services.runtime import Services


@dataclass
class Health:
    """What the admin banner shows: the transport, whether it is logged in, what is wrong."""

    transport: str = "simulator"
    logged_in: bool = True
    problem: str | None = None
    unknown_rooms: list[str] = field(default_factory=list)
    absent_rooms: list[str] = field(default_factory=list)
    admin_token: str = ""


SERVICES = web.AppKey("services", Services)
SIMULATOR = web.AppKey("simulator", ChatSimulator)
HEALTH = web.AppKey("health", Health)
