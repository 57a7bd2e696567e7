"""Reading an imported file into a header row and rows of cells (issue 17, point 1).

- xlsx, xlsm, xls, xlsb and ods are read by python-calamine (Rust; one reader for all of
  them, typed cells: numbers, dates, booleans), the first sheet;
- csv, tsv and txt: the encoding is detected (a UTF-8 byte-order mark first; then strict
  UTF-8; then charset-normalizer's best guess among the single-byte encodings Russian
  programs write, cp1251 above all), and the delimiter is sniffed by :class:`csv.Sniffer`
  among ``, ; TAB |``.

Rows are produced lazily, so a 100,000-row csv is never held twice in memory. Blank rows
are skipped; a row's number is its line in the spreadsheet (the header is row 1).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from uchet.platform.features.importing.texts import text
from uchet.platform.model.errors import ValidationError

SPREADSHEET_EXTENSIONS = frozenset({"xlsx", "xlsm", "xls", "xlsb", "ods"})
TEXT_EXTENSIONS = frozenset({"csv", "tsv", "txt"})
#: Encodings tried when a file is neither UTF-8 nor marked: what Russian Windows, DOS and
#: Unix programs write.
LEGACY_ENCODINGS = ("cp1251", "koi8_r", "cp866", "latin_1")
DELIMITERS = ",;\t|"


@dataclass
class Sheet:
    """An imported table: its header cells and its rows (each ``(row number, cells)``)."""

    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    #: What was detected, for the screen and the report ("cp1251, ;").
    encoding: str | None = None
    delimiter: str | None = None


def file_error(key: str, locale: str, **params: Any) -> ValidationError:
    """A problem with the file as a whole, in the user's language."""
    return ValidationError({"_file": [text(key, locale, **params)]})


def read_sheet(data: bytes, file_name: str, locale: str = "en") -> Sheet:
    """Read ``data`` (the file's bytes) by the extension of ``file_name``; problems with
    the file are a :class:`ValidationError` in ``locale``."""
    ext = PurePath(file_name).suffix.lower().lstrip(".")
    if ext in SPREADSHEET_EXTENSIONS:
        return _read_spreadsheet(data, locale)
    if ext in TEXT_EXTENSIONS or not ext:
        return _read_text(data, "\t" if ext == "tsv" else None, locale)
    raise file_error("unknown_format", locale, name=file_name)


def detect_encoding(data: bytes) -> str:
    """The encoding of a text file: ``utf-8-sig`` with a BOM, ``utf-8`` when it decodes
    strictly, else charset-normalizer's guess among :data:`LEGACY_ENCODINGS`."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=list(LEGACY_ENCODINGS)).best()
    return best.encoding if best is not None else "cp1251"


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a csv sample: :class:`csv.Sniffer`'s answer when the header line
    holds it, else the candidate the header line holds most of (the sniffer guesses wrong
    on short files whose rows are shorter than the header), else a comma."""
    lines = sample.splitlines()[:50]
    header = lines[0] if lines else ""
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
        if found in header:
            return found
    except csv.Error:
        pass
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_text(data: bytes, delimiter: str | None, locale: str) -> Sheet:
    encoding = detect_encoding(data)
    text = data.decode(encoding, errors="replace")
    if delimiter is None:
        delimiter = sniff_delimiter(text[:20_000])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers = next(reader, None)
    if headers is None:
        raise file_error("empty", locale)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for n, cells in enumerate(reader, start=2):
            if "".join(cells).strip():
                yield n, list(cells)

    return Sheet([h.strip() for h in headers], rows(), encoding, delimiter)


def _read_spreadsheet(data: bytes, locale: str) -> Sheet:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        cells = iter(sheet.iter_rows())
    except Exception:  # calamine raises its own error types for a broken file
        raise file_error("unreadable", locale) from None
    headers = next(cells, None)
    if headers is None:
        raise file_error("empty", locale)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for n, row in enumerate(cells, start=2):
            values = [None if v == "" else v for v in row]
            if any(v is not None for v in values):
                yield n, values

    return Sheet([_header(h) for h in headers], rows())


def _header(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()
