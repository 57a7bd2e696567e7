"""The schema as it is between two steps of a migration.

SQLite's batch mode recreates a table from a ``copy_from`` definition, and an offline SQL
preview cannot reflect the database: the :class:`SchemaState` is therefore the only source
of truth about the current columns, indexes and foreign keys while a plan runs. It starts as
the applied configuration's schema, and each operation updates it as it runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType, SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Configuration, Field, Manifest, Table
from uchet.platform.schema import compiler
from uchet.platform.schema.compiler import IndexSpec
from uchet.platform.schema.operations import convert_value
from uchet.platform.schema.system import define_system_tables

#: Rows read per query when a step walks a table's data.
CHUNK = 1000


def iter_chunks(
    conn: Connection, table: sa.Table, columns: Sequence[Any], where: Any = None
) -> Iterator[list[tuple[Any, ...]]]:
    """``(id, *columns)`` rows of ``table`` in id order, a chunk at a time (bounded memory)."""
    last: Any = None
    while True:
        query = sa.select(table.c.id, *columns).order_by(table.c.id).limit(CHUNK)
        if where is not None:
            query = query.where(where)
        if last is not None:
            query = query.where(table.c.id > last)
        rows = [tuple(r) for r in conn.execute(query)]
        if not rows:
            return
        yield rows
        last = rows[-1][0]


# --------------------------------------------------------------------------------------------
# The schema as it is between two steps


@dataclass(frozen=True)
class ColumnSpec:
    """A stored field's column. ``fk_target`` is a table id, or a system table's name."""

    key: str
    name: str
    type: sa.types.TypeEngine[Any]
    nullable: bool = True
    fk_target: str | None = None
    fk_name: str | None = None
    ondelete: str | None = None
    #: A server default (stored sum/count rollups: "0").
    server_default: str | None = None

    @classmethod
    def of(cls, f: Field, types: FieldTypeRegistry) -> ColumnSpec:
        """The column of ``f``, with the foreign key rules of the compiler."""
        # The compiler decides the key: pass it a "configuration" whose table names are
        # the ids, so the key's target names the table id, which survives renames.
        fk = compiler.foreign_key(f, SimpleNamespace(table=lambda i: SimpleNamespace(name=i)))  # type: ignore[arg-type]
        return cls(
            f.id, f.name, types.get(f.type).column_type(f), compiler.column_nullable(f),
            fk.target_fullname.rsplit(".", 1)[0] if fk is not None else None,
            str(fk.name) if fk is not None else None, fk.ondelete if fk is not None else None,
            compiler.column_default(f),
        )  # fmt: skip

    def loose(self) -> ColumnSpec:
        """This column as first added: nullable and without its foreign key."""
        return replace(self, nullable=True, fk_target=None, fk_name=None, ondelete=None)


@dataclass
class TableState:
    """One table of the database at some step of a migration."""

    id: str
    name: str
    columns: dict[str, ColumnSpec]
    indexes: dict[str, IndexSpec]
    search: bool = False


_EMPTY = Configuration(Manifest("", "", MappingProxyType({}), (), ""), ())
_TEMPLATE = compiler.build_table(
    Table("_", "_", MappingProxyType({}), ()), _EMPTY, FieldTypeRegistry(), sa.MetaData()
)


class SchemaState:
    """The tables of the database, mutated by each operation as it runs."""

    def __init__(self, tables: dict[str, TableState] | None = None):
        self.tables: dict[str, TableState] = tables or {}

    @classmethod
    def from_config(cls, config: Configuration | None, types: FieldTypeRegistry) -> SchemaState:
        """The schema a fully applied ``config`` has (empty for ``None``)."""
        state = cls()
        for t in config.tables if config else ():
            state.tables[t.id] = table_state(t, config, types)  # type: ignore[arg-type]
        return state

    def name_of(self, target: str) -> str:
        """The current name of a foreign key's target (a table id or a system table)."""
        return self.tables[target].name if target in self.tables else target

    def metadata(self) -> sa.MetaData:
        """Every table as it is now, in a fresh MetaData (so foreign keys resolve)."""
        md = sa.MetaData()
        define_system_tables(md)
        for st in self.tables.values():
            t = _TEMPLATE.to_metadata(md, name=st.name)
            t.info["uchet_id"] = st.id
            for c in st.columns.values():
                fk = [sa.ForeignKey(f"{self.name_of(c.fk_target)}.id", name=c.fk_name,
                                    ondelete=c.ondelete)] if c.fk_target else []  # fmt: skip
                t.append_column(sa.Column(c.name, c.type, *fk, nullable=c.nullable,
                                          server_default=c.server_default,
                                          info={"uchet_id": c.key}))  # fmt: skip
            for ix in st.indexes.values():
                cols = [t.c[st.columns[f].name] for f in ix.field_ids]
                if ix.unique:
                    t.append_constraint(sa.UniqueConstraint(*cols, name=ix.name))
                else:
                    sa.Index(ix.name, *cols)
            if st.search:
                compiler.build_search_table(Table(st.id, st.name, MappingProxyType({}), ()), md)
        return md

    def sql_table(self, table_id: str) -> sa.Table:
        """The SQLAlchemy table of ``table_id`` as it is now."""
        return self.metadata().tables[self.tables[table_id].name]


def table_state(
    t: Table, config: Configuration, types: FieldTypeRegistry, skip: Sequence[str] = ()
) -> TableState:
    """The state of a freshly created ``t``, without the fields in ``skip`` (and their indexes)."""
    cols = {f.id: ColumnSpec.of(f, types) for f in t.fields
            if types.has_column(f) and f.id not in skip}  # fmt: skip
    specs = {s.name: s for s in compiler.index_specs(t, config, types)
             if all(i in cols for i in s.field_ids)}  # fmt: skip
    return TableState(t.id, t.name, cols, specs, bool(t.search_fields))


def stale_search_tables(conn: Connection, config: Configuration | None) -> frozenset[str]:
    """Ids of the tables of the applied ``config`` whose search table has an older layout
    than the compiler's (before terms recorded their field): the planner rebuilds them."""
    if config is None:
        return frozenset()
    inspector = sa.inspect(conn)
    stale = set()
    for t in config.tables:
        name = t.name + compiler.SEARCH_SUFFIX
        if t.search_fields and inspector.has_table(name):
            columns = {c["name"] for c in inspector.get_columns(name)}
            if compiler.SEARCH_FIELD_COLUMN not in columns:
                stale.add(t.id)
    return frozenset(stale)


def existing_ids(conn: Connection, state: SchemaState, target: str) -> set[Any]:
    """Ids of the rows of a foreign key's target (empty if the table does not exist yet)."""
    md = state.metadata()
    name = state.name_of(target)
    if name not in md.tables:
        return set()
    return set(conn.execute(sa.select(md.tables[name].c.id)).scalars())


def converted(
    types: FieldTypeRegistry, old: Field, new: Field, value: Any, targets: set[Any] | None
) -> Any:
    """``value`` converted for ``new``; ValueError (ParseError included) if it cannot be, or
    if it names no record of the new foreign key's target (``targets``)."""
    result = convert_value(types, old, new, value)
    if result is not None and targets is not None and result not in targets:
        raise ValueError(f"there is no record #{result} to refer to")
    return result
