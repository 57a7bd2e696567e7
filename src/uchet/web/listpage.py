"""One rendered list page: the query it runs and everything its template shows.

The page asks the record service for one page of rows (one SQL statement whatever the page
size: reference titles are joins), a capped count ("10 000+") and, when grouped, the group
counts. Nothing here is O(table) per page: a grouped page counts only the groups it shows,
each up to the count limit, with the row rules applied. The user's layout and saved views
are one indexed query each (:mod:`uchet.web.prefs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from uchet.platform.features.saved_views import SavedView
from uchet.platform.model.config import Field
from uchet.platform.query.listquery import QueryResult
from uchet.web import prefs
from uchet.web.bulkmenu import bulk_menu
from uchet.web.listcells import RowRenderer
from uchet.web.listfilters import FilterChip, filter_chips, filter_kind, range_input
from uchet.web.liststate import OFFSET_LIMIT, ListState
from uchet.web.screen import TableScreen


@dataclass(frozen=True)
class GroupHeader:
    """A group header row shown before the first row of a group."""

    level: int
    key: tuple[Any, ...]
    title: str
    count: int
    field_label: str
    #: The group has more rows than ``count`` (counts stop at the list's count limit).
    capped: bool = False

    @property
    def count_text(self) -> str:
        text = f"{self.count:,}".replace(",", "\u00a0")
        return text + "+" if self.capped else text

    @property
    def dom_id(self) -> str:
        return "g-" + "-".join(str(abs(hash(str(k)))) for k in self.key)


class ListPage:
    """The list of ``view``'s table in the state given by the request ``args``."""

    def __init__(self, view: TableScreen, args: MultiDict[str, str], run: bool = True):
        self.view, self.c, self.table = view, view.c, view.table
        self.state = ListState.from_args(args)
        access = view.access()
        self.readable = None if access.unrestricted else access.readable()
        self.user = self.c.user()
        self.admin = prefs.is_admin(self.c, self.user)
        self.layout = prefs.list_layout(self.c, self.table.id, self.user, self.state.columns)
        self.columns = self._columns()
        self.page_size = self.state.page_size or self.table.page_size
        self.result = self._query() if run else QueryResult([])
        self.rows = self.result.rows
        self.offset = 0 if self.state.after else (self.state.page - 1) * self.page_size
        self._export_query: str | None = None

    # -- columns ---------------------------------------------------------------------------
    def _can_read(self, name: str) -> bool:
        return self.readable is None or name in self.readable

    def all_fields(self) -> list[Field]:
        """Every field the user may read: what the column chooser offers."""
        return [f for f in self.table.fields if self._can_read(f.name)]

    def _columns(self) -> list[Field]:
        names = self.layout.columns or self.default_columns()
        fields = [self.table.field_by_name(n) for n in names if self.table.has_field(n)]
        return [f for f in fields if self._can_read(f.name)]

    def width(self, f: Field) -> int | None:
        """The saved width of a column in pixels, if the user (or their role) set one, else
        the configuration's default width (the list designer's, issue 15), if any."""
        return self.layout.widths.get(f.name) or self.table.list_widths.get(f.id)

    def row_renderer(self) -> RowRenderer:
        """The rows' HTML writer: per-column formatters built once per version (issue 12);
        rows carry a selection box when a bulk action is open to the user (issue 21)."""
        renderer = self.view.row_renderer(self.columns, [bool(self.width(f)) for f in self.columns])
        if self.bulk_actions():
            renderer.pick = self.c.gettext("Select")
        return renderer

    def bulk_actions(self) -> list[tuple[str, str]]:
        """(name, label) of the bulk actions the user may run on this list (issue 21)."""
        found = getattr(self, "_bulk", None)
        if found is None:
            found = self._bulk = bulk_menu(self)
        return found

    def default_columns(self) -> list[str]:
        """The configuration's list columns (the preferences layer overrides them)."""
        ids = self.table.list_columns or tuple(f.id for f in self.table.fields[:6])
        return [self.table.field_by_id(i).name for i in ids]

    # -- query -----------------------------------------------------------------------------
    def _query(self) -> QueryResult:
        state = self.state
        offset = 0 if state.after else min((state.page - 1) * self.page_size, OFFSET_LIMIT)
        return self.view.records().query(
            **query_options(self), limit=self.page_size, offset=offset, after=state.after,
            group_by=list(state.group), group_counts="page", count=True,
        )  # fmt: skip

    def default_sort(self) -> list[str]:
        """The table's default sort keys the user may read (used within groups)."""
        keys = []
        for k in self.table.default_sort:
            name = self.table.field_by_id(k.field).name
            if self._can_read(name):
                keys.append(("-" if k.descending else "") + name)
        return keys

    # -- what the template shows -------------------------------------------------------------
    @property
    def total_text(self) -> str:
        total = self.result.total or 0
        text = f"{total:,}".replace(",", "\u00a0")
        return text + "+" if self.result.total_capped else text

    @property
    def first(self) -> int:
        return self.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.rows)

    def next_query(self) -> str | None:
        """The next page: by offset while cheap, by keyset cursor beyond (rule 9)."""
        if self.result.next_cursor is None:
            return None
        if not self.state.after and self.state.page * self.page_size < OFFSET_LIMIT:
            return self.state.query_string(page=self.state.page + 1)
        return self.state.query_string(after=self.result.next_cursor)

    def prev_query(self) -> str | None:
        if self.state.after or self.state.page <= 1:
            return None
        return self.state.query_string(page=self.state.page - 1)

    def sort_query(self, name: str, add: bool = False) -> str:
        return self.state.with_sort(name, add).query_string()

    def sort_mark(self, name: str) -> str:
        for i, key in enumerate(self.state.sort):
            if key.lstrip("-") == name:
                arrow = "▼" if key.startswith("-") else "▲"
                return arrow + (str(i + 1) if len(self.state.sort) > 1 else "")
        return ""

    def filterable(self, f: Field) -> bool:
        """Whether the column's header offers a filter (S08)."""
        return filter_kind(self, f) is not None

    def filter_kind(self, f: Field) -> str | None:
        return filter_kind(self, f)

    def range_input(self, f: Field) -> str:
        return range_input(self, f)

    def filter_active(self, name: str) -> bool:
        return any(fname == name for fname, _op, _v in self.state.filters)

    def chips(self) -> list[FilterChip]:
        """The active filters in words, each removable."""
        return filter_chips(self)

    def can_design(self) -> bool:
        """Whether the user may open the list designer (issue 15): a superuser, or a holder
        of a role with the ``configure`` right, as for the structure editor."""
        if self.admin:
            return True
        roles = set(self.user.roles)
        return any(r.id in roles and r.data.get("configure") for r in self.c.config.roles)

    # -- saved views ---------------------------------------------------------------------------
    def saved_views(self) -> list[SavedView]:
        """The views of this table the user may open (own, shared with all or a role)."""
        return prefs.saved_views(self.c).visible(self.table.id, self.user)

    def current_view(self, views: list[SavedView]) -> SavedView | None:
        return next((v for v in views if v.id == self.state.view), None)

    def view_query(self, view: SavedView) -> str:
        """The list URL query of a saved view."""
        return urlencode([*view.state, ("view", str(view.id))])

    def editable(self, view: SavedView) -> bool:
        return view.editable_by(self.user, self.admin)

    def share_choices(self) -> list[tuple[str, str]]:
        """Whom the user may share a view with: nobody, everyone, or a role of theirs
        (any role for an administrator)."""
        roles = [r for r in self.c.config.roles if self.admin or r.id in self.user.roles]
        return [("", self.c.gettext("Only me")), ("*", self.c.gettext("Everyone")),
                *((r.id, self.c.label(r.data.get("label", {}), r.id)) for r in roles)]  # fmt: skip

    def shared_label(self, view: SavedView) -> str:
        return dict(self.share_choices()).get(view.shared_with or "", view.shared_with or "")

    # -- export --------------------------------------------------------------------------------
    def export_query(self) -> str:
        """This list's state (with the shown columns) for the export URLs (worked out once:
        the export menu asks for it once per format)."""
        if self._export_query is None:
            cols = tuple(f.name for f in self.columns)
            self._export_query = self.state.query_string(columns=cols)
        return self._export_query

    def group_label(self, name: str) -> str:
        return self.view.label(self.table.field_by_name(name))

    def items(self) -> list[tuple[list[GroupHeader], dict[str, Any]]]:
        """Rows, each with the group headers that start before it (S07)."""
        levels = list(self.state.group)
        if not levels:
            return [([], row) for row in self.rows]
        # Counts of the groups on the page, at every level, each capped (O(page), rule 9).
        counts = {g.key: (g.count, g.capped) for g in self.result.groups}
        out: list[tuple[list[GroupHeader], dict[str, Any]]] = []
        previous: tuple[Any, ...] | None = None
        fields = [self.table.field_by_name(n) for n in levels]
        for row in self.rows:
            key = tuple(row.get(n) for n in levels)
            headers = []
            for depth, f in enumerate(fields):
                if previous is None or previous[: depth + 1] != key[: depth + 1]:
                    title = self.view.text(f, row) or "—"
                    count, capped = counts.get(key[: depth + 1], (0, False))
                    headers.append(GroupHeader(depth, key[: depth + 1], title, count,
                                               self.view.label(f), capped))  # fmt: skip
            previous = key
            out.append((headers, row))
        return out


def query_options(page: ListPage) -> dict[str, Any]:
    """The record-service query of a list without its position: filters, search, the shown
    columns (plus grouped ones) and the sort, grouped fields first. Export uses it too."""
    state, table = page.state, page.table
    id_fields = {f.name for f in table.fields if f.type in ("reference", "user")}
    names = [f.name for f in page.columns]
    names += [g for g in state.group if g not in names]
    # Within groups: the user's sort, else the table's default. Group keys first, then the
    # default sort, is the order of the (filter, default sort) indexes (rule 9).
    within = state.sort or page.default_sort()
    sort = [*state.group, *[k for k in within if k.lstrip("-") not in state.group]]
    if not state.sort and not state.group:
        # No order chosen: the engine's own, which for a search is the order of the
        # matched term (O(page) however many records match; docs/architecture.md).
        sort = []
    return {"filters": state.query_filters(id_fields), "sort": sort,
            "search": state.search or None, "columns": names}  # fmt: skip
