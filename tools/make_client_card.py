"""Generate the sample CRM's client card template (``sample_crm/templates/client_card.docx``).

Run once after changing the layout, then commit the .docx:

    python tools/make_client_card.py

The template is an ordinary Word document afterwards: people restyle it in Word and upload
it as a new version; this script only gives it a realistic Russian starting layout.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from uchet.printeditor.starter import slim

TARGET = Path(__file__).resolve().parent.parent / "src/uchet/sample_crm/templates/client_card.docx"

SECTIONS = [
    (
        "Общие сведения",
        [
            ("Наименование", "{{ name }}"),
            ("Вид", "{{ kind }}"),
            ("Категория", "{{ category }}"),
            ("Статус", "{{ status }}"),
            ("Ответственный менеджер", "{{ manager }}"),
        ],
    ),
    (
        "Контактная информация",
        [
            ("Телефон", "{{ phone }}"),
            ("E-mail", "{{ email }}"),
            ("Сайт", "{{ website }}"),
            ("Город", "{{ city }}"),
            ("Адрес", "{{ address }}"),
        ],
    ),
    ("Реквизиты", [("ИНН", "{{ tax_id }}")]),
    (
        "Дополнительно",
        [
            ("Лояльность (0–10)", "{{ loyalty }}"),
            ("День рождения", "{{ birthday }}"),
            ("Контактных лиц", "{{ contact_count }}"),
            ("Примечания", "{{ notes }}"),
        ],
    ),
]

CONTACT_COLUMNS = [
    ("№", "{{ loop.index }}", 1.0),
    ("ФИО", "{{ c.name }}", 4.5),
    ("Должность", "{{ c.position }}", 3.5),
    ("Рабочий телефон", "{{ c.phone_work }}", 3.0),
    ("Мобильный", "{{ c.phone_mobile }}", 3.0),
    ("E-mail", "{{ c.email }}", 3.5),
]


def shade(cell, color: str) -> None:
    """Fill a table cell with a background colour (hex)."""
    props = cell._tc.get_or_add_tcPr()
    fill = OxmlElement("w:shd")
    fill.set(qn("w:val"), "clear")
    fill.set(qn("w:color"), "auto")
    fill.set(qn("w:fill"), color)
    props.append(fill)


def bold(cell, text: str, size: int = 10) -> None:
    cell.text = ""
    run = cell.paragraphs[0].add_run(text)
    run.bold = True
    run.font.size = Pt(size)


def main() -> None:
    doc = Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)

    header = section.header.paragraphs[0]
    header.text = "Карточка клиента · {{ name }}"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("КАРТОЧКА КЛИЕНТА")
    run.bold = True
    run.font.size = Pt(16)
    sub = doc.add_paragraph("№ {{ id }} от {{ created_at }}")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("{{ image(photo, width_mm=35) }}").alignment = WD_ALIGN_PARAGRAPH.RIGHT

    rows = sum(1 + len(fields) for _, fields in SECTIONS)
    table = doc.add_table(rows=rows, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    i = 0
    for heading, fields in SECTIONS:
        merged = table.rows[i].cells[0].merge(table.rows[i].cells[1])
        bold(merged, heading, 11)
        shade(merged, "D9E2F3")
        i += 1
        for label, placeholder in fields:
            table.rows[i].cells[0].text = label
            table.rows[i].cells[1].text = placeholder
            table.rows[i].cells[0].width = Cm(6)
            table.rows[i].cells[1].width = Cm(12)
            i += 1

    doc.add_paragraph()
    heading = doc.add_paragraph()
    run = heading.add_run("Контактные лица")
    run.bold = True
    run.font.size = Pt(12)
    contacts = doc.add_table(rows=4, cols=len(CONTACT_COLUMNS))
    contacts.style = "Table Grid"
    for cell, (label, _, width) in zip(contacts.rows[0].cells, CONTACT_COLUMNS):
        bold(cell, label, 9)
        shade(cell, "D9E2F3")
        cell.width = Cm(width)
    contacts.rows[1].cells[0].text = "{%tr for c in contacts %}"
    for cell, (_, placeholder, width) in zip(contacts.rows[2].cells, CONTACT_COLUMNS):
        cell.text = placeholder
        cell.width = Cm(width)
    contacts.rows[3].cells[0].text = "{%tr endfor %}"
    doc.add_paragraph("{% if not contacts %}Контактные лица не указаны.{% endif %}")

    doc.add_paragraph()
    doc.add_paragraph("Дата печати: {{ today }}")
    sign = doc.add_paragraph("Сформировал: {{ user.name }}  ____________________ (подпись)")
    sign.runs[0].font.color.rgb = RGBColor(0x40, 0x40, 0x40)

    slim(doc)  # only the styles in use: every print parses them again
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    doc.save(TARGET)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
