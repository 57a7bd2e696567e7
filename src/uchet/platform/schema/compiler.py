"""The model compiler: an effective configuration -> SQLAlchemy tables and mapped classes.

Each configuration version compiles into a fresh MetaData and registry (ARCHITECTURE rule 7),
so versions never share mapped classes; :meth:`CompiledModel.dispose` releases one.

Constraint and index names derive from the stable *ids*, not the names, so renaming a field
or table never renames (or drops and recreates) its indexes.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import column_property, registry, relationship

from uchet.platform.fieldtypes import FieldTypeRegistry, rollup_nullable, stored_rollup
from uchet.platform.formula import sql as formulas
from uchet.platform.model.config import Configuration, Field, Table
from uchet.platform.model.paths import resolve_path
from uchet.platform.schema.system import ID_TYPE, define_system_tables

T = TypeVar("T")

ON_DELETE = {"restrict": "RESTRICT", "set_null": "SET NULL", "cascade": "CASCADE"}
#: Search terms compare byte-wise so that a prefix is an index range scan on PostgreSQL too.
TERM_TYPE = sa.String(100).with_variant(sa.String(100, collation="C"), "postgresql")
SEARCH_SUFFIX = "__sk"
#: The search table's column naming the field a term came from (see build_search_table).
SEARCH_FIELD_COLUMN = "field"


def object_name(prefix: str, *parts: str) -> str:
    """A constraint or index name from ids: readable, at most 63 characters, stable."""
    base = prefix + "_" + "_".join(re.sub(r"[^a-z0-9]+", "_", p) for p in parts)
    if len(base) <= 63:
        return base
    digest = hashlib.sha1(base.encode()).hexdigest()[:8]
    return base[:54] + "_" + digest


@dataclass(frozen=True)
class IndexSpec:
    """An index the engine keeps, identified by its name (derived from ids)."""

    name: str
    table_id: str
    field_ids: tuple[str, ...]
    unique: bool = False


def index_specs(
    table: Table, config: Configuration, registry: FieldTypeRegistry
) -> list[IndexSpec]:
    """Every index and unique constraint ``table`` gets: references, default sort, declared
    filters, ``indexed`` and ``unique`` fields, and the declared ones (ARCHITECTURE rule 9)."""
    stored = {f.id for f in table.fields if registry.has_column(f)}
    specs: dict[str, IndexSpec] = {}

    def add(ids: tuple[str, ...], unique: bool = False, name: str | None = None) -> None:
        ids = tuple(i for i in ids if i in stored)
        if not ids:
            return
        if not unique and any(s.field_ids[: len(ids)] == ids for s in specs.values()):
            return  # a longer index with this prefix already serves it
        spec_name = name or object_name("uq" if unique else "ix", table.id, *ids)
        specs[spec_name] = IndexSpec(spec_name, table.id, ids, unique)

    for f in table.fields:
        if f.unique:
            add((f.id,), unique=True)
    for u in table.unique:
        add(u.fields, unique=True, name=object_name("uq", table.id, u.id))
    for i in table.indexes:
        add(i.fields, name=object_name("ix", table.id, i.id))
    sort_ids = tuple(k.field for k in table.default_sort)
    if sort_ids:
        add(sort_ids)
    for fid in table.list_filters:
        # A filtered list is shown in the default order: (filter, sort...) lets the first
        # page of "category = VIP by name" read 50 index entries instead of sorting them all.
        add((fid, *(s for s in sort_ids if s != fid)))
    for f in table.fields:
        if f.type in ("reference", "user") or f.indexed:
            add((f.id,))
    # Drop plain indexes made redundant by a longer one added later with the same prefix.
    result = list(specs.values())
    return [
        s for s in result
        if s.unique or not any(o is not s and len(o.field_ids) > len(s.field_ids)
                               and o.field_ids[: len(s.field_ids)] == s.field_ids for o in result)
    ]  # fmt: skip


def build_table(
    table: Table, config: Configuration, registry: FieldTypeRegistry, metadata: sa.MetaData
) -> sa.Table:
    """Define the SQL table of ``table`` (stored fields and system columns) in ``metadata``."""
    columns: list[Any] = [
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("created_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime),
        sa.Column("created_by", sa.BigInteger),
        sa.Column("updated_by", sa.BigInteger),
    ]
    for f in table.fields:
        if not registry.has_column(f):
            continue
        columns.append(build_column(f, config, registry))
    by_id = {f.id: f.name for f in table.fields}
    constraints: list[Any] = []
    for spec in index_specs(table, config, registry):
        cols = [by_id[i] for i in spec.field_ids]
        if spec.unique:
            constraints.append(sa.UniqueConstraint(*cols, name=spec.name))
        else:
            constraints.append(sa.Index(spec.name, *cols))
    return sa.Table(table.name, metadata, *columns, *constraints, info={"uchet_id": table.id})


def foreign_key(f: Field, config: Configuration) -> sa.ForeignKey | None:
    """The foreign key of a reference, user or file field (None for other types)."""
    if f.type == "reference" and f.target:
        target = config.table(f.target).name
        return sa.ForeignKey(
            f"{target}.id", name=object_name("fk", f.id), ondelete=ON_DELETE[f.on_delete]
        )
    if f.type == "user":
        return sa.ForeignKey("uchet_users.id", name=object_name("fk", f.id), ondelete="SET NULL")
    if f.type in ("file", "image"):
        return sa.ForeignKey("uchet_files.id", name=object_name("fk", f.id), ondelete="SET NULL")
    return None


def build_column(f: Field, config: Configuration, registry: FieldTypeRegistry) -> sa.Column[Any]:
    """The column of a stored field."""
    fk = foreign_key(f, config)
    args: list[Any] = [fk] if fk is not None else []
    return sa.Column(
        f.name, registry.get(f.type).column_type(f), *args,
        nullable=column_nullable(f), server_default=column_default(f), info={"uchet_id": f.id},
    )  # fmt: skip


def column_nullable(f: Field) -> bool:
    """Whether the column of stored field ``f`` allows NULL."""
    return rollup_nullable(f) if stored_rollup(f) else not f.required


def column_default(f: Field) -> str | None:
    """The server default of ``f``'s column: 0 for a stored sum or count rollup, so a new
    parent row (which the record service inserts without it) starts at its true value."""
    return None if not stored_rollup(f) or rollup_nullable(f) else "0"


def build_search_table(table: Table, metadata: sa.MetaData) -> sa.Table:
    """The companion table of case-folded search terms of ``table`` (S03).

    ``field`` is the position in ``table.search_fields`` of the field a term came from, so a
    search can keep to the fields a user may read. The primary key (term, record_id, field)
    is also the order a search page is read in when no sort is asked for (see
    :mod:`uchet.platform.schema.search`); the (record_id, term) index serves deletes and the
    per-record checks of a search.
    """
    return sa.Table(
        table.name + SEARCH_SUFFIX,
        metadata,
        sa.Column("term", TERM_TYPE, primary_key=True),
        sa.Column(
            "record_id",
            sa.BigInteger,
            sa.ForeignKey(
                f"{table.name}.id", ondelete="CASCADE", name=object_name("fk", table.id, "sk")
            ),
            primary_key=True,
        ),
        sa.Column(SEARCH_FIELD_COLUMN, sa.SmallInteger, primary_key=True),
        sa.Index(object_name("ix", table.id, "sk_record"), "record_id", "term"),
        sqlite_with_rowid=False,
        info={"uchet_search_for": table.id},
    )


@dataclass
class CompiledTable:
    """One table of a compiled configuration."""

    table: Table
    sql: sa.Table
    search: sa.Table | None
    cls: type
    computed: dict[str, sa.ColumnElement[Any]] = field(default_factory=dict)
    #: The rollup subquery of each *stored* rollup (by name), correlated to ``sql``: what
    #: :mod:`uchet.platform.schema.rollups` writes into its column.
    rollups: dict[str, sa.ColumnElement[Any]] = field(default_factory=dict)

    def column(self, name: str) -> sa.ColumnElement[Any]:
        """The stored column or computed expression for field (or system column) ``name``."""
        if name in self.computed:
            return self.computed[name]
        return self.sql.c[name]


class CompiledModel:
    """A configuration compiled into SQLAlchemy objects in its own registry."""

    def __init__(self, config: Configuration, types: FieldTypeRegistry, dialect: str = "sqlite"):
        self.config, self.types, self.dialect = config, types, dialect
        self.metadata = sa.MetaData()
        self.system = define_system_tables(self.metadata)
        self.registry = registry(metadata=self.metadata)
        self._memo: dict[Hashable, Any] = {}
        self._memo_lock = threading.RLock()
        self.tables: dict[str, CompiledTable] = {}
        for t in config.tables:
            sql = build_table(t, config, types, self.metadata)
            search = build_search_table(t, self.metadata) if t.search_fields else None
            cls = type(_class_name(t), (), {"__doc__": f"Records of {t.name} (compiled)."})
            self.tables[t.id] = CompiledTable(t, sql, search, cls)
        for ct in self.tables.values():
            for f in ct.table.fields:
                if stored_rollup(f):
                    # The very expression a computed rollup would read, kept for the
                    # UPDATE that maintains the column: one definition for both.
                    ct.rollups[f.name] = self._rollup(ct, f)
                elif not types.has_column(f):
                    ct.computed[f.name] = self._computed(ct, f, set())
        for ct in self.tables.values():
            self._map(ct)
        self.registry.configure()

    # -- public lookups ---------------------------------------------------------------------
    def __getitem__(self, id_or_name: str) -> CompiledTable:
        return self.tables[self.config.find_table(id_or_name).id]

    def __iter__(self) -> Iterator[CompiledTable]:
        return iter(self.tables.values())

    def cached(self, key: Hashable, build: Callable[[], T]) -> T:
        """``build()`` once per compiled model and ``key``: SQL constructs derived from the
        model (join aliases, compiled statements) that every query of this version reuses.
        Reusing the same objects also lets SQLAlchemy reuse their memoized cache keys."""
        try:
            return cast(T, self._memo[key])
        except KeyError:
            pass
        # Built under a lock: two threads building the same key would each use their own
        # object (say, a join alias) while the memo keeps only one of them.
        with self._memo_lock:
            if key not in self._memo:
                self._memo[key] = build()
            return cast(T, self._memo[key])

    def dispose(self) -> None:
        """Unmap the classes so the registry can be garbage-collected."""
        self._memo.clear()
        self.registry.dispose()

    # -- computed fields ----------------------------------------------------------------------
    def path_expression(self, ct: CompiledTable, path: tuple[str, ...], seen: set[str]) -> Any:
        """The SQL expression of a dotted field path from ``ct`` (a correlated subquery
        for each reference followed)."""
        found = resolve_path(self.config, ct.table, path)
        if isinstance(found, str):
            raise ValueError(found)
        if len(path) == 1:
            return self._field_expression(ct, found, seen)
        ref = ct.table.field_by_name(path[0])
        target = self.tables[ref.target or ""]
        inner = self.path_expression(target, path[1:], seen)
        return (
            sa.select(inner)
            .where(target.sql.c.id == ct.sql.c[ref.name])
            .correlate_except(target.sql)
            .scalar_subquery()
        )

    def _field_expression(self, ct: CompiledTable, f: Field, seen: set[str]) -> Any:
        if self.types.has_column(f):
            return ct.sql.c[f.name]
        if f.name not in ct.computed:
            ct.computed[f.name] = self._computed(ct, f, seen)
        return ct.computed[f.name]

    def _computed(self, ct: CompiledTable, f: Field, seen: set[str]) -> Any:
        if f.id in seen:
            raise ValueError(f"circular formulas through {f.id}")
        seen = seen | {f.id}
        ftype = self.types.get(f.type)
        if f.type == "rollup" and f.rollup:
            expr = self._rollup(ct, f)
        elif f.type == "formula" and f.formula:
            tree = formulas.parse(f.formula)
            expr = formulas.compile_expr(
                tree, lambda path: self.path_expression(ct, path, seen), self.dialect
            )
        else:
            raise ValueError(f"{f.type} field {f.id} has nothing to compute")
        return sa.type_coerce(expr, ftype.column_type(f)).label(f.name)

    def _rollup(self, ct: CompiledTable, f: Field) -> Any:
        r = f.rollup
        assert r is not None
        child = self.tables[r.table]
        via = child.table.field_by_id(r.via)
        if r.aggregate == "count":
            value: Any = sa.func.count()
        else:
            target = child.table.field_by_id(r.field or "")
            col = self._field_expression(child, target, set())
            value = getattr(sa.func, r.aggregate)(col)
        query = sa.select(value).where(child.sql.c[via.name] == ct.sql.c.id)
        sub = query.correlate_except(child.sql).scalar_subquery()
        # An invoice with no lines has a total of 0, not "unknown".
        return sa.func.coalesce(sub, 0) if r.aggregate in ("sum", "count") else sub

    # -- mapping ------------------------------------------------------------------------------
    def _map(self, ct: CompiledTable) -> None:
        props: dict[str, Any] = {}
        for f in ct.table.fields:
            if f.type == "reference" and f.target:
                target = self.tables[f.target]
                # A reference to its own table (a parent client) needs remote_side, or
                # SQLAlchemy cannot tell the many-to-one side from the one-to-many side.
                remote = [ct.sql.c.id] if f.target == ct.table.id else None
                props[f"{f.name}_ref"] = relationship(
                    target.cls,
                    foreign_keys=[ct.sql.c[f.name]],
                    backref=_backref_name(ct.table, f),
                    lazy="select",
                    remote_side=remote,
                )
            elif not self.types.has_column(f):
                props[f.name] = column_property(ct.computed[f.name])
        self.registry.map_imperatively(ct.cls, ct.sql, properties=props)


def _class_name(table: Table) -> str:
    return "".join(part.title() for part in table.name.split("_")) or "Record"


def _backref_name(child: Table, f: Field) -> str:
    """The name of the reverse collection: ``contacts`` for contacts.client -> clients."""
    return f"{child.name}_by_{f.name}"
