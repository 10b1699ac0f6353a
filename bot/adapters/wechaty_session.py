"""One connection of the python-wechaty client to a puppet-service gateway.

A session lives from connecting to the moment its event stream ends; the transport then
throws it away and starts a fresh one. It never calls `Wechaty.start()`: that method swallows
connection errors, sleeps 60 s and may call `loop.stop()` on the shared event loop, which
would stop the web server and the scheduler with it. Instead it runs the same steps itself
(`init_puppet`, then the puppet's `start`, which returns or raises when the event stream
ends), so every failure comes back here.

It works at the puppet level (payloads by id) rather than through `Room`/`Contact`/`Message`
objects: those sit in process-wide pools tied to one puppet, and `Room.say()`
fetches the sent message after delivering it, an extra call that can fail after the message is
out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.adapters.wechaty_compat import load_wechaty
from bot.adapters.wechaty_contacts import ContactBook
from bot.adapters.wechaty_inbound import (
    attachment_kind,
    mentions_self,
    message_text,
    payload_time,
)
from bot.core.clock import Clock
from bot.core.messages import Attachment, ChatRef, Inbound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionHooks:
    """What a session reports to its transport."""

    deliver: Callable[[Inbound], None]
    login: Callable[[str], None]
    logout: Callable[[str], None]
    room_topic: Callable[[str, str, str], None]


@dataclass(frozen=True)
class SessionSettings:
    endpoint: str
    token: str
    connect_timeout: float
    probe_interval: float
    probe_timeout: float


class WechatySession:
    """One connection: `run()` until it breaks, then `close()`; never reused."""

    def __init__(
        self, settings: SessionSettings, hooks: SessionHooks, clock: Clock, cache_dir: Path
    ) -> None:
        self._settings = settings
        self._hooks = hooks
        self._clock = clock
        self._cache_dir = cache_dir
        self._ids: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[Any]] = []
        self.puppet: Any = None
        self.contacts: ContactBook | None = None
        self.self_id: str | None = None
        self.logged_in = False

    async def run(self) -> None:
        """Connect and process events; returns or raises when the connection is over."""
        host, port = split_endpoint(self._settings.endpoint)
        await self._probe_tcp(host, port)
        # The first import takes a while (Flask, Quart, APScheduler): keep it off the loop.
        wechaty = await asyncio.to_thread(load_wechaty, self._cache_dir)
        from wechaty_puppet import PuppetOptions

        for cls in (wechaty.Contact, wechaty.Room, wechaty.Tag):
            cls._pool.clear()  # pooled objects hold the previous session's puppet
        options = wechaty.WechatyOptions(
            puppet="wechaty-puppet-service",
            # Always a fresh object: the import shim makes the default one shared.
            puppet_options=PuppetOptions(
                end_point=self._settings.endpoint, token=self._settings.token
            ),
            # The plugin server is never started here, but if it were it must not take 0.0.0.0:5000.
            host="127.0.0.1",
            port=_free_port(),
        )
        bot = wechaty.Wechaty(options)
        await bot.init_puppet()
        self.puppet = bot.puppet
        self.contacts = ContactBook(self.puppet)
        self.puppet.on("login", self._on_login)
        self.puppet.on("logout", self._on_logout)
        self.puppet.on("message", lambda payload: self._ids.put_nowait(payload.message_id))
        self.puppet.on("room-topic", self._on_room_topic)

        start = asyncio.create_task(self.puppet.start(), name="wechaty-event-stream")
        self._tasks = [
            start,
            asyncio.create_task(self._probe_liveness(), name="wechaty-probe"),
            asyncio.create_task(self._consume(), name="wechaty-inbound"),
        ]
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
        raise ConnectionError("the gateway closed the event stream")

    async def close(self, *, polite: bool) -> None:
        """Tear the connection down. `polite` also tells the gateway to stop (on shutdown).

        The tasks go first: cancelling the running `start()` before stopping the puppet keeps
        the client from sleeping 60 s.
        """
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        puppet, self.puppet, self.logged_in = self.puppet, None, False
        if puppet is None:
            return
        if polite:
            try:
                # asyncio.timeout rather than wait_for throughout: on Python 3.11 wait_for can
                # swallow a cancellation, and then stopping the transport hangs.
                async with asyncio.timeout(self._settings.connect_timeout):
                    await puppet.stop()
            except Exception as exc:
                log.info("wechaty stop: %r", exc)
        channel = getattr(puppet, "channel", None)
        if channel is not None:
            channel.close()
            puppet.channel = None

    async def _probe_tcp(self, host: str, port: int) -> None:
        # The client checks the endpoint with a blocking telnet (up to 3 s on the shared loop)
        # before connecting; checking first without blocking keeps that to reachable hosts.
        try:
            async with asyncio.timeout(self._settings.connect_timeout):
                _, writer = await asyncio.open_connection(host, port)
        except (OSError, TimeoutError) as exc:
            raise ConnectionError(f"gateway {host}:{port} unreachable: {exc!r}") from exc
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    async def _probe_liveness(self) -> None:
        # A half-open connection (a gateway host that vanished) would leave the event stream
        # waiting forever; a cheap call that must answer exposes it.
        while True:
            await asyncio.sleep(self._settings.probe_interval)
            try:
                async with asyncio.timeout(self._settings.probe_timeout):
                    await self.puppet.puppet_stub.version()
            except Exception as exc:
                raise ConnectionError(f"gateway stopped answering: {exc!r}") from exc

    def _on_login(self, payload: Any) -> None:
        self.self_id = payload.contact_id
        self.logged_in = True
        self._hooks.login(payload.contact_id)

    def _on_logout(self, payload: Any) -> None:
        self.logged_in = False
        self._hooks.logout(f"logged out: {payload.data or 'no reason given'}")

    def _on_room_topic(self, payload: Any) -> None:
        if self.contacts is not None:
            self.contacts.topic_changed(payload.room_id, payload.new_topic)
        self._hooks.room_topic(payload.room_id, payload.old_topic or "", payload.new_topic or "")

    async def _consume(self) -> None:
        # One message at a time, in arrival order: a photo must not overtake the report it
        # belongs to.
        while True:
            message_id = await self._ids.get()
            try:
                inbound = await self._to_inbound(message_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("wechaty message %s could not be read; dropped", message_id)
                continue
            if inbound is not None:
                self._hooks.deliver(inbound)

    async def _to_inbound(self, message_id: str) -> Inbound | None:
        assert self.contacts is not None
        payload = await self.puppet.message_payload(message_id)
        if payload.from_id == self.self_id:
            return None  # our own sends come back as events
        kind = attachment_kind(payload)
        if kind is None:
            log.debug("wechaty message %s of type %s ignored", message_id, payload.type)
            return None
        sender = await self.contacts.contact(payload.from_id)
        chat = ChatRef(None, None)
        alias = sender.alias or None
        if payload.room_id:
            topic = await self.contacts.room_topic(payload.room_id)
            chat = ChatRef(payload.room_id, topic)
            alias = await self.contacts.room_alias(payload.room_id, payload.from_id) or alias
        self_name = await self.contacts.name_of(self.self_id) if self.self_id else None
        mentioned = bool(self.self_id) and mentions_self(payload, self.self_id or "", self_name)
        return Inbound(
            message_id=payload.id or message_id,
            chat=chat,
            sender_id=payload.from_id,
            sender_name=sender.name or payload.from_id,
            sender_alias=alias,
            text=message_text(payload, kind),
            at=payload_time(payload.timestamp, self._clock.now()),
            mentions_bot=mentioned,
            attachment=kind,
            attachment_ref=None if kind is Attachment.NONE else (payload.id or message_id),
        )


def split_endpoint(endpoint: str) -> tuple[str, int]:
    """("host", port) from "host:port"; ValueError otherwise."""
    host, _, port = endpoint.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"endpoint must be host:port, got {endpoint!r}")
    return host.strip("[]"), int(port)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
