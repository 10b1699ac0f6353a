"""The roster kept in memory, per process: chat-path look-ups without a query each.

A message's transaction reads the roster version (migrations 0012 and 0013: triggers change
it on every write to grid, grid_closure, person, membership and room, whoever writes)
together with its inbound-id claim; what was looked up under the same version is still
true. A transaction that wrote the roster itself neither reads nor fills the memory, so
nothing it saw before a rollback can stay behind. Without a version (sweeps, web routes)
every look-up queries.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel

T = TypeVar("T")
_VERSION = "gridbot.roster_version"
_WROTE = "gridbot.roster_written"
_MISSING: Any = object()
# Far more than a province's roster holds; past it the memory starts again.
LIMIT = 200_000


class Directory:
    """Look-ups of one database under one roster version (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._entries: dict[Hashable, Any] = {}

    def get(self, version: int, key: Hashable) -> Any:
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            return self._entries.get(key, _MISSING)

    def latest(self, key: Hashable) -> Any:
        """What is held for `key` under the last version seen, whatever it is now."""
        with self._lock:
            return self._entries.get(key, _MISSING)

    def put(self, version: int, key: Hashable, value: Any) -> None:
        with self._lock:
            if version == self._version:
                if len(self._entries) >= LIMIT:
                    self._entries.clear()
                self._entries[key] = value


_directories: weakref.WeakKeyDictionary[Engine, Directory] = weakref.WeakKeyDictionary()
_created = threading.Lock()


def _directory(session: Session) -> Directory:
    engine = session.get_bind().engine
    with _created:
        directory = _directories.get(engine)
        if directory is None:
            directory = _directories[engine] = Directory()
        return directory


def note_version(session: Session, version: int | None) -> None:
    """The roster version this transaction read; look-ups may use the memory from now on."""
    if version is not None:
        session.info[_VERSION] = version


def note_write(session: Session) -> None:
    """This transaction changed the roster: no more look-ups from or into memory."""
    session.info[_WROTE] = True


def remembered(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """`load()`, or what it gave under the same roster version. Its value is shared between
    threads and sessions: plain values, or rows from `detached`."""
    version = session.info.get(_VERSION)
    if version is None or session.info.get(_WROTE):
        return load()
    directory = _directory(session)
    value = directory.get(version, key)
    if value is _MISSING:
        value = load()
        if not session.info.get(_WROTE):
            directory.put(version, key, value)
    return value  # type: ignore[no-any-return]


def guessed(session: Session, key: Hashable) -> Any | None:
    """What the memory held for `key` when the roster was last read, before this transaction
    has read its version: only a guess, for a read whose own parameters say what it read
    (`intake.Along`), never for anything the message acts on. None when nothing is held."""
    value = _directory(session).latest(key)
    return None if value is _MISSING else value


K = TypeVar("K", bound=Hashable)


def remembered_many(
    session: Session, keys: list[K], load: Callable[[list[K]], dict[K, T]]
) -> dict[K, T | None]:
    """`remembered` for several keys: those not in memory come from one `load(missing)`;
    a key it leaves out is remembered as None (nothing there)."""
    version = session.info.get(_VERSION)
    if version is None or session.info.get(_WROTE):
        loaded = load(keys)
        return {key: loaded.get(key) for key in keys}
    directory = _directory(session)
    found: dict[K, T | None] = {}
    missing = []
    for key in keys:
        value = directory.get(version, key)
        if value is _MISSING:
            missing.append(key)
        else:
            found[key] = value
    if missing:
        loaded = load(missing)
        for key in missing:
            found[key] = loaded.get(key)
            if not session.info.get(_WROTE):
                directory.put(version, key, found[key])
    return found


M = TypeVar("M", bound=SQLModel)


def detached(row: M | None) -> M | None:
    """A copy of a row, belonging to no session, as the memory keeps it and hands it out:
    read, never changed nor added to a session, so threads and sessions may share it (the
    roster's rows have no relationships to load). Attaching each to the session it was
    handed to (a merge) cost 7-10% of a report's CPU."""
    if row is None:
        return None
    columns = row.__table__.columns  # type: ignore[attr-defined]
    copy = type(row)(**{c.key: getattr(row, c.key) for c in columns})
    make_transient_to_detached(copy)
    return copy
