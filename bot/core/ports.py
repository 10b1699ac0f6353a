"""Ports the core expects the outside world to provide."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.core.messages import ChatLine, Inbound, Outgoing

InboundHandler = Callable[[Inbound], Awaitable[None]]


class DeliveryError(Exception):
    """A send failed; `permanent` says retrying cannot help (unknown room, say)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Transport(Protocol):
    """A chat connection: delivers inbound messages to a handler and sends outgoing ones."""

    name: str

    async def start(self, on_message: InboundHandler) -> None:
        """Connect and begin delivering inbound messages. Returns once started."""
        ...

    async def stop(self) -> None: ...

    def is_ready(self) -> bool:
        """Whether a send may be attempted now (logged in, connected)."""
        ...

    async def send(self, message: Outgoing) -> str | None:
        """Deliver one message; return the platform message id if known. Raise DeliveryError."""
        ...

    async def fetch_attachment(self, ref: str) -> tuple[str, bytes]:
        """Download an attachment by its reference: (file name, bytes). Raise DeliveryError."""
        ...


class ChatSimulator(Protocol):
    """The local simulated chat behind the demo page: post as someone, read the log."""

    async def post(self, room_topic: str, sender_id: str, sender_name: str, text: str) -> None:
        """Deliver a message as if `sender` wrote it in the group."""
        ...

    def history(self, after: int = 0, room_topic: str | None = None) -> list[ChatLine]:
        """Lines with id > after, oldest first (optionally one group's only)."""
        ...

    async def wait_for_news(self, after: int, timeout: float) -> None:
        """Return once a line with id > after exists, or after `timeout` seconds."""
        ...
