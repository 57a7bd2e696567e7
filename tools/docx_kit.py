"""Small python-docx helpers for the scripts that generate the bundled print templates.

python-docx covers text and tables but not cell borders, shading, fixed column widths or
paragraph borders; these helpers set the WordprocessingML for them, so the generated
templates open in Word and LibreOffice with the layout of a real Russian document.
"""

from __future__ import annotations

from typing import Any

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

LEFT, CENTER, RIGHT, JUSTIFY = (
    WD_ALIGN_PARAGRAPH.LEFT,
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.RIGHT,
    WD_ALIGN_PARAGRAPH.JUSTIFY,
)
GREY = RGBColor(0x55, 0x55, 0x55)
HEAD_FILL = "E7ECF3"


def new_document(font: str = "Arial", size: float = 9.5) -> Any:
    """An A4 document with 1.5 cm margins, compact paragraphs and ``font``."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(1.2)
    normal = doc.styles["Normal"]
    normal.font.name = font
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), font)
    normal.font.size = Pt(size)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    return doc


def para(
    container: Any,
    text: str = "",
    *,
    bold: bool = False,
    size: float | None = None,
    align: Any = None,
    italic: bool = False,
    color: RGBColor | None = None,
    before: float = 0,
    after: float = 0,
) -> Any:
    """A paragraph with one run of ``text`` (a document, a cell, a header...)."""
    p = container.add_paragraph()
    if text:
        run(p, text, bold=bold, size=size, italic=italic, color=color)
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_before = Pt(before)
    p.paragraph_format.space_after = Pt(after)
    return p


def run(
    p: Any,
    text: str,
    *,
    bold: bool = False,
    size: float | None = None,
    italic: bool = False,
    color: RGBColor | None = None,
) -> Any:
    """Append a formatted run to paragraph ``p``."""
    r = p.add_run(text)
    r.bold = bold or None
    r.italic = italic or None
    if size:
        r.font.size = Pt(size)
    if color is not None:
        r.font.color.rgb = color
    return r


def cell_text(cell: Any, text: str = "", **style: Any) -> Any:
    """Replace a cell's content with one paragraph of ``text``; returns the paragraph."""
    p = cell.paragraphs[0]
    for r in list(p.runs):
        r._r.getparent().remove(r._r)
    for extra in cell.paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    align = style.pop("align", None)
    if text:
        run(p, text, **style)
    if align is not None:
        p.alignment = align
    return p


def table(doc: Any, rows: int, widths_cm: list[float], *, borders: bool = True) -> Any:
    """A table with fixed column widths (Word and LibreOffice honour ``tblGrid``)."""
    t = doc.add_table(rows=rows, cols=len(widths_cm))
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    if borders:
        t.style = "Table Grid"
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    t._tbl.tblPr.append(layout)
    for i, width in enumerate(widths_cm):
        t.columns[i].width = Cm(width)
        for cell in t.columns[i].cells:
            cell.width = Cm(width)
    margins = OxmlElement("w:tblCellMar")
    for side, value in (("left", 70), ("right", 70), ("top", 15), ("bottom", 15)):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), str(value))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    t._tbl.tblPr.append(margins)
    return t


def shade(cell: Any, color: str = HEAD_FILL) -> None:
    """Fill a cell with a background colour (hex)."""
    props = cell._tc.get_or_add_tcPr()
    fill = OxmlElement("w:shd")
    fill.set(qn("w:val"), "clear")
    fill.set(qn("w:color"), "auto")
    fill.set(qn("w:fill"), color)
    props.append(fill)


def cell_borders(cell: Any, **sides: str | None) -> None:
    """Set a cell's borders: ``top="single"``, ``bottom=None`` (none)... (size 4 = ½ pt)."""
    props = cell._tc.get_or_add_tcPr()
    borders = props.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        props.append(borders)
    for side, kind in sides.items():
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), kind or "nil")
        if kind:
            element.set(qn("w:sz"), "8" if kind == "thick" else "4")
            element.set(qn("w:val"), "single")
            element.set(qn("w:color"), "000000")
        borders.append(element)


def valign(cell: Any, where: str = "center") -> None:
    """Vertical alignment of a cell's content: ``top``, ``center`` or ``bottom``."""
    cell.vertical_alignment = {
        "top": WD_CELL_VERTICAL_ALIGNMENT.TOP,
        "center": WD_CELL_VERTICAL_ALIGNMENT.CENTER,
        "bottom": WD_CELL_VERTICAL_ALIGNMENT.BOTTOM,
    }[where]


def rule(doc: Any, size: int = 12, before: float = 2, after: float = 6) -> Any:
    """An empty paragraph with a bottom border: the thick line under a document's title."""
    p = para(doc, before=before, after=after)
    props = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(size))
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "000000")
    border.append(bottom)
    props.append(border)
    return p


def keep_row(row: Any) -> None:
    """Keep a table row on one page (a signature block is not split)."""
    props = row._tr.get_or_add_trPr()
    props.append(OxmlElement("w:cantSplit"))


def keep_with_next(row: Any) -> None:
    """Keep a row on the page of the next one (a block of signatures stays together)."""
    for cell in row.cells:
        for p in cell.paragraphs:
            p.paragraph_format.keep_with_next = True


def loop_rows(t: Any, start: int, loop: str, end: int, tag: str = "tr") -> None:
    """Write docxtpl's ``{%tr for ... %}`` / ``{%tr endfor %}`` marker rows."""
    cell_text(t.rows[start].cells[0], f"{{%{tag} {loop} %}}")
    cell_text(t.rows[end].cells[0], f"{{%{tag} endfor %}}")
