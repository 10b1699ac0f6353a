"""Engine and session set-up, and schema migration on demand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from time import monotonic
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError
from sqlmodel import Session, SQLModel, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# A pooled server connection unused for longer than this is pinged before it is handed out
# (the server may have restarted meanwhile); one in steady use is not, saving a round trip
# per transaction. A connection lost within this time fails its statement, and the
# dispatcher handles that message again on a fresh one.
PING_IDLE_SECONDS = 2.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", _sqlite_sync_again)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        used = record.info.get("last_used")
        if used is not None and monotonic() - used < PING_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool drops every connection as old as this one (the server restarted)
            # and takes a new one.
            raise InvalidatePoolError(f"stale connection: {exc}") from exc

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["last_used"] = monotonic()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Every commit waits for the disk unless its transaction asked to sync later.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_sync_again(dbapi_connection: Any, record: Any) -> None:
    if record.info.pop("sync_later", False):
        dbapi_connection.execute("PRAGMA synchronous=FULL")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest migration (a no-op when it is current)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def transaction(engine: Engine, *, sync_later: bool = False) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any exception.

    `sync_later`: the commit does not wait for the disk (SQLite in WAL with
    synchronous=NORMAL, PostgreSQL with synchronous_commit off). It survives a crash of the
    process at once; on power loss it is safe from the next ordinary commit on, which
    flushes the log with everything before it. Only for work whose acknowledgement waits for
    such a commit: a chat reply goes out through the outbox, whose send begins with one.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            if sync_later:
                _sync_later(session)
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _sync_later(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        connection.connection.info["sync_later"] = True
    else:
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a SQLModel class (typed, for bulk statements)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def insert_ignore(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows, skipping any that hit a unique constraint; return the new rows' ids.

    The skip happens in the database (ON CONFLICT DO NOTHING), so two processes racing to
    insert the same row both succeed and exactly one of them gets the id back. The rows go
    as parameters of one statement (executemany): it is compiled once and cached, where a
    VALUES list built from the rows was compiled afresh for every call and every length.
    Every row must have the same keys.
    """
    if not rows:
        return []
    table = table_of(model)
    statement = _insert_ignore_statement(table, session.get_bind().dialect.name)
    # One row (a reply, a patrol) goes as a plain execute: executemany with RETURNING costs
    # SQLAlchemy its batching machinery even for one.
    result = session.execute(statement, rows[0] if len(rows) == 1 else rows)
    return [row[0] for row in result] if "id" in table.c else []


_STATEMENTS: dict[tuple[str, str], Any] = {}


def _insert_ignore_statement(table: Table, dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING (RETURNING id when the table has one), built once."""
    key = (table.name, dialect)
    if key not in _STATEMENTS:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(table).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table).on_conflict_do_nothing()
        if "id" in table.c:
            stmt = stmt.returning(table.c.id)
        _STATEMENTS[key] = stmt
    return _STATEMENTS[key]
