"""The embedded default transport: a local simulated chat, shown on the web page.

It behaves like a chat platform as far as the bot can tell: messages get platform ids,
the bot's sends come back with ids, and mentions are put in front of the text the way
WeChat does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections import deque
from pathlib import Path

from bot.core.clock import Clock
from bot.core.messages import ChatLine, ChatRef, Inbound, Outgoing
from bot.core.ports import DeliveryError, InboundHandler

BOT_NAME = "网格通"


class SimulatorTransport:
    name = "simulator"

    def __init__(self, clock: Clock, rooms: set[str] | None = None, keep: int = 5000) -> None:
        self.clock = clock
        self.rooms = rooms
        self._lines: deque[ChatLine] = deque(maxlen=keep)
        self._ids = itertools.count(1)
        self._news = asyncio.Condition()
        self.listeners = 0  # long polls waiting for news right now
        self._on_message: InboundHandler | None = None

    async def start(self, on_message: InboundHandler) -> None:
        self._on_message = on_message

    async def stop(self) -> None:
        self._on_message = None

    def is_ready(self) -> bool:
        return self._on_message is not None

    async def _append(self, line: ChatLine) -> None:
        self._lines.append(line)
        async with self._news:
            self._news.notify_all()

    async def send(self, message: Outgoing) -> str | None:
        if message.room_topic is None and message.private_to is None:
            raise DeliveryError("no chat to send to", permanent=True)
        if self.rooms is not None and message.room_topic and message.room_topic not in self.rooms:
            raise DeliveryError(f"unknown room {message.room_topic}", permanent=True)
        prefix = "".join(f"@{name} " for name in message.mention_names)
        attachment = None
        if message.attachment is not None:
            if not Path(message.attachment).is_file():
                raise DeliveryError(f"no file {message.attachment}", permanent=True)
            attachment = Path(message.attachment).name
        line = ChatLine(
            id=next(self._ids),
            room_topic=message.room_topic,
            sender_name=BOT_NAME,
            text=prefix + message.text,
            at=self.clock.now(),
            mentions=message.mention_names,
            from_bot=True,
            attachment=attachment,
        )
        await self._append(line)
        return f"sim-{line.id}"

    async def fetch_attachment(self, ref: str) -> tuple[str, bytes]:
        raise DeliveryError("the simulator carries no attachments", permanent=True)

    async def post(self, room_topic: str, sender_id: str, sender_name: str, text: str) -> None:
        line = ChatLine(next(self._ids), room_topic, sender_name, text, self.clock.now())
        await self._append(line)
        if self._on_message is None:
            return
        inbound = Inbound(
            message_id=f"sim-{uuid.uuid4().hex}",
            chat=ChatRef(room_id=room_topic, room_topic=room_topic),
            sender_id=sender_id,
            sender_name=sender_name,
            text=text,
            at=line.at,
            mentions_bot=f"@{BOT_NAME}" in text,
        )
        await self._on_message(inbound)

    def history(self, after: int = 0, room_topic: str | None = None) -> list[ChatLine]:
        return [
            line
            for line in self._lines
            if line.id > after and (room_topic is None or line.room_topic == room_topic)
        ]

    async def wait_for_news(self, after: int, timeout: float) -> None:
        async with self._news:
            self.listeners += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._news.wait_for(
                            lambda: bool(self._lines) and self._lines[-1].id > after
                        ),
                        timeout,
                    )
            finally:
                self.listeners -= 1
