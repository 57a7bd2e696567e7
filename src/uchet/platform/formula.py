"""Formulas of computed fields, compiled to SQLAlchemy expressions.

End users write formulas such as ``qty * price``, ``today() - started`` or
``if(paid >= total, 'paid', 'unpaid')``. :func:`parse` reads the text
(:mod:`uchet.platform.formula_parser` holds the grammar) and checks function
names; :func:`compile_expr` turns the tree into a SQLAlchemy column
expression for SQLite or PostgreSQL. Nothing is ever ``eval``-ed and no SQL
is built by string formatting: constants become bound parameters
(architecture rule 8).

Every compiled node carries its SQLAlchemy type, so the compiler knows that
``date - date`` is a number of days and ``date + 3`` is a date.
:func:`infer_type` gives the result type of a formula without a database.

Functions live in the :data:`FUNCTIONS` registry (name -> :class:`FunctionSpec`);
an embedding application may add entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BindParameter, Null
from sqlalchemy.types import NULLTYPE, TypeEngine

from uchet.platform.formula_parser import (
    COMPARISONS,
    MAX_DEPTH,
    MAX_LENGTH,
    BinaryOp,
    Call,
    Expr,
    FieldRef,
    FormulaError,
    FormulaSyntaxError,
    Literal,
    UnaryOp,
    at_column,
    children,
    parse_syntax,
    references,
    to_source,
)

__all__ = [
    "DIALECTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "BinaryOp",
    "Call",
    "Expr",
    "FieldRef",
    "FormulaError",
    "FormulaSyntaxError",
    "FunctionSpec",
    "Literal",
    "UnaryOp",
    "as_date",
    "check",
    "common_type",
    "compile_expr",
    "days_between",
    "infer_type",
    "kind_of",
    "parse",
    "references",
    "to_source",
]

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
DIALECTS = (SQLITE, POSTGRESQL)

Column = ColumnElement[Any]
Resolve = Callable[[tuple[str, ...]], Column]
"""Maps a field path to a column expression; raises ``LookupError`` if unknown."""


@dataclass(frozen=True)
class FunctionSpec:
    """A formula function: how many arguments it takes and how it compiles.

    ``compile(args, dialect)`` receives the compiled arguments (each with a
    meaningful ``.type``) and the dialect name, and returns an expression
    whose ``.type`` is the result type. It may raise :class:`FormulaError`
    with a message about the arguments; the caller adds the position.
    ``max_args`` is ``None`` for any number of arguments.
    """

    min_args: int
    max_args: int | None
    compile: Callable[[Sequence[Column], str], Column]
    doc: str = ""


# ------------------------------------------------------------------------- types

_DATES = frozenset({"date", "datetime"})
_NUMBERS = frozenset({"integer", "numeric"})
_WORDS = {
    "integer": "a number",
    "numeric": "a number",
    "string": "text",
    "boolean": "true/false",
    "date": "a date",
    "datetime": "a date and time",
    "unknown": "null",
    "other": "a value of another type",
}
_GENERIC: dict[str, Callable[[], TypeEngine[Any]]] = {
    "integer": sa.Integer,
    "numeric": sa.Numeric,
    "string": sa.String,
    "boolean": sa.Boolean,
    "date": sa.Date,
    "datetime": sa.DateTime,
}


def kind_of(type_: TypeEngine[Any]) -> str:
    """Classify a SQLAlchemy type for the formula rules.

    Returns one of ``integer numeric string boolean date datetime unknown
    other``; ``unknown`` is the type of ``null`` and of untyped expressions.
    """
    for cls, kind in (
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.Boolean, "boolean"),
        (sa.Integer, "integer"),
        (sa.Numeric, "numeric"),
        (sa.String, "string"),
        (sa.types.NullType, "unknown"),
    ):
        if isinstance(type_, cls):
            return kind
    return "other"


def common_type(types: Sequence[TypeEngine[Any]]) -> TypeEngine[Any]:
    """Return the type of a value that may come from any of ``types``.

    Integers mixed with decimals give ``Numeric``, dates mixed with datetimes
    give ``DateTime``; ``null`` operands are ignored.
    """
    known = [t for t in types if kind_of(t) != "unknown"]
    kinds = {kind_of(t) for t in known}
    if not kinds:
        return NULLTYPE
    if len(kinds) > 1 and kinds <= _NUMBERS:
        return sa.Numeric()
    if len(kinds) > 1 and kinds <= _DATES:
        return sa.DateTime()
    if len(kinds) == 1 and (kind := kinds.pop()) in _GENERIC:
        return _GENERIC[kind]()
    return known[0]


def _is_text_literal(element: Column) -> bool:
    return isinstance(element, BindParameter) and isinstance(element.value, str)


def _is_decimal(type_: TypeEngine[Any]) -> bool:
    return isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float)


def _require(args: Sequence[Column], allowed: frozenset[str], what: str) -> None:
    for number, arg in enumerate(args, 1):
        kind = kind_of(arg.type)
        if kind not in allowed and kind not in ("unknown", "other"):
            raise FormulaError(f"argument {number} must be {what}, not {_WORDS[kind]}")


def as_date(element: Column, dialect: str, *, with_time: bool = False) -> Column:
    """Make ``element`` usable where a date is expected.

    A text constant in ISO form (``'2024-03-01'``) becomes a date (or, with
    ``with_time``, a datetime) parameter; on PostgreSQL text and untyped
    expressions are cast to ``DATE``. Other expressions pass unchanged.
    """
    if isinstance(element, BindParameter) and isinstance(element.value, str):
        text = element.value
        try:
            if not with_time:
                return sa.literal(dt.date.fromisoformat(text), sa.Date())
        except ValueError:
            pass
        try:
            return sa.literal(dt.datetime.fromisoformat(text), sa.DateTime())
        except ValueError:
            raise FormulaError(f"{text!r} is not a date; write dates as 'YYYY-MM-DD'") from None
    if dialect == POSTGRESQL and kind_of(element.type) in ("string", "unknown"):
        return sa.cast(element, sa.Date())
    return element


def _unify(args: Sequence[Column], dialect: str) -> list[Column]:
    """Read text constants as dates when other arguments are dates."""
    kinds = {kind_of(arg.type) for arg in args}
    if not kinds & _DATES:
        return list(args)
    with_time = "datetime" in kinds
    return [as_date(a, dialect, with_time=with_time) if _is_text_literal(a) else a for a in args]


def days_between(later: Column, earlier: Column, dialect: str) -> Column:
    """Whole days from ``earlier`` to ``later``; datetimes count by their date."""
    later, earlier = as_date(later, dialect), as_date(earlier, dialect)
    if dialect == SQLITE:

        def julian(x: Column) -> Column:
            day = x if kind_of(x.type) == "date" else func.date(x, type_=sa.Date())
            return func.julianday(day, type_=sa.Float())

        return sa.cast(julian(later) - julian(earlier), sa.Integer())

    def day(x: Column) -> Column:
        return x if kind_of(x.type) == "date" else sa.cast(x, sa.Date())

    return sa.type_coerce(day(later) - day(earlier), sa.Integer())


def _add_days(day: Column, count: Column, dialect: str, *, negate: bool = False) -> Column:
    """``day`` plus ``count`` days (minus when ``negate``); keeps date or datetime."""
    if isinstance(count, Null):
        count = sa.cast(count, sa.Integer())
    elif kind_of(count.type) != "integer":  # whole days, truncated toward zero
        numeric = dialect == POSTGRESQL and kind_of(count.type) == "numeric"
        count = sa.cast(func.trunc(count) if numeric else count, sa.Integer())
    if negate:
        count = operators.neg(count)
    is_date = kind_of(day.type) == "date"
    if dialect == SQLITE:
        # date(d, '-3 days'): a leading '+' would make '+-3 days', which SQLite rejects.
        modifier = count.concat(sa.literal(" days", sa.String()))
        if is_date:
            return func.date(day, modifier, type_=sa.Date())
        return func.datetime(day, modifier, type_=sa.DateTime())
    if is_date:
        return sa.type_coerce(day + count, sa.Date())
    one_day = sa.literal(dt.timedelta(days=1), sa.Interval())
    return sa.type_coerce(day + count * one_day, sa.DateTime())


# --------------------------------------------------------------------- functions


def _today(args: Sequence[Column], dialect: str) -> Column:
    if dialect == SQLITE:
        return func.date(sa.literal("now"), sa.literal("localtime"), type_=sa.Date())
    return func.current_date(type_=sa.Date())


def _now(args: Sequence[Column], dialect: str) -> Column:
    if dialect == SQLITE:
        return func.datetime(sa.literal("now"), sa.literal("localtime"), type_=sa.DateTime())
    return func.localtimestamp(type_=sa.DateTime())


def _if(args: Sequence[Column], dialect: str) -> Column:
    condition = args[0]
    then, otherwise = _unify(args[1:], dialect)
    return sa.type_coerce(
        sa.case((condition, then), else_=otherwise), common_type([then.type, otherwise.type])
    )


def _coalesce(args: Sequence[Column], dialect: str) -> Column:
    args = _unify(args, dialect)
    return func.coalesce(*args, type_=common_type([a.type for a in args]))


def _round(args: Sequence[Column], dialect: str) -> Column:
    _require(args, _NUMBERS, "a number")
    value = args[0]
    if len(args) == 1 and kind_of(value.type) == "integer":
        return value
    if dialect == POSTGRESQL and not _is_decimal(value.type) and kind_of(value.type) != "integer":
        value = sa.cast(value, sa.Numeric())  # PostgreSQL has no round(float, int)
    if len(args) == 1:
        return func.round(value, type_=sa.Numeric())
    digits = args[1]
    if kind_of(digits.type) != "integer":
        digits = sa.cast(digits, sa.Integer())
    return func.round(value, digits, type_=sa.Numeric())


def _abs(args: Sequence[Column], dialect: str) -> Column:
    _require(args, _NUMBERS, "a number")
    return func.abs(args[0], type_=common_type([args[0].type]))


def _extreme(smallest: bool) -> Callable[[Sequence[Column], str], Column]:
    def compile_extreme(args: Sequence[Column], dialect: str) -> Column:
        args = _unify(args, dialect)
        type_ = common_type([a.type for a in args])
        if dialect == POSTGRESQL:
            pick = func.least if smallest else func.greatest
            return pick(*args, type_=type_)
        # SQLite's scalar min()/max() return NULL if any argument is NULL, while
        # LEAST/GREATEST skip NULLs. Filling each NULL from the other arguments
        # gives PostgreSQL's answer on SQLite too.
        filled = [
            func.coalesce(arg, *(o for j, o in enumerate(args) if j != i), type_=type_)
            for i, arg in enumerate(args)
        ]
        return func.min(*filled, type_=type_) if smallest else func.max(*filled, type_=type_)

    return compile_extreme


def _text(value: Column, dialect: str) -> Column:
    if dialect == SQLITE or kind_of(value.type) == "string":
        return value
    return sa.cast(value, sa.String())


def _lower(args: Sequence[Column], dialect: str) -> Column:
    return func.lower(_text(args[0], dialect), type_=sa.String())


def _upper(args: Sequence[Column], dialect: str) -> Column:
    return func.upper(_text(args[0], dialect), type_=sa.String())


def _length(args: Sequence[Column], dialect: str) -> Column:
    return func.length(_text(args[0], dialect), type_=sa.Integer())


def _concat(args: Sequence[Column], dialect: str) -> Column:
    if dialect == POSTGRESQL:
        return func.concat(*args, type_=sa.String())
    parts: list[Column] = [
        func.coalesce(a, sa.literal("", sa.String()), type_=sa.String()) for a in args
    ]
    joined = reduce(lambda left, right: left.concat(right), parts)
    return sa.type_coerce(joined, sa.String())


def _days(args: Sequence[Column], dialect: str) -> Column:
    _require(args, _DATES | {"string"}, "a date")
    return days_between(args[0], args[1], dialect)


def _date_part(part: str) -> Callable[[Sequence[Column], str], Column]:
    def compile_part(args: Sequence[Column], dialect: str) -> Column:
        _require(args, _DATES | {"string"}, "a date")
        extracted = sa.extract(part, as_date(args[0], dialect))
        if dialect == POSTGRESQL:  # EXTRACT gives numeric on PostgreSQL 14+
            return sa.cast(extracted, sa.Integer())
        return sa.type_coerce(extracted, sa.Integer())  # SQLite: CAST(strftime(..))

    return compile_part


FUNCTIONS: dict[str, FunctionSpec] = {
    "today": FunctionSpec(0, 0, _today, "today(): the current local date"),
    "now": FunctionSpec(0, 0, _now, "now(): the current local date and time"),
    "if": FunctionSpec(3, 3, _if, "if(condition, then, otherwise)"),
    "coalesce": FunctionSpec(2, None, _coalesce, "coalesce(a, b, ...): first non-null"),
    "round": FunctionSpec(1, 2, _round, "round(x[, digits]): half away from zero"),
    "abs": FunctionSpec(1, 1, _abs, "abs(x): absolute value"),
    "min": FunctionSpec(2, None, _extreme(smallest=True), "min(a, b, ...): smallest"),
    "max": FunctionSpec(2, None, _extreme(smallest=False), "max(a, b, ...): largest"),
    "lower": FunctionSpec(1, 1, _lower, "lower(text)"),
    "upper": FunctionSpec(1, 1, _upper, "upper(text)"),
    "length": FunctionSpec(1, 1, _length, "length(text): number of characters"),
    "concat": FunctionSpec(1, None, _concat, "concat(a, ...): join as text, null as ''"),
    "days": FunctionSpec(2, 2, _days, "days(a, b): whole days from date b to date a"),
    "year": FunctionSpec(1, 1, _date_part("year"), "year(date)"),
    "month": FunctionSpec(1, 1, _date_part("month"), "month(date): 1 to 12"),
}
"""The function registry: lower-case name -> :class:`FunctionSpec`."""


# ----------------------------------------------------------------------- checking


def _arity(spec: FunctionSpec) -> str:
    if spec.max_args is None:
        return f"at least {spec.min_args}"
    if spec.max_args == spec.min_args:
        return str(spec.min_args)
    return f"{spec.min_args} to {spec.max_args}"


def check(expr: Expr) -> Expr:
    """Check function names, argument counts and depth; return ``expr``.

    Raises:
        FormulaError: an unknown function, a wrong number of arguments, or a
            tree deeper than :data:`MAX_DEPTH` (possible for hand-built trees).
    """
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormulaError(
                f"formula nests deeper than {MAX_DEPTH} levels {at_column(node.pos)}", node.pos
            )
        if isinstance(node, Call):
            spec = FUNCTIONS.get(node.name)
            if spec is None:
                raise FormulaError(
                    f"unknown function '{node.name}' {at_column(node.pos)}; "
                    f"known: {', '.join(sorted(FUNCTIONS))}",
                    node.pos,
                )
            count = len(node.args)
            if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
                raise FormulaError(
                    f"{node.name}() {at_column(node.pos)} takes {_arity(spec)} "
                    f"argument(s), got {count}",
                    node.pos,
                )
        stack.extend((child, depth + 1) for child in reversed(children(node)))
    return expr


def parse(text: str) -> Expr:
    """Parse a formula and check its function calls.

    Raises:
        FormulaSyntaxError: the text is malformed (position and column given).
        FormulaError: a function is unknown or has the wrong number of arguments.
    """
    return check(parse_syntax(text))


# ---------------------------------------------------------------------- compiling

_COMPARE: dict[str, Callable[[Any, Any], Column]] = {
    "=": operators.eq,
    "!=": operators.ne,
    "<": operators.lt,
    "<=": operators.le,
    ">": operators.gt,
    ">=": operators.ge,
}


class _Compiler:
    """Compiles one formula tree; each node's result carries its type."""

    def __init__(self, resolve: Resolve, dialect: str) -> None:
        self.resolve = resolve
        self.dialect = dialect
        self.fields: dict[tuple[str, ...], Column] = {}

    def compile(self, node: Expr) -> Column:
        if isinstance(node, Literal):
            return self.literal(node.value)
        if isinstance(node, FieldRef):
            return self.field(node)
        if isinstance(node, UnaryOp):
            return self.unary(node)
        if isinstance(node, BinaryOp):
            return self.binary(node)
        return self.call(node)

    @staticmethod
    def literal(value: object) -> Column:
        if value is None:
            return sa.null()
        if isinstance(value, bool):
            return sa.literal(value, sa.Boolean())
        if isinstance(value, int):
            if abs(value) < 2**31:
                return sa.literal(value, sa.Integer())
            if abs(value) < 2**63:
                return sa.literal(value, sa.BigInteger())
            return sa.literal(Decimal(value), sa.Numeric())
        if isinstance(value, Decimal):
            return sa.literal(value, sa.Numeric())
        return sa.literal(str(value), sa.String())

    def field(self, node: FieldRef) -> Column:
        if node.path not in self.fields:
            try:
                self.fields[node.path] = self.resolve(node.path)
            except LookupError:
                name = ".".join(node.path)
                raise FormulaError(
                    f"unknown field '{name}' {at_column(node.pos)}", node.pos
                ) from None
        return self.fields[node.path]

    def call(self, node: Call) -> Column:
        args = [self.compile(arg) for arg in node.args]
        try:
            return FUNCTIONS[node.name].compile(args, self.dialect)
        except FormulaError as exc:
            if exc.position is not None:
                raise
            raise FormulaError(
                f"{node.name}() {at_column(node.pos)}: {exc.message}", node.pos
            ) from None

    def fail(self, node: UnaryOp | BinaryOp, operand: Column, advice: str = "") -> FormulaError:
        word = _WORDS[kind_of(operand.type)]
        return FormulaError(
            f"'{node.op}' cannot take {word} {at_column(node.pos)}{advice}", node.pos
        )

    def unary(self, node: UnaryOp) -> Column:
        operand = self.compile(node.operand)
        if node.op == "not":
            return sa.type_coerce(sa.not_(operand), sa.Boolean())
        if kind_of(operand.type) in _DATES | {"string", "boolean"}:
            raise self.fail(node, operand)
        return operators.neg(operand)

    def binary(self, node: BinaryOp) -> Column:
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op in ("and", "or"):
            return (sa.and_ if node.op == "and" else sa.or_)(left, right)
        kinds = kind_of(left.type), kind_of(right.type)
        # A text constant next to a date is read as a date: started >= '2024-01-01'.
        if kinds[0] in _DATES and _is_text_literal(right):
            right = self.date_literal(right, kinds[0], node)
        elif kinds[1] in _DATES and _is_text_literal(left):
            left = self.date_literal(left, kinds[1], node)
        if node.op in COMPARISONS:
            if isinstance(left, Null) and node.op in ("=", "!="):
                left, right = right, left  # null = x  ->  x IS NULL
            return _COMPARE[node.op](left, right)
        return self.arithmetic(node, left, right)

    def date_literal(self, text: Column, kind: str, node: BinaryOp) -> Column:
        try:
            return as_date(text, self.dialect, with_time=kind == "datetime")
        except FormulaError as exc:
            raise FormulaError(f"{exc.message} {at_column(node.pos)}", node.pos) from None

    def arithmetic(self, node: BinaryOp, left: Column, right: Column) -> Column:
        op = node.op
        kinds = kind_of(left.type), kind_of(right.type)
        for operand in (left, right):
            if kind_of(operand.type) in ("string", "boolean"):
                advice = "; join text with concat(a, b)" if op == "+" else ""
                raise self.fail(node, operand, advice)
        if op == "+" and kinds[0] in _DATES and kinds[1] in _DATES:
            raise self.fail(node, right, "; subtract dates to count days")
        if op == "+" and _DATES.intersection(kinds):
            day, count = (left, right) if kinds[0] in _DATES else (right, left)
            return _add_days(day, count, self.dialect)
        if op == "-" and kinds[0] in _DATES:
            if kinds[1] in _DATES:
                return days_between(left, right, self.dialect)
            return _add_days(left, right, self.dialect, negate=True)
        for operand in (left, right):
            if kind_of(operand.type) in _DATES:
                raise self.fail(node, operand)
        if op == "/":
            return self.divide(left, right)
        if op == "%":
            return self.modulo(left, right)
        function = {"+": operators.add, "-": operators.sub, "*": operators.mul}[op]
        return self.numeric(function(left, right), left, right)

    @staticmethod
    def numeric(result: Column, left: Column, right: Column) -> Column:
        kinds = {kind_of(left.type), kind_of(right.type)} - {"unknown"}
        if kinds and kinds <= {"integer"}:
            return sa.type_coerce(result, sa.Integer())
        if kinds <= _NUMBERS:
            return sa.type_coerce(result, sa.Numeric())
        return result

    def divide(self, left: Column, right: Column) -> Column:
        """Divide as numbers (never integer division); by zero gives NULL."""
        if self.dialect == SQLITE:
            left = sa.cast(left, sa.Float())
        elif not _is_decimal(left.type):
            left = sa.cast(left, sa.Numeric())
        divisor = func.nullif(right, sa.literal(0, sa.Integer()), type_=right.type)
        return sa.type_coerce(left / divisor, sa.Numeric())

    def modulo(self, left: Column, right: Column) -> Column:
        """Take the remainder; by zero gives NULL. SQLite truncates non-integers."""
        if self.dialect == POSTGRESQL:  # PostgreSQL has no % for double precision
            left, right = (
                sa.cast(x, sa.Numeric()) if isinstance(x.type, sa.Float) else x
                for x in (left, right)
            )
        divisor = func.nullif(right, sa.literal(0, sa.Integer()), type_=right.type)
        return self.numeric(left % divisor, left, right)


def compile_expr(expr: Expr, resolve: Resolve, dialect: str) -> Column:
    """Compile a formula tree to a SQLAlchemy column expression.

    Args:
        expr: a tree from :func:`parse`.
        resolve: maps a field path such as ``("client", "city")`` to a column
            expression (a column, or a correlated scalar subquery for a dotted
            path). Its ``.type`` drives date and division rules. It should
            raise ``LookupError`` for an unknown field. Called once per path.
        dialect: ``"sqlite"`` or ``"postgresql"``.

    Returns:
        An expression whose ``.type`` is the formula's result type.

    Raises:
        FormulaError: unknown function or field, wrong argument count, or
            operands of the wrong type (e.g. text with ``+``).
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unsupported dialect {dialect!r}; expected one of {DIALECTS}")
    check(expr)
    return _Compiler(resolve, dialect).compile(expr)


def infer_type(
    expr: Expr,
    field_type: Callable[[tuple[str, ...]], TypeEngine[Any] | type[TypeEngine[Any]]],
    dialect: str = SQLITE,
) -> TypeEngine[Any]:
    """Return the result type of a formula, given the type of each field.

    The same rules as :func:`compile_expr` apply (it compiles against
    stand-in columns), e.g. ``Date - Date`` is ``Integer``, ``/`` is
    ``Numeric`` and comparisons are ``Boolean``.
    """

    def stand_in(path: tuple[str, ...]) -> Column:
        return sa.column(".".join(path), field_type(path))

    return compile_expr(expr, stand_in, dialect).type
