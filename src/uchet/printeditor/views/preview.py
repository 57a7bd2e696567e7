"""A printed document as plain HTML: the preview when LibreOffice is not installed.

Without LibreOffice there is no PDF to show, so the preview converts the document itself:
a ``.docx`` becomes its paragraphs (headings, bold and italic runs, alignment) and tables
(merged cells spanned), a ``.xlsx`` becomes one table per sheet. It is a preview of the
*content*, not a faithful layout: fonts, page size and images are left out (an image shows
as a marker). Every text is escaped; nothing from the document reaches the page as markup.

No Flask here: the functions take bytes and return :class:`markupsafe.Markup`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from markupsafe import Markup, escape
from openpyxl import load_workbook

#: The most rows and columns of a sheet the preview shows (a preview, not an export).
MAX_SHEET_ROWS = 1000
MAX_SHEET_COLUMNS = 60

_ALIGN = {
    WD_ALIGN_PARAGRAPH.CENTER: "center",
    WD_ALIGN_PARAGRAPH.RIGHT: "right",
    WD_ALIGN_PARAGRAPH.JUSTIFY: "justify",
}


def _heading_level(paragraph: Paragraph) -> int:
    """1-6 for Word's Title/Heading styles, 0 for body text."""
    try:
        name = paragraph.style.name if paragraph.style is not None else ""
    except (KeyError, ValueError):  # a style id the document does not define
        return 0
    if name == "Title":
        return 1
    if name.startswith("Heading "):
        level = name.removeprefix("Heading ").strip()
        return min(int(level) + 1, 6) if level.isdigit() else 0
    return 0


def _runs(paragraph: Paragraph, image_text: str) -> str:
    parts: list[str] = []
    for run in paragraph.runs:
        text = str(escape(run.text)).replace("\n", "<br>").replace("\t", "&emsp;")
        if run.bold:
            text = f"<strong>{text}</strong>"
        if run.italic:
            text = f"<em>{text}</em>"
        if run.underline:
            text = f"<u>{text}</u>"
        if run._r.find(qn("w:drawing")) is not None or run._r.find(qn("w:pict")) is not None:
            text += f'<span class="uchet-preview-image">[{escape(image_text)}]</span>'
        parts.append(text)
    return "".join(parts)


def _paragraph(paragraph: Paragraph, image_text: str) -> str:
    body = _runs(paragraph, image_text)
    level = _heading_level(paragraph)
    align = _ALIGN.get(paragraph.alignment) if paragraph.alignment is not None else None
    # A class, not a style attribute: the page's Content-Security-Policy allows no inline
    # style (issue 13); uchet.css has the classes.
    style = f' class="uchet-align-{align}"' if align else ""
    if level:
        return f"<h{level}{style}>{body}</h{level}>"
    return f"<p{style}>{body or '&nbsp;'}</p>"


def _cells(row: Any, table: Table) -> Iterator[tuple[_Cell | None, int]]:
    """``(cell, column span)`` of a table row; a vertically merged continuation is None."""
    for tc in row._tr.tc_lst:
        span = int(getattr(tc, "grid_span", 1) or 1)
        yield (None if tc.vMerge == "continue" else _Cell(tc, table)), span


def _table(table: Table, image_text: str) -> str:
    out = ['<table class="table table-sm table-bordered uchet-preview-table">']
    for row in table.rows:
        out.append("<tr>")
        for cell, span in _cells(row, table):
            colspan = f' colspan="{span}"' if span > 1 else ""
            inner = _blocks(cell, image_text) if cell is not None else ""
            out.append(f"<td{colspan}>{inner}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _blocks(container: Any, image_text: str) -> str:
    """Paragraphs and tables of a document body or a table cell, in document order."""
    out = []
    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            out.append(_paragraph(block, image_text))
        elif isinstance(block, Table):
            out.append(_table(block, image_text))
    return "".join(out)


def docx_html(data: bytes, image_text: str = "image") -> Markup:
    """The paragraphs and tables of a .docx document as escaped HTML."""
    document = Document(io.BytesIO(data))
    return Markup(f'<div class="uchet-preview-docx">{_blocks(document, image_text)}</div>')


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return (
            value.strftime("%d.%m.%Y")
            if not hasattr(value, "hour") or not (value.hour or value.minute)
            else value.strftime("%d.%m.%Y %H:%M")
        )
    return str(value)


def xlsx_html(data: bytes) -> Markup:
    """Every sheet of a .xlsx workbook as an escaped HTML table."""

    book = load_workbook(io.BytesIO(data), data_only=False)
    out = ['<div class="uchet-preview-xlsx">']
    for sheet in book.worksheets:
        out.append(f"<h6>{escape(sheet.title)}</h6>")
        out.append('<table class="table table-sm table-bordered uchet-preview-table">')
        rows = min(sheet.max_row, MAX_SHEET_ROWS)
        columns = min(sheet.max_column, MAX_SHEET_COLUMNS)
        for values in sheet.iter_rows(max_row=rows, max_col=columns, values_only=True):
            cells = "".join(f"<td>{escape(_cell_text(v))}</td>" for v in values)
            out.append(f"<tr>{cells}</tr>")
        out.append("</table>")
    out.append("</div>")
    return Markup("".join(out))


def document_html(extension: str, data: bytes, image_text: str = "image") -> Markup:
    """A printed .docx or .xlsx document as HTML; ValueError for other kinds."""
    converters = {"docx": lambda d: docx_html(d, image_text), "xlsx": xlsx_html}
    if extension not in converters:
        raise ValueError(f"no HTML preview for .{extension} documents")
    return converters[extension](data)
