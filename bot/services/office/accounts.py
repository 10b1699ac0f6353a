"""Office accounts: created, checked at log-in (argon2id), locked per address after failures.

Each account acts in the ledger as a Person of its own ("张三（区办）") with no roster
membership, so a roster import never touches it; its rights come from the account (a 管理员
acts as a district admin over its scope, see `roster.lookup.office_roles`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from bot.core.errors import NotFound, UserError
from bot.services.office import texts
from models.tables import AuditLog, Grid, OfficeSession, OfficeUser, Person

ADMIN, VIEWER = "admin", "viewer"
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10
_USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,32}")
_hasher = PasswordHasher()
# Checked when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


@dataclass(frozen=True)
class Account:
    """What a signed-in page knows of its user."""

    id: int
    username: str
    display_name: str
    role: str
    person_id: int
    grid_id: int | None
    grid_code: str | None
    grid_name: str | None

    @property
    def may_act(self) -> bool:
        return self.role == ADMIN

    @property
    def is_district_admin(self) -> bool:
        """A 管理员 of the whole district (rosters, accounts, keys, triage, the simulator)."""
        return self.may_act and self.grid_id is None


def _account(session: Session, user: OfficeUser) -> Account:
    grid = session.get(Grid, user.grid_id) if user.grid_id else None
    return Account(
        id=user.id or 0,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        person_id=user.person_id or 0,
        grid_id=user.grid_id,
        grid_code=grid.code if grid else None,
        grid_name=grid.name if grid else None,
    )


def _check_new(session: Session, username: str, display_name: str, password: str) -> None:
    if not _USERNAME.fullmatch(username):
        raise UserError(texts.BAD_USERNAME)
    if not display_name.strip() or len(display_name.strip()) > 30:
        raise UserError(texts.BAD_DISPLAY_NAME)
    if len(password) < MIN_PASSWORD or password.lower() == username.lower():
        raise UserError(texts.WEAK_PASSWORD)
    taken = session.exec(
        select(OfficeUser.id).where(func.lower(OfficeUser.username) == username.lower())
    ).first()
    if taken is not None:
        raise UserError(texts.USERNAME_TAKEN.format(username=username))


def role_of(text: str) -> str:
    role = texts.ROLES_BY_NAME.get(text.strip())
    if role is None:
        raise UserError(texts.BAD_ROLE)
    return role


def grid_by_code(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    grid = session.exec(select(Grid).where(Grid.code == code.strip())).first()
    if grid is None:
        raise NotFound(texts.UNKNOWN_GRID.format(code=code))
    return grid.id


def create(
    session: Session,
    now: datetime,
    *,
    username: str,
    display_name: str,
    password: str,
    role: str,
    grid_code: str | None = None,
) -> Account:
    """A new account; raises UserError (Chinese) for a bad name, role, grid or password."""
    username, display_name = username.strip(), display_name.strip()
    _check_new(session, username, display_name, password)
    grid_id = grid_by_code(session, grid_code)
    person = Person(name=f"{display_name}{texts.OFFICE_SUFFIX}")
    session.add(person)
    session.flush()
    user = OfficeUser(
        username=username,
        display_name=display_name,
        password_hash=_hasher.hash(password),
        role=role_of(role),
        grid_id=grid_id,
        person_id=person.id,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return _account(session, user)


def exists_any(session: Session) -> bool:
    return session.exec(select(OfficeUser.id).limit(1)).first() is not None


def authenticate(
    session: Session, username: str, password: str, now: datetime, address: str = ""
) -> Account | str:
    """The account, or the Chinese reason for refusing it.

    Five failures for one account from one address within 15 minutes lock that address out
    of that account for the rest of the window (counted from the audit log): someone guessing
    `admin`'s password cannot lock out the colleagues who know it. A refusal is returned, not
    raised, so the caller commits the audit entry that counts it.
    """
    user = session.exec(
        select(OfficeUser).where(func.lower(OfficeUser.username) == username.strip().lower())
    ).first()
    if user is None:
        _verify(_DUMMY_HASH, password)
        _failed(session, username, address, now)
        return texts.BAD_LOGIN
    if _failures(session, user.username, address, now) >= MAX_FAILURES:
        return texts.LOCKED.format(minutes=int(LOCK_FOR.total_seconds() // 60))
    if not _verify(user.password_hash, password):
        _failed(session, user.username, address, now)
        session.execute(
            update(OfficeUser)
            .where(col(OfficeUser.id) == user.id)
            .values(failed_logins=OfficeUser.failed_logins + 1)
        )
        return texts.BAD_LOGIN
    if user.disabled:
        return texts.DISABLED
    changes: dict[str, object] = {"failed_logins": 0, "last_login_at": now}
    if _hasher.check_needs_rehash(user.password_hash):
        changes["password_hash"] = _hasher.hash(password)
    session.execute(update(OfficeUser).where(col(OfficeUser.id) == user.id).values(**changes))
    return _account(session, user)


def _failed(session: Session, username: str, address: str, now: datetime) -> None:
    """The failure in the audit log, where the lock-out counts it."""
    session.add(AuditLog(at=now, username=username[:64], action="login_failed", ip=address[:64]))


def _failures(session: Session, username: str, address: str, now: datetime) -> int:
    return session.exec(
        select(func.count()).where(
            col(AuditLog.action) == "login_failed",
            func.lower(AuditLog.username) == username.lower(),
            col(AuditLog.ip) == address[:64],
            col(AuditLog.at) > now - LOCK_FOR,
        )
    ).one()


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def get(session: Session, user_id: int) -> Account | None:
    user = session.get(OfficeUser, user_id)
    if user is None or user.disabled:
        return None
    return _account(session, user)


def list_accounts(session: Session) -> list[tuple[Account, bool, datetime | None]]:
    """Every account with whether it is disabled and when it last logged in."""
    users = session.exec(select(OfficeUser).order_by(col(OfficeUser.id))).all()
    return [(_account(session, u), u.disabled, u.last_login_at) for u in users]


def set_password(session: Session, username: str, password: str) -> None:
    """A new password; every session of the account ends (a stolen cookie dies with it)."""
    user = session.exec(select(OfficeUser).where(OfficeUser.username == username)).first()
    if user is None:
        raise NotFound(texts.UNKNOWN_USER.format(username=username))
    if len(password) < MIN_PASSWORD or password.lower() == username.lower():
        raise UserError(texts.WEAK_PASSWORD)
    session.execute(
        update(OfficeUser)
        .where(col(OfficeUser.id) == user.id)
        .values(password_hash=_hasher.hash(password), failed_logins=0)
    )
    _end_sessions(session, user.id or 0)


def set_disabled(session: Session, username: str, disabled: bool) -> Account:
    """Disable (its sessions end) or enable an account; the last district 管理员 stays."""
    user = session.exec(select(OfficeUser).where(OfficeUser.username == username)).first()
    if user is None:
        raise NotFound(texts.UNKNOWN_USER.format(username=username))
    if disabled and user.role == ADMIN and user.grid_id is None:
        others = session.exec(
            select(func.count()).where(
                OfficeUser.role == ADMIN,
                col(OfficeUser.grid_id).is_(None),
                col(OfficeUser.disabled).is_(False),
                OfficeUser.id != user.id,
            )
        ).one()
        if not others:
            raise UserError(texts.LAST_ADMIN)
    session.execute(
        update(OfficeUser).where(col(OfficeUser.id) == user.id).values(disabled=disabled)
    )
    if disabled:
        _end_sessions(session, user.id or 0)
    session.refresh(user)
    return _account(session, user)


def _end_sessions(session: Session, user_id: int) -> None:
    """Every signed-in browser of the account is out at once (new password, disabled)."""
    session.execute(delete(OfficeSession).where(col(OfficeSession.user_id) == user_id))


FIRST_ADMIN = "admin"


def first_admin(session: Session, now: datetime) -> str | None:
    """On a database with no account, a district 管理员 `admin` with a random password.

    Returns the password (for the caller to hand over once, never to log), or None when
    accounts exist already.
    """
    if exists_any(session):
        return None
    password = secrets.token_urlsafe(12)
    create(
        session,
        now,
        username=FIRST_ADMIN,
        display_name="管理员",
        password=password,
        role=ADMIN,
    )
    return password
