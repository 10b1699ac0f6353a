"""The WeChat transport: python-wechaty against a Wechaty puppet-service gateway.

`start()` returns at once; a supervisor task keeps one `WechatySession` connected, and when
the gateway is down, refuses the token or drops the connection it logs, reports the logout
and reconnects with exponential backoff. Nothing the client does can stop the caller's event
loop (see `wechaty_session`). wechaty itself is imported only when the first session starts.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.adapters import wechaty_media, wechaty_outbound
from bot.adapters.wechaty_outbound import DeliveryUnknown
from bot.adapters.wechaty_session import (
    SessionHooks,
    SessionSettings,
    WechatySession,
    split_endpoint,
)
from bot.core.clock import Clock
from bot.core.messages import Inbound, Outgoing
from bot.core.ports import DeliveryError, InboundHandler

__all__ = ["DeliveryUnknown", "WechatyTransport"]

log = logging.getLogger(__name__)

Hook = Callable[..., Any]


class WechatyTransport:
    """A `Transport` over a puppet-service gateway at `endpoint` ("host:port") with `token`.

    Hooks are plain callables (a returned awaitable is run as a task); exceptions in them are
    logged, never raised into the transport:
    - `on_login(contact_id)`: the account is logged in and sends may be attempted;
    - `on_logout(reason)`: the login or the connection was lost (raise an admin banner);
    - `on_room_topic(room_id, old_topic, new_topic)`: a group was renamed (rebind grids).
    """

    name = "wechat"

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        clock: Clock,
        cache_dir: Path,
        on_login: Hook | None = None,
        on_logout: Hook | None = None,
        on_room_topic: Hook | None = None,
        backoff_initial: float = 1.0,
        backoff_cap: float = 30.0,
        connect_timeout: float = 5.0,
        send_timeout: float = 15.0,
        fetch_timeout: float = 60.0,
        probe_interval: float = 30.0,
        probe_timeout: float = 10.0,
        max_attachment_bytes: int = 50 * wechaty_media.MB,
    ) -> None:
        split_endpoint(endpoint)  # a malformed endpoint is a configuration error: fail now
        self._settings = SessionSettings(
            endpoint, token, connect_timeout, probe_interval, probe_timeout
        )
        self._clock = clock
        self._cache_dir = cache_dir
        self._on_login, self._on_logout, self._on_room_topic = on_login, on_logout, on_room_topic
        self._backoff = (backoff_initial, backoff_cap)
        self._send_timeout, self._fetch_timeout = send_timeout, fetch_timeout
        self._max_attachment = max_attachment_bytes
        self._session: WechatySession | None = None
        self._ready = False
        self._stopping = False
        self._inbox: asyncio.Queue[Inbound] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._hook_tasks: set[asyncio.Task[Any]] = set()

    async def start(self, on_message: InboundHandler) -> None:
        """Begin connecting in the background; returns at once. Inbound messages go to
        `on_message` one at a time, in the order they arrived."""
        if self._tasks:
            raise RuntimeError("transport already started")
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._supervise(), name="wechaty-supervisor"),
            asyncio.create_task(self._dispatch(on_message), name="wechaty-dispatch"),
        ]

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for task in list(self._hook_tasks):
            task.cancel()
        await asyncio.gather(*self._hook_tasks, return_exceptions=True)

    def is_ready(self) -> bool:
        return self._ready

    async def send(self, message: Outgoing) -> str | None:
        """Send one message. Raises DeliveryError; DeliveryUnknown (permanent) when the send
        may have gone out, so it is never retried into a duplicate."""
        session = self._live_session()
        assert session.contacts is not None
        return await wechaty_outbound.send(
            session.puppet, session.contacts, message, timeout=self._send_timeout
        )

    async def fetch_attachment(self, ref: str) -> tuple[str, bytes]:
        session = self._live_session()
        return await wechaty_media.download(
            session.puppet, ref, timeout=self._fetch_timeout, max_bytes=self._max_attachment
        )

    async def list_rooms(self) -> list[tuple[str, str]]:
        """Every group the account is in, as (room id, topic), sorted by topic."""
        contacts = self._live_session().contacts
        assert contacts is not None
        try:
            return await contacts.rooms()
        except Exception as exc:
            raise DeliveryError(f"listing rooms failed: {exc!r}") from exc

    async def find_contacts(self) -> list[tuple[str, str, str | None]]:
        """Every contact except the bot, as (contact id, name, weixin id or alias if known)."""
        session = self._live_session()
        assert session.contacts is not None
        try:
            people = await session.contacts.contacts()
        except Exception as exc:
            raise DeliveryError(f"listing contacts failed: {exc!r}") from exc
        return [
            (p.id, p.name or "", p.weixin or p.alias or None)
            for p in people
            if p.id and p.id != session.self_id
        ]

    def _live_session(self) -> WechatySession:
        session = self._session
        if session is None or session.puppet is None or not self._ready:
            raise DeliveryError("WeChat is not connected")
        return session

    async def _supervise(self) -> None:
        initial, cap = self._backoff
        delay = initial
        hooks = SessionHooks(
            self._inbox.put_nowait, self._logged_in, self._logged_out, self._renamed
        )
        while True:
            session = WechatySession(self._settings, hooks, self._clock, self._cache_dir)
            self._session = session
            began = time.monotonic()
            reason = "the session ended"
            try:
                await session.run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
            finally:
                self._session = None
                if self._stopping:
                    self._ready = False  # our own shutdown is no incident: no on_logout
                else:
                    self._logged_out(f"connection lost: {reason}")
                await asyncio.shield(session.close(polite=self._stopping))
            if time.monotonic() - began >= cap:
                delay = initial  # it was a healthy session, not a flapping one
            pause = delay * random.uniform(0.8, 1.2)
            log.warning(
                "wechaty gateway %s: %s; reconnecting in %.1fs",
                self._settings.endpoint,
                reason,
                pause,
            )
            await asyncio.sleep(pause)
            delay = min(delay * 2, cap)

    async def _dispatch(self, on_message: InboundHandler) -> None:
        while True:
            inbound = await self._inbox.get()
            try:
                await on_message(inbound)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("handling wechaty message %s failed", inbound.message_id)

    def _logged_in(self, contact_id: str) -> None:
        self._ready = True
        log.info("wechaty logged in as %s", contact_id)
        self._fire(self._on_login, contact_id)

    def _logged_out(self, reason: str) -> None:
        if not self._ready:
            return
        self._ready = False
        log.warning("wechaty logged out: %s", reason)
        self._fire(self._on_logout, reason)

    def _renamed(self, room_id: str, old_topic: str, new_topic: str) -> None:
        self._fire(self._on_room_topic, room_id, old_topic, new_topic)

    def _fire(self, hook: Hook | None, *args: Any) -> None:
        if hook is None:
            return
        try:
            result = hook(*args)
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._hook_tasks.add(task)
                task.add_done_callback(self._hook_done)
        except Exception:
            log.exception("wechaty hook %r failed", hook)

    def _hook_done(self, task: asyncio.Future[Any]) -> None:
        self._hook_tasks.discard(task)  # type: ignore[arg-type]
        if not task.cancelled() and task.exception() is not None:
            log.error("wechaty hook failed", exc_info=task.exception())
