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
their rows (:mod:`.query_run`, on SQLite through :mod:`.query_driver`). This module
re-exports what callers import from it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.model.config import SYSTEM_COLUMNS
from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.model.i18n import Text
from uchet.platform.query.cache import model_cache
from uchet.platform.query.cursor import SortKey, decode
from uchet.platform.query.filters import (
    OPERATORS,
    Filter,
    PlannedFilter,
    plan_filters,
    plan_value,
)
from uchet.platform.query.groups import (
    DistinctValue,
    Group,
    distinct_values,
)
from uchet.platform.query.names import Sight, Target, check_readable, resolve
from uchet.platform.query.plan import QueryPlan, build_plan, plan_key
from uchet.platform.query.run import QueryResult, run
from uchet.platform.query.statements import TITLE_SUFFIX, StatementBuilder
from uchet.platform.schema.compiler import CompiledModel
from uchet.platform.schema.search import (
    MatchOrder,
    readable_slots,
    search_ranges,
)

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
#: The sort key text of a search page in the order of the matched term (see MatchOrder).
MATCH_SORT = "~match"


class _Bound(NamedTuple):
    """A query's values in its statements (see :meth:`ListQuery._bind_all`)."""

    filters: list[PlannedFilter]
    ranges: list[list[tuple[Any, Any]]]
    fields: list[Any] | None
    after: list[Any] | None
    limit: Any
    offset: Any
    count_limit: Any


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
        self._joins: dict[str, tuple[Any, Any, Any]] = {}
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
            self._joins = {}
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
        self._joins = dict(plan.joins)
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
        self.columns = self._columns(columns)
        self.group_targets = [self._readable(name, "group_by") for name in group_by]
        # A search with no sort asked for is read in the order of the matched term: O(page)
        # however many records match (sorting them all by name is O(matches)). Only for a
        # first word with one range (a typed phone has two, and would need a sort anyway).
        self.match = (self._match_order() if ranges and not sort and not group_by
                      and len(ranges[0]) == 1 else None)  # fmt: skip
        self.sort_keys = self._sort(sort)
        self.after = decode(self.sort_keys, after) if after else None
        # Only the terms of the search fields the user may read (ARCHITECTURE rule 5).
        self._slots = readable_slots(self.ct.table, self.readable) if ranges else None
        return self._shape(self._filters, ranges, group_by, self.row_condition, row_condition_key)

    def _match_order(self) -> MatchOrder:
        assert self.ct.search is not None
        search_table = self.ct.search
        aliases = self.model.cached(("search_match", self.ct.table.id),
                                    lambda: MatchOrder.aliases(search_table))  # fmt: skip
        return MatchOrder(search_table, aliases)

    def _bind_all(self, bind: Callable[..., Any]) -> _Bound:
        """Every value of the query passed to ``bind(value, type)``, in one fixed order, so
        two queries of the same shape have the same parameter names and can share one
        statement. The constructor collects the values (:attr:`params`); building a
        statement makes them bound parameters of those names (:attr:`_bound`)."""
        return _Bound(
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
    def _bound(self) -> _Bound:
        """The query's values as named bound parameters (made when a statement is built)."""
        if "bound" not in self.statements:
            names = iter(self.params)

            def bind(value: Any, type_: Any = None) -> Any:
                return sa.bindparam(next(names), value, type_=type_)

            self.statements["bound"] = self._bind_all(bind)
            unused = next(names, None)
            assert unused is None, f"{unused} has no value in the statements"  # _values' order
        return cast(_Bound, self.statements["bound"])

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

    # -- building ---------------------------------------------------------------------------
    def _readable(self, name: str, key: str) -> Target:
        target = resolve(self.model, self.ct, name, key=key, sight=self.sight)
        check_readable(target, self.readable)
        return target

    def _columns(self, columns: Sequence[str] | None) -> list[Target]:
        if columns is not None and not all(isinstance(c, str) for c in columns):
            return self._resolve_columns(columns)
        # Resolving every column of a wide table is a good part of a page's cost; the
        # result depends only on the names and the rights, so it is kept per model version.
        key = (self.ct.table.id, None if columns is None else tuple(columns), self.readable,
               None if self.sight is None else self.sight.key)  # fmt: skip
        cache = model_cache(self.model, "list_columns")
        return list(cache.get(key, lambda: tuple(self._resolve_columns(columns))))

    def _resolve_columns(self, columns: Sequence[str] | None) -> list[Target]:
        names = [f.name for f in self.ct.table.fields] if columns is None else list(columns)
        unknown = [n for n in names if n not in SYSTEM_COLUMNS and not self.ct.table.has_field(n)]
        if unknown:
            valid = ", ".join([*SYSTEM_COLUMNS, *(f.name for f in self.ct.table.fields)])
            raise ValidationError({"columns": [Text("unknown_fields", names=", ".join(unknown),
                                                    valid=valid)]})  # fmt: skip
        system = list(SYSTEM_COLUMNS) if columns is None else ["id", "version"]
        wanted = dict.fromkeys([*system, *names])  # ordered, without duplicates
        # Unreadable fields are left out silently: a saved column list stays usable.
        readable = [n for n in wanted if self.readable is None or n in SYSTEM_COLUMNS
                    or n in self.readable]  # fmt: skip
        return [resolve(self.model, self.ct, n, sight=self.sight) for n in readable]

    def _sort(self, sort: Sequence[str]) -> list[SortKey]:
        if self.match is not None:
            # The matched term, then the record id (read from the search table too, so the
            # order is the search table's primary key order).
            return [SortKey(MATCH_SORT, self.match.term, False, False, "_sort0"),
                    SortKey("id", self.match.record_id, False, False, "id")]  # fmt: skip
        if sort:
            texts, checked = list(sort), True
        else:
            table = self.ct.table
            texts = [("-" if k.descending else "") + table.field_by_id(k.field).name
                     for k in table.default_sort]  # fmt: skip
            # The configured default is not the user's request: skip what they can't read.
            texts = [t for t in texts if self.readable is None or t.lstrip("-") in self.readable]
            checked = False
        keys: list[SortKey] = []
        seen: set[str] = set()
        for text in [*texts, "id"]:
            name = text.removeprefix("-")
            if name in seen:
                continue  # a repeated key, or the id tiebreaker already requested
            seen.add(name)
            target = (self._readable(name, "sort") if checked
                      else resolve(self.model, self.ct, name, sight=self.sight))  # fmt: skip
            expr, nullable, row_key = target.expr, target.nullable, name
            # A reference sorts by what people see, the referenced record's title; by its
            # bare id when the user may not see the title (a sort must not reveal the order
            # of what it hides). A grouped reference sorts by its raw value, the order of its
            # groups: that is index order, so a grouped page stays O(page) (titles would sort
            # the whole table).
            grouped = any(g.name == name for g in self.group_targets)
            if target.title is not None and not grouped:
                expr, nullable, row_key = self._title_ref(target), True, name + TITLE_SUFFIX
            keys.append(SortKey(text, expr, text.startswith("-"), nullable, row_key))
        return keys

    # -- running ------------------------------------------------------------------------------
    def run(self, bind: Connection | Engine) -> QueryResult:
        """Execute: the page, then the capped count and group counts when asked for
        (:func:`.query_run.run`)."""
        return run(self, bind)

    def template(self) -> ListQuery:
        """The query whose statements this one runs: the first one of the same shape built
        in this model version (its statements are then reused with this query's values:
        building and compiling them cost several times what SQLite needs for a page)."""
        if self.shape is None:
            return self
        cache = model_cache(self.model, "list_statements")
        return cast(ListQuery, cache.get(self.shape, lambda: self))


def run_query(
    model: CompiledModel, table_id: str, *, connection: Connection | Engine, **options: Any
) -> QueryResult:
    """Build a :class:`ListQuery` of ``table_id`` with ``options`` (its keyword arguments)
    and run it on ``connection`` (an engine opens and closes one)."""
    return ListQuery(model, table_id, **options).run(connection)
