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


def test_a_broken_template_still_lists_every_problem_with_its_place():
    """Syntax errors do not hide the other problems: every broken tag and every unknown
    placeholder is listed, each with its paragraph, table cell, header or sheet cell."""
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "{{ company.nmae }}"
    doc.add_paragraph("Счёт {{ number }} для {{ clinet.name }}")
    doc.add_paragraph("{{ amount_in_words(raw.total }}")
    t = doc.add_table(rows=4, cols=3)
    t.cell(1, 0).text = "{%tr for l in invoice_lines %}"
    t.cell(2, 0).text = "{{ l.product.nme }}"
    t.cell(2, 1).text = "{{ l.raw.quantity|nope }}"
    t.cell(2, 2).text = "{{ l.raw.amount }} {{ l.amount( }}"
    t.cell(3, 0).text = "{%tr endfor %}"
    doc.add_paragraph("{% set k = 2 %}{{ k * raw.total }} {% if client.nme %}да{% endif %}")
    doc.add_paragraph("{% for x in %}{{ x }}{% endfor %}")
    buf = io.BytesIO()
    doc.save(buf)
    assert problems(buf.getvalue(), table="invoices") == [
        "paragraph 2: syntax error in {{ amount_in_words(raw.total }}: "
        "unexpected '}', expected ')'",
        "table 1, row 3, column 3: syntax error in {{ l.amount( }}: unexpected '}', expected ')'",
        "paragraph 4: syntax error in {% for x in %}: "
        "Expected an expression, got 'end of statement block'",
        "paragraph 1: unknown placeholder {{ clinet }} (did you mean client?)",
        "table 1, row 3, column 1: unknown placeholder {{ l.product.nme }} "
        "(did you mean l.product.name?)",
        "table 1, row 3, column 2: unknown filter 'nope'",
        "paragraph 3: unknown placeholder {{ client.nme }} (did you mean client.name?)",
        "header 1: paragraph 1: unknown placeholder {{ company.nmae }} "
        "(did you mean company.name?)",
    ]


def test_a_broken_spreadsheet_lists_every_problem():
    wb = Workbook()
    ws = wb.active
    ws.title = "Счёт"
    ws["A1"] = "{{ nmber }}"
    ws["A2"] = "{% for l in invoice_lines %}"
    ws["B3"] = "{{ l.product.nme }}"
    ws["C3"] = "{{ l.amount( }}"
    ws["D3"] = "{{ l.raw.amount }} {{ l.raw.nope }} {{ broken( }}"
    ws["A4"] = "{% for g in l.nothing %}"
    ws["B5"] = "{{ g.anything }}"
    ws["A6"] = "{% endfor %}"
    ws["A7"] = "{% endfor %}"
    ws["A8"] = "{% for x in client.( %}"
    buf = io.BytesIO()
    wb.save(buf)
    assert problems(buf.getvalue(), "xlsx", table="invoices") == [
        "sheet 'Счёт', cell A1: unknown placeholder {{ nmber }} (did you mean number?)",
        "sheet 'Счёт', cell B3: unknown placeholder {{ l.product.nme }} "
        "(did you mean l.product.name?)",
        "sheet 'Счёт', cell C3: syntax error in {{ l.amount( }}: unexpected '}', expected ')'",
        "sheet 'Счёт', cell D3: syntax error in {{ broken( }}: unexpected '}', expected ')'",
        "sheet 'Счёт', cell D3: unknown placeholder {{ l.raw.nope }}",
        "sheet 'Счёт', row 4: unknown placeholder {{ l.nothing }}",
        "sheet 'Счёт', row 8: syntax error in {% for x in client.( %}: "
        "unexpected '}', expected ')'",
        "sheet 'Счёт', row 8: {% for %} row without an {% endfor %} row",
    ]
