"""The list query builder: filtered, sorted, searched, paginated pages of records.

The record service, the web lists, the REST API, export and print all read lists through
:class:`ListQuery` (ARCHITECTURE rule 5), and it keeps lists cheap (rule 9):

* one statement per page whatever its size: reference titles come from LEFT OUTER JOINs,
  computed fields are expressions in the same SELECT, never a query per row;
* the count is capped: ``SELECT count(*) FROM (SELECT ... LIMIT count_limit + 1)`` stops
  after ``count_limit + 1`` rows instead of scanning the table;
* keyset pagination (``after=cursor``, :mod:`.query_cursor`) continues from the last
  row's sort values, so a deep page costs as much as the first;
* quick search goes through the indexed companion search table;
* statements are built once per query shape (:mod:`.query_cache`).

The parts live in their own modules: names and rights through references
(:mod:`.query_names`), filter operators (:mod:`.query_filters`), group counts and the
values a column filter offers (:mod:`.query_groups`), the statements themselves
(:mod:`.query_statements`), running the statements and shaping
their rows (:mod:`.query_run`, on SQLite through :mod:`.query_driver`). The state they share
and the name checks the plan repeats are :class:`.base.QueryBase`; every one of these modules
sits below this one, which alone builds a :class:`ListQuery` (so :func:`distinct_values`,
which builds one, is here too). This module re-exports what callers import from it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.model.i18n import Text
from uchet.platform.query.base import Bound
from uchet.platform.query.cache import model_cache
from uchet.platform.query.cursor import decode
from uchet.platform.query.driver import connected
from uchet.platform.query.filters import (
    OPERATORS,
    Filter,
    PlannedFilter,
    filters_condition,
    plan_filters,
    plan_value,
    prepare_connection,
)
from uchet.platform.query.groups import DistinctValue, Group
from uchet.platform.query.names import Sight, check_readable, resolve
from uchet.platform.query.plan import QueryPlan, build_plan, plan_key
from uchet.platform.query.run import QueryResult, run
from uchet.platform.query.statements import StatementBuilder
from uchet.platform.schema.compiler import CompiledModel
from uchet.platform.schema.search import readable_slots, search_ranges

__all__ = [
    "OPERATORS",
    "DistinctValue",
    "Filter",
    "Group",
    "ListQuery",
    "QueryResult",
    "distinct_values",
    "run_query",
]

MAX_LIMIT = 1000
#: ``group_counts``: "all" groups of the query (a GROUP BY over every matching row), or only
#: the groups on the page, each counted up to ``count_limit`` (O(page) on any table).
GROUP_COUNTS = ("all", "page")


_PARAM_NAMES = tuple(f"v{i}" for i in range(64))


def _param_names(n: int) -> Sequence[str]:
    """Names of a query's ``n`` bound parameters: v0, v1..."""
    return _PARAM_NAMES if n <= len(_PARAM_NAMES) else [f"v{i}" for i in range(n)]


def _as_filter(flt: Any) -> Any:
    """A filter given as a mapping with a field and an operator, as a :class:`Filter`
    (anything else is left for the checks to refuse)."""
    if isinstance(flt, Mapping) and "field" in flt and "op" in flt:
        return Filter(flt["field"], flt["op"], flt.get("value"))
    return flt


class ListQuery(StatementBuilder):
    """A validated list query over one table; :meth:`run` executes it.

    Everything is checked when the query is built, before any database access: unknown
    fields or operators and bad values raise ValidationError, fields outside ``readable``
    raise PermissionDenied. ``sight`` says what the user may read of the tables references
    lead to (titles, paths; None: everything, as the system user).
    """

    def __init__(
        self,
        model: CompiledModel,
        table_id: str,
        *,
        filters: Iterable[Filter | Mapping[str, Any]] = (),
        sort: Sequence[str] = (),
        search: str | None = None,
        columns: Sequence[str] | None = None,
        limit: int = 50,
        offset: int = 0,
        after: str | None = None,
        group_by: Sequence[str] = (),
        group_counts: str = "all",
        count: bool = True,
        count_limit: int = 10000,
        group_limit: int = 1000,
        row_condition: Any = None,
        row_condition_key: Hashable = None,
        readable: Iterable[str] | None = None,
        locale: str = "en",
        sight: Sight | None = None,
    ):
        if not isinstance(limit, int) or not 0 < limit <= MAX_LIMIT:
            raise ValidationError({"limit": [Text("limit_range", max=MAX_LIMIT)]})
        if not isinstance(offset, int) or offset < 0:
            raise ValidationError({"offset": [Text("whole_number_min", min=0)]})
        if group_counts not in GROUP_COUNTS:
            raise ValidationError({"group_counts": [f"must be one of {', '.join(GROUP_COUNTS)}"]})
        for key, value in (("count_limit", count_limit), ("group_limit", group_limit)):
            if not isinstance(value, int) or value < 1:
                raise ValidationError({key: [Text("whole_number_min", min=1)]})
        self.model, self.ct = model, model[table_id]
        self.readable = (readable if readable is None or isinstance(readable, frozenset)
                         else frozenset(readable))  # fmt: skip
        self.sight = sight
        self.limit, self.offset, self.count, self.locale = limit, offset, count, locale
        self.count_limit, self.group_limit = count_limit, group_limit
        self.row_condition = row_condition
        self.group_counts = group_counts
        # Reference field name -> (alias, ON clause, title): LEFT OUTER JOINs of the page.
        self.joins: dict[str, tuple[Any, Any, Any]] = {}
        self._selected: tuple[dict[str, Any], list[str]] | None = None
        #: Statements built so far, by kind (and compiled forms of them, see query_run).
        self.statements: dict[Hashable, Any] = {}
        #: Held while statements are built: a query becomes the template of its shape before
        #: its statements exist (:meth:`template`), and threads running the same shape at
        #: once must not build them side by side (one's joins and the other's select list
        #: would mix, giving a cross join that returns no rows).
        self.lock = threading.RLock()
        filters = [_as_filter(f) for f in filters]
        # The names and rights of a request are checked once per request shape (see
        # query_plan); its values every time. Should anything fail, the request is checked
        # again the ordinary way, which raises the errors (all of them, in their order).
        try:
            shape = self._planned(filters, sort, search, columns, group_by, after,
                                  row_condition_key)  # fmt: skip
        except (ValidationError, PermissionDenied):
            shape = False
        if shape is False:
            self.joins = {}
            shape = self._check(filters, sort, search, columns, group_by, after,
                                row_condition_key)  # fmt: skip
        #: Everything the statements depend on besides bound values (None: not known).
        self.shape = shape
        #: Every value the statements use, bound by name (v0, v1...; see :meth:`_bind_all`).
        self.params: dict[str, Any] = self._values()

    def _planned(
        self,
        filters: list[Any],
        sort: Sequence[str],
        search: str | None,
        columns: Sequence[str] | None,
        group_by: Sequence[str],
        after: str | None,
        row_condition_key: Hashable,
    ) -> Any:
        """Check the request through its :class:`.query_plan.QueryPlan` (built now if this
        is the first request of its kind): the shape of its statements; False when it has
        no plan (then :meth:`_check` does everything)."""
        ranges = self._search_ranges(search)
        match_order = bool(ranges and not sort and not group_by and len(ranges[0]) == 1)
        key = plan_key(self, filters, sort, columns, group_by, match_order, row_condition_key)
        if key is None:
            return False
        plan: QueryPlan = model_cache(self.model, "list_plans").get(
            key, lambda: build_plan(self, filters, sort, columns, group_by, match_order)
        )
        self.columns, self.group_targets = list(plan.columns), list(plan.group_targets)
        self.match, self.sort_keys = plan.match, list(plan.sort_keys)
        self.joins = dict(plan.joins)
        self._filters = [plan_value(self.model, target, op, flt, self.locale)
                         for flt, (op, target) in zip(filters, plan.filters)]  # fmt: skip
        self._ranges = ranges
        self._slots = plan.slots if ranges else None
        self.after = decode(self.sort_keys, after) if after else None
        shape = (
            plan, tuple(p.shape() for p in self._filters), tuple(len(word) for word in ranges),
            None if self.after is None else tuple(v is None for v in self.after),
            bool(self.offset),
        )  # fmt: skip
        try:
            hash(shape)
        except TypeError:
            return None
        return shape

    def _check(
        self,
        filters: list[Any],
        sort: Sequence[str],
        search: str | None,
        columns: Sequence[str] | None,
        group_by: Sequence[str],
        after: str | None,
        row_condition_key: Hashable,
    ) -> Any:
        """Check the whole request, names and values (the ordinary path): the shape of its
        statements, or None."""
        self._filters = (
            plan_filters(self.model, self.ct, filters, readable=self.readable,
                         locale=self.locale, sight=self.sight) if filters else []
        )  # fmt: skip
        self._ranges = ranges = self._search_ranges(search)
        self.columns = self.column_targets(columns)
        self.group_targets = [self.readable_target(name, "group_by") for name in group_by]
        # A search with no sort asked for is read in the order of the matched term: O(page)
        # however many records match (sorting them all by name is O(matches)). Only for a
        # first word with one range (a typed phone has two, and would need a sort anyway).
        self.match = (self.match_order() if ranges and not sort and not group_by
                      and len(ranges[0]) == 1 else None)  # fmt: skip
        self.sort_keys = self.sort_keys_for(sort)
        self.after = decode(self.sort_keys, after) if after else None
        # Only the terms of the search fields the user may read (ARCHITECTURE rule 5).
        self._slots = readable_slots(self.ct.table, self.readable) if ranges else None
        return self._shape(self._filters, ranges, group_by, self.row_condition, row_condition_key)

    def _bind_all(self, bind: Callable[..., Any]) -> Bound:
        """Every value of the query passed to ``bind(value, type)``, in one fixed order, so
        two queries of the same shape have the same parameter names and can share one
        statement. The constructor collects the values (:attr:`params`); building a
        statement makes them bound parameters of those names (:attr:`_bound`)."""
        return Bound(
            [p.bound(bind) for p in self._filters],
            [[(bind(lo), bind(hi)) for lo, hi in word] for word in self._ranges],
            None if self._slots is None else [bind(i, sa.SmallInteger()) for i in self._slots],
            None if self.after is None else [
                None if v is None else bind(v, k.expr.type)
                for k, v in zip(self.sort_keys, self.after)
            ],
            bind(self.limit + 1, sa.Integer()),
            bind(self.offset, sa.Integer()) if self.offset else None,
            bind(self.count_limit + 1, sa.Integer()),
        )  # fmt: skip

    def _values(self) -> dict[str, Any]:
        """The values :meth:`_bind_all` binds, by parameter name (without building
        anything: most queries run statements built by an earlier one)."""
        values = [v for p in self._filters for v in p.values()]
        for word in self._ranges:
            for lo, hi in word:
                values += (lo, hi)
        if self._slots is not None:
            values += self._slots
        if self.after is not None:
            values += [v for v in self.after if v is not None]
        values.append(self.limit + 1)
        if self.offset:
            values.append(self.offset)
        values.append(self.count_limit + 1)
        return dict(zip(_param_names(len(values)), values))

    @property
    def _bound(self) -> Bound:
        """The query's values as named bound parameters (made when a statement is built)."""
        if "bound" not in self.statements:
            names = iter(self.params)

            def bind(value: Any, type_: Any = None) -> Any:
                return sa.bindparam(next(names), value, type_=type_)

            self.statements["bound"] = self._bind_all(bind)
            unused = next(names, None)
            assert unused is None, f"{unused} has no value in the statements"  # _values' order
        return cast(Bound, self.statements["bound"])

    def _search_ranges(self, search: str | None) -> list[list[tuple[str, str]]]:
        if search is None or not search.strip():
            return []
        if self.ct.search is None:
            raise ValidationError(
                {
                    "search": [
                        Text("no_search_fields", table=self.ct.table.name, label=self.ct.table)
                    ]
                }
            )
        return search_ranges(search)

    def _shape(
        self,
        planned: list[PlannedFilter],
        ranges: list[list[Any]],
        group_by: Sequence[str],
        row_condition: Any,
        row_condition_key: Hashable,
    ) -> Any:
        """Everything the statements depend on besides the bound values; None when that
        cannot be told (a row condition without a key, an unhashable operator value)."""
        if row_condition is not None and row_condition_key is None:
            return None
        shape = (
            self.ct.table.id, tuple(t.name for t in self.columns),
            tuple(k.text for k in self.sort_keys), self.readable,
            tuple(p.shape() for p in planned), tuple(len(word) for word in ranges),
            None if row_condition is None else row_condition_key,
            None if self.sight is None else self.sight.key,
            None if self.after is None else tuple(v is None for v in self.after),
            tuple(group_by), bool(self.offset), self.group_limit,
        )  # fmt: skip
        try:
            hash(shape)
        except TypeError:
            return None
        return shape

    # -- running ------------------------------------------------------------------------------
    def run(self, bind: Connection | Engine) -> QueryResult:
        """Execute: the page, then the capped count and group counts when asked for
        (:func:`.query_run.run`)."""
        return run(self, bind)


def run_query(
    model: CompiledModel, table_id: str, *, connection: Connection | Engine, **options: Any
) -> QueryResult:
    """Build a :class:`ListQuery` of ``table_id`` with ``options`` (its keyword arguments)
    and run it on ``connection`` (an engine opens and closes one)."""
    return ListQuery(model, table_id, **options).run(connection)


def distinct_values(
    model: CompiledModel,
    table_id: str,
    field_name: str,
    *,
    connection: Connection | Engine,
    row_condition: Any = None,
    search_prefix: str | None = None,
    filters: Iterable[Filter | Mapping[str, Any]] = (),
    readable: Iterable[str] | None = None,
    limit: int = 100,
    sight: Sight | None = None,
) -> list[DistinctValue]:
    """The values a column filter offers for ``field_name``: those present in rows the user
    may see (``row_condition``), optionally starting with ``search_prefix`` (case-insensitive;
    a reference's title), with titles for references and row counts. References are
    ordered by title, other values by value; NULL is offered too (value None).

    A reference whose title ``sight`` hides offers its ids, without titles, and
    ``search_prefix`` matches the id's digits.
    """
    ct = model[table_id]
    conditions = [] if row_condition is None else [row_condition]
    if search_prefix:
        target = resolve(model, ct, field_name, key=field_name, sight=sight)
        check_readable(target, readable)
        if target.is_text or target.title is not None:
            prefix = Filter(field_name, "startswith", search_prefix)
            conditions.append(filters_condition(model, ct, [prefix], sight=sight))
        else:
            # Numbers and dates are offered by the text they start with.
            text = sa.cast(target.expr, sa.String)
            conditions.append(OPERATORS["startswith"](text, search_prefix))
    query = ListQuery(
        model, table_id, filters=filters, readable=readable, group_by=[field_name],
        row_condition=sa.and_(*conditions) if conditions else None, count=False, sight=sight,
    )  # fmt: skip
    statement = query.groups_statement(by_title=True, limit=limit)
    with connected(connection) as conn:
        prepare_connection(conn)
        return [DistinctValue(r[0], r[1], int(r[2])) for r in conn.execute(statement)]
