"""Where an outbox message stands (stored in `Outbox.status`)."""

from __future__ import annotations

from enum import StrEnum


class Delivery(StrEnum):
    PENDING = "pending"  # waiting for its turn (or for a retry after a failure)
    SENDING = "sending"  # claimed by a delivery loop, under a lease
    SENT = "sent"
    FAILED = "failed"  # given up: permanent error, too many attempts
    # The process stopped while the transport was sending it: it may or may not have gone
    # out. Never resent automatically (that could post it twice); the admins are told.
    UNKNOWN = "unknown"


# Statuses still to be delivered; a `sending` row whose lease ran out is claimed again, unless
# its send had started.
UNSENT: tuple[Delivery, ...] = (Delivery.PENDING, Delivery.SENDING)
