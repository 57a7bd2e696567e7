"""The state of a checked list query and the name checks that fill it.

:class:`QueryBase` holds what a :class:`~uchet.platform.query.listquery.ListQuery` is made
of (its table, rights, targets, sort keys and joins) and the steps that resolve and check
the names of a request. The query plan (:mod:`.plan`) runs the same steps on a query, the
statements (:mod:`.statements`) read what they produced, and the list query ties them
together; all of them import this module, and it imports none of them.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa

from uchet.platform.model.config import SYSTEM_COLUMNS
from uchet.platform.model.errors import ValidationError
from uchet.platform.model.i18n import Text
from uchet.platform.query.cache import model_cache
from uchet.platform.query.cursor import SortKey
from uchet.platform.query.filters import PlannedFilter
from uchet.platform.query.names import Sight, Target, check_readable, resolve
from uchet.platform.schema.compiler import CompiledModel, CompiledTable
from uchet.platform.schema.search import MatchOrder

#: The suffix of the output column holding a reference's title.
TITLE_SUFFIX = "__title"
#: The sort key text of a search page in the order of the matched term (see MatchOrder).
MATCH_SORT = "~match"


class Bound(NamedTuple):
    """A query's values in its statements (see ``ListQuery._bind_all``)."""

    filters: list[PlannedFilter]
    ranges: list[list[tuple[Any, Any]]]
    fields: list[Any] | None
    after: list[Any] | None
    limit: Any
    offset: Any
    count_limit: Any


class QueryBase:
    """A list query's checked state; the constructor of ``ListQuery`` sets the attributes."""

    model: CompiledModel
    ct: CompiledTable
    readable: frozenset[str] | None
    sight: Sight | None
    locale: str
    limit: int
    offset: int
    count: bool
    count_limit: int
    group_limit: int
    group_counts: str
    row_condition: Any
    match: MatchOrder | None
    sort_keys: list[SortKey]
    columns: list[Target]
    group_targets: list[Target]
    after: list[Any] | None
    #: Everything the statements depend on besides bound values (None: not known).
    shape: Any
    #: Every value the statements use, bound by name (v0, v1...).
    params: dict[str, Any]
    #: Statements built so far, by kind (and compiled forms of them, see :mod:`.run`).
    statements: dict[Hashable, Any]
    lock: threading.RLock
    #: Reference field name -> (alias, ON clause, title): LEFT OUTER JOINs of the page.
    joins: dict[str, tuple[Any, Any, Any]]
    _filters: list[PlannedFilter]
    _ranges: list[list[tuple[str, str]]]
    _slots: list[int] | None

    def match_order(self) -> MatchOrder:
        """The order of a search page by matched term (the table must have search fields)."""
        assert self.ct.search is not None
        search_table = self.ct.search
        aliases = self.model.cached(("search_match", self.ct.table.id),
                                    lambda: MatchOrder.aliases(search_table))  # fmt: skip
        return MatchOrder(search_table, aliases)

    def title_ref(self, target: Target) -> Any:
        """The title of a reference: a joined column for the table's own reference fields
        (one LEFT OUTER JOIN per field, shared by the column and the sort), a correlated
        subquery for one reached through a path."""
        assert target.title is not None
        if "." in target.name:
            return target.title.lookup(target.expr)
        if target.name not in self.joins:
            title = target.title

            def join() -> tuple[Any, Any, Any]:
                # Anonymous aliases: SQLAlchemy names them so they never clash with a table.
                alias = title.table.alias()
                return alias, alias.c.id == target.expr, title.on(alias)

            # One alias per reference field and model version, shared by every query:
            # building it (its column collection, the title rewritten onto it) cost more
            # than running a first page. The user's row rules on the referenced table join
            # the ON clause, so a row they may not see gives no title.
            key = ("title_join", self.ct.table.id, target.name)
            alias, on, title_expr = self.model.cached(key, join)
            on = sa.and_(on, *title.visible(alias))
            self.joins[target.name] = (alias, on, title_expr)
        return self.joins[target.name][2]

    def readable_target(self, name: str, key: str) -> Target:
        """The target of ``name`` as a request names it (errors under ``key``), if readable."""
        target = resolve(self.model, self.ct, name, key=key, sight=self.sight)
        check_readable(target, self.readable)
        return target

    def column_targets(self, columns: Sequence[str] | None) -> list[Target]:
        """The targets of the requested ``columns`` (None: every field) the user may read."""
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

    def sort_keys_for(self, sort: Sequence[str]) -> list[SortKey]:
        """The sort keys of ``sort`` (or the table's default), with ``id`` as tiebreaker."""
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
            target = (self.readable_target(name, "sort") if checked
                      else resolve(self.model, self.ct, name, sight=self.sight))  # fmt: skip
            expr, nullable, row_key = target.expr, target.nullable, name
            # A reference sorts by what people see, the referenced record's title; by its
            # bare id when the user may not see the title (a sort must not reveal the order
            # of what it hides). A grouped reference sorts by its raw value, the order of its
            # groups: that is index order, so a grouped page stays O(page) (titles would sort
            # the whole table).
            grouped = any(g.name == name for g in self.group_targets)
            if target.title is not None and not grouped:
                expr, nullable, row_key = self.title_ref(target), True, name + TITLE_SUFFIX
            keys.append(SortKey(text, expr, text.startswith("-"), nullable, row_key))
        return keys
