"""Keeping the roster bound to the chat account as it logs in, out, and renames groups.

Part of the composition root: it reacts to the transport's hooks by calling services and
updating the admin banner.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.services.roster import binding as binding
from bot.services.runtime import Runtime
from bot.web.keys import Health

log = logging.getLogger(__name__)


class ChatListing(Protocol):
    async def list_rooms(self) -> list[tuple[str, str]]: ...

    async def find_contacts(self) -> list[tuple[str, str, str | None]]: ...


class ConnectionWatch:
    """Hooks for a chat transport: login, logout, group renamed."""

    def __init__(self, runtime: Runtime, health: Health, wake: Callable[[], None]) -> None:
        self.runtime = runtime
        self.health = health
        self.wake = wake
        self.listing: ChatListing | None = None
        self.down_since: datetime | None = None
        self.reason = ""

    async def on_login(self, contact_id: str) -> None:
        log.info("logged in to WeChat as %s", contact_id)
        self.health.logged_in = True
        self.health.problem = None
        await self.rebind()
        if self.down_since is not None:
            queued = await asyncio.to_thread(
                binding.announce_back, self.runtime, self.down_since, self.reason
            )
            self.down_since = None
            if queued:
                self.wake()
        self.wake()  # deliver whatever queued up while logged out

    def on_logout(self, reason: str) -> None:
        log.error("WeChat login lost: %s", reason)
        self.health.logged_in = False
        self.health.problem = f"微信已掉线：{reason}。机器人正在自动重连，期间消息保存在发件箱中。"
        if self.down_since is None:
            self.down_since = self.runtime.clock.now()
            self.reason = reason

    async def on_room_topic(self, room_id: str, old: str, new: str) -> None:
        log.info("group %s renamed from %r to %r", room_id, old, new)
        await self.rebind()

    async def rebind(self) -> None:
        if self.listing is None:
            return
        try:
            rooms = await self.listing.list_rooms()
            contacts = await self.listing.find_contacts()
        except Exception:
            log.exception("could not list groups and contacts for binding")
            return
        result, bound = await asyncio.to_thread(self._bind, rooms, contacts)
        self.health.unknown_rooms = list(result.unknown)
        self.health.absent_rooms = list(result.absent)
        log.info("groups bound: %d; contacts bound by 微信号: %d", len(result.bound), bound)
        for topic in result.unknown:
            log.warning("group %r is not in the roster; its messages are ignored", topic)
        for topic in result.absent:
            log.warning("roster group %r: the bot is not a member", topic)

    def _bind(
        self, rooms: list[tuple[str, str]], contacts: list[tuple[str, str, str | None]]
    ) -> tuple[binding.RoomBinding, int]:
        with self.runtime.transaction() as session:
            return binding.bind_rooms(session, rooms), binding.bind_contacts(session, contacts)
