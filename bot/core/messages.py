"""Message types that cross every layer: what arrives, and what the bot sends back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Attachment(StrEnum):
    """Kinds of non-text message a transport can deliver."""

    NONE = "none"
    IMAGE = "image"
    VIDEO = "video"
    FILE = "file"


@dataclass(frozen=True)
class ChatRef:
    """Where a message was posted: a group (room) or a private chat with one contact.

    `room_topic` is the group's name as shown in WeChat; the roster binds grids to topics.
    `room_id` is the platform's id (equal to the topic in the simulator). Both are None for a
    private chat.
    """

    room_id: str | None
    room_topic: str | None

    @property
    def is_private(self) -> bool:
        return self.room_id is None


@dataclass(frozen=True)
class Inbound:
    """One message as it arrived from a transport.

    `message_id` is the platform's id: it is recorded under a unique constraint before the bot
    acts, so a redelivered message does nothing twice. `at` is timezone-aware UTC.
    """

    message_id: str
    chat: ChatRef
    sender_id: str
    sender_name: str
    text: str
    at: datetime
    mentions_bot: bool = False
    attachment: Attachment = Attachment.NONE
    # Transport-specific handle for fetching an attachment's bytes later (the message id on
    # WeChat); None for text.
    attachment_ref: str | None = None
    sender_alias: str | None = None


@dataclass(frozen=True)
class Reply:
    """Something a handler wants said: in the chat the inbound message came from, or (with
    `room_topic`) in another group, where the people it asks to act sit.

    `mentions` are roster person ids; the transport resolves them to platform contacts.
    """

    text: str
    mentions: tuple[int, ...] = ()
    room_topic: str | None = None
    # A file to send (a report's chart): its path; `text` is its caption.
    attachment: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """A message taken from the outbox for delivery.

    `room_topic` names the target group; `private_to` names a contact for a private chat
    (exactly one of them is set). `mention_ids` are platform contact ids when known, and
    `mention_names` are the display names the text should carry for each mention.
    """

    outbox_id: int
    text: str
    room_topic: str | None = None
    private_to: str | None = None
    mention_names: tuple[str, ...] = ()
    mention_ids: tuple[str, ...] = ()
    priority: int = 1
    attempts: int = 0
    # The claim this delivery holds; the send starts only while it still holds it.
    claim: str = ""
    # A file to send instead of the text (a chart, a ledger): its local path.
    attachment: str | None = None


@dataclass(frozen=True)
class ChatLine:
    """One line of a simulated conversation, as the simulator page shows it."""

    id: int
    room_topic: str | None
    sender_name: str
    text: str
    at: datetime
    mentions: tuple[str, ...] = ()
    from_bot: bool = False
    # A file the bot sent (its name under the data directory's reports folder).
    attachment: str | None = None
