"""Where an outbox message stands (stored in `Outbox.status`)."""

from __future__ import annotations

from enum import StrEnum


class Delivery(StrEnum):
    PENDING = "pending"  # waiting for its turn (or for a retry after a failure)
    SENDING = "sending"  # claimed by a delivery loop, under a lease
    SENT = "sent"
    FAILED = "failed"  # given up: permanent error, too many attempts, or outcome unknown


# Statuses still to be delivered; a `sending` row whose lease ran out is claimed again.
UNSENT: tuple[Delivery, ...] = (Delivery.PENDING, Delivery.SENDING)
