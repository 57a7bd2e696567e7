"""The dashboard on the home page (S42): the widgets of ``dashboards/*.json`` as cards.

The figures and rows come from :func:`uchet.platform.features.dashboards.run_dashboard`, computed
through the record service as the logged-in user. This module only presents them: numbers
and dates formatted by their field types in the user's language, a link from each widget to
the list it summarises (the same filters as URL parameters, so the list shows the rows the
figure counted) and from each row to its card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import url_for
from werkzeug.routing import BuildError

from uchet.platform.features.dashboards import DashboardResult, WidgetResult, run_dashboard
from uchet.platform.model.config import Field
from uchet.platform.query.listquery import Filter
from uchet.web.context import WebContext
from uchet.web.display import display_text

#: The endpoint of a report's page, with a ``report_id`` argument: a report widget links
#: there when the app has it.
REPORT_ENDPOINT = "reports.report"
#: Bootstrap column classes of each widget size.
SIZE_CLASSES = {
    "small": "col-12 col-sm-6 col-xl-3",
    "medium": "col-12 col-lg-6",
    "large": "col-12",
}


@dataclass
class Cell:
    text: str
    url: str | None = None


@dataclass
class WidgetView:
    """A widget as the template shows it."""

    result: WidgetResult
    css: str
    url: str | None
    figure: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    more: str = ""


def _url_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def list_args(filters: Iterable[Filter]) -> list[tuple[str, str]] | None:
    """The list screen's URL parameters for ``filters`` (see :mod:`uchet.web.liststate`),
    or None when one of them cannot be written there (a path through a reference)."""
    args: list[tuple[str, str]] = []
    for f in filters:
        if "." in f.field:
            return None
        if f.op == "in":
            values = f.value if isinstance(f.value, list | tuple) else [f.value]
            args.extend((f"f.{f.field}", _url_value(v)) for v in values)
        elif f.op == "eq":
            # "One of" a single value: a reference or user compares its id (a plain "eq"
            # with text would compare the referenced record's title).
            args.append((f"f.{f.field}", _url_value(f.value)))
        else:
            args.append((f"f.{f.field}.{f.op}", _url_value(f.value)))
    return args


def widget_url(c: WebContext, w: WidgetResult, sort: Iterable[str] = ()) -> str | None:
    """Where a widget leads: the filtered list of its table, or its report's page."""
    if w.report is not None:
        try:
            return url_for(REPORT_ENDPOINT, report_id=w.report)
        except BuildError:
            return None  # this app has no report pages
    if w.table is None:
        return None
    args = list_args(w.filters)
    if args is None:
        return None
    table = c.config.table(w.table)
    if sort:
        args.append(("sort", ",".join(sort)))
    base = url_for(f"t_{table.name}.index_view")
    return base + ("?" + urlencode(args) if args else "")


def _format(c: WebContext, kind: str, value: Any, f: Field | None = None) -> str:
    """``value`` formatted by the type of ``f`` (or the type ``kind``) in the user's language."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return c.gettext("Yes") if value else c.gettext("No")
    f = f or Field(id=kind, name=kind, type=kind, label={})
    if f.type not in c.runtime.types:
        return str(value)
    return str(c.runtime.types.get(f.type).format(f, value, c.locale()))


def figure_text(c: WebContext, w: WidgetResult) -> str:
    """A figure as people read it: ``12``, ``10 000+``, ``2 250,50 ₽``."""
    f = None
    if w.value_field and w.table:
        f = c.config.table(w.table).field_by_name(w.value_field)
    text = _format(c, w.value_type or "decimal", w.value, f)
    return text + "+" if w.capped else text


def _rows(c: WebContext, w: WidgetResult) -> tuple[list[str], list[list[Cell]]]:
    table = c.config.table(w.table) if w.table else None
    edit = f"t_{table.name}.edit_view" if table is not None else None
    yes_no = (c.gettext("Yes"), c.gettext("No"))
    rows = []
    for row in w.rows:
        cells = []
        for i, col in enumerate(w.columns):
            if table is not None and table.has_field(col.key):
                # A table's rows read like its list: titles, choice labels, formats.
                f = table.field_by_name(col.key)
                text = display_text(f, row, c.runtime.types, c.locale(), yes_no)
            elif col.title_key:
                text = str(row.get(col.title_key) or "—")
            else:
                text = _format(c, col.type, row.get(col.key))
            # The first column opens the record's card.
            url = url_for(edit, id=row["id"]) if edit and i == 0 and "id" in row else None
            cells.append(Cell(text or "—", url))
        rows.append(cells)
    return [col.label for col in w.columns], rows


def present(
    c: WebContext, result: DashboardResult, sorts: dict[str, list[str]]
) -> list[WidgetView]:
    """The widgets of ``result`` ready for the template."""
    views = []
    for w in result.widgets:
        view = WidgetView(w, SIZE_CLASSES.get(w.size, SIZE_CLASSES["medium"]),
                          widget_url(c, w, sorts.get(w.id, ())))  # fmt: skip
        if w.error is None:
            if w.kind == "figure":
                view.figure = figure_text(c, w)
            else:
                view.headers, view.rows = _rows(c, w)
                if w.total is not None and w.total > len(w.rows):
                    total = f"{w.total:,}".replace(",", "\u00a0") + ("+" if w.capped else "")
                    view.more = c.gettext("All %(count)s", count=total)
        views.append(view)
    return views


def home_dashboard(c: WebContext, dashboard_id: str | None) -> dict[str, Any]:
    """The template arguments of the home page's dashboard (``dashboard`` is None when the
    configuration declares none for this user)."""
    result = run_dashboard(c.runtime, c.user(), dashboard_id, locale=c.locale())
    if result is None:
        return {"dashboard": None, "widgets": []}
    doc = next(d for d in c.config.dashboards if d.id == result.id)
    sorts = {w["id"]: list(w.get("sort", ())) for w in doc.data["widgets"]}
    return {"dashboard": result, "widgets": present(c, result, sorts)}
