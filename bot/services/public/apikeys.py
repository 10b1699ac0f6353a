"""Open311 api keys: issued by the office, shown once, stored only as their sha256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core.errors import UserError
from bot.services.public import texts
from models.tables import ApiKey

KEY_PREFIX = "g311_"
NAME_LIMIT = 100


@dataclass(frozen=True)
class IssuedKey:
    """A new key: `key` is the secret, shown to the office this once and never again."""

    id: int
    name: str
    key: str


@dataclass(frozen=True)
class KeyInfo:
    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue(session: Session, name: str, at: datetime, created_by: int | None = None) -> IssuedKey:
    """A new key for the client `name` (an app, a hotline system); `created_by` an office user."""
    name = name.strip()
    if not name or len(name) > NAME_LIMIT:
        raise UserError(texts.KEY_NAME_BAD.format(limit=NAME_LIMIT))
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    row = ApiKey(key_hash=_digest(key), name=name, created_at=at, created_by=created_by)
    session.add(row)
    session.flush()
    return IssuedKey(row.id or 0, name, key)


def revoke(session: Session, key_id: int, at: datetime) -> bool:
    """Stop the key working from now; False when there is no such key or it was revoked."""
    result = session.execute(
        update(ApiKey)
        .where(col(ApiKey.id) == key_id, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def check(session: Session, key: str | None) -> int | None:
    """The id of the live key `key`, or None (missing, unknown or revoked)."""
    if not key:
        return None
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == _digest(key.strip()))).first()
    if row is None or row.revoked_at is not None:
        return None
    return row.id


def list_keys(session: Session) -> list[KeyInfo]:
    """Every key ever issued, oldest first (revoked ones too, for the record)."""
    rows = session.exec(select(ApiKey).order_by(col(ApiKey.id))).all()
    return [KeyInfo(r.id or 0, r.name, r.created_at, r.revoked_at) for r in rows]
