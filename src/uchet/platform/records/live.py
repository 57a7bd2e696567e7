"""Computed fields of an unsaved document, worked out by the database (issue 21, point 2).

While someone types into a card, its formulas («Сумма» of a line: ``quantity * unit_price``)
and rollups («Сумма» of the invoice: the sum of its lines) should show the values the save
would give. :func:`compute` takes the card's unsaved values -- the header's and every grid
row's -- and evaluates the very definitions the engine uses: each formula is compiled by
:func:`uchet.platform.formula.sql.compile_expr` against the typed values as bound
parameters (never ``eval``, never a formula in JavaScript), references followed by the
engine's own path expressions, and a rollup over a grid aggregates the rows' expressions in
SQL. Nothing is written; a rollup over rows not in the card (an invoice's payments) keeps
its stored value.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from uchet.platform.fieldtypes.base import ParseError
from uchet.platform.formula import sql as formulas
from uchet.platform.formula.nodes import FormulaError
from uchet.platform.model.config import Field, Table
from uchet.platform.records.document import grids_of
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import User

#: Computed field types this module evaluates.
COMPUTED = frozenset({"formula", "rollup"})
#: Formula text -> its (immutable) tree: every row of a grid has the same formulas.
_parse = functools.lru_cache(maxsize=1024)(formulas.parse)


@dataclass
class LiveResult:
    """What the card shows before saving: the header's computed values, each grid row's
    computed values and the filled-in defaults (``default_from``) of its empty cells, and
    each grid's totals. Values are ``(json value, text for people)`` (filled ones also carry
    the typed value, third)."""

    header: dict[str, tuple[Any, str]] = field(default_factory=dict)
    rows: dict[str, list[dict[str, tuple[Any, str]]]] = field(default_factory=dict)
    filled: dict[str, list[dict[str, tuple[Any, str, Any]]]] = field(default_factory=dict)
    totals: dict[str, dict[str, tuple[Any, str]]] = field(default_factory=dict)


class TooManyLines(ValueError):
    """A grid sent more lines than one statement's bound parameters can carry."""


#: Bound parameters the grids' rows may take together (rows × stored columns, summed over
#: the card's grids): below SQLite's 32,766 and PostgreSQL's 65,535. About 3,000 invoice
#: lines.
MAX_PARAMETERS = 30_000


class _Values:
    """SQL expressions of a record's fields: of one record given its unsaved values, or of
    every row of a grid at once (``source``: the rows as a relation, so each definition is
    compiled once, not once per row)."""

    def __init__(self, rt: Runtime, table: Table, values: Mapping[str, Any],
                 grids: Mapping[str, _Grid] | None = None, source: Any = None) -> None:  # fmt: skip
        self.rt, self.table, self.values, self.source = rt, table, values, source
        self.grids = grids or {}  # grid table id -> its rows
        self.dialect = rt.model.dialect
        self.cache: dict[str, Any] = {}

    def field(self, f: Field, seen: frozenset[str] = frozenset()) -> Any:
        if f.name in self.cache:
            return self.cache[f.name]
        if f.id in seen:
            raise FormulaError(f"circular formulas through {f.id}")
        ftype = self.rt.types.get(f.type)
        grid = self.grids.get(f.rollup.table) if f.rollup else None
        if f.type == "rollup" and f.rollup and grid is not None:
            expr = self._rollup(f, grid)
        elif f.type == "rollup" and f.rollup and f.name not in self.values:
            # A new record's rollup over rows not in the card: none yet (0 for sum/count,
            # as the engine's coalesce gives).
            none = f.rollup.aggregate in ("sum", "count")
            expr = sa.literal(0, sa.Numeric()) if none else sa.null()
        elif f.type == "formula" and f.formula:
            tree = _parse(f.formula)
            expr = formulas.compile_expr(
                tree, lambda path: self.path(path, seen | {f.id}), self.dialect
            )
        elif self.source is not None:
            expr = self.source.c[f.name]
            if self.dialect == formulas.POSTGRESQL:  # VALUES columns of NULLs are text there
                expr = sa.cast(expr, ftype.column_type(f))
        else:
            expr = formulas.param_value(self.values.get(f.name), ftype.column_type(f),
                                        self.dialect)  # fmt: skip
        expr = sa.type_coerce(expr, ftype.column_type(f))
        self.cache[f.name] = expr
        return expr

    def path(self, path: tuple[str, ...], seen: frozenset[str]) -> Any:
        f = self.table.field_by_name(path[0])  # KeyError: an unknown field (a LookupError)
        if len(path) == 1:
            return self.field(f, seen)
        target = self.rt.table(f.target or "")
        inner = self.rt.model.path_expression(target, path[1:], set())
        ref = self.field(f, seen)
        return sa.select(inner).where(target.sql.c.id == ref).scalar_subquery()

    def _rollup(self, f: Field, grid: _Grid) -> Any:
        r = f.rollup
        assert r is not None
        if r.aggregate == "count":
            return sa.literal(len(grid.lines), sa.Integer())
        if not grid.lines:
            return sa.literal(0, sa.Numeric()) if r.aggregate == "sum" else sa.null()
        value = getattr(sa.func, r.aggregate)(grid.row.field(grid.table.field_by_id(r.field or "")))
        found = sa.select(value).select_from(grid.source).scalar_subquery()
        return sa.func.coalesce(found, 0) if r.aggregate == "sum" else found


def stored_fields(rt: Runtime, table: Table) -> list[Field]:
    """The fields a grid's relation carries: those with a column, computed ones aside."""
    return [f for f in table.fields if f.type not in COMPUTED and rt.types.has_column(f)]


class _Grid:
    """A grid's typed rows as one relation: ``WITH rows(n, <stored fields>) AS (VALUES …)``.
    Its row expressions (:attr:`row`) name the relation's columns, so a 200-line document
    compiles each formula once and is evaluated in one SELECT (it compiled each line's
    formulas with the line's values bound: 2 ms a line)."""

    def __init__(self, rt: Runtime, table: Table, lines: list[dict[str, Any]], n: int) -> None:
        self.table, self.lines = table, lines
        stored = stored_fields(rt, table)
        self.source: Any = None
        if lines:
            columns = [sa.column("uchet_n", sa.Integer())]
            columns += [sa.column(f.name, rt.types.get(f.type).column_type(f)) for f in stored]
            data = [(i, *(line.get(f.name) for f in stored)) for i, line in enumerate(lines)]
            self.source = sa.values(*columns, name=f"uchet_rows_{n}").data(data).cte()
        self.row = _Values(rt, table, {}, source=self.source)

    def select(self, conn: Any, exprs: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row's ``{name: value}`` of ``exprs`` (row expressions), in the rows' order."""
        if not self.lines or not exprs:
            return [{} for _ in self.lines]
        stmt, read = _labelled(exprs)
        stmt = stmt.select_from(self.source).order_by(self.source.c.uchet_n)
        return [read(row) for row in conn.execute(stmt).mappings()]


def compute(
    runtime: Runtime,
    user: User,
    table_id: str,
    values: Mapping[str, Any],
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    record_id: Any = None,
    locale: str | None = None,
) -> LiveResult:
    """The computed fields of ``table_id``'s record with the unsaved ``values`` (text as
    typed; what cannot be read counts as empty) and the grid rows ``rows`` (child table id
    -> the rows' values, in order). ``record_id``: the saved record the card edits, whose
    stored values fill in what the card did not send. The user must be able to read the
    table (and the record): PermissionDenied / NotFound otherwise; TooManyLines (a
    ValueError) for a grid too long to compute in one statement."""
    service = RecordService(runtime, table_id, user, locale)
    locale = service.locale
    service.read_scope()
    saved = service.get(record_id) if record_id is not None else {}
    table = service.table
    result = LiveResult()
    grids: dict[str, _Grid] = {}
    children = {t.id: t for t in grids_of(runtime.config, table_id)}
    # The header's statement carries every grid's rows (its rollups): count them all.
    carried = sum(len(lines) * (len(stored_fields(runtime, children[name])) + 1)
                  for name, lines in rows.items() if name in children)  # fmt: skip
    if carried > MAX_PARAMETERS:
        raise TooManyLines(f"{table_id}: {carried} values are more than one live computation "
                           f"takes")  # fmt: skip
    with runtime.engine.connect() as conn:
        for n, (name, grid_rows) in enumerate(rows.items()):
            child = children.get(name)
            if child is None:
                continue
            RecordService(runtime, child.id, user, locale).read_scope()
            lines = [_typed(runtime, child, r) for r in grid_rows]
            grid = _Grid(runtime, child, lines, n)
            # Empty cells the save would fill through a reference (a line's price from its
            # product) count with that value, as the record service's insert hook gives them.
            result.filled[name] = _filled(conn, runtime, grid, locale)
            if any(result.filled[name]):
                lines = [{**line, **{k: v[2] for k, v in filled.items()}}
                         for line, filled in zip(lines, result.filled[name])]  # fmt: skip
                grid = _Grid(runtime, child, lines, n)
            grids[name] = grid
        header = _Values(runtime, table, {**saved, **_typed(runtime, table, values)}, grids)
        computed = [f for f in table.fields if f.type in COMPUTED]
        result.header = _run(conn, runtime, header, computed, locale)
        for name, grid in grids.items():
            shown = [f for f in grid.table.fields if f.type in COMPUTED]
            result.rows[name] = _run_rows(conn, runtime, grid, shown, locale)
            result.totals[name] = _totals(runtime, grid.table, result.rows[name], grid.lines,
                                          locale)  # fmt: skip
    return result


def _typed(rt: Runtime, table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values the card sent, read by their field types; unreadable or unknown: left out
    (a half-typed «12,» counts as empty until it reads)."""
    typed: dict[str, Any] = {}
    for name, value in values.items():
        if not table.has_field(name):
            continue
        f = table.field_by_name(name)
        if f.type in COMPUTED or not rt.types.has_column(f):
            continue
        try:
            typed[name] = rt.types.get(f.type).parse(f, value)
        except (ParseError, ValueError, TypeError):
            continue
    return typed


def _labelled(exprs: Mapping[str, Any]) -> tuple[Any, Any]:
    """A SELECT of ``{name: expression}`` under safe labels, and how to read a row back."""
    labels = {name: f"c{k}" for k, name in enumerate(exprs)}
    stmt = sa.select(*(e.label(labels[name]) for name, e in exprs.items()))
    return stmt, lambda row: {name: row[label] for name, label in labels.items()}


def _expressions(values: _Values, fields: Sequence[Field]) -> dict[str, Any]:
    exprs: dict[str, Any] = {}
    for f in fields:
        # A definition the engine could not compile shows empty.
        with contextlib.suppress(FormulaError, LookupError, ValueError):
            exprs[f.name] = values.field(f)
    return exprs


def _run(conn: Any, rt: Runtime, record: _Values, fields: Sequence[Field],
         locale: str) -> dict[str, tuple[Any, str]]:  # fmt: skip
    """The computed ``fields`` of one record, shown."""
    exprs = _expressions(record, fields)
    got: Mapping[str, Any] = {}
    if exprs:
        stmt, read = _labelled(exprs)
        got = read(conn.execute(stmt).mappings().one())
    return {f.name: _shown(rt, f, got.get(f.name), locale) for f in fields}


def _run_rows(conn: Any, rt: Runtime, grid: _Grid, fields: Sequence[Field],
              locale: str) -> list[dict[str, tuple[Any, str]]]:  # fmt: skip
    """The computed ``fields`` of each of the grid's rows, shown."""
    got = grid.select(conn, _expressions(grid.row, fields))
    return [{f.name: _shown(rt, f, g.get(f.name), locale) for f in fields} for g in got]


def _filled(conn: Any, rt: Runtime, grid: _Grid,
            locale: str) -> list[dict[str, tuple[Any, str, Any]]]:  # fmt: skip
    """``default_from`` values of each row's empty cells (a product's price once the
    product is chosen), as the record service would fill them on create."""
    exprs: dict[str, Any] = {}
    for f in grid.table.fields:
        if not f.default_from or all(line.get(f.name) is not None for line in grid.lines):
            continue
        with contextlib.suppress(FormulaError, LookupError, ValueError):
            exprs[f.name] = grid.row.path(tuple(f.default_from.split(".")), frozenset())
    got = grid.select(conn, exprs)
    return [{n: (*_shown(rt, grid.table.field_by_name(n), v, locale), v)
             for n, v in row.items() if v is not None and line.get(n) is None}
            for line, row in zip(grid.lines, got)]  # fmt: skip


def _totals(
    rt: Runtime,
    child: Table,
    computed: list[dict[str, tuple[Any, str]]],
    lines: Sequence[Mapping[str, Any]],
    locale: str,
) -> dict[str, tuple[Any, str]]:
    """The grid's total row: each ``totals`` column summed over its rows (computed columns
    as the database computed them, stored ones as typed)."""
    assert child.grid is not None
    out: dict[str, tuple[Any, str]] = {}
    for fid in child.grid.totals:
        f = child.field_by_id(fid)
        total = Decimal(0)
        for done, line in zip(computed, lines):
            value = done[f.name][0] if f.name in done else line.get(f.name)
            if value not in (None, ""):
                total += Decimal(str(value))
        out[f.name] = _shown(rt, f, total, locale)
    return out


def _shown(rt: Runtime, f: Field, value: Any, locale: str) -> tuple[Any, str]:
    if value is None:
        return None, ""
    ftype = rt.types.get(f.type)
    text = ftype.format(f, value, locale)
    dumped = ftype.dump(f, value)
    if isinstance(dumped, Decimal):
        dumped = str(dumped)
    return dumped, text
