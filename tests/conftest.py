"""Shared fixtures: every database test runs on a real SQLite file and a real PostgreSQL.

PostgreSQL: a database of our own is created per run (the server outlives sessions) and
dropped at the end. Under CI=true a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from models.db import make_engine, migrate
from tests.harness import PG_ADMIN_URL


def _pg_admin() -> Engine | None:
    engine = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:
        engine.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {exc}")
        return None
    return engine


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str | None]:
    """URL of a fresh PostgreSQL database for this run, migrated; None if no server."""
    admin = _pg_admin()
    if admin is None:
        yield None
        return
    name = f"gridbot_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


def _truncate_all(engine: Engine) -> None:
    with engine.begin() as connection:
        names = connection.execute(
            text(
                "select tablename from pg_tables where schemaname='public' "
                "and tablename <> 'alembic_version'"
            )
        ).scalars()
        joined = ", ".join(f'"{n}"' for n in names)
        if joined:
            connection.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
            # As migration 0012 left it (the truncation's own triggers, firing before it,
            # wrote a row the truncation then removed).
            connection.execute(
                text(
                    "INSERT INTO roster_version (id, version) VALUES (1, 1) ON CONFLICT DO NOTHING"
                )
            )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_url: str | None
) -> str:
    """A migrated, empty database URL: a SQLite file, or the run's PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "gridbot.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    if pg_url is None:
        pytest.skip("PostgreSQL not reachable (set CI=true to make this a failure)")
    engine = make_engine(pg_url)
    _truncate_all(engine)
    engine.dispose()
    return pg_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(pg_url: str | None) -> Iterator[Engine]:
    """The run's PostgreSQL database, emptied, for what only a server has (connections)."""
    if pg_url is None:
        pytest.skip("PostgreSQL not reachable (set CI=true to make this a failure)")
    engine = make_engine(pg_url)
    _truncate_all(engine)
    yield engine
    engine.dispose()


GRIDBOT = Path(sys.executable).parent / "gridbot"


class Gridbot(Protocol):
    """Runs the `gridbot` script with these arguments; `ok` asserts it succeeded."""

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]: ...


@pytest.fixture
def gridbot(db_url: str, tmp_path: Path) -> Gridbot:
    """The real `gridbot` script on the test database, with the test roster imported."""
    from tests.harness import TEST_ROSTER

    env = {**os.environ, "GRIDBOT_DATABASE_URL": db_url, "GRIDBOT_DATA_DIR": str(tmp_path)}

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(GRIDBOT), *args], env=env, cwd=tmp_path, text=True, capture_output=True, timeout=60
        )
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    run("import-roster", str(TEST_ROSTER))
    return run
