"""Export formats that are zip packages of XML: ODS (LibreOffice Calc) and DOCX (a Word
table) (issue 17, S32/S39). Both stream: the rows are written into the package's main XML
member as they are read, into a temporary file, so memory does not grow with the rows.

ODS cells are typed (numbers as ``float``, dates as ``date``, text as ``string``). A text
cell holds its text in ``<text:p>``; a formula would need a ``table:formula`` attribute,
which is never written, so text that starts with ``=`` stays text (issue 13, point 1).
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from uchet.web.export_sections import Section

#: Characters XML 1.0 does not allow.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CHUNK = 64 * 1024


def _text(value: Any) -> str:
    return escape(_NOT_XML.sub("", "" if value is None else str(value)))


def _send(tmp: IO[bytes]) -> Iterator[bytes]:
    tmp.seek(0)
    while chunk := tmp.read(CHUNK):
        yield chunk


# -- ODS --------------------------------------------------------------------------------------
ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest='
    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIME}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def _ods_cell(value: Any) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return (f'<table:table-cell office:value-type="boolean" office:boolean-value='
                f'"{str(value).lower()}"><text:p>{value}</text:p></table:table-cell>')  # fmt: skip
    if isinstance(value, int | float | Decimal):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")  # fmt: skip
    if isinstance(value, dt.date):
        iso = value.replace(tzinfo=None).isoformat() if isinstance(value, dt.datetime) else (
            value.isoformat())  # fmt: skip
        return (f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
                f"<text:p>{iso}</text:p></table:table-cell>")  # fmt: skip
    return (f'<table:table-cell office:value-type="string"><text:p>{_text(value)}</text:p>'
            "</table:table-cell>")  # fmt: skip


def write_ods(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """An ODS spreadsheet with one sheet, typed cells."""
    with tempfile.TemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(zipfile.ZipInfo("mimetype"), ODS_MIME, compress_type=zipfile.ZIP_STORED)
            z.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
            with z.open("content.xml", "w", force_zip64=True) as out:
                out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
                          f'{_ODS_NS}><office:body><office:spreadsheet>'
                          '<table:table table:name="export">'.encode())  # fmt: skip
                _ods_rows(out, headers, rows)
                out.write(b"</table:table></office:spreadsheet></office:body>"
                          b"</office:document-content>")  # fmt: skip
        yield from _send(tmp)


def _ods_rows(out: IO[bytes], headers: list[str], rows: Iterable[list[Any]]) -> None:
    head = "".join(_ods_cell(str(h)) for h in headers)
    buffer = [f"<table:table-row>{head}</table:table-row>"]
    for n, row in enumerate(rows, start=1):
        if isinstance(row, Section):  # a group header row: its title in the group's column
            buffer.append("<table:table-row>" + "<table:table-cell/>" * row.depth
                          + _ods_cell(row.title) + "</table:table-row>")  # fmt: skip
            continue
        buffer.append("<table:table-row>" + "".join(map(_ods_cell, row)) + "</table:table-row>")
        if n % 200 == 0:
            out.write("".join(buffer).encode())
            buffer = []
    out.write("".join(buffer).encode())


# -- DOCX -------------------------------------------------------------------------------------
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns='
    '"http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns='
    '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
    ' Target="word/document.xml"/></Relationships>'
)
_BORDERS = "".join(
    f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="999999"/>'
    for side in ("top", "left", "bottom", "right", "insideH", "insideV")
)


def _docx_cell(value: Any, bold: bool = False) -> str:
    run = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return (f'<w:tc><w:p><w:r>{run}<w:t xml:space="preserve">{_text(value)}</w:t></w:r></w:p>'
            "</w:tc>")  # fmt: skip


def write_docx(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """A Word document holding one table (header row in bold, repeated on every page)."""
    with tempfile.TemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", _DOCX_TYPES)
            z.writestr("_rels/.rels", _DOCX_RELS)
            with z.open("word/document.xml", "w", force_zip64=True) as out:
                head = "".join(_docx_cell(h, bold=True) for h in headers)
                out.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                          f"<w:document xmlns:w={quoteattr(_W)}><w:body><w:tbl><w:tblPr>"
                          f'<w:tblW w:w="0" w:type="auto"/><w:tblBorders>{_BORDERS}'
                          "</w:tblBorders></w:tblPr><w:tr><w:trPr><w:tblHeader/></w:trPr>"
                          f"{head}</w:tr>".encode())  # fmt: skip
                buffer: list[str] = []
                for n, row in enumerate(rows, start=1):
                    if isinstance(row, Section):  # one bold cell across the table
                        span = f'<w:tcPr><w:gridSpan w:val="{len(headers)}"/></w:tcPr>'
                        cell = _docx_cell(row.title, bold=True).replace("<w:tc>", "<w:tc>" + span)
                        buffer.append(f"<w:tr>{cell}</w:tr>")
                        continue
                    buffer.append("<w:tr>" + "".join(map(_docx_cell, row)) + "</w:tr>")
                    if n % 200 == 0:
                        out.write("".join(buffer).encode())
                        buffer = []
                out.write(("".join(buffer) + "</w:tbl><w:p/></w:body></w:document>").encode())
        yield from _send(tmp)
