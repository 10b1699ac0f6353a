"""Turning puppet-service message payloads into `Inbound` messages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.core.messages import Attachment

# Message types as the python client reports them after mapping the gateway's numbers
# (wechaty-puppet's enum, Text = 7) onto wechaty-grpc's MessageType names.
# Anything else (voice, stickers, red packets, links, recalls ...) is dropped.
SUPPORTED_TYPES: dict[str, Attachment] = {
    "MESSAGE_TYPE_TEXT": Attachment.NONE,
    "MESSAGE_TYPE_IMAGE": Attachment.IMAGE,
    "MESSAGE_TYPE_VIDEO": Attachment.VIDEO,
    "MESSAGE_TYPE_ATTACHMENT": Attachment.FILE,
}

# WeChat ends an @mention with U+2005 (four-per-em space); some clients type a plain space.
_MENTION_END = "(\u2005|\u0020|$)"

# Puppets report seconds or milliseconds; any value past this is milliseconds (2038 in s).
_LAST_SECOND_TIMESTAMP = 2_145_888_000


def attachment_kind(payload: Any) -> Attachment | None:
    """The attachment kind of a message payload, or None for a type the bot ignores."""
    name = getattr(payload.type, "name", None) or str(payload.type)
    return SUPPORTED_TYPES.get(name)


def payload_time(timestamp: int | float | None, fallback: datetime) -> datetime:
    """UTC time from a payload timestamp; `Message.date()` would give naive local time."""
    if not timestamp:
        return fallback
    seconds = timestamp / 1000 if timestamp > _LAST_SECOND_TIMESTAMP else timestamp
    return datetime.fromtimestamp(seconds, tz=UTC)


def mentions_self(payload: Any, self_id: str, self_name: str | None) -> bool:
    """Whether the message @-mentions the bot.

    The mention ids are authoritative when the puppet fills them in; some puppets only put
    "@name" in the text, so the bot's own name is checked as well.
    """
    if self_id in (payload.mention_ids or []):
        return True
    if self_name:
        return re.search(f"@{re.escape(self_name)}{_MENTION_END}", payload.text or "") is not None
    return False


def message_text(payload: Any, kind: Attachment) -> str:
    """The text to hand on: the message for text, the file name for files, else nothing.

    For pictures and videos WeChat puts XML in the text, which means nothing to a handler.
    """
    if kind is Attachment.NONE:
        return str(payload.text or "")
    if kind is Attachment.FILE:
        return str(payload.filename or "")
    return ""
