"""Placeholder catalog and template checking: every problem with its location."""

from __future__ import annotations

import io

from docx import Document
from openpyxl import Workbook

from uchet.configurations.loader import load
from uchet.printeditor.catalog import placeholders
from uchet.printeditor.starter import starter_docx
from uchet.printeditor.validate import check_template

CONFIG = load("sample_crm").config


def texts(table: str, locale: str = "ru") -> dict[str, str]:
    return {p.text: p.label for p in placeholders(CONFIG, table, locale)}


def test_catalog_lists_fields_references_children_and_helpers():
    found = texts("clients")
    assert found["{{ name }}"] == "Наименование"
    assert found["{{ category.name }}"] == "Категория › Название"
    assert "{%tr for row in contacts %}" in found
    assert found["{{ row.position }}"].endswith("Должность")
    assert "{{ today }}" in found and "{{ user.name }}" in found
    assert "{{ image(photo, width_mm=40) }}" in found
    two_levels = texts("contacts", "en")
    assert two_levels["{{ client.category.name }}"] == "Client › Category › Name"


def problems(data: bytes, kind: str = "docx", table: str = "clients") -> list[str]:
    return [str(p) for p in check_template(kind, data, CONFIG, table, "ru", "t")]


def test_docx_problems_name_paragraph_and_table_cell():
    doc = Document()
    doc.add_paragraph("{{ name }} {{ nmae }}")
    t = doc.add_table(rows=4, cols=2)
    t.cell(1, 0).text = "{%tr for c in contacts %}"
    t.cell(2, 0).text = "{{ c.name }}"
    t.cell(2, 1).text = "{{ c.phone_mob }}"
    t.cell(3, 0).text = "{%tr endfor %}"
    doc.add_paragraph("{{ category.nme }} {{ amount_in_words(raw.loyalty) }}")
    doc.add_paragraph("{{ broken( }}")
    doc.add_paragraph("{% if name %} never closed")
    buf = io.BytesIO()
    doc.save(buf)
    # A template that does not parse still has every other tag checked: the author sees
    # the broken tags and the misspelt placeholders in one go, each where it is.
    assert problems(buf.getvalue()) == [
        "paragraph 3: syntax error in {{ broken( }}: unexpected '}', expected ')'",
        "paragraph 4: {% if %} is never closed with {% endif %}",
        "paragraph 1: unknown placeholder {{ nmae }} (did you mean name?)",
        "table 1, row 3, column 2: unknown placeholder {{ c.phone_mob }} "
        "(did you mean c.phone_mobile?)",
        "paragraph 2: unknown placeholder {{ category.nme }} (did you mean category.name?)",
    ]
    doc.paragraphs[2].text = ""
    doc.paragraphs[3].text = ""
    buf = io.BytesIO()
    doc.save(buf)
    assert problems(buf.getvalue()) == [
        "paragraph 1: unknown placeholder {{ nmae }} (did you mean name?)",
        "table 1, row 3, column 2: unknown placeholder {{ c.phone_mob }} "
        "(did you mean c.phone_mobile?)",
        "paragraph 2: unknown placeholder {{ category.nme }} (did you mean category.name?)",
    ]


def test_xlsx_problems_name_the_cell():
    wb = Workbook()
    ws = wb.active
    ws.title = "Лист"
    ws["A1"] = "{{ nmae }}"
    ws["A2"] = "{% for c in contacts %}"
    ws["B3"] = "{{ c.name }} {{ c.nope }}"
    ws["A4"] = "{% endfor %}"
    ws["C5"] = "{{ name( }}"
    buf = io.BytesIO()
    wb.save(buf)
    assert problems(buf.getvalue(), "xlsx") == [
        "sheet 'Лист', cell A1: unknown placeholder {{ nmae }} (did you mean name?)",
        "sheet 'Лист', cell B3: unknown placeholder {{ c.nope }}",
        "sheet 'Лист', cell C5: syntax error in {{ name( }}: unexpected '}', expected ')'",
    ]


def test_starters_and_the_bundled_card_are_valid():
    for table in ("clients", "contacts", "client_categories"):
        assert problems(starter_docx(CONFIG, table, "ru"), table=table) == []
    loaded = load("sample_crm")
    assert problems(loaded.bundle.files["templates/client_card.docx"]) == []
