"""The formula language's tree: errors, AST nodes, operator precedence and tree utilities.

:mod:`uchet.platform.formula.parser` turns formula text into these immutable nodes;
:mod:`uchet.platform.formula.sql` type-checks them and compiles them to SQLAlchemy. This module
also writes a tree back as text (:func:`to_source`), which needs the same precedence table
the parser reads with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from uchet.platform.model.errors import UchetError

MAX_LENGTH = 2000
"""Longest formula text accepted, in characters."""

MAX_DEPTH = 50
"""Deepest nesting accepted: tree levels, counting each pair of parentheses."""


class FormulaError(UchetError, ValueError):
    """A formula cannot be used: unknown function, wrong arguments or types.

    ``position`` is the 0-based character offset of the offending part of the
    formula, or ``None`` when the problem has no single place.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class FormulaSyntaxError(FormulaError):
    """The formula text is malformed; ``position`` is a 0-based offset."""

    position: int

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message, position)


def at_column(position: int) -> str:
    """Return ``"at column N"`` for a 0-based offset, as used in error messages."""
    return f"at column {position + 1}"


# --------------------------------------------------------------------------- AST

LiteralValue = int | Decimal | str | bool | None


@dataclass(frozen=True)
class Literal:
    """A constant: integer, Decimal, text, boolean or ``null`` (``None``)."""

    value: LiteralValue
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class FieldRef:
    """A field of the current record, or a dotted path through references."""

    path: tuple[str, ...]
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Param:
    """``$name``: a value given when the formula runs, such as a report's parameter.

    Only callers that pass values for parameters accept it (report conditions); anywhere
    else compiling it is an error naming the parameter.
    """

    name: str
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class UnaryOp:
    """``-operand`` or ``not operand``."""

    op: str
    operand: Expr
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class BinaryOp:
    """``left op right``; ``op`` is one of :data:`BINARY_OPERATORS`."""

    op: str
    left: Expr
    right: Expr
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Call:
    """A function call; ``name`` is lower-case."""

    name: str
    args: tuple[Expr, ...]
    pos: int = field(default=0, compare=False, repr=False)


Expr = Literal | FieldRef | Param | UnaryOp | BinaryOp | Call
"""Any formula node."""

COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
# Binding power of each binary operator (higher binds tighter).
BINARY_OPERATORS: dict[str, int] = {
    "or": 10,
    "and": 20,
    **dict.fromkeys(COMPARISONS, 40),
    "+": 50,
    "-": 50,
    "*": 60,
    "/": 60,
    "%": 60,
}
#: Binding power of ``not``, unary ``-`` and atoms (operands of the parser and printer).
NOT_POWER = 30
NEG_POWER = 70
ATOM_POWER = 100


# ---------------------------------------------------------------------- utilities


def children(expr: Expr) -> tuple[Expr, ...]:
    """Return the direct sub-expressions of a node, left to right."""
    if isinstance(expr, UnaryOp):
        return (expr.operand,)
    if isinstance(expr, BinaryOp):
        return (expr.left, expr.right)
    if isinstance(expr, Call):
        return expr.args
    return ()


def iter_nodes(expr: Expr) -> Iterator[Expr]:
    """Yield every node of the tree, parents before children (no recursion)."""
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def references(expr: Expr) -> set[tuple[str, ...]]:
    """Return the paths of all fields the formula reads."""
    return {node.path for node in iter_nodes(expr) if isinstance(node, FieldRef)}


def parameters(expr: Expr) -> set[str]:
    """Return the names of the ``$parameters`` the formula uses."""
    return {node.name for node in iter_nodes(expr) if isinstance(node, Param)}


def _power(expr: Expr) -> int:
    if isinstance(expr, BinaryOp):
        return BINARY_OPERATORS[expr.op]
    if isinstance(expr, UnaryOp):
        return NOT_POWER if expr.op == "not" else NEG_POWER
    return ATOM_POWER


def _wrap(expr: Expr, parens: bool) -> str:
    text = to_source(expr)
    return f"({text})" if parens else text


def to_source(expr: Expr) -> str:
    """Write a tree back as formula text that parses to an equal tree.

    Useful to rewrite a formula, e.g. after a field is renamed. Parentheses
    are added only where precedence needs them.
    """
    if isinstance(expr, Literal):
        value = expr.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            escaped = value.replace("\\", "\\\\").replace("'", "\\'")
            return "'" + escaped.replace("\n", "\\n").replace("\r", "\\r") + "'"
        if isinstance(value, Decimal):
            return format(value, "f")
        return str(value)
    if isinstance(expr, FieldRef):
        return ".".join(expr.path)
    if isinstance(expr, Param):
        return "$" + expr.name
    if isinstance(expr, Call):
        return f"{expr.name}({', '.join(to_source(arg) for arg in expr.args)})"
    if isinstance(expr, UnaryOp):
        inner = _power(expr.operand)
        if expr.op == "not":
            return "not " + _wrap(expr.operand, inner < NOT_POWER)
        return "-" + _wrap(expr.operand, inner < NEG_POWER)
    power = BINARY_OPERATORS[expr.op]
    left_parens = _power(expr.left) < power or (
        expr.op in COMPARISONS and _power(expr.left) == power
    )
    right_parens = _power(expr.right) <= power
    return f"{_wrap(expr.left, left_parens)} {expr.op} {_wrap(expr.right, right_parens)}"
