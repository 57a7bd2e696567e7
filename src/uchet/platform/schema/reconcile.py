"""Indexes reconciled with the live database: the step between the planner and the executor.

The planner compares two configurations and never reads a database (ARCHITECTURE rule 4:
plans are tested without one). That misses an index whose *derived* definition changed
between uchet versions while the configuration did not (PostgreSQL sort indexes now put
NULLs first; the search tables' key gained a ``field`` column), and an index someone dropped
or replaced by hand: a database migrated by older code would keep the old index forever.

:func:`plan_for_database` therefore plans in three steps: the search tables an older uchet
laid out (:func:`~uchet.platform.schema.state.stale_search_tables`), the pure configuration
plan, and :func:`reconcile`, which compares the indexes uchet owns with what the database
has (SQLAlchemy's inspector, and SQLite's own ``pragma_index_list``/``pragma_index_xinfo``,
which also tell a DESC column, a collation, an expression or a partial index) and puts
repair steps in front of the plan: *create* a missing index, *drop and create* one defined
differently. They are ordinary operations, so they print in ``uchet migrate --plan`` (with
SQL) and run in the same transaction as the rest; none of them is destructive.

**Ownership.** An index is uchet's when the applied configuration declares an index or a
unique constraint of exactly that *name* on that table (names derive from ids:
``ix_<table id>_<field ids>``, ``uq_...``, see :func:`~uchet.platform.schema.compiler.index_specs`),
or it is a search table's ``ix_<table id>_sk_record``. Nothing else is read, dropped or made
again: a DBA's own index under any other name survives, even one that starts with ``ix_``;
so does an index an older uchet made under a name the current one no longer declares.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Configuration
from uchet.platform.schema import textkeys
from uchet.platform.schema.compiler import SEARCH_SUFFIX
from uchet.platform.schema.operations import (
    AddUnique,
    CreateIndex,
    DropIndex,
    DropSearchTable,
    DropTable,
    DropUnique,
    Operation,
    RecreateSearchIndex,
)
from uchet.platform.schema.planner import Plan, plan
from uchet.platform.schema.runner import index_sorting
from uchet.platform.schema.state import SchemaState, TableState, stale_search_tables


@dataclass(frozen=True)
class IndexShape:
    """An index's definition as far as it matters to uchet; equal shapes need no repair."""

    #: A ``UNIQUE`` constraint rather than an index made by ``CREATE INDEX``.
    constraint: bool
    unique: bool
    #: Column names in order; None for an expression.
    columns: tuple[str | None, ...]
    #: Per column, the inspector's ``column_sorting`` words: ``("nulls_first",)``, ``("desc",)``.
    sorting: tuple[tuple[str, ...], ...]
    #: Anything uchet never makes: a partial index, another method, expressions, a collation.
    extra: tuple[str, ...] = ()

    def describe(self) -> str:
        """``index (name NULLS FIRST, city)``, for the reason a repair gives."""
        kind = "unique constraint" if self.constraint else (
            "unique index" if self.unique else "index")  # fmt: skip
        cols = ", ".join(" ".join([c or "<expression>", *(w.upper().replace("_", " ") for w in s)])
                         for c, s in zip(self.columns, self.sorting))  # fmt: skip
        extra = "".join(f" {e}" for e in self.extra)
        return f"{kind} ({cols}){extra}"


def expected_indexes(st: TableState, dialect: str) -> dict[str, IndexShape]:
    """The indexes and unique constraints uchet makes for a table as the state has it."""
    out = {}
    for spec in st.indexes.values():
        cols = [st.columns[f] for f in spec.field_ids]
        names = tuple(c.name for c in cols)
        if spec.unique:
            out[spec.name] = IndexShape(True, True, names, tuple(() for _ in cols))
        else:
            sorting = tuple(index_sorting(dialect, c.nullable) for c in cols)
            out[spec.name] = IndexShape(False, False, names, sorting)
    return out


def live_indexes(conn: Connection, table_name: str) -> dict[str, IndexShape]:
    """The indexes and named unique constraints the database has on ``table_name``
    (not the primary key)."""
    if conn.dialect.name == "sqlite":
        return _sqlite_indexes(conn, table_name)
    out = {}
    for ix in sa.inspect(conn).get_indexes(table_name):
        cols = tuple(ix["column_names"])
        sorting = dict(ix.get("column_sorting") or {})
        extra = tuple(sorted(f"{k}={v}" for k, v in (ix.get("dialect_options") or {}).items()
                             if v))  # fmt: skip
        if None in cols:
            extra += tuple(str(e) for e in ix.get("expressions") or ())
        constraint = ix.get("duplicates_constraint")
        out[str(constraint or ix["name"])] = IndexShape(
            bool(constraint), bool(ix["unique"]), cols,
            tuple(tuple(sorting.get(str(c), ())) for c in cols), extra,
        )  # fmt: skip
    return out


def _sqlite_indexes(conn: Connection, table_name: str) -> dict[str, IndexShape]:
    # The inspector leaves out expression indexes and DESC columns on SQLite; the pragmas
    # (table-valued, so the names are bound parameters) say everything.
    out = {}
    with textkeys.reflection_skips_them():  # the pragmas below read those
        uniques = sa.inspect(conn).get_unique_constraints(table_name)
    for u in uniques:
        if u["name"]:
            cols = tuple(u["column_names"])
            out[u["name"]] = IndexShape(True, True, cols, tuple(() for _ in cols))
    listed = conn.execute(
        sa.text("SELECT name, \"unique\", partial FROM pragma_index_list(:t) WHERE origin = 'c'"),
        {"t": table_name},
    ).all()
    for name, unique, partial in listed:
        keys = conn.execute(
            sa.text('SELECT name, "desc", coll FROM pragma_index_xinfo(:i) WHERE key = 1 '
                    "ORDER BY seqno"), {"i": name},
        ).all()  # fmt: skip
        extra: tuple[str, ...] = ("partial",) if partial else ()
        extra += tuple(f"COLLATE {coll}" for _, _, coll in keys if coll != "BINARY")
        out[name] = IndexShape(
            False, bool(unique), tuple(k[0] for k in keys),
            tuple(("desc",) if k[1] else () for k in keys), extra,
        )  # fmt: skip
    return out


def reconcile(p: Plan, conn: Connection) -> Plan:
    """``p`` with repair steps in front for the owned indexes the database lacks or has
    defined differently (see the module's docstring). The steps run on the applied schema,
    before anything else, so the rest of the plan finds exactly the schema it was made for.

    An index the plan drops anyway needs no repair; if the database lacks it, the plan's
    drop step goes (there is nothing to drop) and :attr:`Plan.absent` tells the executor.
    """
    if p.applied is None:
        return p
    dialect = conn.dialect.name
    inspector = sa.inspect(conn)
    state = SchemaState.from_config(p.applied, p.types)
    metadata = state.metadata()
    gone = {op.table_id for op in p.operations if isinstance(op, DropTable)}
    no_search = gone | {op.table_id for op in p.operations if isinstance(op, DropSearchTable)}
    drops = {(op.table_id, op.spec.name): op for op in p.operations
             if isinstance(op, DropIndex | DropUnique)}  # fmt: skip
    repairs: list[Operation] = []
    absent: set[tuple[str, str]] = set()
    needless: list[Operation] = []
    for st in state.tables.values():
        if st.id in gone or not inspector.has_table(st.name):
            continue
        live = live_indexes(conn, st.name)
        for name, want in expected_indexes(st, dialect).items():
            have = live.get(name)
            if have == want:
                continue
            spec, key = st.indexes[name], (st.id, name)
            if have is None:
                absent.add(key)
            if key in drops:
                if have is None:
                    needless.append(drops[key])
                continue
            reason = _reason(have, want)
            if have is not None:
                repairs.append((DropUnique if have.constraint else DropIndex)(
                    st.id, st.name, spec, reason))  # fmt: skip
            make = AddUnique if spec.unique else CreateIndex
            repairs.append(make(st.id, st.name, spec, reason))
        search = st.name + SEARCH_SUFFIX
        if st.search and st.id not in no_search and inspector.has_table(search):
            repairs += _search_repairs(conn, st, metadata.tables[search])
    if not repairs and not absent:
        return p
    kept = tuple(op for op in p.operations if not any(op is n for n in needless))
    return replace(p, operations=(*repairs, *kept), absent=frozenset(absent))


def _reason(have: IndexShape | None, want: IndexShape) -> str:
    if have is None:
        return "missing from the database"
    return f"the database has {have.describe()}, uchet makes {want.describe()}"


def _search_repairs(conn: Connection, st: TableState, search: sa.Table) -> Iterable[Operation]:
    live = live_indexes(conn, search.name)
    for ix in sorted(search.indexes, key=lambda i: str(i.name)):
        cols = tuple(c.name for c in ix.columns)
        # Made from plain column names (schema_runner), over NOT NULL key columns.
        want = IndexShape(False, bool(ix.unique), cols, tuple(() for _ in cols))
        have = live.get(str(ix.name))
        if have != want:
            yield RecreateSearchIndex(st.id, st.name, str(ix.name), have is not None,
                                      _reason(have, want))  # fmt: skip


def plan_for_database(
    conn: Connection, applied: Configuration | None, new: Configuration, types: FieldTypeRegistry
) -> Plan:
    """The plan that takes the database on ``conn`` (holding ``applied``) to ``new``: the
    configuration plan, with search tables of an older layout rebuilt and owned indexes
    reconciled with what the database has."""
    stale = stale_search_tables(conn, applied)
    return reconcile(plan(applied, new, types, stale_search=stale), conn)
