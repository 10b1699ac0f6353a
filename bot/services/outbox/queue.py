"""The persistent outbox: everything the bot says is written here first, then delivered."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, update
from sqlmodel import Session, col, select

from bot.core.messages import Outgoing
from bot.services import memory as directory
from bot.services.outbox.states import UNSENT, Delivery
from models.db import Prepared, insert_ignore, sync_now, table_of
from models.tables import Outbox, Person

PRIORITY_REPLY = 0
PRIORITY_ESCALATION = 1
PRIORITY_BRIEFING = 2
MAX_ATTEMPTS = 8
# A claimed message whose sender died is handed out again after this long.
CLAIM_LEASE = timedelta(minutes=2)
# Longer than a send can take in a live process (the transport gives up after 15 s).
SEND_UNDER_WAY = timedelta(seconds=20)
_OUTBOX = table_of(Outbox)


@dataclass(frozen=True)
class Draft:
    """A message to queue. `key` makes it unique: queuing the same key twice does nothing."""

    key: str
    text: str
    room_topic: str | None = None
    private_person_id: int | None = None
    mentions: tuple[int, ...] = ()
    priority: int = PRIORITY_REPLY
    kind: str = "reply"
    # Held back this long, so later events can still change it (coalescing).
    delay: timedelta = timedelta(0)
    # A file to send (its path); `text` is then its caption for logs and the simulator.
    attachment: str | None = None


# WeChat cuts or refuses very long texts; parts stay well under its limit.
PART_LIMIT = 1500


def split_text(text: str, limit: int = PART_LIMIT) -> list[str]:
    """Cut a long text at line boundaries into parts of at most `limit` characters."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single overlong line is cut where it must be
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            candidate = line
        current = candidate
    if current or not parts:
        parts.append(current)
    return parts


def _parts(draft: Draft) -> list[Draft]:
    """One draft per part; mentions go with the first part only."""
    pieces = split_text(draft.text)
    if len(pieces) == 1:
        return [draft]
    return [
        replace(
            draft, key=f"{draft.key}#{n}", text=piece, mentions=draft.mentions if n == 0 else ()
        )
        for n, piece in enumerate(pieces)
    ]


def enqueue(session: Session, drafts: Sequence[Draft], now: datetime) -> list[int]:
    """Queue drafts (long ones as several parts); return the ids of those that were new."""
    drafts = [part for d in drafts for part in _parts(d)]
    rows = [
        {
            "dedupe_key": d.key,
            "room_topic": d.room_topic,
            "private_person_id": d.private_person_id,
            "text": d.text,
            "mentions": ",".join(str(m) for m in d.mentions),
            "priority": d.priority,
            "kind": d.kind,
            "status": Delivery.PENDING,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now + d.delay,
            "attachment": d.attachment,
        }
        for d in drafts
    ]
    return insert_ignore(session, Outbox, rows)


def _mention_ids(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",") if x]


def claim(
    session: Session, now: datetime, limit: int = 50, only: Sequence[int] | None = None
) -> list[Outgoing]:
    """Take pending messages that are due, most urgent first, marking them as being sent.

    `only` restricts the claim to given ids (the command line delivers just what its own
    command queued). The conditional update makes two deliverers never take the same message.
    """
    # A batch takes a chat's due messages in order; one whose older message is claimed
    # elsewhere (a reply being sent the moment its message committed) waits for it.
    query = select(Outbox).where(_claimable(now), ~_older_unsent(_OUTBOX, now, pending_too=False))
    if only is not None:
        query = query.where(col(Outbox.id).in_(list(only)))
    rows = session.exec(query.order_by(col(Outbox.priority), col(Outbox.id)).limit(limit)).all()
    token = uuid.uuid4().hex
    won = set(
        session.execute(
            update(Outbox)
            .where(col(Outbox.id).in_([r.id for r in rows]), _claimable(now))
            .values(
                status=Delivery.SENDING,
                next_attempt_at=now + CLAIM_LEASE,
                claim_token=token,
                attempt_started_at=None,
            )
            .returning(col(Outbox.id))
        ).scalars()
    )
    return _outgoing(session, [r for r in rows if r.id in won], token)


class _Taken(NamedTuple):
    """A row `take` claimed: what a send needs of it."""

    id: int
    text: str
    room_topic: str | None
    private_person_id: int | None
    mentions: str
    priority: int
    attempts: int
    attachment: str | None


_TAKE_COLUMNS = _Taken._fields


def take(session: Session, ids: Sequence[int], now: datetime) -> list[Outgoing]:
    """Claim and begin the given messages in one statement (a message's own replies, in its
    own transaction), so they are sent as soon as it commits instead of on the next
    delivery pass, with no commit of their own first. Begun, so that commit waits for the
    disk (`sync_now`): a reply sent is on disk with the report it answers. A crash between
    it and the send leaves a send of unknown fate, as a crash just after any send's start
    mark does. A message is left for the pass when an older one for the same chat, at
    least as urgent, is still waiting: replies reach a group in the order they were
    queued. Those the caller will not send now go back with `unbegin`."""
    if not ids:
        return []
    token = uuid.uuid4().hex
    params = {
        "ids": list(ids),
        "now": now,
        "under_way_since": now - SEND_UNDER_WAY,
        "lease_until": now + CLAIM_LEASE,
        "token": token,
    }
    sync_now(session)  # on PostgreSQL it rides on this statement
    rows = [_Taken(*row) for row in _TAKE.rows(session, params)]
    return _outgoing(session, sorted(rows, key=lambda r: (r.priority, r.id)), token)


def _take_statement() -> Any:
    """UPDATE … RETURNING for `take`, built once (a reply's hot path): the conditions of
    `_claimable`, with the time as a parameter, and nothing older waiting for the chat;
    claimed and begun at once."""
    table = _OUTBOX
    now: Any = bindparam("now")
    return (
        update(table)
        .where(
            table.c.id.in_(bindparam("ids", expanding=True)),
            _claimable(now),
            # The time a send may still be under way from comes as a value: subtracted in
            # SQL, SQLite subtracted two strings (and held a chat back 90 s, not 20 s).
            ~_older_unsent(
                table, now, pending_too=True, under_way_since=bindparam("under_way_since")
            ),
        )
        .values(
            status=Delivery.SENDING,
            next_attempt_at=bindparam("lease_until"),
            claim_token=bindparam("token"),
            attempt_started_at=now,
        )
        .returning(*(table.c[name] for name in _TAKE_COLUMNS))
    )


def _older_unsent(
    table: Any, now: Any, *, pending_too: bool, under_way_since: Any = None
) -> ColumnElement[bool]:
    """An older message for the same chat, at least as urgent, not sent yet: claimed and
    not begun, or begun less than `SEND_UNDER_WAY` ago (its send may be under way), or with
    `pending_too` also due and waiting. Replies reach a group in the order they were queued,
    whichever path sends them; a send cut off by a crash holds its chat back that long."""
    older = table.alias("older")
    if under_way_since is None:  # `now` is a value: the subtraction is Python's
        under_way_since = now - SEND_UNDER_WAY
    same_chat = and_(
        older.c.id < table.c.id,
        older.c.priority <= table.c.priority,
        older.c.room_topic.is_not_distinct_from(table.c.room_topic),
        older.c.private_person_id.is_not_distinct_from(table.c.private_person_id),
    )
    sending = and_(
        older.c.status == Delivery.SENDING,
        or_(
            older.c.attempt_started_at.is_(None),
            older.c.attempt_started_at > under_way_since,
        ),
    )
    # One EXISTS per status rather than one over `status = a OR status = b`: PostgreSQL
    # then walks the status index in a plain index scan, which marks the entries of rows
    # long sent as dead and skips them from then on; a bitmap scan of the OR visited every
    # one of them (each reply leaves one) until the next vacuum.
    older_sending = select(older.c.id).where(same_chat, sending).exists()
    if not pending_too:
        return older_sending
    due = and_(older.c.status == Delivery.PENDING, older.c.next_attempt_at <= now)
    return or_(older_sending, select(older.c.id).where(same_chat, due).exists())


def _outgoing(session: Session, rows: Sequence[Any], token: str) -> list[Outgoing]:
    """Claimed rows as messages for the transport, mentions and private chats resolved."""
    people = _recipients(
        session,
        [m for r in rows for m in _mention_ids(r.mentions)]
        + [r.private_person_id for r in rows if r.private_person_id],
    )
    claimed: list[Outgoing] = []
    for row in rows:
        mentioned = [people[m] for m in _mention_ids(row.mentions) if m in people]
        private = people.get(row.private_person_id) if row.private_person_id else None
        claimed.append(
            Outgoing(
                outbox_id=row.id or 0,
                text=row.text,
                room_topic=row.room_topic,
                private_to=(private.platform_id or private.name) if private else None,
                mention_names=tuple(p.name for p in mentioned),
                mention_ids=tuple(p.platform_id for p in mentioned),
                priority=row.priority,
                attempts=row.attempts,
                claim=token,
                attachment=row.attachment,
            )
        )
    return claimed


@dataclass(frozen=True)
class _Recipient:
    name: str
    platform_id: str  # the contact id once bound, else the 微信号, else ""


def _recipients(session: Session, ids: list[int]) -> dict[int, _Recipient]:
    """The people a batch of messages mentions or is sent to: from the roster memory while
    the roster stays the same (a message's own transaction), else in one query."""
    if not ids:
        return {}

    def load(missing: list[tuple[str, int]]) -> dict[tuple[str, int], _Recipient]:
        rows = session.exec(select(Person).where(col(Person.id).in_([i for _, i in missing])))
        return {
            ("recipient", p.id): _Recipient(p.name, p.contact_id or p.wechat_id or "")
            for p in rows
            if p.id
        }

    keys = [("recipient", i) for i in sorted(set(ids))]
    found = directory.remembered_many(session, keys, load)
    return {key[1]: value for key, value in found.items() if value is not None}


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Due and pending, or claimed by a delivery that never started sending and whose
    lease ran out; a row whose send started is never taken again."""
    return and_(
        col(Outbox.next_attempt_at) <= now,
        or_(
            col(Outbox.status) == Delivery.PENDING,
            and_(col(Outbox.status) == Delivery.SENDING, col(Outbox.attempt_started_at).is_(None)),
        ),
    )


def begin(session: Session, message: Outgoing, now: datetime) -> bool:
    """Record that the send starts, if this delivery still holds the claim."""
    params = {"outbox_id": message.outbox_id, "token": message.claim, "now": now}
    return bool(_BEGIN.count(session, params))


# Built once: a reply's hot path.
_TAKE = Prepared(_take_statement())
# Still claimed by the delivery holding `token`.
_CLAIMED_BY_TOKEN = and_(
    _OUTBOX.c.status == Delivery.SENDING, _OUTBOX.c.claim_token == bindparam("token")
)
# Built once: every send of the delivery pass starts with it (if it still holds the claim).
_BEGIN = Prepared(
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id == bindparam("outbox_id"),
        _CLAIMED_BY_TOKEN,
        _OUTBOX.c.attempt_started_at.is_(None),
    )
    .values(attempt_started_at=bindparam("now"))
)


def unbegin(session: Session, messages: Sequence[Outgoing], now: datetime) -> None:
    """Put back messages this delivery began but certainly did not send: held by the
    limiter, or it stopped first. One statement per claim (a take's messages share one)."""
    claims: dict[str | None, list[int]] = {}
    for message in messages:
        claims.setdefault(message.claim, []).append(message.outbox_id)
    for token, ids in claims.items():
        _UNBEGIN.count(session, {"ids": ids, "token": token, "now": now})


_UNBEGIN = Prepared(
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)), _CLAIMED_BY_TOKEN)
    .values(
        status=Delivery.PENDING,
        next_attempt_at=bindparam("now"),
        claim_token=None,
        attempt_started_at=None,
    )
)


def release_unstarted(session: Session, now: datetime) -> None:
    """After a restart: claims whose send never started go back at once (not after the
    lease); a live process that still holds one finds its claim gone and skips it."""
    session.execute(
        update(Outbox)
        .where(col(Outbox.status) == Delivery.SENDING, col(Outbox.attempt_started_at).is_(None))
        .values(status=Delivery.PENDING, next_attempt_at=now, claim_token=None)
    )


def expire_started(session: Session, started_before: datetime) -> list[Outbox]:
    """Sends that started before `started_before` and never finished: their process died
    mid-send. They become unknown (returned), never to be resent."""
    stuck = list(
        session.exec(
            select(Outbox).where(
                col(Outbox.status) == Delivery.SENDING,
                col(Outbox.attempt_started_at) < started_before,
            )
        ).all()
    )
    if stuck:
        session.execute(
            update(Outbox)
            .where(col(Outbox.id).in_([row.id for row in stuck]))
            .values(status=Delivery.UNKNOWN)
        )
    return stuck


def mark_sent(session: Session, outbox_id: int, now: datetime, platform_id: str | None) -> None:
    _MARK_SENT.count(session, {"outbox_id": outbox_id, "now": now, "platform_id": platform_id})


# Built once: every send ends with it.
_MARK_SENT = Prepared(
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("outbox_id"))
    .values(
        status=Delivery.SENT,
        sent_at=bindparam("now"),
        platform_message_id=bindparam("platform_id"),
        last_error=None,
    )
)


def mark_failed(
    session: Session, outbox_id: int, now: datetime, error: str, *, permanent: bool
) -> None:
    """Record a failed attempt; retry with exponential backoff until MAX_ATTEMPTS."""
    row = session.get(Outbox, outbox_id)
    if row is None:
        return
    row.attempts += 1
    row.last_error = error[:2000]
    row.claim_token, row.attempt_started_at = None, None
    if permanent or row.attempts >= MAX_ATTEMPTS:
        row.status = Delivery.FAILED
    else:
        row.status = Delivery.PENDING
        row.next_attempt_at = now + timedelta(seconds=min(2**row.attempts, 300))
    session.add(row)


def release(session: Session, outbox_ids: Sequence[int], now: datetime) -> None:
    """Put claimed messages back untried (the transport was not ready, or a rate limit)."""
    if outbox_ids:
        session.execute(
            update(Outbox)
            .where(
                col(Outbox.id).in_(list(outbox_ids)),
                col(Outbox.status) == Delivery.SENDING,
                col(Outbox.attempt_started_at).is_(None),
            )
            .values(status=Delivery.PENDING, next_attempt_at=now, claim_token=None)
        )


def backlog(session: Session) -> tuple[int, int]:
    """(messages waiting to be sent, messages that failed for good) for the admin banner."""
    rows = session.exec(
        select(Outbox.status, func.count())
        .where(col(Outbox.status).in_([*UNSENT, Delivery.FAILED, Delivery.UNKNOWN]))
        .group_by(col(Outbox.status))
    ).all()
    counts = dict(rows)
    failed = counts.get(Delivery.FAILED, 0) + counts.get(Delivery.UNKNOWN, 0)
    return sum(counts.get(s, 0) for s in UNSENT), failed
