"""How each schema operation runs: the :class:`Runner` and one implementation per class.

A :class:`Runner` executes operations in order through Alembic ``Operations``, online (a
connection inside the migration's single transaction) or offline (SQL text for a preview),
keeping the :class:`~uchet.platform.schema.state.SchemaState` up to date.

Each implementation chooses between what SQLite can ALTER natively (add, rename and drop a
plain column, indexes, renaming tables) and batch mode (anything touching NOT NULL, foreign
keys or unique constraints), which on PostgreSQL simply runs the ALTER statements. Values
are converted in Python, never with CAST, which on SQLite silently turns bad values into 0.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import sqlalchemy as sa
from alembic.operations import BatchOperations, Operations
from alembic.operations.ops import CreateTableOp
from sqlalchemy.engine import Connection

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Field, Table, thaw
from uchet.platform.schema import rollups
from uchet.platform.schema.compiler import SEARCH_SUFFIX, CompiledModel
from uchet.platform.schema.operations import (
    AddField,
    AddUnique,
    AlterNullable,
    BackupFields,
    ChangeReference,
    ConversionPolicy,
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
    RecreateSearchIndex,
    RenameField,
    RenameTable,
    RetypeField,
    backup_table_name,
    fallback_value,
)
from uchet.platform.schema.search import record_terms, term_rows
from uchet.platform.schema.state import (
    ColumnSpec,
    SchemaState,
    converted,
    existing_ids,
    iter_chunks,
    table_state,
)

#: Prefix of the temporary column a retype fills before it replaces the old one.
TMP_PREFIX = "_uchet_new_"
_TMP_KEY = "<tmp>"  # not a valid field id, so it never clashes


#: What runs one operation: called with the operation and the runner.
Implementation = Callable[[Any, "Runner"], None]


class Runner:
    """Runs operations through Alembic ``Operations``, keeping the :class:`SchemaState`.

    The runner owns the registry of implementations, one per operation class, filled with
    :meth:`implementation_for` (as Alembic's ``Operations.implementation_for``).
    """

    #: How each operation class runs.
    implementations: ClassVar[dict[type[Operation], Implementation]] = {}

    @classmethod
    def implementation_for(
        cls, op_cls: type[Operation]
    ) -> Callable[[Implementation], Implementation]:
        """Register the decorated function as what runs ``op_cls`` (replacing any earlier one)."""

        def register(fn: Implementation) -> Implementation:
            cls.implementations[op_cls] = fn
            return fn

        return register

    def __init__(
        self,
        operations: Operations,
        state: SchemaState,
        types: FieldTypeRegistry,
        *,
        version: int | None = None,
        on_conversion_error: ConversionPolicy = "abort",
    ):
        self.ops, self.state, self.types, self.version = operations, state, types, version
        self.policy = on_conversion_error
        self.context = operations.migration_context
        self.offline = bool(self.context.as_sql)
        self.sqlite = self.context.dialect.name == "sqlite"

    @property
    def conn(self) -> Connection:
        """The connection (online only)."""
        conn = self.context.connection
        assert conn is not None, "offline runs have no connection"
        return conn

    def batch(self, table_id: str) -> contextlib.AbstractContextManager[BatchOperations]:
        """Batch mode over the table as it is now: plain ALTERs on PostgreSQL, a recreate
        from this definition on SQLite when SQLite cannot ALTER natively."""
        st = self.state.tables[table_id]
        return self.ops.batch_alter_table(
            st.name, copy_from=self.state.sql_table(table_id), recreate="auto"
        )

    def note(self, text: str) -> None:
        """A comment in an offline preview (data steps have no SQL of their own there)."""
        if self.offline:
            self.context.impl.static_output(f"-- {text}")

    def execute(self, statement: Any, note: str) -> None:
        """Run a data statement; offline, print it (or ``note`` if it has no literal form)."""
        if not self.offline:
            self.conn.execute(statement)
            return
        try:
            self.ops.execute(statement)
        except sa.exc.SQLAlchemyError:
            self.note(note)

    def run(self, op: Operation) -> None:
        """Run one operation (its registered implementation updates the state)."""
        self.note(op.describe())
        try:
            impl = self.implementations[type(op)]
        except KeyError:
            name = type(op).__name__
            raise NotImplementedError(f"no implementation registered for {name}") from None
        impl(op, self)


#: Module-level spelling of :meth:`Runner.implementation_for`, for plug-ins and tests.
implementation_for = Runner.implementation_for


def _default(field: Field, types: FieldTypeRegistry) -> Any:
    return types.get(field.type).parse(field, thaw(field.default))


def _backup(r: Runner, table_id: str, field_ids: Sequence[str] | None) -> None:
    """Copy rows (all columns, or ``id`` and ``field_ids``) into ``uchet_bak_<v>_<table>``.

    A plain copy without keys or indexes, so its names never clash with later objects.
    """
    st = r.state.tables[table_id]
    src = r.state.sql_table(table_id)
    names = [c.name for c in src.columns] if field_ids is None else [
        "id", *(st.columns[f].name for f in field_ids)]  # fmt: skip
    bak = r.ops.create_table(
        backup_table_name(r.version, st.name), *(sa.Column(n, src.c[n].type) for n in names)
    )
    r.ops.execute(sa.insert(bak).from_select(names, sa.select(*(src.c[n] for n in names))))


def _add_foreign_key(r: Runner, table_id: str, spec: ColumnSpec, drop: str | None = None) -> None:
    """Add ``spec``'s foreign key (after dropping the key named ``drop``)."""
    assert spec.fk_target and spec.fk_name
    with r.batch(table_id) as b:
        if drop:
            b.drop_constraint(drop, type_="foreignkey")
        b.create_foreign_key(spec.fk_name, r.state.name_of(spec.fk_target), [spec.name], ["id"],
                             ondelete=spec.ondelete)  # fmt: skip
    r.state.tables[table_id].columns[spec.key] = spec


@implementation_for(CreateTable)
def _create_table(op: CreateTable, r: Runner) -> None:
    st = table_state(op.table, op.config, r.types, skip=op.deferred)
    st.search = False  # the search table is a step of its own, after the fields exist
    r.state.tables[st.id] = st
    t = r.state.sql_table(st.id)
    r.ops.invoke(CreateTableOp.from_table(t))
    for ix in sorted(t.indexes, key=lambda i: str(i.name)):
        columns = [(c.name, bool(c.nullable)) for c in ix.columns]
        r.ops.create_index(str(ix.name), t.name, index_columns(r, columns))


def index_sorting(dialect_name: str, nullable: bool) -> tuple[str, ...]:
    """How a plain index orders one column, in the words of SQLAlchemy's inspector
    (``column_sorting``): ``("nulls_first",)`` or ``()`` for the default.

    List queries put NULLs first ascending and last descending (``query_cursor``): that
    is SQLite's index order, but PostgreSQL's default index keeps NULLs last ascending and
    cannot serve ``ORDER BY x ASC NULLS FIRST``. So on PostgreSQL a nullable column is
    indexed ``ASC NULLS FIRST`` (read backwards it serves ``DESC NULLS LAST`` too); a NOT
    NULL column gets no clause, as the queries write none for it. The live comparison
    (:mod:`uchet.platform.schema.reconcile`) expects exactly this."""
    return ("nulls_first",) if dialect_name == "postgresql" and nullable else ()


def index_columns(r: Runner, columns: Sequence[tuple[str, bool]]) -> list[Any]:
    """The columns of a new index, given as (name, nullable), ordered by :func:`index_sorting`."""
    dialect = r.context.dialect.name
    return [sa.column(name).asc().nulls_first() if index_sorting(dialect, nullable) else name
            for name, nullable in columns]  # fmt: skip


@implementation_for(DropTable)
def _drop_table(op: DropTable, r: Runner) -> None:
    _backup(r, op.table_id, None)
    r.ops.drop_table(r.state.tables.pop(op.table_id).name)


@implementation_for(RenameTable)
def _rename_table(op: RenameTable, r: Runner) -> None:
    st = r.state.tables[op.table_id]
    # Foreign keys of other tables follow: by OID on PostgreSQL, and SQLite >= 3.26 rewrites
    # REFERENCES clauses on rename whatever the foreign_keys pragma says.
    r.ops.rename_table(st.name, op.new_name)
    if st.search:
        r.ops.rename_table(st.name + SEARCH_SUFFIX, op.new_name + SEARCH_SUFFIX)
    st.name = op.new_name


@implementation_for(BackupFields)
def _backup_fields(op: BackupFields, r: Runner) -> None:
    _backup(r, op.table_id, op.field_ids)


@implementation_for(AddField)
def _add_field(op: AddField, r: Runner) -> None:
    st = r.state.tables[op.table_id]
    spec = ColumnSpec.of(op.field, r.types)
    # Added loose, filled, then tightened: SQLite cannot add a NOT NULL column without a
    # constant default, nor a foreign key column with ALTER (that needs batch mode).
    if spec.server_default is not None and not spec.fk_target:
        # A stored sum/count rollup: NOT NULL DEFAULT 0 in one step (SQLite can add that);
        # the RecomputeRollups step at the end of the plan fills in the true values.
        r.ops.add_column(st.name, sa.Column(spec.name, spec.type, nullable=spec.nullable,
                                            server_default=spec.server_default))  # fmt: skip
        st.columns[spec.key] = spec
        return
    r.ops.add_column(st.name, sa.Column(spec.name, spec.type, nullable=True))
    st.columns[spec.key] = spec.loose()
    if op.field.default is not None:
        t = r.state.sql_table(op.table_id)
        r.execute(sa.update(t).values({spec.name: _default(op.field, r.types)}),
                  f"set {st.name}.{spec.name} to {op.field.default!r} in every row")  # fmt: skip
    if not spec.nullable:
        with r.batch(op.table_id) as b:
            b.alter_column(spec.name, nullable=False, existing_type=spec.type)
        st.columns[spec.key] = replace(spec.loose(), nullable=False)
    if spec.fk_target:
        _add_foreign_key(r, op.table_id, spec)


@implementation_for(DropStoredRollup)
@implementation_for(DropField)
def _drop_field(op: DropField, r: Runner) -> None:
    st = r.state.tables[op.table_id]
    spec = st.columns[op.field_id]
    if r.sqlite and spec.fk_target:
        # SQLite's DROP COLUMN refuses a column under a foreign key: recreate instead.
        with r.batch(op.table_id) as b:
            b.drop_column(spec.name)
    else:
        r.ops.drop_column(st.name, spec.name)  # its indexes were dropped by earlier steps
    del st.columns[op.field_id]


@implementation_for(RenameField)
def _rename_field(op: RenameField, r: Runner) -> None:
    st = r.state.tables[op.table_id]
    spec = st.columns[op.field_id]
    r.ops.alter_column(st.name, spec.name, new_column_name=op.new_name)
    st.columns[op.field_id] = replace(spec, name=op.new_name)


def _convert_column(r: Runner, op: RetypeField, src: str, dst: str, spec: ColumnSpec) -> None:
    """Fill ``dst`` with the values of ``src`` converted in Python, under the policy."""
    if r.offline:
        r.note(f"fill {dst} with each value of {src} parsed as {op.new.type} (in Python)")
        return
    t = r.state.sql_table(op.table_id)
    targets = existing_ids(r.conn, r.state, spec.fk_target) if spec.fk_target else None
    update = sa.update(t).where(t.c.id == sa.bindparam("_id")).values({dst: sa.bindparam("_v")})
    for chunk in iter_chunks(r.conn, t, [t.c[src]]):
        params = []
        for rid, value in chunk:
            try:
                new = converted(r.types, op.old, op.new, value, targets)
            except ValueError:
                new = fallback_value(r.policy, op.new, r.types)  # "abort" raises here
            if new is None and op.new.required and op.new.default is not None:
                new = _default(op.new, r.types)
            if new is not None:
                params.append({"_id": rid, "_v": new})
        if params:
            r.conn.execute(update, params)


@implementation_for(RetypeField)
def _retype_field(op: RetypeField, r: Runner) -> None:
    st = r.state.tables[op.table_id]
    old = st.columns[op.old.id]
    new = replace(ColumnSpec.of(op.new, r.types), name=old.name)
    tmp = (TMP_PREFIX + old.name)[:63]
    r.ops.add_column(st.name, sa.Column(tmp, new.type, nullable=True))
    st.columns[_TMP_KEY] = replace(new.loose(), key=_TMP_KEY, name=tmp)
    _convert_column(r, op, old.name, tmp, new)
    with r.batch(op.table_id) as b:
        b.drop_column(old.name)
        b.alter_column(tmp, new_column_name=old.name, nullable=new.nullable, existing_type=new.type)
    del st.columns[_TMP_KEY], st.columns[op.old.id]  # the new column now comes last
    st.columns[op.new.id] = replace(new, fk_target=None, fk_name=None, ondelete=None)
    if new.fk_target:
        _add_foreign_key(r, op.table_id, new)


@implementation_for(AlterNullable)
def _alter_nullable(op: AlterNullable, r: Runner) -> None:
    st = r.state.tables[op.table_id]
    spec = st.columns[op.field.id]
    if op.field.required and op.field.default is not None:
        t = r.state.sql_table(op.table_id)
        r.execute(
            sa.update(t).where(t.c[spec.name].is_(None))
            .values({spec.name: _default(op.field, r.types)}),
            f"set empty {st.name}.{spec.name} to {op.field.default!r}",
        )  # fmt: skip
    with r.batch(op.table_id) as b:
        b.alter_column(spec.name, nullable=not op.field.required, existing_type=spec.type)
    st.columns[op.field.id] = replace(spec, nullable=not op.field.required)


@implementation_for(ChangeReference)
def _change_reference(op: ChangeReference, r: Runner) -> None:
    st = r.state.tables[op.table_id]
    cur = st.columns[op.new.id]
    new = replace(ColumnSpec.of(op.new, r.types), name=cur.name, nullable=cur.nullable)
    if op.stage == "detach":
        with r.batch(op.table_id) as b:
            b.drop_constraint(str(cur.fk_name), type_="foreignkey")
        st.columns[cur.key] = replace(cur, fk_target=None, fk_name=None, ondelete=None)
        return
    if op.old.target != op.new.target and r.policy != "abort" and new.fk_target:
        # Ids with no record in the new target get the policy's value (checked before).
        md = r.state.metadata()
        t, target = md.tables[st.name], md.tables[r.state.name_of(new.fk_target)]
        col = t.c[cur.name]
        r.execute(
            sa.update(t).where(col.is_not(None), col.not_in(sa.select(target.c.id)))
            .values({cur.name: fallback_value(r.policy, op.new, r.types)}),
            f"replace ids of {st.name}.{cur.name} missing from {target.name}",
        )  # fmt: skip
    _add_foreign_key(r, op.table_id, new, drop=cur.fk_name if op.stage == "both" else None)


@implementation_for(CreateIndex)
def _create_index(op: CreateIndex, r: Runner) -> None:
    st = r.state.tables[op.table_id]
    columns = [(st.columns[f].name, st.columns[f].nullable) for f in op.spec.field_ids]
    r.ops.create_index(op.spec.name, st.name, index_columns(r, columns))
    st.indexes[op.spec.name] = op.spec


@implementation_for(DropIndex)
def _drop_index(op: DropIndex, r: Runner) -> None:
    st = r.state.tables[op.table_id]
    r.ops.drop_index(op.spec.name, table_name=st.name)
    del st.indexes[op.spec.name]


@implementation_for(AddUnique)
def _add_unique(op: AddUnique, r: Runner) -> None:
    st = r.state.tables[op.table_id]
    with r.batch(op.table_id) as b:  # SQLite has no ADD CONSTRAINT: a recreate
        b.create_unique_constraint(op.spec.name, [st.columns[f].name for f in op.spec.field_ids])
    st.indexes[op.spec.name] = op.spec


@implementation_for(DropUnique)
def _drop_unique(op: DropUnique, r: Runner) -> None:
    with r.batch(op.table_id) as b:
        b.drop_constraint(op.spec.name, type_="unique")
    del r.state.tables[op.table_id].indexes[op.spec.name]


def _fill_search(r: Runner, table: Table) -> None:
    """Insert the terms of every record, computed in Python exactly as on save."""
    st = r.state.tables[table.id]
    if r.offline:
        r.note(f"insert the search terms of every {st.name} record (computed in Python)")
        return
    md = r.state.metadata()
    main, search = md.tables[st.name], md.tables[st.name + SEARCH_SUFFIX]
    names = [n for n in (table.field_by_id(f).name for f in table.search_fields) if n in main.c]
    for chunk in iter_chunks(r.conn, main, [main.c[n] for n in names]):
        rows = []
        for rec in chunk:
            terms = record_terms(table, dict(zip(names, rec[1:])), r.types)
            rows.extend(term_rows(rec[0], terms))
        if rows:
            r.conn.execute(sa.insert(search), rows)


@implementation_for(CreateSearchTable)
def _create_search_table(op: CreateSearchTable, r: Runner) -> None:
    st = r.state.tables[op.table.id]
    st.search = True
    search = r.state.metadata().tables[st.name + SEARCH_SUFFIX]
    r.ops.invoke(CreateTableOp.from_table(search))
    for ix in search.indexes:
        r.ops.create_index(str(ix.name), search.name, [c.name for c in ix.columns])
    _fill_search(r, op.table)


@implementation_for(DropSearchTable)
def _drop_search_table(op: DropSearchTable, r: Runner) -> None:
    st = r.state.tables[op.table_id]
    r.ops.drop_table(st.name + SEARCH_SUFFIX)
    st.search = False


@implementation_for(RebuildSearch)
def _rebuild_search(op: RebuildSearch, r: Runner) -> None:
    st = r.state.tables[op.table.id]
    search = r.state.metadata().tables[st.name + SEARCH_SUFFIX]
    r.execute(sa.delete(search), f"delete every term of {search.name}")
    _fill_search(r, op.table)


@implementation_for(RecreateSearchIndex)
def _recreate_search_index(op: RecreateSearchIndex, r: Runner) -> None:
    search = r.state.metadata().tables[r.state.tables[op.table_id].name + SEARCH_SUFFIX]
    ix = next(i for i in search.indexes if i.name == op.index_name)
    if op.drop:
        r.ops.drop_index(op.index_name, table_name=search.name)
    r.ops.create_index(op.index_name, search.name, [c.name for c in ix.columns])


@implementation_for(RecomputeRollups)
def _recompute_rollups(op: RecomputeRollups, r: Runner) -> None:
    # The statements the record service maintains the columns with, compiled from the new
    # configuration (every column exists by now: this is the plan's last step).
    model = CompiledModel(op.config, r.types, r.context.dialect.name)
    try:
        for fid, stmt in rollups.recompute_statements(model, op.field_ids):
            r.execute(stmt, f"compute the stored rollup {fid} for every row")
    finally:
        model.dispose()
