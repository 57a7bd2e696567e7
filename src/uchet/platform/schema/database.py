"""Database engines: SQLite by default (WAL, foreign keys, transactional DDL), PostgreSQL in
production (ARCHITECTURE rule 10)."""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

DEFAULT_SQLITE_FILE = "uchet.db"


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
        cur.execute("PRAGMA busy_timeout=10000")
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
    with engine.connect() as conn:
        conn.info["write"] = True
        raw = conn.connection.driver_connection if sqlite_cache_kib and is_sqlite(conn) else None
        old_cache = _set_cache_size(raw, -int(sqlite_cache_kib or 0)) if raw else None
        try:
            with conn.begin():
                yield conn
        finally:
            conn.info.pop("write", None)
            if raw is not None and old_cache is not None:
                _set_cache_size(raw, old_cache)


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
