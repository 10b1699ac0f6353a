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


def test_a_long_log_starts_again_from_its_beginning_under_steady_writes(tmp_path: Path) -> None:
    """With a writer committing all the time, the log is never all copied when its next
    commit comes, so it would only grow; a checkpoint of a long log restarts it."""
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
        connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert long.wait(WAIT * 3)
        restarted = False
        for _ in range(200):  # the writer holds its lock only part of the time
            result = checkpoint(db)
            if result is not None and result[0] == 0 and result[1] >= checkpoints.RESTART_PAGES:
                restarted = True
                break
        assert restarted
        restart = written[0]
        for _ in range(100):  # the writer's next commits, after the restart
            with sqlite3.connect(db, isolation_level=None) as look:
                look.execute("SELECT count(*) FROM t").fetchone()
            if written[0] > restart + 20:
                break
    finally:
        stop.set()
        thread.join(WAIT)
    frames = db.with_name("long.db-wal").stat().st_size  # the file keeps its length …
    probe = sqlite3.connect(db, isolation_level=None)
    _, pages, _ = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    probe.close()
    assert frames > 0 and pages < checkpoints.RESTART_PAGES // 2  # … but was begun again


def test_a_deleted_database_is_not_created_again(tmp_path: Path) -> None:
    gone = tmp_path / "gone.db"
    assert checkpoint(gone) is None
    assert not gone.exists()
