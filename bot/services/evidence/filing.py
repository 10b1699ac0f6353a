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
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.core import texts
from bot.core.messages import Inbound
from bot.core.ports import DeliveryError
from bot.services.intake import inbound as intake
from bot.services.outbox.queue import PRIORITY_REPLY, Draft, enqueue
from bot.services.roster import lookup as directory
from bot.services.roster.lookup import Actor
from bot.services.runtime import Services
from bot.services.tickets.ledger import Origin, record
from models.db import insert_ignore
from models.tables import Evidence, Outbox, Ticket, TicketEvent

log = logging.getLogger(__name__)

Fetch = Callable[[str], Awaitable[tuple[str, bytes]]]
# Events after which the sender's photos belong to that ticket.
CONTEXT_EVENTS = ("reported", "accepted", "resolved", "attach_ready", "evidence")
MAX_PER_TICKET = 30
ACK_DELAY = timedelta(seconds=20)
ACK_BUCKET_SECONDS = 120


@dataclass(frozen=True)
class Target:
    ticket_id: int
    code: str
    actor: Actor


def find_target(session: Session, services: Services, inbound: Inbound) -> Target | None:
    """The ticket the sender was last busy with inside the evidence window, if any."""
    person = directory.identify(session, inbound)
    if person is None or person.id is None:
        return None
    row = session.exec(
        select(Ticket.id, Ticket.code)
        .join(TicketEvent, col(TicketEvent.ticket_id) == Ticket.id)
        .where(
            TicketEvent.actor_id == person.id,
            col(TicketEvent.kind).in_(CONTEXT_EVENTS),
            col(TicketEvent.at) >= inbound.at - services.policy.evidence_window,
        )
        .order_by(col(TicketEvent.at).desc(), col(TicketEvent.id).desc())
    ).first()
    if row is None:
        return None
    return Target(row[0] or 0, row[1], Actor(person.id, person.name))


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


async def attach(
    services: Services, fetch: Fetch, inbound: Inbound, attempts: int = 3, backoff: float = 1.0
) -> list[int]:
    """File one attachment message on its ticket; return the outbox ids queued."""
    with services.transaction() as session:
        target = find_target(session, services, inbound)
    if target is None or inbound.attachment_ref is None:
        return []
    got = await fetch_with_retry(fetch, inbound.attachment_ref, attempts, backoff)
    return await asyncio.to_thread(_record, services, inbound, target, got, attempts)


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
    services: Services,
    inbound: Inbound,
    target: Target,
    got: tuple[str, bytes] | None,
    attempts: int,
) -> list[int]:
    with services.transaction() as session:
        if not intake.first_sight(session, inbound):
            return []
        ticket = session.get(Ticket, target.ticket_id)
        assert ticket is not None
        origin = Origin(target.actor, inbound.at, inbound.message_id, inbound.chat.room_topic)
        saved = _count_saved(session, target.ticket_id)
        if got is not None and saved >= MAX_PER_TICKET:
            return _reply(
                session, inbound, target, texts.EVIDENCE_LIMIT.format(code=target.code, count=saved)
            )
        row = {
            "ticket_id": target.ticket_id,
            "person_id": target.actor.person_id,
            "message_id": inbound.message_id,
            "kind": inbound.attachment.value,
            "at": inbound.at,
        }
        if got is None:
            insert_ignore(session, Evidence, [{**row, "status": "missing"}])
            record(session, ticket, origin, "evidence_missing", inbound.attachment.value)
            return _reply(
                session,
                inbound,
                target,
                texts.EVIDENCE_MISSING.format(code=target.code, attempts=attempts),
            )
        name, data = got
        digest, path = _save(services.policy.data_dir, target.code, name, data)
        insert_ignore(
            session,
            Evidence,
            [
                {
                    **row,
                    "status": "saved",
                    "file_name": name,
                    "sha256": digest,
                    "size": len(data),
                    "path": str(path),
                }
            ],
        )
        record(session, ticket, origin, "evidence", name)
        return _acknowledge(session, inbound, target, saved + 1)


def _count_saved(session: Session, ticket_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Evidence)
            .where(Evidence.ticket_id == ticket_id, Evidence.status == "saved")
        ).one()
    )


def _reply(session: Session, inbound: Inbound, target: Target, text: str) -> list[int]:
    draft = Draft(
        key=f"reply:{inbound.message_id}:0",
        text=text,
        room_topic=inbound.chat.room_topic,
        private_person_id=target.actor.person_id if inbound.chat.is_private else None,
        mentions=() if inbound.chat.is_private else (target.actor.person_id,),
        priority=PRIORITY_REPLY,
    )
    return enqueue(session, [draft], inbound.at)


def _acknowledge(session: Session, inbound: Inbound, target: Target, count: int) -> list[int]:
    """Queue one delayed "received" per burst; later photos in the burst update its count."""
    bucket = int(inbound.at.timestamp()) // ACK_BUCKET_SECONDS
    key = f"evidence-ack:{target.ticket_id}:{inbound.chat.room_topic}:{bucket}"
    text = texts.EVIDENCE_RECEIVED.format(code=target.code, count=count)
    updated = session.execute(
        update(Outbox)
        .where(col(Outbox.dedupe_key) == key, col(Outbox.status) == "pending")
        .values(text=text)
    )
    if updated.rowcount:  # type: ignore[attr-defined]
        return []
    draft = Draft(
        key=key,
        text=text,
        room_topic=inbound.chat.room_topic,
        private_person_id=target.actor.person_id if inbound.chat.is_private else None,
        priority=PRIORITY_REPLY,
        kind="evidence_ack",
        delay=ACK_DELAY,
    )
    return enqueue(session, [draft], inbound.at)
