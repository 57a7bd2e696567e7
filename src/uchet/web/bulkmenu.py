"""What a list's bulk bar offers (issue 21, point 4) and how each entry is named.

Entries come from registries, never a string switch: the record actions of
:data:`uchet.platform.records.bulk_actions.ACTIONS` the user's role may run (set a field,
delete, and any a plugin registers), then the entries other packages add through
:func:`register_source` (the print editor adds ``print:<form id>`` for the forms the user may
use, the mailing screens add ``mail:``), then the export formats when the role has the
``export`` right (``export:<format>``).
Print and export read; they reuse the existing mass print and export routes with the
selection as an ``f.id`` filter (or the list's own filter).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uchet.platform.model.config import Table
from uchet.platform.model.errors import NotFound, PermissionDenied
from uchet.platform.records.bulk_actions import ACTIONS, editable_fields
from uchet.web.export import EXPORTERS

#: Labels of the built-in record actions (translated through the UI texts).
ACTION_LABELS = {"set_field": "Change a field…", "delete": "Delete…"}
#: Export formats the bar offers (the list's Export menu has them all).
BAR_FORMATS = ("xlsx", "csv")
PRINT, EXPORT = "print:", "export:"
#: The entry that opens the new-mailing page with the selection (issue 19, added by
#: :mod:`uchet.web.mailingviews` through :func:`register_source`).
MAIL = "mail:"

#: A source of bar entries: (web context, table) -> [(value, label)].
Source = Callable[[Any, Table], list[tuple[str, str]]]
#: Entries other packages add, by source name (registering again replaces).
SOURCES: dict[str, Source] = {}


#: Whether a print can be converted to one PDF; the print editor, which knows whether
#: LibreOffice is installed, sets it (the web layer may not import the print editor).
PDF_AVAILABLE: list[Callable[[], bool]] = [lambda: False]


def register_source(name: str, source: Source) -> None:
    """Add (or replace) a source of bulk bar entries (the print editor's forms)."""
    SOURCES[name] = source


def register_pdf_check(check: Callable[[], bool]) -> None:
    """Say how to tell whether prints can be converted to PDF (the print editor does)."""
    PDF_AVAILABLE[0] = check


def pdf_available() -> bool:
    """Whether the bulk bar may offer «one PDF» for a print."""
    return PDF_AVAILABLE[0]()


def bulk_menu(page: Any) -> list[tuple[str, str]]:
    """(value, label) of the bulk bar's entries for the user on a list page's table."""
    c, table = page.c, page.table
    service = c.records(table.id)
    entries: list[tuple[str, str]] = []
    for action in ACTIONS.available(service):
        if action.name == "set_field" and not editable_fields(service):
            continue
        label = ACTION_LABELS.get(action.name) or getattr(action, "label", action.name)
        entries.append((action.name, c.gettext(str(label))))
    entries += sourced_entries(c, table)
    if c.access(table.id).can("export"):
        for fmt in BAR_FORMATS:
            if fmt in EXPORTERS:
                name = c.gettext("Export: %(format)s", format=EXPORTERS[fmt].extension)
                entries.append((EXPORT + fmt, name))
    return entries


def sourced_entries(c: Any, table: Table) -> list[tuple[str, str]]:
    """The entries of the registered sources (a source that fails offers nothing)."""
    entries: list[tuple[str, str]] = []
    for source in SOURCES.values():
        try:
            entries += source(c, table)
        except (NotFound, PermissionDenied, KeyError):
            continue
    return entries


def entry_label(c: Any, table: Table, value: str) -> str | None:
    """The label of the bar entry ``value`` (None when no source offers it)."""
    return dict(sourced_entries(c, table)).get(value)
