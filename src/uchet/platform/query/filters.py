"""Filters of list queries: the operator registry, value coercion, case folding.

What the names in filters mean (fields, system columns, paths through references, titles)
is :mod:`uchet.platform.query.names`; its names are re-exported here for older imports.

Operators are a registry (:data:`OPERATORS`, ARCHITECTURE rule 6): each one is a callable
``(column_expr, value) -> condition`` plus the kind of value it takes, which says how a raw
value is coerced through the field type's ``parse()`` before the operator sees it.

Case-insensitive text matching (``contains``, ``startswith``) compares :class:`fold`-ed
text. Neither database folds Cyrillic by itself: SQLite's built-in ``lower()`` is
ASCII-only, and so is PostgreSQL's under the C locale. On SQLite, ``lower()`` is replaced by
Python's ``str.lower`` on every connection (``database.create_engine`` does it on connect;
:func:`prepare_connection` makes sure of it for other engines); on PostgreSQL ``fold``
compiles to ``lower()`` under ICU's root collation. So "ива" matches "Иванов" on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.pool import PoolProxiedConnection

from uchet.platform.fieldtypes import ParseError
from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.model.i18n import Text, message
from uchet.platform.query.names import (
    SYSTEM_FIELDS,
    Sight,
    Target,
    TitleSource,
    check_readable,
    resolve,
    title_source,
    valid_names,
)
from uchet.platform.query.textmatch import (
    PG_FOLD_COLLATION,
    TEXT_MATCHES,
    Index,
    TextMatch,
    fold,
    fold_text,
    term_index,
)
from uchet.platform.schema.compiler import CompiledModel, CompiledTable

__all__ = [
    "OPERATORS",
    "PG_FOLD_COLLATION",
    "SYSTEM_FIELDS",
    "Filter",
    "Operator",
    "PlannedFilter",
    "Target",
    "TitleSource",
    "check_readable",
    "filter_condition",
    "filters_condition",
    "fold",
    "fold_text",
    "operator",
    "plan_filter",
    "plan_filters",
    "plan_value",
    "prepare_connection",
    "resolve",
    "title_source",
    "valid_names",
]

#: Marks a pooled SQLite connection whose ``lower()`` is known to be Unicode-aware.
_UNICODE_LOWER = "uchet_unicode_lower"


# --------------------------------------------------------------------------------------------
# Case folding


def _unicode_lower(value: Any) -> Any:
    return fold_text(value) if isinstance(value, str) else value


def prepare_connection(conn: Connection) -> None:
    """Make ``conn`` able to run query conditions: on SQLite, a Unicode-aware ``lower()``.

    Engines from :func:`uchet.platform.schema.database.create_engine` already have it; this covers
    other engines. It is done once per DBAPI connection (remembered in the pool's ``info``).
    """
    if conn.dialect.name == "sqlite":
        prepare_dbapi(conn.connection)


def prepare_dbapi(pooled: PoolProxiedConnection) -> None:
    """:func:`prepare_connection` for a pooled DB-API connection of a SQLite engine."""
    if pooled.info.get(_UNICODE_LOWER):
        return
    raw = pooled.driver_connection
    assert raw is not None
    raw.create_function("lower", 1, _unicode_lower, deterministic=True)
    pooled.info[_UNICODE_LOWER] = True


# --------------------------------------------------------------------------------------------
# Operators


@dataclass(frozen=True)
class Filter:
    """One condition of a list query: ``field op value``.

    ``field`` is a field name, a system column or a dotted path through references
    (``client.city``). On a reference, a string value for ``eq``/``ne``/``in`` and any value
    for ``contains``/``startswith`` compare the referenced record's title; an int compares
    the id.
    """

    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Operator:
    """A filter operator: ``build(column_expr, value) -> condition``.

    ``value`` names how a raw value is coerced first: ``one`` (parsed by the field type),
    ``many`` (a list of those), ``pair`` (lo, hi; either may be None for an open end),
    ``flag`` (yes/no) or ``text`` (a string matched case-insensitively, not parsed, so a
    partial e-mail address is fine; its operators bind the values their :class:`TextMatch`
    derives from it: a ``LIKE`` pattern, the folded text, a search-term range).
    """

    name: str
    build: Callable[[Any, Any], Any]
    value: str = "one"
    #: Whether ``build`` takes bound parameters in place of values (the comparisons do).
    #: Such values are then bound by name, so a list query's statement is built once and
    #: reused with other values; other operators' values are part of the statement.
    binds: bool = False
    #: For a text operator: how typed text becomes bound values and a condition that an
    #: index can serve (:mod:`.textmatch`).
    match: TextMatch | None = None

    def __call__(self, column: Any, value: Any) -> Any:
        return self.build(column, value)


def _eq(col: Any, v: Any) -> Any:
    return col.is_(None) if v is None else col == v


def _ne(col: Any, v: Any) -> Any:
    # "city is not Moscow" includes clients without a city, as people expect.
    return col.is_not(None) if v is None else sa.or_(col != v, col.is_(None))


def _in(col: Any, values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    conditions = [col.in_(present)] if present else []
    if len(present) < len(values):
        conditions.append(col.is_(None))
    return sa.or_(sa.false(), *conditions)


def _between(col: Any, pair: tuple[Any, Any]) -> Any:
    lo, hi = pair
    return sa.and_(sa.true(), *([col >= lo] if lo is not None else []),
                   *([col <= hi] if hi is not None else []))  # fmt: skip


def _text(name: str) -> Operator:
    match = TEXT_MATCHES[name]

    def build(col: Any, value: Any) -> Any:
        # Called with the typed text (row rules, a group's search) or the values planned
        # from it (a list query's PlannedFilter, possibly bound parameters).
        return match.condition(col, match.values(value, None) if isinstance(value, str)
                               else value, None)  # fmt: skip

    return Operator(name, build, "text", binds=True, match=match)


def _is_null(col: Any, flag: bool) -> Any:
    return col.is_(None) if flag else col.is_not(None)


#: The operator registry. An embedding application may add entries.
OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("eq", _eq, binds=True),
        Operator("ne", _ne, binds=True),
        Operator("lt", lambda c, v: c < v, binds=True),
        Operator("le", lambda c, v: c <= v, binds=True),
        Operator("gt", lambda c, v: c > v, binds=True),
        Operator("ge", lambda c, v: c >= v, binds=True),
        Operator("in", _in, "many", binds=True),
        Operator("between", _between, "pair", binds=True),
        _text("contains"),
        _text("startswith"),
        _text("ieq"),
        Operator("is_null", _is_null, "flag"),
    )
}

_FLAGS = {True: True, False: False, "true": True, "false": False, "1": True, "0": False,
          "yes": True, "no": False, "да": True, "нет": False}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Coercion and conditions


def _parse(model: CompiledModel, target: Target, value: Any, locale: str) -> Any:
    try:
        return model.types.get(target.field.type).parse(target.field, value)
    except ParseError as e:
        raise ValidationError({target.name: [e.localized(locale)]}) from None
    except (TypeError, ValueError) as e:
        raise ValidationError({target.name: [str(e) or message("invalid", locale)]}) from None


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def _by_title(op: Operator, target: Target, value: Any) -> bool:
    """Whether a filter on a reference compares the referenced record's title."""
    if not target.is_reference:
        return False
    if op.value == "text":
        return True
    if op.value == "many":
        values = _as_list(value)
        return bool(values) and all(isinstance(v, str) for v in values)
    return op.value == "one" and isinstance(value, str)


def coerce(model: CompiledModel, target: Target, op: Operator, value: Any, locale: str) -> Any:
    """``value`` turned into what ``op`` takes for ``target`` (ValidationError if it can't)."""
    if op.value == "flag":
        key = value.strip().lower() if isinstance(value, str) else value
        flag = _FLAGS.get(key) if isinstance(key, str | bool | int) else None
        if flag is None:
            raise ValidationError({target.name: [message("invalid_boolean", locale)]})
        return flag
    if op.value == "text":
        if not isinstance(value, str | int | float):
            raise ValidationError({target.name: [message("invalid_text", locale)]})
        return str(value).strip()
    if op.value == "many":
        return [_parse(model, target, v, locale) for v in _as_list(value)]
    if op.value == "pair":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValidationError({target.name: [message("two_values", locale, op=op.name)]})
        return tuple(_parse(model, target, v, locale) for v in value)
    return _parse(model, target, value, locale)


def _title_value(op: Operator, value: Any) -> Any:
    if op.value == "many":
        return [str(v).strip() for v in _as_list(value)]
    return value.strip()


#: Operators on a title that a NULL title fails, so that "the reference is among the ids
#: whose title matches" selects the same rows (``ne`` keeps empty references: not here).
_TITLE_BY_IDS = frozenset({"eq", "in"})

#: ``bind(value, type)``: a bound parameter holding ``value`` (see :class:`PlannedFilter`).
Bind = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class PlannedFilter:
    """A checked filter: its target, operator and coerced value, before any SQL is built.

    Checking (names, rights, values) is cheap; building the SQL expression is not. A list
    query checks every time, and builds only when it has no statement of the same
    :meth:`shape` yet.
    """

    target: Target
    op: Operator
    by_title: bool
    value: Any
    #: The search terms that find a text operator's candidates (:mod:`.textmatch`).
    index: Index | None = None

    @property
    def _type(self) -> Any:
        return (
            self.target.title.title.type
            if self.target.title and self.by_title
            else (self.target.expr.type)
        )

    def shape(self) -> tuple[Any, ...]:
        """What the SQL depends on besides bound values: the value itself when the operator
        does not bind, else only where values are missing (NULL compares differently)."""
        if not self.op.binds:
            return (self.target.name, self.op.name, self.by_title, "=", self.value)
        if self.op.match is not None:
            # Which values are bound (none: no condition; an index range or not).
            return (self.target.name, self.op.name, self.by_title, len(self.value),
                    self.index is not None)  # fmt: skip
        if self.op.value in ("many", "pair"):
            missing: Any = tuple(v is None for v in self.value)
        else:
            missing = self.value is None
        return (self.target.name, self.op.name, self.by_title, missing)

    def values(self) -> list[Any]:
        """The values :meth:`bound` binds, in its order."""
        if not self.op.binds:
            return []
        if self.op.value in ("many", "pair", "text"):
            return [v for v in self.value if v is not None]
        return [] if self.value is None else [self.value]

    def bound(self, bind: Bind) -> PlannedFilter:
        """This filter with its values replaced by ``bind(value, type)`` (NULLs stay)."""
        if not self.op.binds:
            return self

        kind = sa.String() if self.op.value == "text" else self._type

        def one(v: Any) -> Any:
            return None if v is None else bind(v, kind)

        if self.op.value == "many":
            value: Any = [one(v) for v in self.value]
        elif self.op.value in ("pair", "text"):
            value = tuple(one(v) for v in self.value)
        else:
            value = one(self.value)
        return PlannedFilter(self.target, self.op, self.by_title, value, self.index)

    def condition(self) -> Any:
        """The SQL condition."""
        if self.by_title:
            assert self.target.title is not None
            if self.op.name in _TITLE_BY_IDS:
                # "category = 'VIP'": the ids titled so, then the reference's index, rather
                # than the title looked up row by row (a count of 15,000 clients took 80 ms).
                op, value = self.op, self.value
                return self.target.title.matching(self.target.expr, lambda t: op(t, value))
            return self.op(self.target.title.lookup(self.target.expr), self.value)
        if self.op.match is not None:
            return self.op.match.condition(self.target.expr, self.value, self.index)
        return self.op(self.target.expr, self.value)


def plan_filter(
    model: CompiledModel,
    ct: CompiledTable,
    flt: Filter | Mapping[str, Any],
    *,
    readable: Iterable[str] | None = None,
    locale: str = "en",
    sight: Sight | None = None,
) -> PlannedFilter:
    """Check one filter on ``ct`` and coerce its value (see :func:`filter_condition`)."""
    if isinstance(flt, Mapping):
        flt = Filter(flt["field"], flt["op"], flt.get("value"))
    op = operator(flt, locale)
    target = resolve(model, ct, flt.field, sight=sight)
    check_readable(target, readable)
    return plan_value(model, target, op, flt, locale)


def operator(flt: Filter, locale: str = "en") -> Operator:
    """The operator ``flt`` names; ValidationError (under its field) when there is none."""
    op = OPERATORS.get(flt.op)
    if op is None:
        valid = ", ".join(OPERATORS)
        raise ValidationError({flt.field: [message("unknown_operator", locale, op=flt.op,
                                                   valid=valid)]})  # fmt: skip
    return op


def plan_value(
    model: CompiledModel, target: Target, op: Operator, flt: Filter, locale: str = "en"
) -> PlannedFilter:
    """The value checks of :func:`plan_filter`, for a name already resolved (and its read
    right checked) to ``target``: a title compared where the user may see it, a text
    operator on text, the value coerced by the field type. A list query whose names were
    checked before (:mod:`.query_plan`) runs only these for each call."""
    if _by_title(op, target, flt.value):
        if target.title is None:
            raise PermissionDenied(Text("may_not_read_titles", name=flt.field,
                                        label=target.field))  # fmt: skip
        value = _title_value(op, flt.value)
        if op.match is not None:
            value = op.match.values(value, None)
        return PlannedFilter(target, op, True, value)
    if op.value == "text" and not target.is_text:
        raise ValidationError(
            {flt.field: [message("text_operator", locale, op=op.name, type=target.field.type)]}
        )
    value = coerce(model, target, op, flt.value, locale)
    if op.match is not None:
        index = term_index(model, target.expr)
        return PlannedFilter(target, op, False, op.match.values(value, index), index)
    return PlannedFilter(target, op, False, value)


def plan_filters(
    model: CompiledModel,
    ct: CompiledTable,
    filters: Iterable[Filter | Mapping[str, Any]],
    *,
    readable: Iterable[str] | None = None,
    locale: str = "en",
    sight: Sight | None = None,
) -> list[PlannedFilter]:
    """Every filter checked; every bad one is reported together."""
    planned: list[PlannedFilter] = []
    errors: dict[str, list[str]] = {}
    for flt in filters:
        try:
            planned.append(
                plan_filter(model, ct, flt, readable=readable, locale=locale, sight=sight)
            )
        except ValidationError as e:
            for k, v in e.messages.items():
                errors.setdefault(k, []).extend(v)
    if errors:
        raise ValidationError(errors)
    return planned


def filter_condition(
    model: CompiledModel,
    ct: CompiledTable,
    flt: Filter | Mapping[str, Any],
    *,
    readable: Iterable[str] | None = None,
    locale: str = "en",
    sight: Sight | None = None,
) -> Any:
    """The SQL condition of one filter on ``ct``'s rows.

    Raises ValidationError for an unknown field or operator or a bad value, and
    PermissionDenied for a field outside ``readable``, or a title or path that ``sight``
    does not let the user read.
    """
    return plan_filter(model, ct, flt, readable=readable, locale=locale, sight=sight).condition()


def filters_condition(
    model: CompiledModel,
    ct: CompiledTable,
    filters: Iterable[Filter | Mapping[str, Any]],
    *,
    readable: Iterable[str] | None = None,
    locale: str = "en",
    sight: Sight | None = None,
) -> Any:
    """All ``filters`` joined with AND; every bad one is reported together."""
    planned = plan_filters(model, ct, filters, readable=readable, locale=locale, sight=sight)
    return sa.and_(sa.true(), *(p.condition() for p in planned))
