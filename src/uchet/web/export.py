"""Export of a list as the user sees it: filters, search, sort and columns applied.

Rows are read through the record service in keyset pages (:func:`iter_rows`), so the
user's row rules and field rights hold, memory stays flat and a deep page costs what the
first one does; at most ``export_max_rows`` rows are written (a setting of the web layer).
Formats are a registry (:data:`EXPORTERS`): CSV streams as it reads; XLSX is written by
openpyxl in write-only mode to a temporary file and then sent. Every writer passes its cells
through :mod:`uchet.platform.features.cellsafety`, so text that starts like a formula is
written as text (issue 13, point 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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


EXPORTERS: dict[str, Exporter] = {
    "csv": Exporter("csv", "text/csv; charset=utf-8", write_csv),
    "xlsx": Exporter(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        write_xlsx,
        as_text=False,
    ),
}
