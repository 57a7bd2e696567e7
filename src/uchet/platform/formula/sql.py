"""Formulas of computed fields, compiled to SQLAlchemy expressions.

End users write formulas such as ``qty * price``, ``today() - started`` or
``if(paid >= total, 'paid', 'unpaid')``. :func:`parse` reads the text
(:mod:`uchet.platform.formula.parser` holds the grammar) and checks function
names; :func:`compile_expr` turns the tree into a SQLAlchemy column
expression for SQLite or PostgreSQL. Nothing is ever ``eval``-ed and no SQL
is built by string formatting: constants become bound parameters
(architecture rule 8).

Every compiled node carries its SQLAlchemy type, so the compiler knows that
``date - date`` is a number of days and ``date + 3`` is a date.
:func:`infer_type` gives the result type of a formula without a database.

Functions live in the :data:`FUNCTIONS` registry (name -> :class:`FunctionSpec`) of
:mod:`uchet.platform.formula.functions`, re-exported here;
an embedding application may add entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import Null
from sqlalchemy.types import TypeEngine

from uchet.platform.formula.parser import (
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
    Param,
    UnaryOp,
    at_column,
    children,
    parameters,
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
    "Param",
    "UnaryOp",
    "as_date",
    "check",
    "common_type",
    "compile_expr",
    "days_between",
    "infer_type",
    "kind_of",
    "param_value",
    "parameters",
    "parse",
    "references",
    "to_source",
]

from uchet.platform.formula.functions import (
    DATES,
    DIALECTS,
    FUNCTIONS,
    KIND_WORDS,
    NUMBERS,
    POSTGRESQL,
    SQLITE,
    Column,
    FunctionSpec,
    Resolve,
    add_days,
    as_date,
    common_type,
    days_between,
    is_decimal,
    is_text_literal,
    kind_of,
)

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

    def __init__(
        self, resolve: Resolve, dialect: str, params: Mapping[str, Column] | None = None
    ) -> None:
        self.resolve = resolve
        self.dialect = dialect
        self.params = params
        self.fields: dict[tuple[str, ...], Column] = {}

    def compile(self, node: Expr) -> Column:
        if isinstance(node, Literal):
            return self.literal(node.value)
        if isinstance(node, FieldRef):
            return self.field(node)
        if isinstance(node, Param):
            return self.param(node)
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

    def param(self, node: Param) -> Column:
        if self.params is None:
            raise FormulaError(
                f"'${node.name}' {at_column(node.pos)}: parameters can only be used where "
                "the formula is given values for them (a report's condition)",
                node.pos,
            )
        if node.name not in self.params:
            known = ", ".join("$" + name for name in sorted(self.params)) or "none"
            raise FormulaError(
                f"unknown parameter '${node.name}' {at_column(node.pos)}; known: {known}",
                node.pos,
            )
        return self.params[node.name]

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
        word = KIND_WORDS[kind_of(operand.type)]
        return FormulaError(
            f"'{node.op}' cannot take {word} {at_column(node.pos)}{advice}", node.pos
        )

    def unary(self, node: UnaryOp) -> Column:
        operand = self.compile(node.operand)
        if node.op == "not":
            return sa.type_coerce(sa.not_(operand), sa.Boolean())
        if kind_of(operand.type) in DATES | {"string", "boolean"}:
            raise self.fail(node, operand)
        return operators.neg(operand)

    def binary(self, node: BinaryOp) -> Column:
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op in ("and", "or"):
            return (sa.and_ if node.op == "and" else sa.or_)(left, right)
        kinds = kind_of(left.type), kind_of(right.type)
        # A text constant next to a date is read as a date: started >= '2024-01-01'.
        if kinds[0] in DATES and is_text_literal(right):
            right = self.date_literal(right, kinds[0], node)
        elif kinds[1] in DATES and is_text_literal(left):
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
        if op == "+" and kinds[0] in DATES and kinds[1] in DATES:
            raise self.fail(node, right, "; subtract dates to count days")
        if op == "+" and DATES.intersection(kinds):
            day, count = (left, right) if kinds[0] in DATES else (right, left)
            return add_days(day, count, self.dialect)
        if op == "-" and kinds[0] in DATES:
            if kinds[1] in DATES:
                return days_between(left, right, self.dialect)
            return add_days(left, right, self.dialect, negate=True)
        for operand in (left, right):
            if kind_of(operand.type) in DATES:
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
        if kinds <= NUMBERS:
            return sa.type_coerce(result, sa.Numeric())
        return result

    def divide(self, left: Column, right: Column) -> Column:
        """Divide as numbers (never integer division); by zero gives NULL."""
        if self.dialect == SQLITE:
            left = sa.cast(left, sa.Float())
        elif not is_decimal(left.type):
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


def compile_expr(
    expr: Expr, resolve: Resolve, dialect: str, params: Mapping[str, Column] | None = None
) -> Column:
    """Compile a formula tree to a SQLAlchemy column expression.

    Args:
        expr: a tree from :func:`parse`.
        resolve: maps a field path such as ``("client", "city")`` to a column
            expression (a column, or a correlated scalar subquery for a dotted
            path). Its ``.type`` drives date and division rules. It should
            raise ``LookupError`` for an unknown field. Called once per path.
        dialect: ``"sqlite"`` or ``"postgresql"``.
        params: the values of ``$name`` parameters, as typed SQL expressions (bound
            parameters, see :func:`param_value`). ``None`` (formula fields, notification
            conditions) refuses every ``$name``; an empty mapping refuses unknown names.

    Returns:
        An expression whose ``.type`` is the formula's result type.

    Raises:
        FormulaError: unknown function or field, wrong argument count, or
            operands of the wrong type (e.g. text with ``+``).
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unsupported dialect {dialect!r}; expected one of {DIALECTS}")
    check(expr)
    return _Compiler(resolve, dialect, params).compile(expr)


def param_value(value: Any, type_: TypeEngine[Any], dialect: str) -> Column:
    """A parameter's value as a bound SQL parameter of ``type_`` (never inlined text).

    On PostgreSQL the parameter is also cast to the type: an empty (``None``) value has no
    type of its own there, and ``$date_from = null`` must still compile.
    """
    bound = sa.literal(value, type_)
    if dialect == POSTGRESQL:
        return sa.cast(bound, type_)
    return bound


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
