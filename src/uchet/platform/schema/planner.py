"""The migration planner: two configurations in, an ordered list of operations out.

:func:`plan` compares the applied configuration with the new one, by stable ids
(ARCHITECTURE rule 2: a rename is a rename, never a drop plus an add), and touches no
database. The order is what makes a plan safe to run step by step:

1. tear down: search tables, then indexes and unique constraints that change or sit on a
   column about to change, then backed-up field drops, then tables whose name a new or
   renamed table takes;
2. rename tables (through temporary names when two swap), create tables parents first;
3. rename, retype, re-null and re-reference fields in place, then drop tables, children
   first (after their children stopped referring to them);
4. build up: new fields, indexes and unique constraints, search tables.

:meth:`Plan.sql` prints the SQL by running the very same operations through Alembic in
offline mode.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.operations.ops import CreateTableOp

from uchet.platform.checks.rollup_deps import rollup_inputs
from uchet.platform.fieldtypes import FieldTypeRegistry, stored_rollup
from uchet.platform.model.config import Configuration, Field, Table
from uchet.platform.schema.compiler import IndexSpec, index_specs
from uchet.platform.schema.operations import (
    AddField,
    AddUnique,
    AlterNullable,
    BackupFields,
    ChangeReference,
    CreateIndex,
    CreateSearchTable,
    CreateTable,
    DropField,
    DropIndex,
    DropSearchTable,
    DropStoredRollup,
    DropTable,
    DropUnique,
    Operation,
    RebuildSearch,
    RecomputeRollups,
    RenameField,
    RenameTable,
    RetypeField,
)
from uchet.platform.schema.runner import Runner
from uchet.platform.schema.state import ColumnSpec, SchemaState
from uchet.platform.schema.system import define_system_tables

TEXT_TYPES = frozenset({"string", "text", "email", "phone", "url", "choice"})
NUMBER_TYPES = frozenset({"decimal", "money", "percent"})


@dataclass(frozen=True)
class Plan:
    """An ordered list of operations taking ``applied`` to ``new``."""

    applied: Configuration | None
    new: Configuration
    operations: tuple[Operation, ...]
    types: FieldTypeRegistry = field(compare=False, repr=False)
    version: int | None = None
    #: Indexes of ``applied`` the live database lacks, as ``(table id, index name)``: the
    #: schema the plan starts from has none of them (see :mod:`uchet.platform.schema.reconcile`).
    absent: frozenset[tuple[str, str]] = frozenset()

    @property
    def destructive(self) -> list[Operation]:
        """The operations that can lose data and need consent."""
        return [op for op in self.operations if op.destructive]

    @property
    def is_empty(self) -> bool:
        """Whether the database schema needs no change."""
        return not self.operations

    def for_version(self, version: int) -> Plan:
        """This plan as it will be applied as ``version`` (names its backup tables)."""
        ops = tuple(
            replace(op, version=version) if hasattr(op, "version") else op  # type: ignore[type-var]
            for op in self.operations
        )
        return replace(self, operations=ops, version=version)

    def start_state(self) -> SchemaState:
        """The schema the first operation finds: ``applied``'s, less the absent indexes."""
        state = SchemaState.from_config(self.applied, self.types)
        for table_id, name in self.absent:
            if table_id in state.tables:
                state.tables[table_id].indexes.pop(name, None)
        return state

    def __str__(self) -> str:
        if self.is_empty:
            return "no schema changes"
        return "\n".join(f"{i}. {op}" for i, op in enumerate(self.operations, 1))

    def sql(self, dialect_name: str) -> str:
        """The SQL the plan runs on ``dialect_name`` ("sqlite", "postgresql"), for review.

        Steps that work on data in Python (conversions, defaults, search terms) appear as
        comments.
        """
        buf = io.StringIO()
        context = MigrationContext.configure(
            dialect_name=dialect_name, opts={"as_sql": True, "output_buffer": buf}
        )
        ops = Operations(context)
        if self.applied is None:
            context.impl.static_output("-- create the engine's own tables")
            for t in define_system_tables(sa.MetaData()).values():
                ops.invoke(CreateTableOp.from_table(t))
                for ix in t.indexes:
                    ops.create_index(str(ix.name), t.name, [c.name for c in ix.columns])
        runner = Runner(ops, self.start_state(), self.types, version=self.version)
        for op in self.operations:
            runner.run(op)
        return buf.getvalue()


def retype_is_safe(old: Field, new: Field, types: FieldTypeRegistry) -> bool:
    """Whether every value of ``old`` keeps its meaning as a value of ``new``.

    Widening is safe: text into longer text, integers into decimals or text, decimals into
    wider decimals, dates into datetimes. Everything else can lose information (leading
    zeros, fractions, text that no longer fits, values a stricter type rejects) and is
    destructive. Either way values that will not convert are reported before anything runs.
    """
    old_col, new_col = types.get(old.type).column_type(old), types.get(new.type).column_type(new)
    if old.type in TEXT_TYPES and new.type in ("string", "text"):
        old_len = getattr(old_col, "length", None)
        new_len = getattr(new_col, "length", None)
        return new_len is None or (old_len is not None and new_len >= old_len)
    if old.type == "integer":
        # A number too large for the new precision is reported by the data check, not lost.
        return new.type in NUMBER_TYPES | {"integer", "text"} or (
            new.type == "string" and (getattr(new_col, "length", None) or 0) >= 20
        )
    if old.type in NUMBER_TYPES and new.type in NUMBER_TYPES:
        return _digits(new_col) >= _digits(old_col) and _scale(new_col) >= _scale(old_col)
    return (old.type, new.type) == ("date", "datetime")


def _scale(col: Any) -> int:
    return getattr(col, "scale", None) or 0


def _digits(col: Any) -> int:
    """Digits before the point a numeric column holds."""
    return (getattr(col, "precision", None) or 0) - _scale(col)


def _stored(t: Table, types: FieldTypeRegistry) -> dict[str, Field]:
    return {f.id: f for f in t.fields if types.has_column(f)}


def _fk_target(f: Field, types: FieldTypeRegistry) -> str | None:
    return ColumnSpec.of(f, types).fk_target


def _parents_first(tables: list[Table], types: FieldTypeRegistry) -> list[tuple[Table, set[str]]]:
    """Tables ordered so that referenced ones come first, each with the reference fields
    that must wait (the ones in a cycle)."""
    ids = {t.id for t in tables}
    deps: dict[str, dict[str, str]] = {}
    for t in tables:
        targets = {fid: _fk_target(f, types) for fid, f in _stored(t, types).items()}
        deps[t.id] = {fid: tgt for fid, tgt in targets.items() if tgt in ids and tgt != t.id}
    order: list[tuple[Table, set[str]]] = []
    done: set[str] = set()
    remaining = list(tables)
    while remaining:
        ready = next((t for t in remaining if set(deps[t.id].values()) <= done), remaining[0])
        order.append((ready, {fid for fid, tgt in deps[ready.id].items() if tgt not in done}))
        done.add(ready.id)
        remaining.remove(ready)
    return order


def _renames(pairs: list[tuple[Any, str, str]], taken: Iterable[str]) -> list[tuple[Any, str, str]]:
    """``(key, old, new)`` renames, in two rounds through temporary names if one's new name
    is still held by another (a swap), so no step ever collides."""
    held = set(taken)
    if not any(new in held for _, _, new in pairs):
        return pairs
    tmp = [(key, old, f"_uchet_tmp_{i}") for i, (key, old, _) in enumerate(pairs)]
    return tmp + [(key, t, new) for (key, _, t), (_, _, new) in zip(tmp, pairs)]


def plan(
    applied: Configuration | None,
    new: Configuration,
    types: FieldTypeRegistry,
    *,
    version: int | None = None,
    stale_search: Collection[str] = (),
) -> Plan:
    """The operations that take a database from ``applied`` (None: empty) to ``new``.

    ``stale_search`` names tables whose search table is laid out as an older uchet made it
    (:func:`~uchet.platform.schema.state.stale_search_tables` finds them): they are dropped
    and made again, filled from the records (search terms are derived data).
    """
    old_t = {t.id: t for t in applied.tables} if applied else {}
    new_t = {t.id: t for t in new.tables}
    kept = [(old_t[i], new_t[i]) for i in new_t if i in old_t]
    dropped = [t for i, t in old_t.items() if i not in new_t]
    created = [t for i, t in new_t.items() if i not in old_t]
    first: list[Operation] = []  # teardown, before tables are renamed
    middle: list[Operation] = []  # fields changed in place
    last: list[Operation] = []  # build up
    late_drops: list[Operation] = []
    retyped: dict[str, set[str]] = {}
    backfill: list[str] = []  # stored rollups to compute for every row at the end

    # -- tables whose name is wanted by a new or renamed table go early ----------------------
    wanted = {t.name for t in created} | {n.name for o, n in kept if o.name != n.name}
    drop_order = [t for t, _ in reversed(_parents_first(dropped, types))]
    for t in dropped:
        if t.search_fields:
            first.append(DropSearchTable(t.id, t.name))

    for o, n in kept:
        of, nf = _stored(o, types), _stored(n, types)
        rt = retyped.setdefault(n.id, set())
        refilled: set[str] = set()  # fields whose NULLs get a default: their terms change
        field_renames = []
        for fid in (i for i in nf if i in of):
            a, b = of[fid], nf[fid]
            if a.name != b.name:
                field_renames.append((fid, a.name, b.name))
            ca, cb = ColumnSpec.of(a, types), ColumnSpec.of(b, types)
            if a.type != b.type or repr(ca.type) != repr(cb.type):
                rt.add(fid)
                middle.append(RetypeField(n.id, n.name, a, b, not retype_is_safe(a, b, types)))
                continue
            if a.required != b.required:
                middle.append(AlterNullable(n.id, n.name, b))
                refilled.add(fid)
            if (ca.fk_target, ca.ondelete) != (cb.fk_target, cb.ondelete):
                if a.target in {t.id for t in dropped} and b.target in {t.id for t in created}:
                    first.append(ChangeReference(n.id, o.name, a, b, "detach"))
                    last.append(ChangeReference(n.id, n.name, a, b, "attach"))
                else:
                    middle.append(ChangeReference(n.id, n.name, a, b))
        # A stored rollup made computed again (or removed) loses nothing: no backup.
        unstored = [of[i] for i in of if i not in nf and stored_rollup(of[i])]
        gone = [of[i] for i in of if i not in nf and not stored_rollup(of[i])]
        backfill += [fid for fid in nf if _needs_backfill(of.get(fid), nf[fid], applied, new)]
        # Search tables and indexes go before the columns they use change.
        if o.search_fields and not n.search_fields:
            first.append(DropSearchTable(o.id, o.name))
        old_ix = {s.name: s for s in index_specs(o, applied, types)}  # type: ignore[arg-type]
        new_ix = {s.name: s for s in index_specs(n, new, types)}
        # A plain index's column order depends on nullability on PostgreSQL (NULLS FIRST
        # for a nullable column, see schema_runner.index_sorting): it is made again too.
        rebuilt = {s.name for s in (*old_ix.values(), *new_ix.values())
                   if set(s.field_ids) & (rt if s.unique else rt | refilled)}  # fmt: skip
        for s in old_ix.values():
            if new_ix.get(s.name) != s or s.name in rebuilt:
                first.append((DropUnique if s.unique else DropIndex)(o.id, o.name, s))
        first += [DropStoredRollup(o.id, o.name, f.id, f.name, version) for f in unstored]
        if gone:
            first.append(BackupFields(o.id, o.name, tuple(f.id for f in gone),
                                      tuple(f.name for f in gone), version))  # fmt: skip
            first += [DropField(o.id, o.name, f.id, f.name, version) for f in gone]
        middle[:0] = [RenameField(n.id, n.name, fid, a, b)
                      for fid, a, b in _renames(field_renames, _held_names(of, nf))]  # fmt: skip
        last += [AddField(n.id, n.name, nf[i]) for i in nf if i not in of]
        changed = [s for s in new_ix.values() if old_ix.get(s.name) != s or s.name in rebuilt]
        last += _index_ops(n, changed)
        if n.search_fields and o.search_fields and o.id in stale_search:
            first.append(DropSearchTable(o.id, o.name))
            last.append(CreateSearchTable(n))
        elif n.search_fields and not o.search_fields:
            last.append(CreateSearchTable(n))
        elif n.search_fields and (n.search_fields != o.search_fields
                                  or (rt | refilled) & set(n.search_fields)):  # fmt: skip
            # Terms record their field's position in search_fields: a new order rebuilds.
            last.append(RebuildSearch(n))

    # Values converted in place by a retype can change what a stored rollup sums.
    for _t, f in new.all_fields():
        if stored_rollup(f) and f.rollup and f.id not in backfill and retyped.get(f.rollup.table):
            child = new_t[f.rollup.table]
            converted = {child.field_by_id(i).name for i in retyped[f.rollup.table]}
            if converted & rollup_inputs(new, f).columns:
                backfill.append(f.id)
    early = [DropTable(t.id, t.name, version) for t in drop_order if t.name in wanted]
    late_drops = [DropTable(t.id, t.name, version) for t in drop_order if t.name not in wanted]
    table_renames = _renames([(n.id, o.name, n.name) for o, n in kept if o.name != n.name],
                             (o.name for o, _ in kept))  # fmt: skip
    creates: list[Operation] = []
    for t, deferred in _parents_first(created, types):
        creates.append(CreateTable(t, new, tuple(sorted(deferred))))
        fields = _stored(t, types)
        last[:0] = [AddField(t.id, t.name, fields[fid]) for fid in sorted(deferred)]
        waiting = [s for s in index_specs(t, new, types) if set(s.field_ids) & deferred]
        last += _index_ops(t, waiting)
        if t.search_fields:
            last.append(CreateSearchTable(t))
    ops = [
        *first,
        *early,
        *(RenameTable(tid, a, b) for tid, a, b in table_renames),
        *creates,
        *middle,
        *late_drops,
        *_build_up_order(last),
        *([RecomputeRollups(tuple(backfill), new)] if backfill else []),
    ]
    return Plan(applied, new, tuple(ops), types, version)


def _needs_backfill(
    old: Field | None, new: Field, applied: Configuration | None, config: Configuration
) -> bool:
    """Whether stored rollup ``new`` of a kept table must be computed for every row: it is
    new (or newly stored), or its definition changed (aggregate, child field, result type,
    or a formula the aggregated value is computed with)."""
    if not stored_rollup(new):
        return False
    if old is None or not stored_rollup(old) or applied is None:
        return True
    try:
        before = rollup_inputs(applied, old).definition
    except KeyError:
        return True
    return before != rollup_inputs(config, new).definition


def _held_names(old: dict[str, Field], new: dict[str, Field]) -> set[str]:
    """Column names held when field renames run (dropped fields are gone by then)."""
    return {f.name for i, f in old.items() if i in new}


def _index_ops(t: Table, specs: Iterable[IndexSpec]) -> list[Operation]:
    return [(AddUnique if s.unique else CreateIndex)(t.id, t.name, s) for s in specs]


def _build_up_order(ops: list[Operation]) -> list[Operation]:
    """Fields first, then keys and indexes over them, then search tables over everything."""
    rank = {AddField: 0, ChangeReference: 1, AddUnique: 2, CreateIndex: 2}
    return sorted(ops, key=lambda op: rank.get(type(op), 3))  # sorted() is stable
