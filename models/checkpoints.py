"""SQLite's WAL checkpoints, off the committing thread.

In WAL mode SQLite copies the log back into the database file (a checkpoint) from within
the commit that takes the log past `wal_autocheckpoint` pages (1,000 by default): every 50
or so reports, that report's commit also copied a thousand pages and waited for the disk
twice. That was 0.12 ms per report at 10k tickets and 0.3 ms at 1M, a sixth of intake's
time. Here a commit only notes that its database has log to copy; one thread for the whole
process copies it (`PRAGMA wal_checkpoint(PASSIVE)`, which never blocks a reader or writer)
at most every `PAUSE` seconds while writes come, on a connection of its own. SQLite's C
code runs without Python's lock, so the copy takes the second core, not the chat's.

The connections keep an automatic checkpoint as a backstop (`BACKSTOP_PAGES`): should the
thread fall behind or die, a commit past that size checkpoints itself, as before, so the log
stays bounded. A checkpoint is as safe as SQLite's own (the log is synced first); a crash
mid-way leaves the log to be copied at the next open.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger(__name__)

# The automatic checkpoint left on each connection: about 40 MB of log.
BACKSTOP_PAGES = 10_000
# A log this long (about 16 MB) is made to start again from its beginning.
RESTART_PAGES = 4_000
RESTART_WAIT_MS = 100
# Seconds before a RESTART that found a reader in the way is tried again.
RESTART_BACKOFF = 5.0
_restart_after: dict[Path, float] = {}
# Seconds between two checkpoints of the same burst of writes.
PAUSE = 0.2
# The thread ends after this many idle seconds; the next commit starts it again.
IDLE = 30.0


class Checkpointer:
    """One thread checkpointing every database file a commit has noted (thread-safe)."""

    def __init__(
        self,
        pause: float = PAUSE,
        idle: float = IDLE,
        work: Callable[[Path], object] | None = None,
    ) -> None:
        self._pause, self._idle = pause, idle
        self._work = work or checkpoint
        self._lock = threading.Lock()
        self._due: set[Path] = set()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def note(self, path: Path) -> None:
        """A commit wrote to `path`'s log: checkpoint it soon."""
        with self._lock:
            if path in self._due and self._thread is not None:
                return
            self._due.add(path)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sqlite-checkpoints", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def join(self, timeout: float) -> bool:
        """Wait until the thread has ended (it ends once idle); whether it has."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._lock:
            return self._thread is None

    def _run(self) -> None:
        try:
            while True:
                woken = self._wake.wait(self._idle)
                if woken:
                    # A commit notes its database just before it writes: let it (and those
                    # right behind it) finish, so the checkpoint copies them too.
                    time.sleep(self._pause)
                with self._lock:
                    self._wake.clear()
                    due, self._due = self._due, set()
                    if not due and not woken:
                        self._thread = None  # idle: the next note starts a new thread
                        return
                for path in due:
                    self._work(path)
        finally:
            with self._lock:  # ended by an error: the next note starts a new thread
                if self._thread is threading.current_thread():
                    self._thread = None


def checkpoint(path: Path) -> tuple[int, int, int] | None:
    """A passive checkpoint of `path` on a connection of its own: (busy, log pages, pages
    copied), or None when the file is gone or cannot be opened (a test's database deleted
    meanwhile is not created again: the file is opened read-write, never created)."""
    try:
        connection = sqlite3.connect(
            f"file:{quote(str(path))}?mode=rw", uri=True, timeout=0, isolation_level=None
        )
    except sqlite3.Error:
        return None
    try:
        row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if (
            row is not None
            and int(row[1]) >= RESTART_PAGES
            and int(row[1]) == int(row[2])  # all copied: no reader holds an older page
            and time.monotonic() >= _restart_after.get(path, 0.0)
        ):
            # The log starts again from its beginning only when a writer finds it all
            # copied back, which under steady writes it never is at that moment: RESTART
            # waits for the commit under way (up to RESTART_WAIT_MS), holds new ones back
            # while it copies the last few pages, and makes it so: once per 16 MB of log a
            # commit waits a millisecond or two. While it waits for readers it holds every
            # commit back, so a busy answer (a long read) is not tried again for a while.
            connection.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
            row = connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            if row is not None and int(row[0]):
                _restart_after[path] = time.monotonic() + RESTART_BACKOFF
        return None if row is None else (int(row[0]), int(row[1]), int(row[2]))
    except sqlite3.Error as exc:
        log.debug("checkpoint of %s skipped: %s", path, exc)
        return None
    finally:
        connection.close()


# The process's one checkpoint thread.
CHECKPOINTER = Checkpointer()
