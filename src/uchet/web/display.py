"""Values as people read them in lists and cards: titles, labels, formatted numbers and dates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Field
from uchet.platform.query.base import TITLE_SUFFIX


def display_text(field: Field, row: Mapping[str, Any], types: FieldTypeRegistry, locale: str,
                 yes_no: tuple[str, str] = ("Yes", "No"), no_access: str = "") -> str:  # fmt: skip
    """The text of ``field`` in ``row``: a reference's title, a choice's label, yes/no...

    A reference whose title the user may not read (a record another manager owns) has no
    title in the row; it shows as ``no_access`` («нет доступа»), never as its bare id
    (issue 21), or as the id when no such text is given.
    """
    value = row.get(field.name)
    if value is None:
        return ""
    title_key = field.name + TITLE_SUFFIX
    if title_key in row:
        title = row[title_key]
        return str(title) if title is not None else (no_access or str(value))
    if isinstance(value, bool):
        return yes_no[0] if value else yes_no[1]
    return types.get(field.type).format(field, value, locale)


def swatch(color: str) -> Markup:
    """A colour as a small square with its code as the tooltip. An SVG ``fill`` rather than
    a ``style`` attribute: the CSP allows no inline style (docs/security.md)."""
    return Markup('<svg class="uchet-swatch" width="14" height="14" role="img" aria-label="{0}">'
                  '<title>{0}</title><rect width="14" height="14" rx="3" fill="{0}"/></svg>'
                  ).format(color)  # fmt: skip


def display_html(field: Field, row: Mapping[str, Any], types: FieldTypeRegistry, locale: str,
                 file_url: Any, yes_no: tuple[str, str] = ("Yes", "No"),
                 no_access: str = "") -> Markup:  # fmt: skip
    """Like :func:`display_text`, with links for files, e-mail, web and phone fields."""
    value = row.get(field.name)
    if value is None:
        return Markup("")
    widget = types.get(field.type).widget
    if widget == "image":
        url = file_url(row["id"], field.name)
        return Markup('<a href="{0}" target="_blank"><img class="uchet-thumb" src="{0}" '
                      'alt=""></a>').format(url)  # fmt: skip
    if widget == "file":
        return Markup('<a href="{}">⬇</a>').format(file_url(row["id"], field.name))
    text = display_text(field, row, types, locale, yes_no, no_access)
    if widget == "color":
        return swatch(text)
    if widget == "email":
        return Markup('<a href="mailto:{0}">{0}</a>').format(text)
    if widget == "url" and text.startswith(("http://", "https://")):
        return Markup('<a href="{0}" target="_blank" rel="noopener">{0}</a>').format(text)
    if widget == "tel":
        return Markup('<a href="tel:{0}">{0}</a>').format(text)
    return escape(text)
