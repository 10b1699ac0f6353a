"""Engine and session set-up, and schema migration on demand."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Table, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlmodel import Session, SQLModel, create_engine

from models import checkpoints
from models.types import UTCDateTime

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
        event.listen(engine, "begin", _sqlite_sync_mode)
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _checkpoint_elsewhere(engine, Path(database).resolve())
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


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Every commit waits for the disk unless its transaction asked to sync later.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
    record.info[_SYNCHRONOUS] = _FULL


# What a pooled SQLite connection's `synchronous` is set to now, and the execution option of
# a transaction opened with `sync_later` (`transaction`).
_SYNCHRONOUS = "gridbot.synchronous"
_FULL, _NORMAL = "FULL", "NORMAL"
_SYNC_OPTION = "gridbot_sync_later"


def _sqlite_sync_mode(connection: Any) -> None:
    """Each SQLite transaction, as it begins, gets the `synchronous` it asked for: NORMAL
    with `sync_later`, else FULL. The connection keeps it, so the chat path's transactions
    one after another say it once, not twice each (set, then reset at checkin: 3% of a
    report). The pragma cannot change within a transaction; here none has begun in SQLite
    yet (the driver begins at the first write)."""
    want = _NORMAL if connection.get_execution_options().get(_SYNC_OPTION) else _FULL
    fairy = connection.connection
    if fairy.info.get(_SYNCHRONOUS) != want:
        fairy.dbapi_connection.execute(f"PRAGMA synchronous={want}")
        fairy.info[_SYNCHRONOUS] = want


def _checkpoint_elsewhere(engine: Engine, path: Path) -> None:
    """WAL checkpoints in the checkpoint thread, not in the commit that fills the log
    (`models.checkpoints`); the connections' own automatic checkpoint stays as a backstop."""

    @event.listens_for(engine, "connect")
    def _backstop(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={checkpoints.BACKSTOP_PAGES}")

    @event.listens_for(engine, "commit")
    def _note(connection: Any) -> None:
        # Only a commit that wrote rows (a sweep's read-only transaction has nothing to copy).
        fairy = connection.connection
        changes = fairy.dbapi_connection.total_changes
        if fairy.info.get(_CHANGES) != changes:
            fairy.info[_CHANGES] = changes
            checkpoints.CHECKPOINTER.note(path)


_CHANGES = "gridbot.total_changes"


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
def transaction(
    engine: Engine, *, sync_later: bool = False, may_sync_now: bool = False
) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any exception.

    `sync_later`: the commit does not wait for the disk (SQLite in WAL with
    synchronous=NORMAL, PostgreSQL with synchronous_commit off). It survives a crash of the
    process at once; on power loss it is safe from the next ordinary commit on, which
    flushes the log with everything before it. Only for work whose acknowledgement waits for
    such a commit: a chat reply goes out through the outbox, whose send begins with one.

    `may_sync_now`: the work may find partway that its commit must wait for the disk after
    all (`sync_now`: it begins a send). PostgreSQL reads the setting at the commit, so it is
    said then; SQLite cannot change it within a transaction, so there such a transaction
    waits for the disk from the start (a wait of about 0.05 ms on this machine's disk).
    """
    sqlite = engine.dialect.name == "sqlite"
    options = _SYNC_LATER_OPTIONS if sync_later and sqlite and not may_sync_now else _NO_OPTIONS
    with Session(engine, expire_on_commit=False, execution_options=options) as session:
        try:
            if sync_later and not sqlite:
                _sync_later(session)
            yield session
            pending = session.info.pop(_PG_PENDING, None)
            if pending and session.in_transaction():
                # Nothing carried the setting (no `Prepared` statement ran since): it is read
                # at the commit, so it may still come now.
                session.connection().exec_driver_sql(pending)
            session.commit()
        except BaseException:
            session.rollback()
            raise


# A PostgreSQL SET LOCAL not yet sent: it rides on the next `Prepared` statement.
_PG_PENDING = "gridbot.pg_pending"
_PG_SYNC_LATER = "SET LOCAL synchronous_commit TO OFF"
# The server's own setting (on, or a stricter remote_apply), not merely on.
_PG_SYNC_NOW = "SET LOCAL synchronous_commit TO DEFAULT"
# The transaction was opened with `sync_later` (PostgreSQL: it may still change).
_SYNC_LATER = "gridbot.sync_later"


# SQLite: the setting cannot change within a transaction, so it is given as the transaction
# begins (`_sqlite_sync_mode`); with `may_sync_now` it waits throughout.
_SYNC_LATER_OPTIONS: Mapping[str, Any] = {_SYNC_OPTION: True}
_NO_OPTIONS: Mapping[str, Any] = {}


def _sync_later(session: Session) -> None:
    # PostgreSQL: said with the transaction's first `Prepared` statement, in its round
    # trip, rather than in one of its own (a round trip costs 0.1-0.3 ms here).
    session.info[_PG_PENDING] = _PG_SYNC_LATER
    session.info[_SYNC_LATER] = True


def sync_now(session: Session, now: bool = True) -> None:
    """Make this transaction's commit wait for the disk (`now`), or no longer (`now=False`,
    back to `sync_later`), when it was opened with `sync_later` and `may_sync_now`; a no-op
    otherwise. On PostgreSQL it rides on the next `Prepared` statement, or comes just
    before the commit."""
    if session.info.get(_SYNC_LATER):
        session.info[_PG_PENDING] = _PG_SYNC_NOW if now else _PG_SYNC_LATER
    elif (
        now
        and session.get_bind().dialect.name == "sqlite"
        and session.connection().connection.info.get(_SYNCHRONOUS) == _NORMAL
    ):
        raise RuntimeError("a sync-later SQLite transaction cannot wait: open it may_sync_now")


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
    dialect = session.get_bind().dialect.name
    statement = _insert_ignore_statement(table, dialect)
    if len(rows) == 1:  # a reply, a patrol: on the DBAPI cursor (the chat path)
        columns = tuple(rows[0])
        key = (table.name, dialect, columns)
        prepared = _PREPARED.get(key) or _PREPARED.setdefault(key, Prepared(statement, columns))
        return [row[0] for row in prepared.rows(session, rows[0])]
    result = session.execute(statement, rows)
    return [row[0] for row in result] if "id" in table.c else []


_PREPARED: dict[tuple[str, str, tuple[str, ...]], Prepared] = {}


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


class Prepared:
    """A Core statement run straight on the session's DBAPI cursor: for the few statements
    every chat message runs, where SQLAlchemy's execution machinery (a context, parameter
    processing, a result object per statement) cost the dispatcher more than the database.

    Compiled once per dialect (and per length of each list given for an expanding IN),
    IN lists of constants expanded then. Values go through the column types' own bind
    processors and Python-side defaults, so a row is written as any other statement writes
    it. Rows come back as plain tuples, so only columns that need no conversion may be
    returned (ids, numbers, text): checked when compiled. Errors are SQLAlchemy's
    (`DBAPIError`, with `connection_invalidated` set and the connection dropped when it was
    lost), and the work takes part in the session's transaction like any other statement.
    Engine events (`before_cursor_execute`) do not see it. On PostgreSQL it is prepared on
    the server (PREPARE, then EXECUTE) once per connection, so it is not parsed and
    planned afresh each time; behind a pooler that shares server connections between
    clients mid-session (PgBouncer in transaction mode) that would not hold.
    """

    def __init__(self, statement: ClauseElement, columns: Iterable[str] | None = None) -> None:
        """`columns`: for an INSERT without values, the columns it is given (as the keys of
        the parameters given to `Session.execute`)."""
        self._statement = statement
        self._columns = None if columns is None else list(columns)
        self._compiled: dict[tuple[str, tuple[int, ...]], _Compiled] = {}
        self._lists: tuple[str, ...] | None = None  # the expanding IN lists, once compiled

    def rows(self, session: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run it; the rows it returns (none for a statement without RETURNING)."""
        return self._run(session, params, rows=True)  # type: ignore[no-any-return]

    def first(self, session: Session, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        rows = self.rows(session, params)
        return rows[0] if rows else None

    def count(self, session: Session, params: Mapping[str, Any]) -> int:
        """Run it; how many rows it changed."""
        return self._run(session, params, rows=False)  # type: ignore[no-any-return]

    def plan(self, session: Session, params: Mapping[str, Any]) -> str:
        """The database's plan for it with these values (SQLite's EXPLAIN QUERY PLAN, or
        PostgreSQL's EXPLAIN of the prepared statement), one line per step: what the plan
        tests read."""
        connection = session.connection()
        dialect = connection.dialect
        compiled = self._form(dialect, params)
        cursor = connection.connection.cursor()
        try:
            if compiled.prepare is not None:
                _prepare_once(connection.connection.info, cursor, compiled.prepare)
            explain = "EXPLAIN QUERY PLAN" if dialect.name == "sqlite" else "EXPLAIN"
            cursor.execute(f"{explain} {compiled.sql}", compiled.values(params))
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        finally:
            cursor.close()

    def _run(self, session: Session, params: Mapping[str, Any], *, rows: bool) -> Any:
        if session.autoflush:
            session.flush()  # as Session.execute would; at once when nothing is pending
        connection = session.connection()
        dialect = connection.dialect
        compiled = self._form(dialect, params)
        values = compiled.values(params)
        sql = compiled.sql
        pending = session.info.pop(_PG_PENDING, None)
        if pending:
            sql = f"{pending}; {sql}"  # the result is the last statement's
        cursor = connection.connection.cursor()
        try:
            if compiled.prepare is not None:
                _prepare_once(connection.connection.info, cursor, compiled.prepare)
            cursor.execute(sql, values)
            if not rows:
                return cursor.rowcount
            return list(cursor.fetchall()) if cursor.description is not None else []
        except dialect.loaded_dbapi.Error as exc:
            fairy = connection.connection
            # A connection whose prepared statements are gone is as good as lost: a new one
            # prepares them afresh, and the work is handled again there like after a restart.
            gone = _prepared_lost(exc) or dialect.is_disconnect(exc, fairy.dbapi_connection, cursor)
            if gone:
                # As SQLAlchemy does for its own statements: every pooled connection as old
                # as this one goes (the server restarted), not only this one, or the
                # message's second attempt would get the next dead one.
                connection.engine.pool._invalidate(fairy, exc)
                connection.invalidate(exc)
            raise DBAPIError.instance(
                sql,
                values,
                exc,
                dialect.loaded_dbapi.Error,
                connection_invalidated=gone,
                dialect=dialect,
            ) from exc
        finally:
            cursor.close()

    def _form(self, dialect: Dialect, params: Mapping[str, Any]) -> _Compiled:
        """The compiled form for this dialect and these lists' lengths, made once."""
        lists = self._lists
        if lists is not None:
            found = self._compiled.get((dialect.name, tuple(len(params[k]) for k in lists)))
            if found is not None:
                return found
        return self._compile(dialect, params)

    def _compile(self, dialect: Dialect, params: Mapping[str, Any]) -> _Compiled:
        compiled = self._statement.compile(dialect=dialect, column_keys=self._columns)
        assert isinstance(compiled, SQLCompiler)
        for column in getattr(self._statement, "exported_columns", ()):
            if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None:
                raise TypeError(f"Prepared cannot return {column} as it needs converting")
        binds = compiled.binds
        required = {key for key, bind in binds.items() if bind.required}
        lists = {key for key in required if binds[key].expanding}
        # The expanding lists are the statement's own, whatever the dialect.
        self._lists = tuple(sorted(lists))
        # Columns left out of an INSERT get their Python-side defaults, as SQLAlchemy's own
        # execution would give them: a constant once, a function's value at each execution.
        defaults: dict[str, Any] = {}
        made: dict[str, Callable[[Any], Any]] = {}
        if compiled.update_prefetch:
            raise TypeError(f"Prepared cannot run the onupdate of {compiled.update_prefetch}")
        for column in compiled.insert_prefetch:
            default = column.default
            if default is None or not (default.is_scalar or default.is_callable):
                raise TypeError(f"Prepared cannot fill {column}: no default it can compute")
            target = defaults if default.is_scalar else made
            target[column.key] = default.arg  # type: ignore[attr-defined]
            required.discard(column.key)
        # Expanded once: an IN list of constants, or of this many values, becomes one
        # placeholder per value, named after the list (ids_1, ids_2, …).
        sample: dict[str, Any] = {key: None for key in required - lists}
        sample |= {key: list(range(len(params[key]))) for key in lists}
        expanded = compiled.construct_expanded_state(sample | defaults)
        names = list(expanded.positiontup or expanded.parameters)
        spread = {key: tuple(f"{key}_{n + 1}" for n in range(len(params[key]))) for key in lists}
        spread_names = {name for names_ in spread.values() for name in names_}
        constants = {
            k: v
            for k, v in expanded.parameters.items()
            if k not in required and k not in spread_names
        }
        processors: dict[str, Callable[[Any], Any]] = {}
        for name in names:
            bind = binds[name] if name in binds else binds[name.rsplit("_", 1)[0]]
            if isinstance(bind.type, UTCDateTime):
                processors[name] = bind.type.direct_bind_processor(dialect)
                continue
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        sql, prepare = expanded.statement, None
        if dialect.name == "postgresql":
            sql, prepare = _server_side(sql)
        result = _Compiled(
            sql,
            tuple(names) if expanded.positiontup is not None else None,
            constants,
            made,
            spread,
            processors,
            prepare,
        )
        self._compiled[dialect.name, tuple(len(params[k]) for k in self._lists)] = result
        return result


# PostgreSQL plans a statement sent as text each time it comes: 0.3-0.7 ms for the chat
# path's statements here, more than they take to run. Prepared on the server once per
# connection, they are parsed and analysed once and, after a few runs, planned once too.
_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")
_PREPARED_ON = "gridbot.prepared"


# The server no longer has this connection's statements (DEALLOCATE ALL, DISCARD ALL), or
# a table changed under one ("cached plan must not change result type"): the connection
# is dropped as a lost one is.
def _prepared_lost(exc: Exception) -> bool:
    code = getattr(exc, "pgcode", None)
    if code == "0A000":  # told by where it was raised: the message may be in Chinese
        diag = getattr(exc, "diag", None)
        return getattr(diag, "source_function", None) == "RevalidateCachedQuery"
    return code == "26000"


_server_names = itertools.count(1)


def _server_side(sql: str) -> tuple[str, tuple[str, str]]:
    """(EXECUTE text, (name, PREPARE text)) for a statement compiled for psycopg2: its
    named placeholders become positional ones ($1 …, a name used twice is one), and its
    values are given to EXECUTE by name, as before."""
    order: dict[str, int] = {}

    def positional(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"  # sent without values: a percent sign is itself
        return f"${order.setdefault(name, len(order) + 1)}"

    body = _PLACEHOLDER.sub(positional, sql)
    name = f"gridbot_{next(_server_names)}"
    arguments = ", ".join(f"%({key})s" for key in order)
    execute = f"EXECUTE {name}({arguments})" if order else f"EXECUTE {name}"
    return execute, (name, f"PREPARE {name} AS {body}")


def _prepare_once(info: dict[str, Any], cursor: Any, prepare: tuple[str, str]) -> None:
    """PREPARE on this server connection unless done already. Its own round trip, once:
    a PREPARE outlives the transaction (a rollback keeps it), so it is recorded only
    once it succeeded. The record goes with the connection (closed or invalidated)."""
    done: set[str] = info.setdefault(_PREPARED_ON, set())
    name, statement = prepare
    if name not in done:
        cursor.execute(statement)
        done.add(name)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positions: tuple[str, ...] | None  # qmark (SQLite): the order; else named (PostgreSQL)
    constants: dict[str, Any]
    made: dict[str, Callable[[Any], Any]]  # column defaults computed at each execution
    spread: dict[str, tuple[str, ...]]  # a list's values, each under its own name
    processors: dict[str, Callable[[Any], Any]]
    prepare: tuple[str, str] | None  # PostgreSQL: (name, PREPARE text) of `sql`'s EXECUTE

    def values(self, params: Mapping[str, Any]) -> Any:
        merged = {**self.constants, **params}
        for name, make in self.made.items():
            if name not in params:
                merged[name] = make(None)  # SQLAlchemy's wrapper of a default_factory
        for name, names in self.spread.items():
            merged.update(zip(names, merged.pop(name), strict=True))
        for name, processor in self.processors.items():
            merged[name] = processor(merged[name])
        if self.positions is None:
            return merged
        return [merged[name] for name in self.positions]
