"""Sending one `Outgoing` through a session: find the chat, write the mentions, deliver once."""

from __future__ import annotations

import asyncio
from itertools import zip_longest
from typing import Any

from bot.adapters.wechaty_contacts import ContactBook
from bot.core.messages import Outgoing
from bot.core.ports import DeliveryError

# WeChat separates consecutive @mentions with U+2005, as python-wechaty's Room.say() does.
AT_SEPARATOR = "\u2005"


class DeliveryUnknown(DeliveryError):
    """The send may or may not have reached WeChat (timeout or connection lost mid-call).

    It is permanent on purpose: a retry could post the message twice in a group, and a
    duplicate escalation or deadline notice is worse than one an admin re-sends by hand after
    looking. The app should show these to the admin rather than silently dropping them.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=True)


async def send(
    puppet: Any, contacts: ContactBook, message: Outgoing, *, timeout: float
) -> str | None:
    """Deliver `message`; return the platform message id if the gateway gives one."""
    try:
        conversation, text, mention_ids = await _prepare(contacts, message)
    except DeliveryError:
        raise
    except Exception as exc:  # nothing has been sent yet, so a retry is safe
        raise DeliveryError(f"looking up the chat failed: {exc!r}") from exc
    if message.attachment is not None:
        return await _deliver_file(puppet, conversation, message.attachment, timeout)
    return await _deliver(puppet, conversation, text, mention_ids, timeout)


async def _deliver_file(puppet: Any, conversation: str, path: str, timeout: float) -> str | None:
    """A chart or a ledger, as a file message (the puppet takes it inline, base64)."""
    from wechaty_puppet import FileBox

    try:
        box = FileBox.from_file(path)
    except OSError as exc:
        raise DeliveryError(f"cannot read {path}: {exc}", permanent=True) from exc
    return await _call(puppet.message_send_file(conversation_id=conversation, file=box), timeout)


async def _prepare(contacts: ContactBook, message: Outgoing) -> tuple[str, str, list[str]]:
    if message.room_topic:
        room_id = await contacts.room_id_for(message.room_topic)
        text, mention_ids = await _with_mentions(contacts, message)
        return room_id, text, mention_ids
    if message.private_to:
        contact_id = await contacts.contact_id_for(message.private_to)
        if contact_id is None:
            raise DeliveryError(f"no contact {message.private_to!r}", permanent=True)
        return contact_id, message.text, []
    raise DeliveryError("message has neither a room nor a contact", permanent=True)


async def _with_mentions(contacts: ContactBook, message: Outgoing) -> tuple[str, list[str]]:
    """Prefix "@name" for each mention; only contacts the gateway knows get a real mention.

    A roster person without a known WeChat id still gets "@name" in the text, so the group
    sees who is meant even though WeChat will not notify them.
    """
    labels: list[str] = []
    ids: list[str] = []
    for name, raw_id in zip_longest(message.mention_names, message.mention_ids, fillvalue=""):
        contact_id = await contacts.contact_id_for(raw_id) if raw_id else None
        if contact_id is None:
            if name:
                labels.append(f"@{name}")
            continue
        ids.append(contact_id)
        labels.append(f"@{await contacts.name_of(contact_id) or name}")
    if not labels:
        return message.text, ids
    return f"{AT_SEPARATOR.join(labels)} {message.text}", ids


async def _deliver(
    puppet: Any, conversation: str, text: str, mention_ids: list[str], timeout: float
) -> str | None:
    call = puppet.message_send_text(
        conversation_id=conversation, message=text, mention_ids=mention_ids
    )
    return await _call(call, timeout)


async def _call(call: Any, timeout: float) -> str | None:
    """Await one send RPC; what its failure means for a retry decides the error raised."""
    from grpclib.exceptions import GRPCError

    try:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation that
        # arrives as the call completes, and a delivery loop being shut down then runs forever.
        async with asyncio.timeout(timeout):
            message_id = await call
    except ConnectionRefusedError as exc:
        raise DeliveryError(f"gateway refused the connection: {exc!r}") from exc
    except GRPCError as exc:
        # The gateway answered with an error status: it did not send the message.
        raise DeliveryError(
            f"gateway rejected the message: {exc.status.name} {exc.message}"
        ) from exc
    except TimeoutError as exc:
        raise DeliveryUnknown(f"no answer from the gateway within {timeout:g}s") from exc
    except Exception as exc:
        raise DeliveryUnknown(f"connection lost while sending: {exc!r}") from exc
    return str(message_id) if message_id else None
