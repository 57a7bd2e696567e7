"""The rows of a list page as HTML, from per-column formatters built once (issue 12, point 5).

A 50-row page of 8 columns used to go through Jinja's macro machinery, ``view.cell``,
``display_html``, the locale lookup, the field-type registry and ``url_for`` for every one
of its 400 cells, and that was most of the page's CPU. Everything those calls decide
depends only on the configuration version, the column and the locale, so it is decided
once:

* :func:`column_formatter` picks, for one column, the function that turns a row into the
  cell's escaped HTML (a reference's title, a choice's label, yes/no, a formatted number,
  a link for e-mail, web and phone, a thumbnail or a download for files);
* :class:`UrlTemplate` builds a route's URL once with a marker id and splits it, so a
  row's URL is two string joins instead of a Werkzeug URL build;
* :class:`RowRenderer` holds the formatters of a page's columns and writes each
  ``<tr>``.

Formatters are kept per app (one app per configuration version, ``web/hotswap.py``),
column, locale and mount point in :class:`FormatterCache`, so a page builds only what its request
decides: the column list and the user's widths. The HTML is the same as the template's
was (``tests/test_list_cells.py`` compares the two for every field type of the CRM).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Field
from uchet.platform.query.base import TITLE_SUFFIX
from uchet.web.display import swatch

#: A cell formatter: a row in, the cell's escaped HTML out ("" for an empty value).
Formatter = Callable[[Mapping[str, Any]], str]

#: The id a URL template is built with; the built URL is split where it appears. Eight
#: digits, so a bounded ``<int>`` converter (web/converters.py) accepts it.
MARKER_ID = 97531864


class UrlTemplate:
    """A route's URL with the record id left open: built once, joined per row.

    ``build(id)`` is ``url_for(endpoint, id=id, **fixed)`` with ``id`` put where the
    marker was. If the marker does not appear exactly once in the built URL (a route whose
    other parts could contain those digits), every call falls back to ``build_url``.
    """

    def __init__(self, build_url: Callable[[Any], str]):
        self._build_url = build_url
        parts = build_url(MARKER_ID).split(str(MARKER_ID))
        self._parts: tuple[str, str] | None = (parts[0], parts[1]) if len(parts) == 2 else None

    def build(self, record_id: Any) -> str:
        """The URL for ``record_id``."""
        if self._parts is None:
            return self._build_url(record_id)
        return f"{self._parts[0]}{record_id}{self._parts[1]}"


def column_formatter(
    field: Field,
    types: FieldTypeRegistry,
    locale: str,
    yes_no: tuple[str, str],
    file_url: Callable[[Any, str], str],
    no_access: str = "",
) -> Formatter:
    """The function that renders ``field``'s cell of a row, as ``display_html`` would."""
    name = field.name
    widget = types.get(field.type).widget
    if widget in ("image", "file"):
        # Files and images: the URL differs per row, the route per field.
        template = UrlTemplate(lambda record_id: file_url(record_id, name))
        if widget == "image":

            def image(row: Mapping[str, Any]) -> str:
                if row.get(name) is None:
                    return ""
                url = escape(template.build(row["id"]))
                return (f'<a href="{url}" target="_blank"><img class="uchet-thumb" '
                        f'src="{url}" alt=""></a>')  # fmt: skip

            return image

        def download(row: Mapping[str, Any]) -> str:
            if row.get(name) is None:
                return ""
            return f'<a href="{escape(template.build(row["id"]))}">⬇</a>'

        return download
    text = _text_formatter(field, types, locale, yes_no, no_access)
    if widget == "email":
        return _linked(name, text, "mailto:")
    if widget == "tel":
        return _linked(name, text, "tel:")
    if widget == "color":
        return lambda row: str(swatch(text(row))) if row.get(name) is not None else ""
    if widget == "url":

        def web(row: Mapping[str, Any]) -> str:
            value = text(row)  # "" for an empty value, as display_html gives
            if value.startswith(("http://", "https://")):
                safe = escape(value)
                return f'<a href="{safe}" target="_blank" rel="noopener">{safe}</a>'
            return str(escape(value))

        return web
    return lambda row: str(escape(text(row)))


def _linked(name: str, text: Callable[[Mapping[str, Any]], str], scheme: str) -> Formatter:
    def linked(row: Mapping[str, Any]) -> str:
        if row.get(name) is None:
            return ""
        value = escape(text(row))
        return f'<a href="{scheme}{value}">{value}</a>'

    return linked


def _text_formatter(field: Field, types: FieldTypeRegistry, locale: str, yes_no: tuple[str, str],
                    no_access: str) -> Callable[[Mapping[str, Any]], str]:  # fmt: skip
    """The plain text of the cell, as ``display_text`` gives it."""
    name, title_key = field.name, field.name + TITLE_SUFFIX
    fmt = types.get(field.type).format
    yes, no = yes_no

    def text(row: Mapping[str, Any]) -> str:
        value = row.get(name)
        if value is None:
            return ""
        if title_key in row:
            title = row[title_key]
            return str(title) if title is not None else (no_access or str(value))
        if value is True:
            return yes
        if value is False:
            return no
        return str(fmt(field, value, locale))

    return text


class FormatterCache:
    """Formatters by (table, column, locale, yes/no words), for the life of one app.

    One app serves one configuration version, so nothing here outlives the fields it was
    built from. The size is bounded by columns × locales; the lock only guards the dict.
    """

    def __init__(self) -> None:
        self._items: dict[tuple[str, str, str, tuple[str, str], str, str], Formatter] = {}
        self._lock = threading.Lock()

    def get(self, table_id: str, field: Field, types: FieldTypeRegistry, locale: str,
            yes_no: tuple[str, str], file_url: Callable[[Any, str], str],
            script_root: str = "", no_access: str = "") -> Formatter:  # fmt: skip
        """The formatter of ``field``'s column, built on first use.

        ``script_root`` is part of the key because a file column's URL template holds the
        prefix the app is mounted under, which a reverse proxy may set per request.
        """
        key = (table_id, field.id, locale, yes_no, script_root, no_access)
        found = self._items.get(key)
        if found is None:
            found = column_formatter(field, types, locale, yes_no, file_url, no_access)
            with self._lock:
                found = self._items.setdefault(key, found)
        return found


SIZED = ' class="uchet-sized"'


class RowRenderer:
    """The ``<tr>`` of each list row: the first column links to the card (S05)."""

    def __init__(self, columns: Sequence[Field], formatters: Sequence[Formatter],
                 sized: Sequence[bool], card_url: UrlTemplate):  # fmt: skip
        self._cells = [
            (f'<td data-field="{escape(f.name)}"{SIZED if s else ""}>', fmt)
            for f, fmt, s in zip(columns, formatters, sized, strict=True)
        ]
        self._card_url = card_url
        #: The title of the row's selection box (bulk actions, issue 21); None: no box.
        self.pick: str | None = None

    def row(self, row: Mapping[str, Any]) -> Markup:
        """One row's HTML."""
        record_id = row["id"]
        parts = [f'<tr class="uchet-row" data-id="{escape(record_id)}">']
        for i, (open_td, fmt) in enumerate(self._cells):
            cell = fmt(row)
            if i == 0:
                cell = f'<a href="{escape(self._card_url.build(record_id))}">{cell or "—"}</a>'
                if self.pick is not None:
                    # Inside the first cell, so the columns keep their places (widths,
                    # drag and drop, group rows); the version travels for the stale check.
                    cell = (f'<input type="checkbox" class="uchet-pick" value="{escape(record_id)}"'
                            f' data-version="{escape(row.get("version", ""))}"'
                            f' title="{escape(self.pick)}"> {cell}')  # fmt: skip
            parts.append(f"{open_td}{cell}</td>")
        parts.append("</tr>")
        return Markup("".join(parts))
