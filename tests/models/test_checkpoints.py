"""SQLite's WAL checkpoints run in a thread of their own, never in the committing one."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from models import checkpoints
from models.checkpoints import Checkpointer, checkpoint
from models.db import make_engine

WAIT = 10.0  # seconds a test waits at most for the thread; it never sleeps


def test_a_commit_no_longer_checkpoints_the_log_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The thread is kept from running, so the log is as the commits left it.
    monkeypatch.setattr(checkpoints.CHECKPOINTER, "note", lambda path: None)
    db = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == (
            checkpoints.BACKSTOP_PAGES
        )
        c.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY, pad TEXT)")
        c.commit()
        # 1,500 commits of a page or more: past SQLite's default of 1,000 pages.
        for n in range(1500):
            c.exec_driver_sql("INSERT INTO t (pad) VALUES (?)", ("x" * 3000 + str(n),))
            c.commit()
        page = int(c.exec_driver_sql("PRAGMA page_size").scalar() or 0)
    # A commit past 1,000 pages of log would have copied it back and begun the log again.
    frames = db.with_name("wal.db-wal").stat().st_size // (page + 24)
    assert frames > 3000
    # The checkpoint thread's work: everything copied, the rows all there.
    busy, pages, copied = checkpoint(db) or (1, 0, 0)
    assert busy == 0 and pages == copied >= 3000
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1500
    engine.dispose()


def test_the_engine_hands_its_commits_to_the_checkpoint_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = threading.Event()
    seen: list[Path] = []

    def work(path: Path) -> None:
        seen.append(path)
        checkpoint(path)
        done.set()

    monkeypatch.setattr(checkpoints, "CHECKPOINTER", Checkpointer(pause=0, idle=0, work=work))
    db = tmp_path / "noted.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    with engine.begin() as c:
        c.exec_driver_sql("SELECT count(*) FROM t")  # a commit that wrote nothing is not noted
    assert not done.is_set()
    with engine.begin() as c:
        c.exec_driver_sql("INSERT INTO t DEFAULT VALUES")
    assert done.wait(WAIT)
    assert seen[0] == db.resolve()
    # Idle, the thread ends; the next commit starts another.
    assert checkpoints.CHECKPOINTER.join(WAIT)
    done.clear()
    with engine.begin() as c:
        c.exec_driver_sql("INSERT INTO t DEFAULT VALUES")
    assert done.wait(WAIT)
    assert checkpoints.CHECKPOINTER.join(WAIT)
    engine.dispose()


def test_a_burst_of_commits_is_one_checkpoint_after_another_not_one_each(tmp_path: Path) -> None:
    started, release = threading.Event(), threading.Event()
    runs: list[Path] = []

    def work(path: Path) -> None:
        runs.append(path)
        started.set()
        release.wait(WAIT)  # the first checkpoint takes a while: commits pile up

    keeper = Checkpointer(pause=0, idle=0, work=work)
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    keeper.note(a)
    assert started.wait(WAIT)
    for _ in range(100):
        keeper.note(a)
        keeper.note(b)
    release.set()
    assert keeper.join(WAIT)
    assert sorted(runs) == [a, a, b]  # the first, then one for all the rest


def test_a_long_log_starts_again_from_its_beginning_under_steady_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a writer committing all the time, the log is never all copied when its next
    commit comes, so it would only grow; a checkpoint of a long log restarts it."""
    monkeypatch.setattr(checkpoints, "RESTART_BACKOFF", 0.0)  # every attempt below tries
    db = tmp_path / "long.db"
    setup = sqlite3.connect(db, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, pad TEXT)")
    setup.close()
    stop, long, written = threading.Event(), threading.Event(), [0]

    def writer() -> None:
        connection = sqlite3.connect(db, isolation_level=None, timeout=30)
        connection.execute("PRAGMA wal_autocheckpoint=0")  # only the checkpoints below
        while not stop.is_set():
            connection.execute("INSERT INTO t (pad) VALUES (?)", ("x" * 3000,))
            written[0] += 1
            if written[0] == checkpoints.RESTART_PAGES:
                long.set()
            stop.wait(0.0002)  # one commit after another, as messages come, not a flood
        connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert long.wait(WAIT * 3)

        def log_pages() -> int:
            probe = sqlite3.connect(db, isolation_level=None, timeout=30)
            try:
                return int(probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
            finally:
                probe.close()

        restarted = False
        for _ in range(100):  # the writer holds its lock only part of the time
            checkpoint(db)
            started_at = written[0]
            for _ in range(1000):  # the writer's next commits (a second at most)
                if written[0] >= started_at + 5:
                    break
                stop.wait(0.001)
            if log_pages() < checkpoints.RESTART_PAGES // 2:  # it wrote from the beginning
                restarted = True
                break
        assert restarted
    finally:
        stop.set()
        thread.join(WAIT)


def test_a_reader_on_an_older_snapshot_is_left_alone(tmp_path: Path) -> None:
    """A RESTART would hold every commit back while it waits for that reader: with pages
    the reader still needs, only the passive copy is made."""
    db = tmp_path / "read.db"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, pad TEXT)")
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # a snapshot from before the rows
    for _ in range(checkpoints.RESTART_PAGES + 10):
        writer.execute("INSERT INTO t (pad) VALUES (?)", ("x" * 3000,))
    busy, pages, copied = checkpoint(db) or (1, 0, 0)
    assert busy == 0 and copied < pages  # the passive answer: no RESTART was tried
    reader.execute("COMMIT")
    reader.close()
    writer.close()


def test_a_deleted_database_is_not_created_again(tmp_path: Path) -> None:
    gone = tmp_path / "gone.db"
    assert checkpoint(gone) is None
    assert not gone.exists()
