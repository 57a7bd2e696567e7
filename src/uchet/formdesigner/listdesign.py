"""The list layout of a table as the list designer edits it (issue 15, point 2).

A table's list defaults live in its configuration: ``list.columns`` (the columns shown, in
order), ``list.widths`` (pixels by field id), ``list.header_filters`` (the columns whose
header offers a filter; absent: every filterable one), ``search_fields`` (what quick search
matches) and ``default_sort``. :class:`ListDesign` is those five settings; :func:`read_form`
reads them from the designer's posted form, and :func:`overlay_with` writes them into a
database overlay document as one ``set`` entry on the table, which the designer saves as
one revision. Users' own column choices and widths (``uchet_prefs``, S05/S06) and their
saved views stay on top: they override these defaults, as they override the files'.

Plain data and functions: no Flask, no web layer. Messages are message ids with their
parameters; the screen translates them.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from uchet.platform.model.config import Field, Table

#: The narrowest and widest default width (the table schema's bounds).
MIN_WIDTH, MAX_WIDTH = 40, 2000
#: Field types quick search is offered for (their words are worth indexing).
SEARCH_TYPES = frozenset({"string", "text", "phone", "email", "url"})
DEFAULT_PAGE_SIZE = 50
WIDTH_PROBLEM = "The width is a whole number of pixels from %(min)s to %(max)s."


class FormData(Protocol):
    """A posted form (werkzeug's ``MultiDict`` is one)."""

    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class SortKey:
    field: str  # a field id
    descending: bool = False

    def token(self) -> str:
        """As ``default_sort`` writes it: ``-`` for descending."""
        return ("-" if self.descending else "") + self.field


@dataclass
class ListDesign:
    """The list defaults of one table."""

    #: Every field id in the designer's order; the shown ones are ``columns``.
    order: list[str]
    columns: list[str]
    widths: dict[str, int] = field(default_factory=dict)
    #: None: every filterable column offers a header filter (the default).
    header_filters: list[str] | None = None
    search_fields: list[str] = field(default_factory=list)
    sort: list[SortKey] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """Why a posted design cannot be saved: ``where`` is a field id or ``"sort"`` or
    ``"columns"``, so the screen shows the message on that element."""

    where: str
    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)


def designable(table: Table) -> list[Field]:
    """The fields the designer lists: every field that is not hidden."""
    return [f for f in table.fields if not f.hidden]


def current(table: Table) -> ListDesign:
    """The table's list defaults as its configuration has them now."""
    fields = designable(table)
    ids = [f.id for f in fields]
    shown = [i for i in table.list_columns if i in ids] or default_columns(table)
    order = shown + [i for i in ids if i not in shown]
    return ListDesign(
        order=order,
        columns=shown,
        widths={k: v for k, v in table.list_widths.items() if k in ids},
        header_filters=(
            None if table.list_header_filters is None else list(table.list_header_filters)
        ),
        search_fields=list(table.search_fields),
        sort=[SortKey(k.field, k.descending) for k in table.default_sort],
    )


def default_columns(table: Table) -> list[str]:
    """The columns of a table whose list names none: its first six fields."""
    return [f.id for f in designable(table)][:6]


def read_form(
    table: Table, form: FormData, filterable: Collection[str]
) -> tuple[ListDesign, list[Problem]]:
    """The design posted by the designer's form, and what is wrong with it.

    The form posts ``col`` once per field in the order shown (dragging moves the inputs,
    so their order is the columns' order), ``show``, ``filter`` and ``search`` for the
    checked boxes, ``width.<field id>`` and the sort keys as ``sort_field``/``sort_dir``
    pairs. ``filterable`` are the field ids whose type can offer a header filter: when
    exactly those are checked and the table never named its header filters, it still
    names none (so saving an untouched page changes nothing).
    """
    by_id = {f.id: f for f in designable(table)}
    problems: list[Problem] = []
    order = [i for i in dict.fromkeys(form.getlist("col")) if i in by_id]
    order += [i for i in by_id if i not in order]  # a field the form did not post stays
    checked = set(form.getlist("show"))
    columns = [i for i in order if i in checked]
    if not columns:
        problems.append(Problem("columns", "Keep at least one column in the list."))
    widths: dict[str, int] = {}
    for fid in order:
        raw = "".join(form.getlist(f"width.{fid}")[:1]).strip()
        if not raw:
            continue
        if not raw.isdigit() or not MIN_WIDTH <= int(raw) <= MAX_WIDTH:
            bounds = {"min": MIN_WIDTH, "max": MAX_WIDTH}
            problems.append(Problem(fid, WIDTH_PROBLEM, bounds))
            continue
        widths[fid] = int(raw)
    wanted = set(form.getlist("filter"))
    filters = [i for i in order if i in wanted and i in filterable]
    before = current(table)
    header: list[str] | None = filters
    if before.header_filters is None and set(filters) == set(filterable) & set(order):
        header = None
    offered = search_offered(table)
    asked = set(form.getlist("search"))
    search = [i for i in order if i in asked and i in offered]
    # Keep the search fields' own order where they were already set (the match order).
    search = [i for i in before.search_fields if i in search] + [
        i for i in search if i not in before.search_fields
    ]
    sort: list[SortKey] = []
    for fid, way in zip(form.getlist("sort_field"), form.getlist("sort_dir"), strict=False):
        if not fid:
            continue
        if fid not in by_id:
            problems.append(Problem("sort", "No such field to sort by."))
        elif any(k.field == fid for k in sort):
            problems.append(Problem("sort", "A field is sorted by only once."))
        else:
            sort.append(SortKey(fid, way == "desc"))
    design = ListDesign(order, columns, widths, header, search, sort)
    return design, problems


def search_offered(table: Table) -> set[str]:
    """The field ids quick search may match: text-like fields, and those already set."""
    return {f.id for f in designable(table) if f.type in SEARCH_TYPES} | set(table.search_fields)


def table_properties(
    table_data: Mapping[str, Any], design: ListDesign, implicit: Sequence[str] = ()
) -> dict[str, Any]:
    """The table properties ``design`` sets: ``list`` (whole: an overlay ``set`` replaces
    it), ``search_fields`` and ``default_sort``. ``table_data`` is the table's effective
    document, whose other list settings (``filters``, ``page_size``) are kept; ``implicit``
    are the columns its list shows without naming any (:func:`default_columns`), which
    stay unnamed while they are the design's columns."""
    lst = {k: copy.deepcopy(v) for k, v in (table_data.get("list") or {}).items()}
    if "columns" in lst or list(design.columns) != list(implicit):
        lst["columns"] = list(design.columns)  # ``implicit``: the columns shown undeclared
    if design.widths:
        lst["widths"] = dict(design.widths)
    else:
        lst.pop("widths", None)
    if design.header_filters is None:
        lst.pop("header_filters", None)
    else:
        lst["header_filters"] = list(design.header_filters)
    wanted = {
        "list": lst,
        "search_fields": list(design.search_fields),
        "default_sort": [k.token() for k in design.sort],
    }
    # Only what changes: an untouched setting stays where it came from (the files).
    empty: dict[str, Any] = {"list": {}, "search_fields": [], "default_sort": []}
    return {k: v for k, v in wanted.items() if _key(v) != _key(table_data.get(k, empty[k]))}


def _key(value: Any) -> Any:
    """``value`` to compare: plain, and a list's default page size (50) left out, as the
    files may or may not spell it."""
    plain = _plain(value)
    if isinstance(plain, dict) and plain.get("page_size") == DEFAULT_PAGE_SIZE:
        del plain["page_size"]
    return plain


def _plain(value: Any) -> Any:
    """Frozen configuration data as plain dicts and lists, to compare."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def overlay_with(doc: Mapping[str, Any], table_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` (a database overlay document, not modified) with ``props`` set on the table:
    each replaces what the document set before (no merging, so a removed width stays
    removed)."""
    result = copy.deepcopy(dict(doc))
    if not props:
        return result
    entry = result.setdefault("set", {}).setdefault(table_id, {})
    for key, value in props.items():
        entry[key] = copy.deepcopy(value)
    return result


def table_data(table: Table) -> dict[str, Any]:
    """The effective document of ``table`` (its ``list``, ``search_fields``, ``default_sort``)
    as the configuration holds it."""
    lst: dict[str, Any] = {}
    if table.list_columns:
        lst["columns"] = list(table.list_columns)
    if table.list_filters:
        lst["filters"] = list(table.list_filters)
    if table.list_header_filters is not None:
        lst["header_filters"] = list(table.list_header_filters)
    if table.list_widths:
        lst["widths"] = dict(table.list_widths)
    lst["page_size"] = table.page_size  # written as it is in effect (the default: 50)
    data: dict[str, Any] = {"list": lst}
    data["search_fields"] = list(table.search_fields)
    data["default_sort"] = [("-" if k.descending else "") + k.field for k in table.default_sort]
    return data
