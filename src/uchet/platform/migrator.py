"""The migration executor: applies a :class:`~uchet.platform.planner.Plan` to a database.

:func:`apply` does everything in one transaction (ARCHITECTURE rule 4):

1. destructive operations are refused unless the caller consents;
2. the data is checked before any DDL, and every problem is reported at once, precisely:
   values a type change cannot convert (count and the first 20 ids), required fields with
   no default over existing rows, unique constraints over duplicates;
3. the operations run through Alembic (batch mode where SQLite needs it), with SQLite's
   foreign-key enforcement off during table rebuilds and ``PRAGMA foreign_key_check`` before
   commit; dropped data goes to ``uchet_bak_<version>_<table>`` first;
4. the new configuration is stored in ``uchet_config`` as the next version.

Any failure raises and rolls everything back: schema, data, Alembic's temporary tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.engine import Connection, Engine

from uchet.platform import operations as ops
from uchet.platform.database import foreign_keys_off, is_sqlite
from uchet.platform.errors import (
    ConversionError,
    DestructiveChangeError,
    MigrationError,
)
from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model import Configuration, Field, thaw
from uchet.platform.operations import (
    AddField,
    AddUnique,
    AlterNullable,
    ChangeReference,
    ConversionPolicy,
    Operation,
    RetypeField,
    fallback_value,
)
from uchet.platform.planner import Plan
from uchet.platform.schema_runner import Runner
from uchet.platform.schema_state import (
    ColumnSpec,
    SchemaState,
    converted,
    existing_ids,
    iter_chunks,
)
from uchet.platform.system import define_system_tables

SAMPLE = 20
#: Key of the PostgreSQL advisory lock that lets one migration run at a time.
LOCK_KEY = 0x75636865


#: Operations that cannot leave a reference pointing nowhere: SQLite alters these in place
#: (a new column is NULL, renames keep every value), so no foreign-key check is needed.
FK_NEUTRAL = (
    ops.AddField, ops.RenameField, ops.RenameTable, ops.CreateTable, ops.CreateIndex,
    ops.DropIndex, ops.CreateSearchTable, ops.DropSearchTable, ops.RebuildSearch,
    ops.RecreateSearchIndex,
)  # fmt: skip


class DataCheckError(MigrationError):
    """Existing data does not allow the change; ``problems`` says why, one line each.

    Nothing was changed. ``conversions`` holds type-change problems found alongside.
    """

    def __init__(self, problems: list[str], conversions: Mapping[str, Any] | None = None):
        self.problems, self.conversions = list(problems), dict(conversions or {})
        super().__init__("the existing data does not allow this change:\n" + "\n".join(problems))


def checksum(tree: Mapping[str, Any]) -> str:
    """SHA-256 of a configuration tree's canonical JSON."""
    text = json.dumps(thaw(tree), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_system_tables(conn: Connection) -> None:
    """Create the ``uchet_*`` tables that do not exist yet."""
    md = sa.MetaData()
    define_system_tables(md)
    md.create_all(conn, checkfirst=True)


def current_version(conn_or_engine: Connection | Engine) -> tuple[int, dict[str, Any]] | None:
    """The latest applied ``(version, tree)``, or None for a database never migrated."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return current_version(conn)
    conn = conn_or_engine
    if not sa.inspect(conn).has_table("uchet_config"):
        return None
    table = define_system_tables(sa.MetaData())["uchet_config"]
    row = conn.execute(
        sa.select(table.c.version, table.c.tree).order_by(table.c.version.desc()).limit(1)
    ).first()
    return None if row is None else (row.version, row.tree)


def _check_policy(policy: ConversionPolicy) -> None:
    ok = policy in ("abort", "set_null") or (
        isinstance(policy, tuple) and len(policy) == 2 and policy[0] == "default"
    )
    if not ok:
        raise ValueError(
            f"on_conversion_error must be 'abort', 'set_null' or ('default', value), not {policy!r}"
        )


def apply(
    engine: Engine,
    plan: Plan,
    new_config: Configuration,
    types: FieldTypeRegistry,
    *,
    allow_destructive: bool = False,
    on_conversion_error: ConversionPolicy = "abort",
    applied_by: str | None = None,
) -> int:
    """Apply ``plan`` (made from the database's applied configuration to ``new_config``) and
    return the new configuration version (the current one if nothing at all changed).

    Raises :class:`DestructiveChangeError` without consent for destructive operations,
    :class:`ConversionError` or :class:`DataCheckError` when existing data does not allow
    the change, and :class:`MigrationError` when a step fails. In every one of these cases
    the database is exactly as it was.
    """
    _check_policy(on_conversion_error)
    if plan.destructive and not allow_destructive:
        listed = "\n".join(f"  {op.describe()}" for op in plan.destructive)
        raise DestructiveChangeError(
            f"the plan can lose data; pass allow_destructive=True to run:\n{listed}",
            plan.destructive,
        )
    if checksum(new_config.tree) != checksum(plan.new.tree):
        raise ValueError("new_config is not the configuration the plan was made for")
    try:
        with engine.connect() as conn, foreign_keys_off(conn):
            conn.info["write"] = True  # BEGIN IMMEDIATE on SQLite: one writer from the start
            try:
                with conn.begin():
                    return _apply(conn, plan, new_config, types, on_conversion_error, applied_by)
            finally:
                conn.info.pop("write", None)
    except (DestructiveChangeError, MigrationError):
        raise
    except Exception as exc:
        raise MigrationError(f"migration failed and was rolled back: {exc}") from exc


def _apply(
    conn: Connection,
    plan: Plan,
    new_config: Configuration,
    types: FieldTypeRegistry,
    policy: ConversionPolicy,
    applied_by: str | None,
) -> int:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
    current = current_version(conn)
    base = None if plan.applied is None else checksum(plan.applied.tree)
    if (current and checksum(current[1])) != base:
        found = f"version {current[0]}" if current else "no configuration"
        raise MigrationError(
            f"the database holds {found}, not the configuration this plan starts from; plan again"
        )
    if current and plan.is_empty and checksum(current[1]) == checksum(new_config.tree):
        return current[0]  # already applied: migrating again at start-up records nothing
    ensure_system_tables(conn)
    version = (current[0] if current else 0) + 1
    plan = plan.for_version(version)
    state = plan.start_state()
    check_data(conn, plan, state, types, policy)
    runner = Runner(Operations(MigrationContext.configure(conn)), state, types,
                    version=version, on_conversion_error=policy)  # fmt: skip
    for i, op in enumerate(plan.operations, 1):
        try:
            runner.run(op)
        except Exception as exc:
            msg = f"step {i} ({op.describe()}) failed, nothing was changed: {exc}"
            raise MigrationError(msg) from exc
    if is_sqlite(conn) and not all(isinstance(op, FK_NEUTRAL) for op in plan.operations):
        # The check reads every reference of the database (6 s at a million rows), so it
        # runs only when an operation rebuilt a table or rewrote values.
        bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if bad:
            shown = ", ".join(f"{r[0]} row {r[1]} -> {r[2]}" for r in bad[:SAMPLE])
            raise MigrationError(f"{len(bad)} reference(s) would point nowhere: {shown}")
    record = define_system_tables(sa.MetaData())["uchet_config"]
    conn.execute(record.insert().values(
        version=version, applied_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        applied_by=applied_by, name=new_config.manifest.name,
        bundle_version=new_config.manifest.version, tree=thaw(new_config.tree),
        checksum=checksum(new_config.tree), plan=[op.describe() for op in plan.operations],
    ))  # fmt: skip
    return version


# --------------------------------------------------------------------------------------------
# Data checks, before any DDL


@dataclass
class Checks:
    """What the data checks found. ``state`` is the schema before the plan runs."""

    conn: Connection
    state: SchemaState
    types: FieldTypeRegistry
    policy: ConversionPolicy
    problems: list[str] = field(default_factory=list)
    conversions: dict[str, tuple[int, list[tuple[Any, Any]]]] = field(default_factory=dict)
    #: Fields the plan adds, by id: they hold their default in every existing row.
    added: dict[str, Field] = field(default_factory=dict)

    def column(self, table_id: str, field_id: str) -> tuple[sa.Table, sa.Column[Any]] | None:
        """The table and the column a field has *now* (None if the plan adds it)."""
        st = self.state.tables.get(table_id)
        if st is None or field_id not in st.columns:
            return None
        table = self.state.sql_table(table_id)
        return table, table.c[st.columns[field_id].name]

    def rows(self, table_id: str) -> int:
        """The number of rows a table has now (0 for a table the plan creates)."""
        if table_id not in self.state.tables:
            return 0
        table = self.state.sql_table(table_id)
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


_CHECKS: dict[type[Operation], Callable[[Any, Checks], None]] = {}


def check_for(op_cls: type[Operation]) -> Callable[[Callable[[Any, Checks], None]], Any]:
    """Register the data check of an operation class."""

    def register(fn: Callable[[Any, Checks], None]) -> Callable[[Any, Checks], None]:
        _CHECKS[op_cls] = fn
        return fn

    return register


def check_data(
    conn: Connection, plan: Plan, state: SchemaState, types: FieldTypeRegistry,
    policy: ConversionPolicy,
) -> None:  # fmt: skip
    """Check the data against every operation; raise with all the problems found."""
    checks = Checks(conn, state, types, policy)
    checks.added = {op.field.id: op.field for op in plan.operations if isinstance(op, AddField)}
    for op in plan.operations:
        check = _CHECKS.get(type(op))
        if check is not None:
            check(op, checks)
    if checks.problems:
        lines = [f"{k}: {n} value(s) will not convert: " + ", ".join(f"#{i}={v!r}" for i, v in s)
                 for k, (n, s) in checks.conversions.items()]  # fmt: skip
        raise DataCheckError(checks.problems + lines, checks.conversions)
    if checks.conversions:
        raise ConversionError(checks.conversions)


def _failures(
    checks: Checks, table: sa.Table, column: Any, convert: Callable[[Any], Any]
) -> Iterator[tuple[Any, Any]]:
    """``(id, value)`` of each non-empty value that ``convert`` rejects."""
    for chunk in iter_chunks(checks.conn, table, [column], column.is_not(None)):
        for rid, value in chunk:
            try:
                convert(value)
            except ValueError:
                yield rid, value


def _report(checks: Checks, key: str, bad: Iterator[tuple[Any, Any]]) -> int:
    """Record conversion failures under ``key`` unless the policy replaces them."""
    count, sample = 0, list[tuple[Any, Any]]()
    for pair in bad:
        count += 1
        if len(sample) < SAMPLE:
            sample.append(pair)
    if count and checks.policy == "abort":
        checks.conversions[key] = (count, sample)
    return count


def _check_fallback(checks: Checks, op: RetypeField | ChangeReference, key: str) -> None:
    try:
        value = fallback_value(checks.policy, op.new, checks.types)
    except ValueError as exc:
        checks.problems.append(f"{key}: the replacement value does not fit: {exc}")
        return
    if value is None and op.new.required and op.new.default is None:
        checks.problems.append(f"{key}: is required, so values that will not convert "
                               f"cannot be emptied; give a default instead")  # fmt: skip


@check_for(RetypeField)
def _check_retype(op: RetypeField, checks: Checks) -> None:
    found = checks.column(op.table_id, op.old.id)
    if found is None:
        return
    table, column = found
    key = f"{table.name}.{column.name}"
    spec = ColumnSpec.of(op.new, checks.types)
    targets = existing_ids(checks.conn, checks.state, spec.fk_target) if spec.fk_target else None
    bad = _failures(checks, table, column,
                    lambda v: converted(checks.types, op.old, op.new, v, targets))  # fmt: skip
    if _report(checks, key, bad) and checks.policy != "abort":
        _check_fallback(checks, op, key)
    if op.new.required and not op.old.required and op.new.default is None:
        _check_empty(checks, table, column, key)


@check_for(ChangeReference)
def _check_reference(op: ChangeReference, checks: Checks) -> None:
    spec = ColumnSpec.of(op.new, checks.types)
    found = checks.column(op.table_id, op.new.id)
    if found is None or op.old.target == op.new.target or not spec.fk_target:
        return
    table, column = found
    key = f"{table.name}.{column.name}"
    targets = existing_ids(checks.conn, checks.state, spec.fk_target)
    bad = _failures(checks, table, column, lambda v: converted(
        checks.types, op.old, op.new, v, targets))  # fmt: skip
    if _report(checks, key, bad) and checks.policy != "abort":
        _check_fallback(checks, op, key)


def _check_empty(checks: Checks, table: sa.Table, column: Any, key: str) -> None:
    query = sa.select(table.c.id).where(column.is_(None)).order_by(table.c.id)
    ids = list(checks.conn.execute(query.limit(SAMPLE)).scalars())
    if ids:
        count = checks.conn.execute(
            sa.select(sa.func.count()).select_from(table).where(column.is_(None))
        ).scalar_one()
        shown = ", ".join(f"#{i}" for i in ids)
        checks.problems.append(f"{key}: becomes required and has no default, but {count} "
                               f"row(s) have no value: {shown}")  # fmt: skip


@check_for(AlterNullable)
def _check_nullable(op: AlterNullable, checks: Checks) -> None:
    found = checks.column(op.table_id, op.field.id)
    if found and op.field.required and op.field.default is None:
        table, column = found
        _check_empty(checks, table, column, f"{table.name}.{column.name}")


@check_for(AddField)
def _check_add(op: AddField, checks: Checks) -> None:
    if op.field.required and op.field.default is None:
        count = checks.rows(op.table_id)
        if count:
            name = checks.state.tables[op.table_id].name
            checks.problems.append(
                f"{name}.{op.field.name}: a new required field needs a default, "
                f"because table {name} already has {count} row(s)"
            )


@check_for(AddUnique)
def _check_unique(op: AddUnique, checks: Checks) -> None:
    if op.table_id not in checks.state.tables:
        return  # a new table: empty
    cols = []
    for fid in op.spec.field_ids:
        found = checks.column(op.table_id, fid)
        if found is not None:
            cols.append(found[1])
        elif fid not in checks.added or checks.added[fid].default is None:
            return  # a new field without a default is empty in every row: never equal
        # else: a new field holds its default everywhere, so it cannot tell rows apart
    if not cols:
        count = checks.rows(op.table_id)
        if count > 1:
            name = checks.state.tables[op.table_id].name
            checks.problems.append(f"{name}: unique {op.spec.name} would be broken at once: "
                                   f"all {count} rows get the same default")  # fmt: skip
        return
    table = cols[0].table
    groups = checks.conn.execute(
        sa.select(*cols, sa.func.count()).where(*(c.is_not(None) for c in cols))
        .group_by(*cols).having(sa.func.count() > 1).order_by(*cols).limit(SAMPLE)
    ).all()  # fmt: skip
    if not groups:
        return
    shown = []
    for g in groups:
        ids = checks.conn.execute(
            sa.select(table.c.id).where(*(c == v for c, v in zip(cols, g[:-1])))
            .order_by(table.c.id).limit(SAMPLE)
        ).scalars()  # fmt: skip
        value = g[0] if len(cols) == 1 else tuple(g[:-1])
        shown.append(f"{value!r} (" + ", ".join(f"#{i}" for i in ids) + ")")
    names = ", ".join(c.name for c in cols)
    checks.problems.append(
        f"{table.name}: unique ({names}) is broken by existing duplicates: " + "; ".join(shown)
    )
