"""The data checks of a migration: before any DDL, does the existing data allow the plan?

:func:`check_data` runs the check registered for each operation class (:func:`check_for`)
and reports every problem at once, precisely (ARCHITECTURE rule 4): values a type change
cannot convert (count and the first 20 ids), required fields with no default over existing
rows, unique constraints over duplicates, text longer than a new max_length. Nothing has
changed when it raises. :mod:`uchet.platform.schema.migrator` calls it inside its transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Field
from uchet.platform.model.errors import ConversionError, MigrationError
from uchet.platform.schema.operations import (
    AddField,
    AddUnique,
    AlterNullable,
    ChangeReference,
    ConversionPolicy,
    Operation,
    RetypeField,
    fallback_value,
)
from uchet.platform.schema.planner import Plan
from uchet.platform.schema.state import (
    ColumnSpec,
    SchemaState,
    converted,
    existing_ids,
    iter_chunks,
)

#: How many offending rows a report shows.
SAMPLE = 20


class DataCheckError(MigrationError):
    """Existing data does not allow the change; ``problems`` says why, one line each.

    Nothing was changed. ``conversions`` holds type-change problems found alongside.
    """

    def __init__(self, problems: list[str], conversions: Mapping[str, Any] | None = None):
        self.problems, self.conversions = list(problems), dict(conversions or {})
        super().__init__("the existing data does not allow this change:\n" + "\n".join(problems))


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
