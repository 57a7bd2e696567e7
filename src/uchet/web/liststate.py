"""The state of a list screen as URL parameters: sort, search, filters, grouping, page.

Everything a user changes on a list lives in the URL, so a list can be bookmarked, reloaded,
shared or saved as a named view (the saved state is the same mapping). Parameters:

``sort=name,-city``
    sort keys; ``-`` means descending. Shift-click on a header appends a key.
``q=ива``
    quick search (prefix of any word of the search fields, S03).
``f.category=3&f.category=5``
    the field is one of the values (an empty value means "no value").
``f.loyalty.between=3..7``, ``f.name.startswith=Ив``
    a condition with an operator of :data:`uchet.platform.query.listquery.OPERATORS`.
``group=category,city``
    nested grouping (S07).
``cols=name,city``
    the columns shown, in order (the saved preferences give the default).
``view=7``
    the saved view the list was opened from (kept while the user changes it).
``page=3`` or ``after=<cursor>``
    offset pages for the first ones, a keyset cursor beyond (deep pages stay cheap).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from uchet.platform.model.numbers import as_count, as_id, as_int
from uchet.platform.query.listquery import Filter

NULL_TOKEN = ""
#: The last page number a URL may ask for (a bigger one is page 1, not an OFFSET overflow).
MAX_PAGE = 1_000_000
RANGE_SEPARATOR = ".."
#: Offset paging up to this row; the "next" link then switches to the keyset cursor.
OFFSET_LIMIT = 10_000


@dataclass(frozen=True)
class ListState:
    """A list's sort, search, filters, grouping, columns and position."""

    sort: tuple[str, ...] = ()
    search: str = ""
    #: (field, op, raw value): op "in" holds a tuple of values.
    filters: tuple[tuple[str, str, Any], ...] = ()
    group: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    page: int = 1
    after: str | None = None
    page_size: int | None = None
    view: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> ListState:
        """Parse request arguments; unknown names are kept in ``extra``."""
        filters: list[tuple[str, str, Any]] = []
        extra: dict[str, str] = {}
        for key in args:
            if key.startswith("f."):
                name, _, op = key[2:].partition(".")
                values = args.getlist(key)
                if not op:
                    filters.append((name, "in", tuple(values)))
                else:
                    filters.extend((name, op, value) for value in values)
            elif key not in ("sort", "q", "group", "cols", "page", "after", "size", "view"):
                extra[key] = args[key]
        page = args.get("page", "1")
        size = args.get("size", "")
        view = args.get("view", "")
        return cls(
            sort=_split(args.get("sort", "")),
            search=args.get("q", "").strip(),
            filters=tuple(filters),
            group=_split(args.get("group", "")),
            columns=_split(args.get("cols", "")),
            page=as_count(page, 1, MAX_PAGE),
            after=args.get("after") or None,
            page_size=as_int(size, 1, 500),
            view=as_id(view),
            extra=extra,
        )

    def args(self) -> list[tuple[str, str]]:
        """The state as URL parameters (the inverse of :meth:`from_args`)."""
        out: list[tuple[str, str]] = []
        if self.sort:
            out.append(("sort", ",".join(self.sort)))
        if self.search:
            out.append(("q", self.search))
        for name, op, value in self.filters:
            if op == "in":
                out.extend((f"f.{name}", str(v)) for v in value)
            else:
                out.append((f"f.{name}.{op}", str(value)))
        if self.group:
            out.append(("group", ",".join(self.group)))
        if self.columns:
            out.append(("cols", ",".join(self.columns)))
        if self.page_size:
            out.append(("size", str(self.page_size)))
        if self.view:
            out.append(("view", str(self.view)))
        if self.after:
            out.append(("after", self.after))
        elif self.page > 1:
            out.append(("page", str(self.page)))
        return out

    def query_string(self, **changes: Any) -> str:
        """The URL query of this state with ``changes`` applied (a new list position
        unless ``page``/``after`` are given)."""
        changes.setdefault("page", 1)
        changes.setdefault("after", None)
        return urlencode(replace(self, **changes).args())

    def saved_args(self) -> list[tuple[str, str]]:
        """What a saved view keeps: the state without its position and view id."""
        return [(k, v) for k, v in replace(self, page=1, after=None, view=None).args()]

    def is_empty(self) -> bool:
        """Whether nothing but a view id (or a position) is set."""
        return not replace(self, page=1, after=None, view=None, extra={}).args()

    def with_sort(self, name: str, add: bool) -> ListState:
        """Click on a header: sort by it (toggling direction), or add it (shift-click)."""
        current = {k.lstrip("-"): k for k in self.sort}
        flipped = name if current.get(name) == "-" + name else "-" + name
        key = flipped if name in current else name
        if add:
            keys = [key if k.lstrip("-") == name else k for k in self.sort]
            if name not in current:
                keys.append(key)
            return replace(self, sort=tuple(keys), page=1, after=None)
        return replace(self, sort=(key,), page=1, after=None)

    def query_filters(self, id_fields: Collection[str] = ()) -> list[Filter]:
        """The engine filters of the URL filters. Values of ``id_fields`` (references) are
        record ids; the engine would compare text with the referenced record's title."""
        result = []
        for name, op, value in self.filters:
            if op == "in":
                # An empty value stands for "no value": the engine's "in" matches NULL for None.
                values = [None if v == NULL_TOKEN else v for v in value]
                if name in id_fields:
                    # A value that is not an id stays text: the field type refuses it.
                    values = [_id_or_text(v) for v in values]
                result.append(Filter(name, "in", values))
            elif op == "between":
                lo, _, hi = str(value).partition(RANGE_SEPARATOR)
                result.append(Filter(name, "between", [lo or None, hi or None]))
            else:
                result.append(Filter(name, op, value))
        return result

    def filtered_values(self, name: str) -> tuple[str, ...]:
        """The values chosen for ``name`` in the header filter."""
        for fname, op, value in self.filters:
            if fname == name and op == "in":
                return tuple(value)
        return ()


def _id_or_text(value: str | None) -> int | str | None:
    found = as_id(value) if value is not None else None
    return value if found is None else found


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())
