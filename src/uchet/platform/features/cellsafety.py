"""Spreadsheet cells that cannot run formulas (issue 13, point 1; OWASP "CSV injection").

A text value that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula when the file is opened: a client named
``=HYPERLINK("http://x","y")`` becomes a live link, ``+cmd|' /C calc'!A0`` a DDE call. Every
exporter of the product (list exports in every format, report xlsx) passes its cells through
this one module:

- :func:`looks_like_formula` is the single rule;
- :func:`csv_text` prefixes such text with ``'`` for csv/tsv, as OWASP advises;
- :func:`neutralise_xlsx_cell` marks such an openpyxl cell as a string, so it is written as an
  inline string (``t="inlineStr"``) and never as ``<f>``.

Numbers, dates and booleans are never touched: ``-5`` stays the number -5, and the text of a
plain signed number (``-5``, ``-1 234,50``) is left bare too; only other *text* that starts like
a formula is neutralised. The price is that a phone written ``+7 900 …`` gets a
leading ``'`` in csv; spreadsheet programs hide it, and a re-import strips it (see
:func:`strip_csv_guard`).
"""

from __future__ import annotations

import re
from typing import Any

#: The first characters that make a spreadsheet evaluate a text cell.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: A signed number as the list shows it (``-5``, ``-1 234,50`` with ordinary, no-break or
#: narrow spaces): no operator after the sign, no reference, no call, so nothing to run.
#: Leaving it bare keeps numbers numbers in csv, where every cell is text.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[ \u00a0\u202f]\d{3})*(?:[.,]\d+)?(?:[eE][+-]?\d+)?\Z")


def looks_like_formula(value: Any) -> bool:
    """Whether ``value`` is text a spreadsheet program would evaluate as a formula: it
    starts with one of :data:`FORMULA_PREFIXES` and is not a plain signed number."""
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_PREFIXES)
        and _PLAIN_NUMBER.match(value) is None
    )


def csv_text(value: Any) -> Any:
    """``value`` safe for a csv/tsv cell: formula-like text gets a leading ``'``; anything
    else (numbers included) is returned unchanged."""
    if looks_like_formula(value):
        return "'" + value
    return value


def strip_csv_guard(value: str) -> str:
    """The text :func:`csv_text` wrote, back: ``'=1+1`` → ``=1+1`` (used by the importer so a
    file exported by the product imports to the same values)."""
    if value.startswith("'") and looks_like_formula(value[1:]):
        return value[1:]
    return value


def neutralise_xlsx_cell(cell: Any) -> Any:
    """Make an openpyxl cell (normal or write-only) that holds formula-like text a plain
    string; returns the cell. openpyxl writes strings as inline strings, so the file holds
    the text exactly as typed and no ``<f>`` element."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
    return cell
