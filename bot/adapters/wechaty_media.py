"""Downloading a message's picture or file from a puppet-service gateway.

The gateway (1.x) sends anything over 20 KB by reference, a file box of type uuid, which
python-wechaty 0.10.7 cannot read (`msg.to_file_box()` raises). The streaming RPCs on the gRPC
stub the client already holds do work: the first chunk carries the file name,
the others the data. They need a deadline of our own: when the puppet fails (say, the id is
not a picture) the server sends no error status and the stream never ends.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import Any

from bot.core.ports import DeliveryError

MB = 1024 * 1024


async def download(
    puppet: Any, message_id: str, *, timeout: float, max_bytes: int
) -> tuple[str, bytes]:
    """Fetch the attachment of message `message_id` as (file name, bytes).

    Raises DeliveryError: permanent when the message does not exist, has no attachment or is
    too big; transient when the gateway fails or the deadline passes.
    """
    from wechaty_grpc.wechaty.puppet import ImageType

    try:
        async with asyncio.timeout(timeout):
            # Asking for the payload first turns a bogus id into a quick, clear error instead of
            # a stream that waits for the deadline.
            try:
                payload = await puppet.message_payload(message_id)
            except Exception as exc:
                raise DeliveryError(f"no such message {message_id}: {exc}", permanent=True) from exc
            kind = getattr(payload.type, "name", str(payload.type))
            if kind == "MESSAGE_TYPE_IMAGE":
                stream = puppet.puppet_stub.message_image_stream(
                    id=message_id, type=ImageType.IMAGE_TYPE_HD
                )
            elif kind in ("MESSAGE_TYPE_VIDEO", "MESSAGE_TYPE_ATTACHMENT"):
                stream = puppet.puppet_stub.message_file_stream(id=message_id)
            else:
                raise DeliveryError(f"message {message_id} has no attachment", permanent=True)
            return await _collect(stream, message_id, max_bytes, payload.filename or "")
    except TimeoutError as exc:
        raise DeliveryError(f"attachment {message_id}: no answer within {timeout:g}s") from exc


async def _collect(stream: Any, message_id: str, max_bytes: int, name: str) -> tuple[str, bytes]:
    data = bytearray()
    try:
        async with aclosing(stream) as chunks:
            async for response in chunks:
                chunk = response.file_box_chunk
                if chunk.name:
                    name = chunk.name
                if chunk.data:
                    data += chunk.data
                    if len(data) > max_bytes:
                        raise DeliveryError(
                            f"attachment {message_id} exceeds {max_bytes // MB} MB", permanent=True
                        )
    except DeliveryError:
        raise
    except (asyncio.CancelledError, TimeoutError):
        raise
    except Exception as exc:
        raise DeliveryError(f"attachment {message_id}: {exc!r}") from exc
    if not data:
        raise DeliveryError(f"attachment {message_id} came back empty")
    return name or message_id, bytes(data)
