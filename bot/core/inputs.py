"""What arrives from outside is made safe before anything reads it, on every backend alike.

Lone surrogates (a JSON ``\\ud800`` escape), NUL and other control characters are dropped
(line breaks and tabs kept, ``\\r\\n`` becomes ``\\n``); ids and names longer than the schema
holds are shortened without losing their uniqueness (a long id becomes a digest of itself).
SQLite would store what PostgreSQL refuses, so the same message behaves the same on both.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import replace

from bot.core.messages import Inbound

ID_LIMIT = 200  # message ids, contact ids and group topics in the schema
NAME_LIMIT = 100
_KEPT_CONTROLS = frozenset("\n\t")


def clean_text(text: str) -> str:
    """The text without lone surrogates and control characters (line breaks and tabs kept)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Printable but for line breaks and tabs: no control character or surrogate to drop.
    if text.isprintable() or text.replace("\n", "").replace("\t", "").isprintable():
        return text
    return "".join(
        char
        for char in text
        if not (0xD800 <= ord(char) <= 0xDFFF)
        and (char in _KEPT_CONTROLS or unicodedata.category(char) != "Cc")
    )


def fit_id(value: str, limit: int = ID_LIMIT) -> str:
    """An id that fits the schema: itself, or (when too long) a prefix and its digest."""
    value = clean_text(value)
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return f"{value[: limit - 66]}#{digest}"[:limit]


def clean_inbound(inbound: Inbound) -> Inbound:
    """The message as the bot reads it: clean text, ids and names that fit the schema."""
    chat = inbound.chat
    topic = fit_id(chat.room_topic) if chat.room_topic is not None else None
    room_id = fit_id(chat.room_id) if chat.room_id is not None else None
    if (room_id, topic) != (chat.room_id, chat.room_topic):
        chat = replace(chat, room_id=room_id, room_topic=topic)
    alias = clean_text(inbound.sender_alias)[:NAME_LIMIT] if inbound.sender_alias else None
    cleaned = (
        fit_id(inbound.message_id),
        chat,
        fit_id(inbound.sender_id),
        clean_text(inbound.sender_name)[:NAME_LIMIT],
        alias,
        clean_text(inbound.text),
        fit_id(inbound.attachment_ref) if inbound.attachment_ref else None,
    )
    as_sent = (
        inbound.message_id,
        inbound.chat,
        inbound.sender_id,
        inbound.sender_name,
        inbound.sender_alias,
        inbound.text,
        inbound.attachment_ref,
    )
    if cleaned == as_sent:
        return inbound  # the usual case: nothing to change, no copy (dataclasses.replace)
    message_id, chat, sender_id, sender_name, alias, text, attachment_ref = cleaned
    return replace(
        inbound,
        message_id=message_id,
        chat=chat,
        sender_id=sender_id,
        sender_name=sender_name,
        sender_alias=alias,
        text=text,
        attachment_ref=attachment_ref,
    )
