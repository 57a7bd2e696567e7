"""Export of a list as the user sees it: filters, search, sort and columns applied.

Rows are read through the record service in keyset pages (:func:`iter_rows`), so the
user's row rules and field rights hold, memory stays flat and a deep page costs what the
first one does; at most ``export_max_rows`` rows are written (a setting of the web layer).
Formats are a registry (:data:`EXPORTERS`): CSV, JSON, XML and HTML stream as they read;
XLSX is written by openpyxl in write-only mode to a temporary file and then sent. Text that
starts like a formula (:mod:`uchet.platform.features.cellsafety`, issue 13 point 1) is
written as text wherever a spreadsheet program would evaluate it: ``'``-guarded in CSV, an
inline string in XLSX, a text-format cell in HTML. JSON and XML carry values as data, which
no spreadsheet evaluates, so they keep the text exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from uchet.platform.features.cellsafety import (
    csv_text,
    looks_like_formula,
    neutralise_xlsx_cell,
)
from uchet.platform.model.config import Field
from uchet.platform.records.service import RecordService
from uchet.web.export_sections import Section
from uchet.web.export_zipped import DOCX_MIME, ODS_MIME, write_docx, write_ods

#: Rows read per query while exporting.
BATCH = 500
#: Written at most when the settings say nothing.
DEFAULT_MAX_ROWS = 100_000

Cell = Callable[[Field, dict[str, Any]], Any]


def max_rows(extra: dict[str, Any]) -> int:
    """The export row cap: the ``export_max_rows`` web setting, else the environment's
    ``UCHET_EXPORT_MAX_ROWS``, else :data:`DEFAULT_MAX_ROWS`."""
    value = extra.get("export_max_rows") or os.environ.get("UCHET_EXPORT_MAX_ROWS")
    try:
        return max(1, int(value)) if value else DEFAULT_MAX_ROWS
    except ValueError:
        raise ValueError(f"export_max_rows must be a whole number, not {value!r}") from None


def iter_rows(
    service: RecordService, options: dict[str, Any], limit: int
) -> Iterator[dict[str, Any]]:
    """Up to ``limit`` rows of the query ``options`` (filters, sort, search, columns), page
    by page with the keyset cursor."""
    after: str | None = None
    sent = 0
    while sent < limit:
        result = service.query(**options, limit=min(BATCH, limit - sent), after=after, count=False)
        yield from result.rows
        sent += len(result.rows)
        if result.next_cursor is None or not result.rows:
            return
        after = result.next_cursor


def export_cell(
    f: Field, row: dict[str, Any], as_text: bool, text: Callable[[Field, dict[str, Any]], str]
) -> Any:
    """One exported cell: the text people see (``as_text`` formats, and references,
    choices, users, files and json everywhere), else the typed value."""
    value = row.get(f.name)
    if as_text or value is None or isinstance(value, str | bool) or f.type in (
        "choice", "reference", "user", "file", "image", "json"
    ):  # fmt: skip
        if f.type in ("file", "image") and value is not None:
            return "✓"
        return text(f, row)
    return value


def plain_value(value: Any) -> Any:
    """A value a spreadsheet cell can hold: numbers and dates stay typed."""
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date | dt.time):
        return value
    return str(value)


@dataclass(frozen=True)
class Exporter:
    """One export format."""

    extension: str
    mimetype: str
    #: (headers, rows of cells) -> the file's bytes, in chunks.
    write: Callable[[list[str], Iterable[list[Any]]], Iterator[bytes]]
    #: Whether cells are the text people see (True) or typed values (False).
    as_text: bool = True
    #: Whether a grouped list gets a header row per group (:class:`Section` items among
    #: the rows); the data formats keep one record per row.
    sections: bool = False


def write_csv(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """CSV in UTF-8 with a byte-order mark (so spreadsheet programs detect the encoding),
    one chunk per 200 rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([csv_text(h) for h in headers])
    for n, row in enumerate(rows, start=1):
        writer.writerow(["" if v is None else csv_text(v) for v in row])
        if n % 200 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def write_xlsx(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """An XLSX workbook with one sheet; write-only mode keeps memory flat."""

    book = Workbook(write_only=True)
    sheet = book.create_sheet("export")
    bold = Font(bold=True)
    head = []
    for text in headers:
        cell = neutralise_xlsx_cell(WriteOnlyCell(sheet, value=_xlsx_safe(text)))
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for row in rows:
        if isinstance(row, Section):
            cell = neutralise_xlsx_cell(WriteOnlyCell(sheet, value=_xlsx_safe(row.title)))
            cell.font = bold
            sheet.append([None] * row.depth + [cell])
            continue
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    with tempfile.TemporaryFile() as tmp:
        book.save(tmp)
        tmp.seek(0)
        while chunk := tmp.read(64 * 1024):
            yield chunk


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """A cell for a write-only sheet: a plain value, or, for text that starts like a
    formula, a cell forced to an inline string (issue 13, point 1)."""
    value = _xlsx_safe(plain_value(value))
    if looks_like_formula(value):  # only then the cost of a cell object
        return neutralise_xlsx_cell(WriteOnlyCell(sheet, value=value))
    return value


def _xlsx_safe(value: Any) -> Any:
    # openpyxl refuses timezone-aware datetimes and control characters in text.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        return "".join(ch for ch in value if ch >= " " or ch in "\t\n\r")
    return value


def _json_value(value: Any) -> str:
    """A JSON literal: numbers stay numbers (a Decimal exactly), dates in ISO form."""
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else "null"
    if isinstance(value, dt.date | dt.time):
        return json.dumps(value.isoformat())
    return json.dumps(str(value), ensure_ascii=False)


def write_json(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """A JSON array of objects (header -> typed value), one chunk per 200 rows."""
    keys = [json.dumps(h, ensure_ascii=False) for h in headers]
    parts: list[str] = ["["]
    for n, row in enumerate(rows):
        fields = ", ".join(f"{k}: {_json_value(v)}" for k, v in zip(keys, row))
        parts.append(("\n" if n == 0 else ",\n") + "{" + fields + "}")
        if n % 200 == 199:
            yield "".join(parts).encode()
            parts = []
    parts.append("\n]\n")
    yield "".join(parts).encode()


#: Characters XML 1.0 does not allow (control characters other than tab, LF and CR).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write_xml(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """``<rows><row><cell name="header">text</cell>…</row>…</rows>`` in UTF-8 (headers are
    labels, not XML names, so they go in an attribute)."""
    names = [quoteattr(_NOT_XML.sub("", h)) for h in headers]
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<rows>\n']
    for n, row in enumerate(rows, start=1):
        cells = "".join(
            f"<cell name={name}>{xml_escape(_NOT_XML.sub('', '' if v is None else str(v)))}</cell>"
            for name, v in zip(names, row)
        )
        parts.append(f"<row>{cells}</row>\n")
        if n % 200 == 0:
            yield "".join(parts).encode()
            parts = []
    parts.append("</rows>\n")
    yield "".join(parts).encode()


#: Excel reads an HTML table too, and evaluates ``=…`` in its cells; a cell in the text
#: number format (``mso-number-format:"\@"``) keeps such text as typed, and browsers ignore
#: the style (issue 13, point 1).
_HTML_TEXT_STYLE = " style='mso-number-format:\"\\@\"'"


def _html_cell(value: Any, tag: str = "td") -> str:
    text = html.escape("" if value is None else str(value))
    style = _HTML_TEXT_STYLE if looks_like_formula(value) else ""
    return f"<{tag}{style}>{text}</{tag}>"


def write_html(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """A plain HTML page holding one table (every cell escaped)."""
    head = "".join(_html_cell(h, "th") for h in headers)
    parts = [
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>export</title></head>'
        f'<body><table border="1">\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
    ]
    for n, row in enumerate(rows, start=1):
        if isinstance(row, Section):
            title = _html_cell(row.title, "th").replace("<th", f'<th colspan="{len(headers)}"', 1)
            parts.append(f'<tr class="group-{row.depth}">{title}</tr>\n')
            continue
        parts.append(f"<tr>{''.join(_html_cell(v) for v in row)}</tr>\n")
        if n % 200 == 0:
            yield "".join(parts).encode()
            parts = []
    parts.append("</tbody></table></body></html>\n")
    yield "".join(parts).encode()


EXPORTERS: dict[str, Exporter] = {
    "csv": Exporter("csv", "text/csv; charset=utf-8", write_csv),
    "xlsx": Exporter(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        write_xlsx,
        as_text=False,
        sections=True,
    ),
    "ods": Exporter("ods", ODS_MIME, write_ods, as_text=False, sections=True),
    "docx": Exporter("docx", DOCX_MIME, write_docx, sections=True),
    "json": Exporter("json", "application/json", write_json, as_text=False),
    "xml": Exporter("xml", "application/xml", write_xml),
    "html": Exporter("html", "text/html; charset=utf-8", write_html, sections=True),
}
