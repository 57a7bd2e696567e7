"""Running list statements on SQLite's DB-API cursor directly.

A first page on SQLite costs the database about 0.1 ms; SQLAlchemy's execution path around
it (a ``Connection``, the ``begin`` event and its ``BEGIN``, the execution context, the
result's metadata, the rollback when the connection is returned) cost several times that.
A list statement is already built once per query shape (:mod:`.query_cache`); here it is
also compiled once, to its SQL string, the order of its parameters and the type
processors of its parameters and columns, and then run with the driver's ``execute``.

Nothing is spliced into the SQL: it is SQLAlchemy's compiled string with ``?``
placeholders, and every value travels as a parameter, processed by the same bind
processor SQLAlchemy would use; column values go through the same result processors.
A statement that needs SQLAlchemy at execution time (expanding ``IN``, literal-execute
parameters, escaped parameter names) is not taken over and runs the ordinary way, and so
are all statements on an engine that SQLAlchemy's events or echo watch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.engine import Connection, Dialect, Engine

from uchet.platform.query.filters import prepare_dbapi


class DriverSelect:
    """A SELECT compiled once for ``dialect``; :meth:`run` executes it on a DB-API cursor."""

    def __init__(self, statement: Any, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        #: Whether the compiled string can run as it is (see the module docstring).
        self.usable = bool(
            compiled.positional
            and not compiled.literal_execute_params
            and not compiled.post_compile_params
            and not compiled.escaped_bind_names
        )
        self.sql = compiled.string
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        #: (name, the statement's own value, bind processor) in the order of the ``?``s.
        self.params = []
        for name in compiled.positiontup or ():
            bind = by_name[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            self.params.append((name, bind.value, process))
        columns = list(statement.selected_columns)
        self.keys = [c.key for c in columns]
        processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        #: (position, processor) of the columns whose values need converting.
        self.processors = [(i, p) for i, p in enumerate(processors) if p is not None]

    def run(self, cursor: Any, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        """The rows, with ``params`` (by name) in place of the statement's own values."""
        values = []
        for name, default, process in self.params:
            value = params.get(name, default)
            values.append(value if process is None else process(value))
        rows: list[Sequence[Any]] = cursor.execute(self.sql, values).fetchall()
        if self.processors and rows:
            converted: list[Sequence[Any]] = []
            for row in rows:
                items = list(row)
                for i, process in self.processors:
                    items[i] = process(items[i])
                converted.append(items)
            return converted
        return rows


def connected(bind: Connection | Engine) -> AbstractContextManager[Connection]:
    """Use a given connection as is (the caller owns its transaction); open one on an engine."""
    return bind.connect() if isinstance(bind, Engine) else contextlib.nullcontext(bind)


def driver_engine(bind: Connection | Engine) -> Engine | None:
    """``bind`` when list statements may run on its driver directly: a SQLite engine that
    nobody watches. A given connection keeps its caller's transaction and goes through
    SQLAlchemy; so does everything on an engine with SQL echo or execution listeners
    (logging, tracing, tests counting statements), which would not see the driver's."""
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite" or bind.echo:
        return None
    events = bind.dispatch
    watched = (
        events.before_execute
        or events.after_execute
        or events.before_cursor_execute
        or events.after_cursor_execute
    )
    return None if watched else bind


class DriverCursor:
    """``with DriverCursor(engine, transaction=...) as cursor``: a DB-API cursor of a pooled
    connection of ``engine``; the cursor is closed and the connection returned after.

    A single statement runs on its own, without ``BEGIN``: SQLite reads it from one snapshot
    anyway. Several (a page and its count) share a deferred transaction (``transaction``),
    as they would through SQLAlchemy, so that they agree with each other.
    """

    def __init__(self, engine: Engine, *, transaction: bool):
        self.engine, self.transaction = engine, transaction

    def __enter__(self) -> Any:
        self.pooled = pooled = self.engine.raw_connection()
        try:
            prepare_dbapi(pooled)
            raw: Any = pooled.driver_connection
            self.raw, self.cursor = raw, raw.cursor()
        except BaseException:
            pooled.close()
            raise
        if self.transaction:
            try:
                self.cursor.execute("BEGIN")
            except BaseException:
                self.__exit__()
                raise
        return self.cursor

    def __exit__(self, *exc: object) -> None:
        try:
            self.cursor.close()
            if self.raw.in_transaction:
                self.raw.rollback()  # a read: nothing to keep
        finally:
            self.pooled.close()


driver_cursor = DriverCursor
