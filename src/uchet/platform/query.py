"""The list query builder: filtered, sorted, searched, paginated pages of records.

The record service, the web lists, the REST API, export and print all read lists through
:class:`ListQuery` (ARCHITECTURE rule 5), and it keeps lists cheap (rule 9):

* one statement per page whatever its size: reference titles come from LEFT OUTER JOINs,
  computed fields are expressions in the same SELECT, never a query per row;
* the count is capped: ``SELECT count(*) FROM (SELECT ... LIMIT count_limit + 1)`` stops
  after ``count_limit + 1`` rows instead of scanning the table;
* keyset pagination (``after=cursor``) continues from the last row's sort values, so a deep
  page costs as much as the first;
* quick search goes through the indexed companion search table.

NULLs sort as the smallest value on both databases (first ascending, last descending):
that is SQLite's index order, so a nullable sort column can still be index-backed there.
For columns that cannot be NULL no NULLS clause is written at all, so PostgreSQL's default
indexes serve them too.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.compiler import CompiledModel
from uchet.platform.errors import ValidationError
from uchet.platform.model import SYSTEM_COLUMNS
from uchet.platform.query_filters import (
    OPERATORS,
    Filter,
    PlannedFilter,
    Target,
    check_readable,
    filters_condition,
    plan_filters,
    prepare_connection,
    resolve,
)
from uchet.platform.search import ranges_condition, search_ranges

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
#: Statements kept per model version, by query shape (filters' fields and operators,
#: columns, sort, search words, rights...), not by values.
TEMPLATES = 512
#: ``group_counts``: "all" groups of the query (a GROUP BY over every matching row), or only
#: the groups on the page, each counted up to ``count_limit`` (O(page) on any table).
GROUP_COUNTS = ("all", "page")
TITLE_SUFFIX = "__title"
INVALID_CURSOR = "invalid or outdated cursor; start again from the first page"


@dataclass(frozen=True)
class Group:
    """One distinct combination of the grouped fields, with its titles and row count."""

    key: tuple[Any, ...]
    titles: tuple[str | None, ...]
    count: int
    #: The group has more rows than ``count`` (the query's ``count_limit``).
    capped: bool = False


@dataclass(frozen=True)
class DistinctValue:
    """A value a column filter offers: the value, its title (references) and row count."""

    value: Any
    title: str | None
    count: int


@dataclass(frozen=True)
class QueryResult:
    """A page of rows, the (capped) total, the cursor of the next page and group counts."""

    rows: list[dict[str, Any]]
    total: int | None = None
    total_capped: bool = False
    next_cursor: str | None = None
    groups: list[Group] = field(default_factory=list)


@dataclass(frozen=True)
class _SortKey:
    text: str  # "-name" as requested; cursors record these to refuse another sort's cursor
    expr: Any
    descending: bool
    nullable: bool
    row_key: str  # the output column that may already hold the value (name or name__title)

    def order(self, ref: Any) -> Any:
        """The ORDER BY element for ``ref`` (the column or its label), NULLs smallest."""
        ordered = ref.desc() if self.descending else ref.asc()
        if not self.nullable:
            return ordered  # no NULLs to place, and a bare column matches any index
        return ordered.nulls_last() if self.descending else ordered.nulls_first()

    def beyond(self, value: Any) -> Any:
        """Rows strictly after ``value`` in this key's order."""
        if not self.descending:
            return self.expr.is_not(None) if value is None else self.expr > value
        if value is None:
            return sa.false()
        before = self.expr < value
        return sa.or_(before, self.expr.is_(None)) if self.nullable else before

    def same(self, value: Any) -> Any:
        return self.expr.is_(None) if value is None else self.expr == value


def _connected(bind: Connection | Engine) -> AbstractContextManager[Connection]:
    """Use a given connection as is (the caller owns its transaction); open one on an engine."""
    return bind.connect() if isinstance(bind, Engine) else contextlib.nullcontext(bind)


class ListQuery:
    """A validated list query over one table; :meth:`run` executes it.

    Everything is checked when the query is built, before any database access: unknown
    fields or operators and bad values raise ValidationError, fields outside ``readable``
    raise PermissionDenied.
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
    ):
        if not isinstance(limit, int) or not 0 < limit <= MAX_LIMIT:
            raise ValidationError({"limit": [f"must be a whole number from 1 to {MAX_LIMIT}"]})
        if not isinstance(offset, int) or offset < 0:
            raise ValidationError({"offset": ["must be a whole number, 0 or more"]})
        if group_counts not in GROUP_COUNTS:
            raise ValidationError({"group_counts": [f"must be one of {', '.join(GROUP_COUNTS)}"]})
        for key, value in (("count_limit", count_limit), ("group_limit", group_limit)):
            if not isinstance(value, int) or value < 1:
                raise ValidationError({key: ["must be a whole number, 1 or more"]})
        self.model, self.ct = model, model[table_id]
        self.readable = frozenset(readable) if readable is not None else None
        self.limit, self.offset, self.count, self.locale = limit, offset, count, locale
        self.count_limit, self.group_limit = count_limit, group_limit
        # Reference field name -> (alias, ON clause, title): LEFT OUTER JOINs of the page.
        self._joins: dict[str, tuple[Any, Any, Any]] = {}
        self._selected: tuple[dict[str, Any], list[str]] | None = None
        self._built: dict[Hashable, Any] = {}
        #: Every value the statements use, bound by name (see :meth:`_bind`).
        self.params: dict[str, Any] = {}
        filters = list(filters)
        planned = plan_filters(self.model, self.ct, filters, readable=self.readable,
                               locale=locale) if filters else []  # fmt: skip
        ranges = self._search_ranges(search)
        self.row_condition = row_condition
        self.columns = self._columns(columns)
        self.group_targets = [self._readable(name, "group_by") for name in group_by]
        self.group_counts = group_counts
        self.sort_keys = self._sort(sort)
        self.after = self._decode(after) if after else None
        # Values become named bound parameters, always in this order, so two queries of
        # the same shape have the same parameter names and can share one statement.
        self._filters = [p.bound(self._bind) for p in planned]
        self._ranges = [[(self._bind(lo), self._bind(hi)) for lo, hi in word] for word in ranges]
        self._after = None if self.after is None else [
            None if v is None else self._bind(v, k.expr.type)
            for k, v in zip(self.sort_keys, self.after)
        ]  # fmt: skip
        self._limit = self._bind(limit + 1, sa.Integer())
        self._offset = self._bind(offset, sa.Integer()) if offset else None
        self._count_limit = self._bind(count_limit + 1, sa.Integer())
        self.shape = self._shape(planned, ranges, group_by, row_condition, row_condition_key)

    def _bind(self, value: Any, type_: Any = None) -> Any:
        name = f"v{len(self.params)}"
        self.params[name] = value
        return sa.bindparam(name, value, type_=type_)

    def _search_ranges(self, search: str | None) -> list[list[tuple[str, str]]]:
        if search is None or not search.strip():
            return []
        if self.ct.search is None:
            raise ValidationError(
                {"search": [f"table {self.ct.table.name!r} has no search fields"]}
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
            None if self.after is None else tuple(v is None for v in self.after),
            tuple(group_by), bool(self.offset), self.group_limit,
        )  # fmt: skip
        try:
            hash(shape)
        except TypeError:
            return None
        return shape

    @property
    def where(self) -> list[Any]:
        """The conditions of the query (filters, search, row condition), built once."""
        if "where" not in self._built:
            where = [sa.and_(sa.true(), *(p.condition() for p in self._filters))] if (
                self._filters) else []  # fmt: skip
            if self._ranges:
                assert self.ct.search is not None
                where.append(ranges_condition(self.ct.search, self.ct.sql.c.id, self._ranges))
            if self.row_condition is not None:
                where.append(self.row_condition)
            self._built["where"] = where
        return cast(list[Any], self._built["where"])

    # -- building ---------------------------------------------------------------------------
    def _readable(self, name: str, key: str) -> Target:
        target = resolve(self.model, self.ct, name, key=key)
        check_readable(target, self.readable)
        return target

    def _columns(self, columns: Sequence[str] | None) -> list[Target]:
        if columns is not None and not all(isinstance(c, str) for c in columns):
            return self._resolve_columns(columns)
        # Resolving every column of a wide table is a good part of a page's cost; the
        # result depends only on the names and the rights, so it is kept per model version.
        key = (self.ct.table.id, None if columns is None else tuple(columns), self.readable)
        cache = self.model.cached(("list_columns",), lambda: _LRU(TEMPLATES))
        return list(cache.get(key, lambda: tuple(self._resolve_columns(columns))))

    def _resolve_columns(self, columns: Sequence[str] | None) -> list[Target]:
        names = [f.name for f in self.ct.table.fields] if columns is None else list(columns)
        unknown = [n for n in names if n not in SYSTEM_COLUMNS and not self.ct.table.has_field(n)]
        if unknown:
            valid = ", ".join([*SYSTEM_COLUMNS, *(f.name for f in self.ct.table.fields)])
            raise ValidationError({"columns": [f"unknown field(s) {', '.join(unknown)}; "
                                               f"valid: {valid}"]})  # fmt: skip
        system = list(SYSTEM_COLUMNS) if columns is None else ["id", "version"]
        wanted = dict.fromkeys([*system, *names])  # ordered, without duplicates
        # Unreadable fields are left out silently: a saved column list stays usable.
        readable = [n for n in wanted if self.readable is None or n in SYSTEM_COLUMNS
                    or n in self.readable]  # fmt: skip
        return [resolve(self.model, self.ct, n) for n in readable]

    def _sort(self, sort: Sequence[str]) -> list[_SortKey]:
        if sort:
            texts, checked = list(sort), True
        else:
            table = self.ct.table
            texts = [("-" if k.descending else "") + table.field_by_id(k.field).name
                     for k in table.default_sort]  # fmt: skip
            # The configured default is not the user's request: skip what they can't read.
            texts = [t for t in texts if self.readable is None or t.lstrip("-") in self.readable]
            checked = False
        keys: list[_SortKey] = []
        seen: set[str] = set()
        for text in [*texts, "id"]:
            name = text.removeprefix("-")
            if name in seen:
                continue  # a repeated key, or the id tiebreaker already requested
            seen.add(name)
            target = self._readable(name, "sort") if checked else resolve(self.model, self.ct, name)
            expr, nullable, row_key = target.expr, target.nullable, name
            grouped = any(g.name == name for g in self.group_targets)
            if target.title is not None and not grouped:
                # A reference sorts by what people see, the referenced record's title. A
                # grouped one sorts by its raw value, the order of its groups: that is index
                # order, so a grouped page stays O(page) (titles would sort the whole table).
                expr, nullable, row_key = self._title_ref(target), True, name + TITLE_SUFFIX
            keys.append(_SortKey(text, expr, text.startswith("-"), nullable, row_key))
        return keys

    def _title_ref(self, target: Target) -> Any:
        """The title of a reference: a joined column for the table's own reference fields
        (one LEFT OUTER JOIN per field, shared by the column and the sort), a correlated
        subquery for one reached through a path."""
        assert target.title is not None
        if "." in target.name:
            return target.title.lookup(target.expr)
        if target.name not in self._joins:
            title = target.title

            def join() -> tuple[Any, Any, Any]:
                # Anonymous aliases: SQLAlchemy names them so they never clash with a table.
                alias = title.table.alias()
                return alias, alias.c.id == target.expr, title.on(alias)

            # One alias per reference field and model version, shared by every query:
            # building it (its column collection, the title rewritten onto it) cost more
            # than running a first page.
            key = ("title_join", self.ct.table.id, target.name)
            self._joins[target.name] = self.model.cached(key, join)
        return self._joins[target.name][2]

    def _from(self) -> Any:
        source: Any = self.ct.sql
        for alias, on, _title in self._joins.values():
            source = source.outerjoin(alias, on)
        return source

    # -- statements ---------------------------------------------------------------------------
    def _select_list(self) -> tuple[dict[str, Any], list[str]]:
        """The labelled SELECT list by row key, and the row key holding each sort value.

        A sort key that is also an output column (or a reference's title) is read from it,
        so a computed expression is evaluated once; others get a hidden ``_sort<i>`` label.
        """
        if self._selected is None:
            self._selected = self._build_select_list()
        return self._selected

    def _build_select_list(self) -> tuple[dict[str, Any], list[str]]:
        labels: dict[str, Any] = {}
        for target in self.columns:
            labels[target.name] = target.expr.label(target.name)
            if target.title is not None:
                title_key = target.name + TITLE_SUFFIX
                labels[title_key] = self._title_ref(target).label(title_key)
        sort_keys = []
        for i, key in enumerate(self.sort_keys):
            row_key = key.row_key
            if row_key not in labels:
                row_key = f"_sort{i}"
                labels[row_key] = key.expr.label(row_key)
            sort_keys.append(row_key)
        return labels, sort_keys

    def rows_statement(self) -> sa.Select[Any]:
        """The SELECT of one page (one more row than ``limit``, to know if more follow)."""
        if "rows" in self._built:
            return cast(sa.Select[Any], self._built["rows"])
        labels, sort_row_keys = self._select_list()
        # Stored columns are ordered by themselves (the planner matches them to an index);
        # computed ones by their label, so their subquery is not written out twice.
        order = [key.order(key.expr if isinstance(key.expr, sa.Column) else labels[row_key])
                 for key, row_key in zip(self.sort_keys, sort_row_keys)]  # fmt: skip
        where = list(self.where)
        if self._after is not None:
            where.append(self._after_condition(self._after))
        stmt = (
            sa.select(*labels.values()).select_from(self._from()).where(*where)
            .order_by(*order).limit(self._limit).offset(self._offset)
        )  # fmt: skip
        self._built["rows"] = stmt
        return stmt

    def count_statement(self) -> sa.Select[Any]:
        """``count(*)`` over at most ``count_limit + 1`` matching rows."""
        if "count" not in self._built:
            capped = (
                sa.select(self.ct.sql.c.id).where(*self.where)
                .limit(self._count_limit).subquery()
            )  # fmt: skip
            self._built["count"] = sa.select(sa.func.count()).select_from(capped)
        return cast(sa.Select[Any], self._built["count"])

    def groups_statement(self, *, by_title: bool = False, limit: int | None = None) -> Any:
        key = ("groups", by_title, limit)
        if key not in self._built:
            self._built[key] = self._groups_statement(by_title, limit)
        return self._built[key]

    def _groups_statement(self, by_title: bool, limit: int | None) -> Any:
        """Row counts per distinct combination of the ``group_by`` values, ordered by key
        (by title first when ``by_title``), at most ``group_limit`` (or ``limit``) groups.

        Rows are grouped by raw values in a subquery; titles are joined to the groups
        afterwards, so each title is looked up once per group rather than once per row.
        """
        n = len(self.group_targets)
        keyed = (
            sa.select(*(t.expr.label(f"k{i}") for i, t in enumerate(self.group_targets)))
            .select_from(self.ct.sql).where(*self.where).subquery()
        )  # fmt: skip
        keys = [keyed.c[f"k{i}"] for i in range(n)]
        grouped = sa.select(*keys, sa.func.count().label("n")).group_by(*keys).subquery()
        source: Any = grouped
        titles: list[Any] = []
        order: list[Any] = []
        for i, target in enumerate(self.group_targets):
            key = grouped.c[f"k{i}"]
            if target.title is None:
                titles.append(sa.null().label(f"t{i}"))
            else:
                alias, title = self._group_title(i, target)
                source = source.outerjoin(alias, alias.c.id == key)
                titles.append(title.label(f"t{i}"))
                if by_title:
                    order.append(title.asc().nulls_first())
            order.append(key.asc().nulls_first() if target.nullable else key.asc())
        return (
            sa.select(*(grouped.c[f"k{i}"] for i in range(n)), *titles, grouped.c.n)
            .select_from(source).order_by(*order).limit(limit or self.group_limit)
        )  # fmt: skip

    def _group_title(self, i: int, target: Target) -> tuple[Any, Any]:
        """An alias of the referenced table for the ``i``-th group key and the title on it
        (shared by every query of this model version, like the page's joins)."""
        source = target.title
        assert source is not None

        def build() -> tuple[Any, Any]:
            alias = source.table.alias()
            return alias, source.on(alias)

        return self.model.cached(("group_title", self.ct.table.id, target.name, i), build)

    # -- keyset cursors -----------------------------------------------------------------------
    def _after_condition(self, values: list[Any]) -> Any:
        keys = self.sort_keys
        if not any(k.nullable for k in keys) and len({k.descending for k in keys}) == 1:
            # (a, b, id) > (x, y, z): one index range on both databases.
            row, last = sa.tuple_(*(k.expr for k in keys)), sa.tuple_(*values)
            return row < last if keys[0].descending else row > last
        alternatives: list[Any] = []
        equal: list[Any] = []
        for key, value in zip(keys, values):
            alternatives.append(sa.and_(*equal, key.beyond(value)))
            equal.append(key.same(value))
        condition = sa.or_(*alternatives)
        first, v = keys[0], values[0]
        # A redundant bound on the first key lets the planner start an index range there.
        if not first.descending and v is not None:
            condition = sa.and_(first.expr >= v, condition)
        elif first.descending and v is not None and not first.nullable:
            condition = sa.and_(first.expr <= v, condition)
        return condition

    def _encode(self, values: list[Any]) -> str:
        payload = {"s": [k.text for k in self.sort_keys], "v": [_tag(v) for v in values]}
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, cursor: str) -> list[Any]:
        invalid = ValidationError({"after": [INVALID_CURSOR]})
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload = json.loads(raw)
            values = [_untag(v) for v in payload["v"]]
            texts = payload["s"]
        except (binascii.Error, ValueError, TypeError, KeyError, InvalidOperation):
            raise invalid from None
        if texts != [k.text for k in self.sort_keys] or len(values) != len(self.sort_keys):
            raise invalid  # a cursor of another sort order (or table) means nothing here
        for key, value in zip(self.sort_keys, values):
            if not _fits(key, value):
                raise invalid
        return values

    # -- running ------------------------------------------------------------------------------
    def run(self, bind: Connection | Engine) -> QueryResult:
        """Execute: the page, then the capped count and group counts when asked for."""
        built = self._template()
        with _connected(bind) as conn:
            prepare_connection(conn)
            _labels, sort_row_keys = built._select_list()
            result = conn.execute(built.rows_statement(), self.params)
            keys = list(result.keys())
            # Plain tuples zipped with the keys: a Row's mapping view costs more per row
            # than the whole page costs SQLite.
            fetched = result.fetchall()
            more = len(fetched) > self.limit
            page = fetched[: self.limit]
            next_cursor = None
            if more and page:
                positions = [keys.index(k) for k in sort_row_keys]
                next_cursor = self._encode([page[-1][i] for i in positions])
            shown = [i for i, k in enumerate(keys) if not k.startswith("_sort")]
            if len(shown) == len(keys):
                rows = [dict(zip(keys, r)) for r in page]
            else:
                names = [keys[i] for i in shown]
                rows = [dict(zip(names, [r[i] for i in shown])) for r in page]
            total, capped = None, False
            if self.count:
                total, capped = self._total(conn, built, len(page), more)
            groups = []
            if self.group_targets and self.group_counts == "page":
                groups = self._page_groups(conn, built, rows)
            elif self.group_targets:
                groups = [_group(r, len(self.group_targets))
                          for r in conn.execute(built.groups_statement(), self.params)]  # fmt: skip
        return QueryResult(rows, total, capped, next_cursor, groups)

    def _page_groups(
        self, conn: Connection, built: ListQuery, rows: list[dict[str, Any]]
    ) -> list[Group]:
        """Capped counts of the groups the page shows, at every level (``group_counts=
        "page"``): one ``count(*)`` over at most ``count_limit + 1`` rows per group header,
        index-backed by (group field, ...), instead of grouping the whole table."""
        targets = self.group_targets
        selected = {c.name for c in self.columns}
        if any(t.name not in selected for t in targets):
            # The page does not carry the group values: count every group instead.
            return [_group(r, len(targets))
                    for r in conn.execute(built.groups_statement(), self.params)]  # fmt: skip
        found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for row in rows:
            for depth in range(1, len(targets) + 1):
                key = tuple(row.get(t.name) for t in targets[:depth])
                titles = tuple(row.get(t.name + TITLE_SUFFIX) for t in targets[:depth])
                found.setdefault(key, titles)
        groups = []
        for key, titles in found.items():
            match = [t.expr.is_(None) if v is None else t.expr == v
                     for t, v in zip(targets, key)]  # fmt: skip
            capped = (
                sa.select(self.ct.sql.c.id).where(*built.where, *match)
                .limit(self.count_limit + 1).subquery()
            )  # fmt: skip
            statement = sa.select(sa.func.count()).select_from(capped)
            n = conn.execute(statement, self.params).scalar_one()
            over = n > self.count_limit
            groups.append(Group(key, titles, self.count_limit if over else n, over))
        return groups

    def _template(self) -> ListQuery:
        """The query whose statements this one runs: the first one of the same shape built
        in this model version (its statements are then reused with this query's values:
        building and compiling them cost several times what SQLite needs for a page)."""
        if self.shape is None:
            return self
        cache = self.model.cached(("list_statements",), lambda: _LRU(TEMPLATES))
        return cast(ListQuery, cache.get(self.shape, lambda: self))

    def _total(
        self, conn: Connection, built: ListQuery, on_page: int, more: bool
    ) -> tuple[int, bool]:
        if not more and self.after is None and (on_page or not self.offset):
            # The last page from a known position: the total needs no query at all.
            total = self.offset + on_page
        else:
            total = conn.execute(built.count_statement(), self.params).scalar_one()
        if total > self.count_limit:
            return self.count_limit, True
        return total, False


class _LRU:
    """The most recently used values by key, at most ``size`` (safe across threads)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value stored for ``key``, or ``build()`` stored now. A build that raises
        stores nothing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            value = self._items.setdefault(key, value)
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def _group(row: Any, n: int) -> Group:
    values = tuple(row)
    return Group(values[:n], values[n : 2 * n], int(values[2 * n]))


# -- cursor values ------------------------------------------------------------------------------
# JSON has no dates or decimals: such values travel tagged, and come back as the same type.
_UNTAG: dict[str, Any] = {
    "n": Decimal,
    "dt": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
    "t": dt.time.fromisoformat,
}


def _tag(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if isinstance(value, dt.datetime):  # before date: a datetime is a date too
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": value.isoformat()}
    raise TypeError(f"cannot put a {type(value).__name__} into a cursor")


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        if tag not in _UNTAG or not isinstance(text, str):
            raise ValueError(tag)
        return _UNTAG[tag](text)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(value)


def _fits(key: _SortKey, value: Any) -> bool:
    """Whether a decoded cursor value can be a value of the sort key (tamper check)."""
    if value is None:
        return key.nullable
    try:
        expected = key.expr.type.python_type
    except NotImplementedError:
        return True
    if isinstance(value, bool) != (expected is bool):
        return False
    if expected in (Decimal, float):
        return isinstance(value, Decimal | float | int)
    if expected is dt.date:
        return type(value) is dt.date
    return isinstance(value, expected)


# -- functions ----------------------------------------------------------------------------------
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
) -> list[DistinctValue]:
    """The values a column filter offers for ``field_name``: those present in rows the user
    may see (``row_condition``), optionally starting with ``search_prefix`` (case-insensitive;
    a reference's title), with titles for references and row counts. References are
    ordered by title, other values by value; NULL is offered too (value None)."""
    conditions = [] if row_condition is None else [row_condition]
    if search_prefix:
        target = resolve(model, model[table_id], field_name, key=field_name)
        check_readable(target, readable)
        if target.is_text or target.title is not None:
            prefix = Filter(field_name, "startswith", search_prefix)
            conditions.append(filters_condition(model, model[table_id], [prefix]))
        else:
            # Numbers and dates are offered by the text they start with.
            text = sa.cast(target.expr, sa.String)
            conditions.append(OPERATORS["startswith"](text, search_prefix))
    query = ListQuery(
        model, table_id, filters=filters, readable=readable, group_by=[field_name],
        row_condition=sa.and_(*conditions) if conditions else None, count=False,
    )  # fmt: skip
    statement = query.groups_statement(by_title=True, limit=limit)
    with _connected(connection) as conn:
        prepare_connection(conn)
        return [DistinctValue(r[0], r[1], int(r[2])) for r in conn.execute(statement)]
