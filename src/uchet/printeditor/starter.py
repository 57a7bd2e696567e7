"""Starter templates: a ready ``.docx`` for any table, to edit rather than write from zero.

A starter has a title, a two-column table of field labels and placeholders, and for every
child list a table whose middle row repeats per child row (docxtpl's ``{%tr for %}``
convention: the ``{%tr ... %}`` tags sit in rows of their own, which disappear when
rendering). It is generated with python-docx, so it is a normal Word document a person
can restyle; every placeholder in it passes :mod:`uchet.printeditor.validate`.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from uchet.platform.model.config import Configuration, Field, Table, label_text
from uchet.printeditor.context import child_lists
from uchet.printeditor.values import HELPERS

#: Field types that make no sense as text in a document.
SKIPPED_TYPES = frozenset({"json", "file"})
#: Columns at most in a child table (Word pages are narrow).
MAX_CHILD_COLUMNS = 6

_TITLES = {
    "ru": ("Дата печати", "Напечатал", "№"),
    "en": ("Printed on", "Printed by", "No."),
}


def _placeholder(prefix: str, f: Field) -> str:
    name = f.name if prefix or f.name not in HELPERS else f"record.{f.name}"
    path = f"{prefix}{name}"
    if f.type == "image":
        return f"{{{{ image({path}, width_mm=40) }}}}"
    return f"{{{{ {path} }}}}"


def _fields(table: Table, skip: frozenset[str] = frozenset()) -> list[Field]:
    return [
        f
        for f in table.fields
        if f.type not in SKIPPED_TYPES and not f.hidden and f.name not in skip
    ]


def slim(doc: Any) -> None:
    """Drop what python-docx's default template carries but a document never uses.

    Its ``styles.xml`` (350 KB, every built-in style and "latent" style) and the Word 2010
    ``stylesWithEffects.xml`` (440 KB) are parsed again for every printed document; keeping
    only the styles in use (with what they are based on) makes a print about twice as
    fast. Word restores any built-in style when someone applies it later.
    """
    styles = doc.styles.element
    for latent in styles.findall(qn("w:latentStyles")):
        styles.remove(latent)
    used: set[str] = set()
    parts = [
        doc.element,
        *(s.header._element for s in doc.sections),
        *(s.footer._element for s in doc.sections),
    ]
    for element in parts:
        for tag in ("w:pStyle", "w:rStyle", "w:tblStyle"):
            used.update(e.get(qn("w:val")) for e in element.iter(qn(tag)))
    by_id = {st.get(qn("w:styleId")): st for st in styles.findall(qn("w:style"))}
    keep = {sid for sid, st in by_id.items() if st.get(qn("w:default")) == "1"} | used
    pending = list(keep)
    while pending:  # styles the kept ones are based on, link to or continue with
        st = by_id.get(pending.pop())
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = st.find(qn(tag)) if st is not None else None
            if ref is not None and ref.get(qn("w:val")) not in keep:
                keep.add(ref.get(qn("w:val")))
                pending.append(ref.get(qn("w:val")))
    for sid, st in by_id.items():
        if sid not in keep:
            styles.remove(st)
    for rel_id, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rel_id)


def starter_docx(config: Configuration, table_id: str, locale: str) -> bytes:
    """A starter .docx template for ``table_id`` with labels in ``locale``."""
    table = config.find_table(table_id)
    printed_on, printed_by, number = _TITLES["ru" if locale.startswith("ru") else "en"]
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)

    item = table.item_label or table.label
    heading = doc.add_heading(
        f"{label_text(item, locale, default=table.name)}: {{{{ record }}}}", 1
    )
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER

    fields = _fields(table)
    grid = doc.add_table(rows=len(fields), cols=2)
    grid.style = "Table Grid"
    for row, f in zip(grid.rows, fields):
        row.cells[0].text = f.text(locale)
        row.cells[1].text = _placeholder("", f)

    for name, child, via in child_lists(config, table.id):
        columns = _fields(child, frozenset({via.name}))[:MAX_CHILD_COLUMNS]
        if not columns:
            continue
        doc.add_paragraph()
        doc.add_heading(child.text(locale), 2)
        rows = doc.add_table(rows=4, cols=len(columns) + 1)
        rows.style = "Table Grid"
        rows.rows[0].cells[0].text = number
        for cell, f in zip(rows.rows[0].cells[1:], columns):
            cell.text = f.text(locale)
            for run in cell.paragraphs[0].runs:
                run.bold = True
        rows.rows[1].cells[0].text = f"{{%tr for row in {name} %}}"
        rows.rows[2].cells[0].text = "{{ loop.index }}"
        for cell, f in zip(rows.rows[2].cells[1:], columns):
            cell.text = _placeholder("row.", f)
        rows.rows[3].cells[0].text = "{%tr endfor %}"

    doc.add_paragraph()
    doc.add_paragraph(f"{printed_on}: {{{{ today }}}}. {printed_by}: {{{{ user.name }}}}")
    slim(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
