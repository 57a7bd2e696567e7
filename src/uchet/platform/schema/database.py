"""Database engines: SQLite by default (WAL, foreign keys, transactional DDL), PostgreSQL in
production (ARCHITECTURE rule 10).

A busy database (issue 13): SQLite waits ``busy_timeout`` (``UCHET_SQLITE_BUSY_MS``, 3000 ms
by default) for another process's write lock, and :func:`write_transaction` tries to take it
:data:`WRITE_ATTEMPTS` times. :func:`retrying` re-runs a whole write when PostgreSQL reports a
serialization failure or a deadlock (:func:`is_transient`). What still cannot write raises
:class:`~uchet.platform.model.errors.DatabaseBusy`, with nothing written.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from uchet.platform.model.errors import DatabaseBusy

DEFAULT_SQLITE_FILE = "uchet.db"
#: How long SQLite waits for another connection's lock, unless ``UCHET_SQLITE_BUSY_MS`` says.
DEFAULT_BUSY_MS = 3000
#: Attempts at a write that meets a lock (SQLite) or a serialization failure (PostgreSQL),
#: and the pause before the second one (doubling after).
WRITE_ATTEMPTS = 3
RETRY_PAUSE = 0.1
#: PostgreSQL's SQLSTATEs of a transaction that may succeed when run again.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected

T = TypeVar("T")


def busy_timeout_ms() -> int:
    """SQLite's busy timeout: ``UCHET_SQLITE_BUSY_MS``, else :data:`DEFAULT_BUSY_MS`."""
    raw = os.environ.get("UCHET_SQLITE_BUSY_MS", "")
    return int(raw) if raw.strip().isdigit() else DEFAULT_BUSY_MS


def default_database_url() -> str:
    """``UCHET_DATABASE_URL``, or a SQLite file ``uchet.db`` in the working directory."""
    return (
        os.environ.get("UCHET_DATABASE_URL") or f"sqlite:///{Path(DEFAULT_SQLITE_FILE).resolve()}"
    )


def create_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` set up the way the engine needs it.

    On SQLite, pysqlite's own transaction handling is switched off and every transaction is
    begun explicitly, so that DDL is transactional: a failed migration rolls back completely
    instead of leaving half-altered tables (research: tech-feasibility §4).
    """
    url = url or default_database_url()
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return sa.create_engine(parsed, **kwargs)
    memory = parsed.database in (None, "", ":memory:")
    if memory:
        kwargs.setdefault("poolclass", StaticPool)
    kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
    engine = sa.create_engine(parsed, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # An int computed here, never input: PRAGMA takes no bound parameters.
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms())}")
        cur.close()
        # SQLite's own lower()/upper() change only ASCII letters; people search and write
        # formulas in Cyrillic, so replace them with Python's Unicode-aware versions.
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)
        dbapi_conn.create_function("upper", 1, _upper, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
        # instead of one failing with "database is locked" at its first write.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

    return engine


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def is_sqlite(engine_or_conn: Engine | Connection) -> bool:
    """Whether the database is SQLite."""
    return engine_or_conn.dialect.name == "sqlite"


#: The write transaction that :func:`shared_write_transaction` opened in this context, if any.
_SHARED: contextvars.ContextVar[tuple[Engine, Connection] | None] = contextvars.ContextVar(
    "uchet_shared_write", default=None
)


@contextlib.contextmanager
def shared_write_transaction(
    engine: Engine, conn: Connection | None = None
) -> Iterator[Connection]:
    """One write transaction that every :func:`write_transaction` on ``engine`` inside the
    block joins (each as a savepoint), so many record-service writes commit or roll back
    together. Imports use it (issue 17: all-or-nothing, nothing half-written); a failing
    inner write rolls back its savepoint only, and the caller decides whether to go on.
    Given ``conn`` (a background job's transaction, which also marks the job done), the
    block runs in a savepoint of it, so the job's effects and its completion commit together."""
    if conn is not None:
        token = _SHARED.set((engine, conn))
        try:
            with conn.begin_nested():
                yield conn
        finally:
            _SHARED.reset(token)
        return
    with write_transaction(engine) as conn:
        token = _SHARED.set((engine, conn))
        try:
            yield conn
        finally:
            _SHARED.reset(token)


@contextlib.contextmanager
def write_transaction(
    engine: Engine, *, sqlite_cache_kib: int | None = None
) -> Iterator[Connection]:
    """A connection in a write transaction (``BEGIN IMMEDIATE`` on SQLite).

    ``sqlite_cache_kib`` gives the transaction a page cache of that size on SQLite (bulk
    loads: pages a batch changes stay in memory until the commit instead of spilling to the
    WAL one at a time). The connection's own size is restored after the transaction.
    Inside :func:`shared_write_transaction` on the same engine, the shared connection is
    used, in a savepoint.
    """
    shared = _SHARED.get()
    if shared is not None and shared[0] is engine:
        with shared[1].begin_nested():
            yield shared[1]
        return
    with _locked_connection(engine) as conn:
        raw = conn.connection.driver_connection if sqlite_cache_kib and is_sqlite(conn) else None
        old_cache = _set_cache_size(raw, -int(sqlite_cache_kib or 0)) if raw else None
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.info.pop("write", None)
            if raw is not None and old_cache is not None:
                _set_cache_size(raw, old_cache)


@contextlib.contextmanager
def _locked_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose write transaction has begun. On SQLite, BEGIN IMMEDIATE is where a
    write meets another process's lock (after ``busy_timeout``); it is tried again on a fresh
    connection, so the caller's body runs once, holding the lock."""
    for attempt in range(WRITE_ATTEMPTS):
        conn = engine.connect()
        conn.info["write"] = True
        try:
            conn.begin()
        except sa.exc.OperationalError as exc:
            conn.info.pop("write", None)
            conn.invalidate()  # the driver connection's state after a failed BEGIN is unknown
            conn.close()
            if not is_transient(exc):
                raise
            if attempt == WRITE_ATTEMPTS - 1:
                raise DatabaseBusy("the database is busy; nothing was written") from exc
            time.sleep(RETRY_PAUSE * 2**attempt)
            continue
        try:
            yield conn
        finally:
            conn.close()
        return


def is_transient(exc: BaseException) -> bool:
    """Whether running the same transaction again may succeed: SQLite's "database is locked"
    or "busy", PostgreSQL's serialization failure or deadlock."""
    if isinstance(exc, DatabaseBusy):
        return True
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "diag", None), "sqlstate", None
    )
    if state in TRANSIENT_SQLSTATES:
        return True
    text = str(orig).lower()
    return isinstance(exc, sa.exc.OperationalError) and ("locked" in text or "busy" in text)


def retrying(
    write: Callable[[], T],
    *,
    attempts: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``write`` (a whole transaction) again when it failed transiently
    (:func:`is_transient`); after the last attempt raise :class:`DatabaseBusy`. Anything else
    is raised at once. ``write`` must start its own transaction, so a retry starts afresh."""
    attempts = attempts or WRITE_ATTEMPTS
    for attempt in range(attempts):
        try:
            return write()
        except DatabaseBusy:
            raise  # already waited for: the lock retries are inside write_transaction
        except sa.exc.DBAPIError as exc:
            if not is_transient(exc):
                raise
            if attempt == attempts - 1:
                raise DatabaseBusy("the database is busy; nothing was written") from exc
            sleep(RETRY_PAUSE * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _set_cache_size(raw: Any, size: int) -> int:
    """Set SQLite's ``cache_size`` (pages, or KiB when negative); returns the old value."""
    old = int(raw.execute("PRAGMA cache_size").fetchone()[0])
    # PRAGMA takes no bound parameters; ``size`` is an int the engine computed, never input.
    raw.execute(f"PRAGMA cache_size={int(size)}")
    return old


@contextlib.contextmanager
def foreign_keys_off(conn: Connection) -> Iterator[None]:
    """On SQLite, turn foreign-key enforcement off around a table rebuild.

    SQLite can only change this outside a transaction, and recreating a table that others
    reference fails with enforcement on. Callers must run ``PRAGMA foreign_key_check`` before
    committing; the pragma is restored whatever happens.
    """
    if not is_sqlite(conn):
        yield
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")
