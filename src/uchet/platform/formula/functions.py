"""The types and functions of the formula language (see :mod:`uchet.platform.formula.sql`).

Type rules (what ``kind_of`` a column is, which types mix) and the :data:`FUNCTIONS`
registry: each function knows its arity and how it compiles on SQLite and PostgreSQL.
An embedding application may add entries to the registry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BindParameter, Null
from sqlalchemy.types import NULLTYPE, TypeEngine

from uchet.platform.formula.parser import FormulaError

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

DATES = frozenset({"date", "datetime"})
NUMBERS = frozenset({"integer", "numeric"})
KIND_WORDS = {
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
    if len(kinds) > 1 and kinds <= NUMBERS:
        return sa.Numeric()
    if len(kinds) > 1 and kinds <= DATES:
        return sa.DateTime()
    if len(kinds) == 1 and (kind := kinds.pop()) in _GENERIC:
        return _GENERIC[kind]()
    return known[0]


def is_text_literal(element: Column) -> bool:
    return isinstance(element, BindParameter) and isinstance(element.value, str)


def is_decimal(type_: TypeEngine[Any]) -> bool:
    return isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float)


def _require(args: Sequence[Column], allowed: frozenset[str], what: str) -> None:
    for number, arg in enumerate(args, 1):
        kind = kind_of(arg.type)
        if kind not in allowed and kind not in ("unknown", "other"):
            raise FormulaError(f"argument {number} must be {what}, not {KIND_WORDS[kind]}")


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
    if not kinds & DATES:
        return list(args)
    with_time = "datetime" in kinds
    return [as_date(a, dialect, with_time=with_time) if is_text_literal(a) else a for a in args]


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


def add_days(day: Column, count: Column, dialect: str, *, negate: bool = False) -> Column:
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
    _require(args, NUMBERS, "a number")
    value = args[0]
    if len(args) == 1 and kind_of(value.type) == "integer":
        return value
    if dialect == POSTGRESQL and not is_decimal(value.type) and kind_of(value.type) != "integer":
        value = sa.cast(value, sa.Numeric())  # PostgreSQL has no round(float, int)
    if len(args) == 1:
        return func.round(value, type_=sa.Numeric())
    digits = args[1]
    if kind_of(digits.type) != "integer":
        digits = sa.cast(digits, sa.Integer())
    return func.round(value, digits, type_=sa.Numeric())


def _abs(args: Sequence[Column], dialect: str) -> Column:
    _require(args, NUMBERS, "a number")
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


def _number(args: Sequence[Column], dialect: str) -> Column:
    """Text that spells a decimal number ("22", "-1.5") as that number; anything else
    (a choice value such as "none", empty text) as null. A number stays as it is. The
    check comes first so PostgreSQL never casts text that is not a number (which fails)."""
    value = args[0]
    kind = kind_of(value.type)
    if kind in ("integer", "numeric"):
        return value
    if kind not in ("string", "unknown"):
        raise FormulaError(f"number() takes text, not {KIND_WORDS.get(kind, kind)}")
    text = sa.func.trim(_text(value, dialect), type_=sa.String())
    is_number: Column
    if dialect == POSTGRESQL:
        is_number = text.op("~", is_comparison=True)(r"^-?[0-9]+(\.[0-9]+)?$")
    else:  # GLOB has no repetition: no character outside "0-9.-", one dot at most
        glob = text.op("GLOB", is_comparison=True)
        is_number = sa.and_(
            text != "", text != "-", text != ".",
            sa.not_(glob("*[^0-9.-]*")), sa.not_(glob("*.*.*")), sa.not_(glob("?*-*")),
        )  # fmt: skip
    number = sa.case((is_number, sa.cast(text, sa.Numeric())), else_=sa.null())
    return sa.type_coerce(number, sa.Numeric())


def _days(args: Sequence[Column], dialect: str) -> Column:
    _require(args, DATES | {"string"}, "a date")
    return days_between(args[0], args[1], dialect)


def _date_part(part: str) -> Callable[[Sequence[Column], str], Column]:
    def compile_part(args: Sequence[Column], dialect: str) -> Column:
        _require(args, DATES | {"string"}, "a date")
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
    "number": FunctionSpec(1, 1, _number, "number(text): the number the text spells, else null"),
    "days": FunctionSpec(2, 2, _days, "days(a, b): whole days from date b to date a"),
    "year": FunctionSpec(1, 1, _date_part("year"), "year(date)"),
    "month": FunctionSpec(1, 1, _date_part("month"), "month(date): 1 to 12"),
}
"""The function registry: lower-case name -> :class:`FunctionSpec`."""
