"""A trivial bot for the latency baseline: python-wechaty through our adapter, echoing.

Every text a member writes in a group is sent straight back into that group, with no
database, dispatcher, outbox or rate limiter in between: what is left is the cost of the
gateway, the python-wechaty client and our adapter.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from pathlib import Path

from bot.adapters.wechaty_transport import WechatyTransport
from bot.core.clock import SystemClock
from bot.core.messages import Attachment, Inbound, Outgoing

log = logging.getLogger(__name__)


class EchoBot:
    """Echo "echo: <text>" for every group text message, while started."""

    def __init__(self, endpoint: str, token: str, cache_dir: Path) -> None:
        self.transport = WechatyTransport(endpoint, token, clock=SystemClock(), cache_dir=cache_dir)
        self._ids = itertools.count(1)

    async def start(self) -> None:
        await self.transport.start(self._echo)

    async def wait_ready(self, timeout: float = 20.0) -> None:
        async with asyncio.timeout(timeout):
            while not self.transport.is_ready():
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        await self.transport.stop()

    async def _echo(self, inbound: Inbound) -> None:
        if inbound.attachment is not Attachment.NONE or not inbound.chat.room_topic:
            return
        reply = Outgoing(
            outbox_id=next(self._ids),
            text=f"echo: {inbound.text}",
            room_topic=inbound.chat.room_topic,
        )
        try:
            await self.transport.send(reply)
        except Exception:
            log.exception("echo of %s failed", inbound.message_id)
