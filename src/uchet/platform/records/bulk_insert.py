"""How a bulk load's rows reach the database (:mod:`uchet.platform.records.bulk` decides what to
write; this module writes it fast).

* :class:`DriverInsert` is an INSERT of fixed columns compiled once by SQLAlchemy and sent
  with the DB-API driver's ``executemany``; on PostgreSQL (psycopg 3) a large batch goes
  through ``COPY ... FROM STDIN`` instead, which the server parses in one stream
  (docs/performance.md has the numbers);
* :func:`deferred_indexes` is the bulk-loading technique of building a table's secondary
  indexes after the rows are in: on SQLite, when a load at least doubles a table, its
  plain indexes are dropped and created again inside the same transaction. Sorting all
  the keys once costs less than inserting each row into every B-tree at a random place;
  for a small batch into a big table it costs more, so it is only done above
  :data:`REINDEX_RATIO`. It is SQLite only: on PostgreSQL ``DROP INDEX`` would lock the
  table against readers until the commit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from uchet.platform.schema import textkeys

#: A batch at least this many times the rows already in the table gets its indexes built
#: after the insert (SQLite). Measured: 1.3x faster for a batch into an empty table, 2x
#: slower for a batch of a tenth of the table (docs/performance.md).
REINDEX_RATIO = 1.0
#: ... and at least this many rows (below it the difference is lost in the noise).
REINDEX_MIN_ROWS = 5_000
#: Rows from which PostgreSQL gets ``COPY`` rather than ``executemany``.
COPY_MIN_ROWS = 200


@dataclass(frozen=True)
class Same:
    """A column value shared by every row of an insert (processed once, not per row)."""

    value: Any


@dataclass(frozen=True)
class Raw:
    """Column values already in the form the driver stores (no bind processor applied):
    the audit trail's JSON text, built without ``json.dumps`` per row."""

    values: Sequence[Any]


class DriverInsert:
    """An INSERT of fixed columns, compiled once, run with the driver's ``executemany``
    (or ``COPY`` on PostgreSQL).

    The statement is SQLAlchemy's own (identifiers quoted by the dialect, every value a
    bound parameter); only the per-row parameter processing is done here, column by column,
    with each column type's bind processor for the dialect.
    """

    def __init__(self, table: sa.Table, columns: Sequence[str], dialect: Dialect):
        cols = [table.c[name] for name in columns]
        binds = {c: sa.bindparam(f"p{i}", type_=c.type) for i, c in enumerate(cols)}
        compiled = table.insert().values(binds).compile(dialect=dialect)
        self.sql = compiled.string
        self.table_name, self.columns = table.name, list(columns)
        self.processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in cols]
        # The order the driver wants the values in (qmark/format), or the names (pyformat).
        self.order = (
            [int(name[1:]) for name in compiled.positiontup or ()] if compiled.positional else None
        )
        self.keys = [f"p{i}" for i in range(len(cols))]
        self.copy = dialect.name == "postgresql" and dialect.driver == "psycopg"

    def run(self, conn: Connection, columns: Sequence[Sequence[Any] | Same | Raw]) -> None:
        """Insert one row per position of ``columns`` (one value list per column,
        :class:`Same` for a value every row shares, :class:`Raw` for values to pass as
        they are)."""
        values: list[Iterable[Any]] = []
        count = 0
        for proc, col in zip(self.processors, columns):
            if isinstance(col, Same):
                values.append(repeat(proc(col.value) if proc else col.value))
            elif isinstance(col, Raw):
                values.append(col.values)
                count = len(col.values)
            else:
                values.append(list(map(proc, col)) if proc is not None else col)
                count = len(col)
        if not count:
            return
        if self.copy and count >= COPY_MIN_ROWS:
            self._copy(conn, zip(*values))
            return
        params: list[Any]
        if self.order is not None:
            params = list(zip(*(values[i] for i in self.order)))
        else:
            params = [dict(zip(self.keys, row)) for row in zip(*values)]
        conn.exec_driver_sql(self.sql, params)

    def _copy(self, conn: Connection, rows: Iterable[tuple[Any, ...]]) -> None:
        """``COPY table (columns) FROM STDIN``: the identifiers composed by psycopg's
        ``sql`` module, the values streamed by its dumpers (text format)."""
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(self.table_name), sql.SQL(", ").join(map(sql.Identifier, self.columns))
        )
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


@contextlib.contextmanager
def deferred_indexes(
    conn: Connection, tables: Sequence[sa.Table], batch: int, existing: int
) -> Iterator[bool]:
    """Around the insert of ``batch`` rows into a table of about ``existing`` rows: on
    SQLite, when the batch is large enough (:data:`REINDEX_RATIO`), drop the plain
    (non-unique) indexes of ``tables`` and create them again afterwards, in the same
    transaction. Yields whether it did. Unique indexes stay, so the database still checks
    them row by row; a failure rolls the drops back with everything else."""
    big = batch >= REINDEX_MIN_ROWS and batch >= existing * REINDEX_RATIO
    if conn.dialect.name != "sqlite" or not big:
        yield False
        return
    inspector = sa.inspect(conn)
    indexes = []
    for table in tables:
        # Only those the database has: the same indexes come back, no more.
        with textkeys.reflection_skips_them():  # the folded keys stay and are kept up
            present = {ix["name"] for ix in inspector.get_indexes(table.name)}
        indexes += [ix for ix in sorted(table.indexes, key=_name)
                    if not ix.unique and ix.name in present]  # fmt: skip
    for ix in indexes:
        conn.execute(sa.schema.DropIndex(ix))
    yield True
    for ix in indexes:
        conn.execute(sa.schema.CreateIndex(ix))
    for table in tables:
        # Statistics for the query planner (issue 12): without them SQLite takes any
        # equality as selective, and a manager's list (`manager = me`, every row of a big
        # client base) led with the manager index and sorted them all: 5.5 s at 1,000,000
        # clients. A large load is when the numbers change; PostgreSQL's autovacuum does
        # this by itself.
        conn.execute(sa.DDL("ANALYZE %(table)s").against(table))


def _name(ix: sa.Index) -> str:
    return str(ix.name)
