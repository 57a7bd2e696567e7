"""The statements of a list query: its WHERE conditions, the SELECT of a page with the
LEFT OUTER JOINs of reference titles, the capped count and the group counts.

:class:`StatementBuilder` is the part of :class:`.query.ListQuery` that turns a checked
request (its targets, sort keys and bound values) into SQLAlchemy statements. The first
query of a shape becomes the template every later query of that shape runs (see
:meth:`StatementBuilder.template`), so its statements are built lazily, once, under ``lock``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Self, cast

import sqlalchemy as sa
from sqlalchemy.sql.visitors import iterate

from uchet.platform.query.base import TITLE_SUFFIX, Bound, QueryBase
from uchet.platform.query.cache import model_cache
from uchet.platform.query.cursor import after_condition
from uchet.platform.query.names import Target
from uchet.platform.schema.search import MatchOrder, distinct_matches, ranges_condition

#: Whether pages past the first read titles for their own rows only (a test compares the
#: rows with and without).
DEFERRED_JOIN = True


class StatementBuilder(QueryBase):
    """Builds and keeps the statements of a :class:`.listquery.ListQuery` (the attributes
    of :class:`.base.QueryBase` are set by the query's constructor)."""

    _selected: tuple[dict[str, Any], list[str]] | None

    if TYPE_CHECKING:  # defined by ListQuery

        @property
        def _bound(self) -> Bound: ...

    @property
    def where(self) -> list[Any]:
        """The conditions of the query (filters, search, row condition), built once."""
        with self.lock:
            if "where" not in self.statements:
                bound = self._bound
                where = [sa.and_(sa.true(), *(p.condition() for p in bound.filters))] if (
                    bound.filters) else []  # fmt: skip
                if bound.ranges:
                    assert self.ct.search is not None
                    found = ranges_condition(self.ct.search, self.ct.sql.c.id, bound.ranges,
                                             bound.fields)  # fmt: skip
                    self.statements["search"] = found
                    where.append(found)
                if self.row_condition is not None:
                    where.append(self.row_condition)
                self.statements["where"] = where
            return cast(list[Any], self.statements["where"])

    def _from(self) -> Any:
        source: Any = self.ct.sql
        if self.match is not None:
            source = self.match.source(source)
        for alias, on, _title in self.joins.values():
            source = source.outerjoin(alias, on)
        return source

    def sort_row_keys(self) -> list[str]:
        """The output column holding each sort key's value (see :meth:`_select_list`)."""
        return self._select_list()[1]

    def _select_list(self) -> tuple[dict[str, Any], list[str]]:
        """The labelled SELECT list by row key, and the row key holding each sort value.

        A sort key that is also an output column (or a reference's title) is read from it,
        so a computed expression is evaluated once; others get a hidden ``_sort<i>`` label.
        """
        with self.lock:
            if self._selected is None:
                self._selected = self._build_select_list()
            return self._selected

    def _build_select_list(self) -> tuple[dict[str, Any], list[str]]:
        labels: dict[str, Any] = {}
        for target in self.columns:
            labels[target.name] = target.expr.label(target.name)
            title_key = target.name + TITLE_SUFFIX
            if target.title is not None:
                labels[title_key] = self.title_ref(target).label(title_key)
            elif target.title_hidden:
                # Rows keep their shape whatever the rights: the title is just unknown.
                labels[title_key] = sa.null().label(title_key)
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
        if "rows" in self.statements:
            return cast(sa.Select[Any], self.statements["rows"])
        labels, sort_row_keys = self._select_list()
        # Stored columns are ordered by themselves (the planner matches them to an index);
        # computed ones by their label, so their subquery is not written out twice.
        order = [key.order(key.expr if isinstance(key.expr, sa.Column) else labels[row_key])
                 for key, row_key in zip(self.sort_keys, sort_row_keys)]  # fmt: skip
        where = list(self.where)
        if self.match is not None:
            where = self._match_where()
        bound = self._bound
        if bound.after is not None:
            where.append(after_condition(self.sort_keys, bound.after))
        if bound.offset is not None and self.match is None and DEFERRED_JOIN:
            stmt = self._deferred_rows(labels, order, where, bound)
        else:
            stmt = (
                sa.select(*labels.values()).select_from(self._from()).where(*where)
                .order_by(*order).limit(bound.limit).offset(bound.offset)
            )  # fmt: skip
        self.statements["rows"] = stmt
        return stmt

    def _deferred_rows(
        self, labels: dict[str, Any], order: list[Any], where: list[Any], bound: Bound
    ) -> sa.Select[Any]:
        """A page past the first as a deferred join (issue 12): the ids of the page are
        found first, with only the joins the sort and the conditions need, and the titles
        and computed columns are read for those rows only. With ``OFFSET 4975`` the plain
        form joins every reference's title for each of the 4,975 skipped rows.

        The order is total (the id is always the last sort key), so the page holds the
        same rows in the same order as the plain form."""
        sql = self.ct.sql
        used = {id(t) for clause in (*where, *(k.expr for k in self.sort_keys))
                for t in _sources(clause)}  # fmt: skip
        source: Any = sql
        for alias, on, _title in self.joins.values():
            if id(alias) in used:
                source = source.outerjoin(alias, on)
        page = (
            sa.select(sql.c.id.label("_pk")).select_from(source).where(*where)
            .order_by(*(key.order(key.expr) for key in self.sort_keys))
            .limit(bound.limit).offset(bound.offset).subquery("_page")
        )  # fmt: skip
        return (
            sa.select(*labels.values())
            .select_from(self._from().join(page, page.c._pk == sql.c.id))
            .order_by(*order)
        )

    def count_statement(self) -> sa.Select[Any]:
        """``count(*)`` over at most ``count_limit + 1`` matching rows."""
        bound = self._bound
        if "count" not in self.statements and self._search_only():
            # The search is the only condition: count its distinct records in the search
            # index alone, without reading a record (4 ms instead of 11 for 10,000 of 1M);
            # further words are probes of each record's own terms.
            assert self.ct.search is not None
            first = MatchOrder(self.ct.search, (self.ct.search, None))
            self.statements["count"] = distinct_matches(
                self.ct.search, bound.ranges[0], bound.fields, bound.count_limit,
                [first.also(word, bound.fields) for word in bound.ranges[1:]],
            )  # fmt: skip
        if "count" not in self.statements and self.match is not None and len(self._ranges) > 1:
            # Several words: walk the first word's terms, checking the others per record,
            # rather than listing every term of each word (a short "12" has 100,000s).
            capped = (
                sa.select(sa.null()).select_from(self.match.source(self.ct.sql))
                .where(*self._match_where()).limit(bound.count_limit).subquery()
            )  # fmt: skip
            self.statements["count"] = sa.select(sa.func.count()).select_from(capped)
        if "count" not in self.statements:
            # NULL, not the id: the rows are only counted, and SQLite then copies nothing
            # out of the index it walks (10,001 rows: 0.31 ms instead of 0.55).
            capped = (
                sa.select(sa.null()).select_from(self.ct.sql).where(*self.where)
                .limit(bound.count_limit).subquery()
            )  # fmt: skip
            self.statements["count"] = sa.select(sa.func.count()).select_from(capped)
        return cast(sa.Select[Any], self.statements["count"])

    def _match_where(self) -> list[Any]:
        """The conditions of a page in match order: the first word read from the joined
        search table, each further word checked on the record's own terms."""
        assert self.match is not None
        where = [w for w in self.where if w is not self.statements["search"]]
        bound = self._bound
        lo, hi = bound.ranges[0][0]
        where += self.match.conditions(lo, hi, bound.fields)
        where += [self.match.also(word, bound.fields) for word in bound.ranges[1:]]
        return where

    def _search_only(self) -> bool:
        """True when the search is the query's only condition (and its first word has one
        range: a typed phone's two are counted through the records)."""
        return (bool(self._ranges) and len(self._ranges[0]) == 1 and not self._filters
                and self.row_condition is None)  # fmt: skip

    def groups_statement(self, *, by_title: bool = False, limit: int | None = None) -> Any:
        """Row counts per group (see :func:`_groups_statement`), built once."""
        key = ("groups", by_title, limit)
        with self.lock:
            if key not in self.statements:
                self.statements[key] = _groups_statement(self, by_title, limit)
            return self.statements[key]

    def statement(self, key: str) -> Any:
        """The statement ``rows``, ``count`` or ``groups`` of this query."""
        with self.lock:
            if key == "rows":
                return self.rows_statement()
            return self.count_statement() if key == "count" else self.groups_statement()

    def template(self) -> Self:
        """The query whose statements this one runs: the first one of the same shape built
        in this model version (its statements are then reused with this query's values:
        building and compiling them cost several times what SQLite needs for a page)."""
        if self.shape is None:
            return self
        cache = model_cache(self.model, "list_statements")
        return cast(Self, cache.get(self.shape, lambda: self))


def _groups_statement(query: StatementBuilder, by_title: bool, limit: int | None) -> Any:
    """Row counts per distinct combination of ``query``'s ``group_by`` values, ordered by
    key (by title first when ``by_title``), at most ``group_limit`` (or ``limit``) groups."""
    targets = query.group_targets
    n = len(targets)
    keyed = (
        sa.select(*(t.expr.label(f"k{i}") for i, t in enumerate(targets)))
        .select_from(query.ct.sql).where(*query.where).subquery()
    )  # fmt: skip
    keys = [keyed.c[f"k{i}"] for i in range(n)]
    grouped = sa.select(*keys, sa.func.count().label("n")).group_by(*keys).subquery()
    source: Any = grouped
    titles: list[Any] = []
    order: list[Any] = []
    for i, target in enumerate(targets):
        key = grouped.c[f"k{i}"]
        if target.title is None:
            titles.append(sa.null().label(f"t{i}"))
        else:
            alias, title = _group_title(query, i, target)
            on = sa.and_(alias.c.id == key, *target.title.visible(alias))
            source = source.outerjoin(alias, on)
            titles.append(title.label(f"t{i}"))
            if by_title:
                order.append(title.asc().nulls_first())
        order.append(key.asc().nulls_first() if target.nullable else key.asc())
    return (
        sa.select(*(grouped.c[f"k{i}"] for i in range(n)), *titles, grouped.c.n)
        .select_from(source).order_by(*order).limit(limit or query.group_limit)
    )  # fmt: skip


def _group_title(query: StatementBuilder, i: int, target: Target) -> tuple[Any, Any]:
    """An alias of the referenced table for the ``i``-th group key and the title on it
    (shared by every query of this model version, like the page's joins)."""
    source = target.title
    assert source is not None

    def build() -> tuple[Any, Any]:
        alias = source.table.alias()
        return alias, source.on(alias)

    return query.model.cached(("group_title", query.ct.table.id, target.name, i), build)


def _sources(clause: Any) -> Iterator[Any]:
    """Every table or alias ``clause`` reads a column of (subqueries included)."""
    for element in iterate(clause):
        table = getattr(element, "table", None)
        if table is not None:
            yield table
