"""The audit log: every office action, who did it, when, from where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.services.office.accounts import Account
from models.tables import AuditLog


@dataclass(frozen=True)
class Entry:
    at: datetime
    username: str
    action: str
    target: str
    detail: str
    ip: str


def record(
    session: Session,
    at: datetime,
    account: Account | None,
    action: str,
    target: str = "",
    detail: str = "",
    *,
    ip: str = "",
    username: str = "",
) -> None:
    session.add(
        AuditLog(
            at=at,
            user_id=account.id if account else None,
            username=(account.username if account else username)[:64],
            action=action[:40],
            target=target[:200],
            detail=detail[:4000],
            ip=ip[:64],
        )
    )


def recent(session: Session, limit: int = 200, before_id: int | None = None) -> list[Entry]:
    query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)
    if before_id is not None:
        query = query.where(col(AuditLog.id) < before_id)
    return [
        Entry(r.at, r.username, r.action, r.target, r.detail, r.ip)
        for r in session.exec(query).all()
    ]
