"""Idempotent intake: a platform message id is handled at most once."""

from __future__ import annotations

from sqlmodel import Session

from bot.core.messages import Inbound
from models.db import insert_ignore
from models.tables import InboundMessage


def first_sight(session: Session, inbound: Inbound) -> bool:
    """Record the message id; False if it was recorded before (a redelivery)."""
    return bool(
        insert_ignore(
            session,
            InboundMessage,
            [
                {
                    "message_id": inbound.message_id,
                    "received_at": inbound.at,
                    "room_topic": inbound.chat.room_topic,
                    "sender_id": inbound.sender_id,
                }
            ],
        )
    )
