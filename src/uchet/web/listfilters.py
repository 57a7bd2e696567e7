"""Header filters of a list (S08): what each column offers, and the active filters as chips.

Every stored column offers the values present in it (checkboxes, from the view's
``values/<field>/`` endpoint). Depending on the field type it also offers conditions:
ranges (between, at least, at most) for numbers and dates, contains / starts with for text.
The kind of a type is looked up in :data:`FILTER_KINDS` (a registry, extended per type
name), falling back on the type's ``ordered`` flag.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Protocol

from uchet.platform.fieldtypes import ParseError
from uchet.platform.model.config import Field, Table
from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.platform.model.numbers import as_id
from uchet.platform.query.listquery import Filter
from uchet.web.context import WebContext
from uchet.web.liststate import NULL_TOKEN, RANGE_SEPARATOR, ListState
from uchet.web.screen import TableScreen


class FilterPage(Protocol):
    """What the header filters need of a list page (:class:`~uchet.web.listpage.ListPage`,
    which uses this module and so is not imported here)."""

    @property
    def view(self) -> TableScreen: ...

    @property
    def c(self) -> WebContext: ...

    @property
    def table(self) -> Table: ...

    @property
    def state(self) -> ListState: ...


#: Field type -> filter kind: "values" (checkboxes only), "text" (plus contains/starts
#: with), "range" (plus between/at least/at most), or None (no header filter).
FILTER_KINDS: dict[str, str | None] = {
    "choice": "values",
    "reference": "values",
    "user": "values",
    "boolean": "values",
    "file": None,
    "image": None,
    "json": None,
}
#: The HTML input a range condition uses, by widget name (default: number).
RANGE_INPUTS = {"date": "date", "datetime": "datetime-local", "time": "time"}
#: Operator -> how a chip shows it (msgid with %(value)s).
OPERATOR_TEXTS = {
    "ge": "≥ %(value)s",
    "gt": "> %(value)s",
    "le": "≤ %(value)s",
    "lt": "< %(value)s",
    "eq": "= %(value)s",
    "ne": "≠ %(value)s",
    "contains": "contains «%(value)s»",
    "startswith": "starts with «%(value)s»",
    "ieq": "equals «%(value)s» ignoring case",
    "between": "from %(lo)s to %(hi)s",
    "is_null": "is empty",
}


def filter_kind(page: FilterPage, f: Field) -> str | None:
    """The header filter ``f`` offers in ``page``'s table, or None. A table whose ``list``
    names ``header_filters`` (the list designer, issue 15) offers filters only there; a
    filter already in the URL (a saved view's) still works and shows as a chip."""
    headers = page.table.list_header_filters
    if headers is not None and f.id not in headers:
        return None
    return type_filter_kind(page.c.runtime.types, f)


def type_filter_kind(types: Any, f: Field) -> str | None:
    """The header filter ``f``'s type can offer (whatever the table's list names), or None;
    ``types`` is the field type registry."""
    ftype = types.get(f.type)
    if not types.has_column(f):
        return None
    if f.type in FILTER_KINDS:
        return FILTER_KINDS[f.type]
    return "range" if ftype.ordered else "text"


def range_input(page: FilterPage, f: Field) -> str:
    """The HTML input type of a range condition on ``f``."""
    return RANGE_INPUTS.get(page.c.runtime.types.get(f.type).widget, "number")


@dataclass(frozen=True)
class FilterChip:
    """One active filter as the toolbar shows it, with the URL that removes it."""

    field: str
    label: str
    text: str
    remove_query: str


def filter_chips(page: FilterPage) -> list[FilterChip]:
    """The active filters in words: "Category: VIP, Regular", "Loyalty: ≥ 5"."""
    state, table, c = page.state, page.table, page.c
    chips = []
    for item in state.filters:
        name, op, value = item
        if not table.has_field(name):
            label, f = name, None
        else:
            f = table.field_by_name(name)
            label = page.view.label(f)
        if op == "in":
            text = ", ".join(_value_titles(page, f, value)) if f else ", ".join(value)
        elif op == "between":
            lo, _, hi = str(value).partition(RANGE_SEPARATOR)
            text = c.gettext(OPERATOR_TEXTS["between"], lo=_shown(page, f, lo) or "…",
                             hi=_shown(page, f, hi) or "…")  # fmt: skip
        elif op in OPERATOR_TEXTS:
            text = c.gettext(OPERATOR_TEXTS[op], value=_shown(page, f, value))
        else:
            text = f"{op} {value}"
        rest = [x for x in state.filters if x != item]
        chips.append(FilterChip(name, label, text, state.query_string(filters=rest)))
    return chips


def _shown(page: FilterPage, f: Field | None, raw: str) -> str:
    """A condition's value as the column shows it (31.12.2024, not 2024-12-31)."""
    if f is None or not raw:
        return raw
    try:
        parsed = page.c.runtime.types.get(f.type).parse(f, raw)
    except (ParseError, ValueError, TypeError):
        return raw
    return page.view.text(f, {f.name: parsed}) or raw


def _value_titles(page: FilterPage, f: Field, values: tuple[str, ...]) -> list[str]:
    """Titles of the chosen values: one query per reference filter, not per value."""
    titles = {v: v for v in values}
    real = [v for v in values if v != NULL_TOKEN]
    if f.type == "reference" and f.target and real:
        target = page.c.runtime.table(f.target).table
        if target.title_field:
            title = target.field_by_id(target.title_field).name
            ids = [i for i in map(as_id, real) if i is not None]
            with contextlib.suppress(PermissionDenied, ValidationError):
                rows = page.view.records(target.id).query(
                    filters=[Filter("id", "in", ids)], columns=[title], limit=len(ids) or 1,
                    count=False,
                ).rows  # fmt: skip
                titles.update({str(r["id"]): str(r[title]) for r in rows})
    elif f.type == "user":
        for v in real:
            user_id = as_id(v)
            if user_id is None:
                continue
            with contextlib.suppress(ValueError, NotFound):
                user = page.c.platform.users.get(user_id)
                if user is not None:
                    titles[v] = user.name
    else:
        for v in real:
            with contextlib.suppress(ParseError, ValueError, TypeError):  # shown as is
                parsed: Any = page.c.runtime.types.get(f.type).parse(f, v)
                titles[v] = page.view.text(f, {f.name: parsed}) or v
    return [titles[v] if v != NULL_TOKEN else "—" for v in values]
