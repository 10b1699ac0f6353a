"""Signed-in browsers: a random token in a signed cookie, its sha256 and a CSRF token here.

The cookie value is `<token>.<hmac>`: the HMAC (the deployment's session secret) lets a
forged or truncated cookie be refused before any database look-up; the table makes log-out,
expiry and a disabled account take effect at once, which a cookie alone cannot.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.services.office import accounts
from bot.services.office.accounts import Account
from models.tables import OfficeSession

LIFETIME = timedelta(hours=12)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sign(token: str, secret: bytes) -> str:
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()[:32]


def cookie_value(token: str, secret: bytes) -> str:
    return f"{token}.{_sign(token, secret)}"


def token_of(cookie: str | None, secret: bytes) -> str | None:
    """The token inside a cookie whose signature holds, else None."""
    if not cookie or "." not in cookie:
        return None
    token, _, signature = cookie.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _sign(token, secret).encode()):
        return None
    return token


def open_session(session: Session, account: Account, now: datetime, ip: str) -> tuple[str, str]:
    """(token, csrf token) of a new session; expired sessions are swept on the way."""
    session.execute(delete(OfficeSession).where(col(OfficeSession.expires_at) <= now))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(
        OfficeSession(
            token_hash=_digest(token),
            user_id=account.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + LIFETIME,
            ip=ip[:64],
        )
    )
    return token, csrf


def find(session: Session, token: str, now: datetime) -> tuple[Account, str] | None:
    """(account, csrf token) of a live session of an enabled account, else None."""
    row = session.exec(
        select(OfficeSession).where(OfficeSession.token_hash == _digest(token))
    ).first()
    if row is None or row.expires_at <= now:
        return None
    account = accounts.get(session, row.user_id)
    return (account, row.csrf_token) if account else None


def close_session(session: Session, token: str) -> None:
    session.execute(delete(OfficeSession).where(col(OfficeSession.token_hash) == _digest(token)))
