"""Evidence (现场照片): photos and videos a member sends are filed on their ticket.

A photo belongs to the ticket its sender last reported or named (「照片 <编号>」, 受理, 办结)
within the evidence window. The bytes are fetched with retries, saved under the data
directory by their sha256, and recorded as a ticket event; a photo that cannot be fetched
is recorded as missing and the sender is told. Acknowledgements are coalesced: a burst of
nine photos gets one "received" message, not nine.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.core.messages import Inbound
from bot.core.ports import DeliveryError
from bot.services.evidence import texts
from bot.services.outbox.queue import PRIORITY_REPLY, Draft, enqueue
from bot.services.outbox.states import Delivery
from bot.services.roster.lookup import Actor
from bot.services.runtime import Runtime
from bot.services.tickets.states import Status
from models.db import insert_ignore
from models.tables import Evidence, Outbox, Ticket, TicketEvent

log = logging.getLogger(__name__)

Fetch = Callable[[str], Awaitable[tuple[str, bytes]]]
# Events after which the sender's photos belong to that ticket.
CONTEXT_EVENTS = (
    "reported",
    "accepted",
    "resolved",
    "attach_ready",
    "evidence",
    "assigned",
    "returned",
    "co_reported",
)
MAX_PER_TICKET = 30
PENDING = "pending"
ACK_DELAY = timedelta(seconds=20)
ACK_BUCKET_SECONDS = 120


@dataclass(frozen=True)
class Pending:
    """A claimed attachment whose bytes are still to be fetched."""

    evidence_id: int
    ticket_id: int
    code: str
    ref: str
    person_id: int
    room_topic: str | None
    private: bool
    message_id: str
    at: datetime


def claim(session: Session, runtime: Runtime, inbound: Inbound, actor: Actor) -> bool:
    """Put the attachment on the ticket the sender was last busy with, to be fetched later.

    Runs inside the dispatcher's transaction (so the message id, the binding and this claim
    commit together); `collect` fetches the bytes afterwards, off the database.
    """
    row = session.exec(
        select(Ticket.id, Ticket.code, Ticket.status)
        .join(TicketEvent, col(TicketEvent.ticket_id) == Ticket.id)
        .where(
            TicketEvent.actor_id == actor.person_id,
            col(TicketEvent.kind).in_(CONTEXT_EVENTS),
            col(TicketEvent.at) >= inbound.at - runtime.policy.evidence_window,
        )
        .order_by(col(TicketEvent.at).desc(), col(TicketEvent.id).desc())
    ).first()
    if row is None or inbound.attachment_ref is None:
        return False
    return bool(
        insert_ignore(
            session,
            Evidence,
            [
                {
                    "ticket_id": row[0],
                    "person_id": actor.person_id,
                    "message_id": inbound.message_id,
                    "kind": inbound.attachment.value,
                    "status": PENDING,
                    "ref": inbound.attachment_ref,
                    "room_topic": inbound.chat.room_topic,
                    "private": inbound.chat.is_private,
                    "at": inbound.at,
                    # Sent once the ticket was 办结: a 整改后 photo, for the verifier.
                    "stage": "after" if row[2] == Status.RESOLVED else "before",
                }
            ],
        )
    )


async def fetch_with_retry(
    fetch: Fetch, ref: str, attempts: int = 3, backoff: float = 1.0
) -> tuple[str, bytes] | None:
    """The attachment's (name, bytes), or None after `attempts` failures."""
    for attempt in range(attempts):
        try:
            return await fetch(ref)
        except DeliveryError as exc:
            log.warning("fetching attachment %s failed (attempt %d): %s", ref, attempt + 1, exc)
        if attempt + 1 < attempts:
            await asyncio.sleep(backoff * 2**attempt)
    return None


def pending(runtime: Runtime, message_ids: list[str] | None = None) -> list[Pending]:
    """Claimed attachments not fetched yet: those of `message_ids`, or all (after a restart)."""
    with runtime.transaction() as session:
        query = (
            select(Evidence, Ticket.code)
            .join(Ticket, col(Ticket.id) == Evidence.ticket_id)
            .where(Evidence.status == PENDING)
        )
        if message_ids is not None:
            query = query.where(col(Evidence.message_id).in_(message_ids))
        rows = session.exec(query.order_by(col(Evidence.id))).all()
    return [
        Pending(
            evidence_id=e.id or 0,
            ticket_id=e.ticket_id,
            code=code,
            ref=e.ref or "",
            person_id=e.person_id or 0,
            room_topic=e.room_topic,
            private=e.private,
            message_id=e.message_id,
            at=e.at,
        )
        for e, code in rows
    ]


async def collect(
    runtime: Runtime,
    fetch: Fetch,
    message_ids: list[str] | None = None,
    attempts: int = 3,
    backoff: float = 1.0,
) -> list[int]:
    """Fetch and file claimed attachments; return the outbox ids queued."""
    queued: list[int] = []
    for item in await asyncio.to_thread(pending, runtime, message_ids):
        got = await fetch_with_retry(fetch, item.ref, attempts, backoff)
        queued += await asyncio.to_thread(_record, runtime, item, got, attempts)
    return queued


def _save(base: Path, code: str, name: str, data: bytes) -> tuple[str, Path]:
    digest = hashlib.sha256(data).hexdigest()
    suffix = Path(name).suffix.lower()[:10] or ".bin"
    path = base / "evidence" / code / f"{digest}{suffix}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a crash never leaves half a photo under its hash
    return digest, path


def _record(
    runtime: Runtime, item: Pending, got: tuple[str, bytes] | None, attempts: int
) -> list[int]:
    with runtime.transaction() as session:
        now = runtime.clock.now()
        saved = _count_saved(session, item.ticket_id)
        if got is None:
            if not _settle(session, item, {"status": "missing"}):
                return []
            _event(session, item, "evidence_missing", "")
            text = texts.EVIDENCE_MISSING.format(code=item.code, attempts=attempts)
            return _reply(session, item, now, text)
        if saved >= MAX_PER_TICKET:
            if not _settle(session, item, {"status": "refused"}):
                return []
            text = texts.EVIDENCE_LIMIT.format(code=item.code, count=saved)
            return _reply(session, item, now, text)
        name, data = got
        digest, path = _save(runtime.policy.data_dir, item.code, name, data)
        values = {
            "status": "saved",
            "file_name": name[:300],
            "sha256": digest,
            "size": len(data),
            "path": str(path),
        }
        if not _settle(session, item, values):
            return []  # filed already by another collector
        _event(session, item, "evidence", name[:300])
        return _acknowledge(session, item, now, saved + 1)


def _settle(session: Session, item: Pending, values: dict[str, object]) -> bool:
    """Move the claim out of pending once; False when someone else already did."""
    result = session.execute(
        update(Evidence)
        .where(col(Evidence.id) == item.evidence_id, col(Evidence.status) == PENDING)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _event(session: Session, item: Pending, kind: str, detail: str) -> None:
    session.add(
        TicketEvent(
            ticket_id=item.ticket_id,
            at=item.at,
            actor_id=item.person_id,
            kind=kind,
            detail=detail,
            message_id=item.message_id,
        )
    )


def _count_saved(session: Session, ticket_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Evidence)
            .where(Evidence.ticket_id == ticket_id, Evidence.status == "saved")
        ).one()
    )


def _reply(session: Session, item: Pending, now: datetime, text: str) -> list[int]:
    draft = Draft(
        key=f"evidence:{item.evidence_id}",
        text=text,
        room_topic=item.room_topic,
        private_person_id=item.person_id if item.private else None,
        mentions=() if item.private else (item.person_id,),
        priority=PRIORITY_REPLY,
    )
    return enqueue(session, [draft], now)


def _acknowledge(session: Session, item: Pending, now: datetime, count: int) -> list[int]:
    """Queue one delayed "received" per burst; later photos in the burst update its count."""
    bucket = int(now.timestamp()) // ACK_BUCKET_SECONDS
    key = f"evidence-ack:{item.ticket_id}:{item.room_topic}:{bucket}"
    text = texts.EVIDENCE_RECEIVED.format(code=item.code, count=count)
    updated = session.execute(
        update(Outbox)
        .where(col(Outbox.dedupe_key) == key, col(Outbox.status) == Delivery.PENDING)
        .values(text=text)
    )
    if updated.rowcount:  # type: ignore[attr-defined]
        return []
    draft = Draft(
        key=key,
        text=text,
        room_topic=item.room_topic,
        private_person_id=item.person_id if item.private else None,
        priority=PRIORITY_REPLY,
        kind="evidence_ack",
        delay=ACK_DELAY,
    )
    return enqueue(session, [draft], now)
