"""Spreadsheet templates: formulas follow the rows a list inserts, blocks nest, values stay
values. These render template bytes directly; no database is involved."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook

from uchet.printeditor.values import Record
from uchet.printeditor.xlsx_formulas import RowMap
from uchet.printeditor.xlsx_render import render_xlsx


def line(name: str, qty: int, price: str, group: str = "") -> Record:
    return Record(
        {"name": name, "group": group, "raw": Record({"qty": qty, "price": Decimal(price)})},
        name,
    )


def render(ws_rows: dict[str, Any], context: dict[str, Any]) -> Any:
    wb = Workbook()
    ws = wb.active
    ws.title = "Счёт"
    for cell, value in ws_rows.items():
        ws[cell] = value
    other = wb.create_sheet("Другой лист")
    other["A5"] = "x"
    out = io.BytesIO()
    wb.save(out)
    return load_workbook(io.BytesIO(render_xlsx(out.getvalue(), context, "t")))["Счёт"]


INVOICE = {
    "A1": "Курс",
    "B2": 2,
    "A3": "Товар",
    "A4": "{% for l in lines %}",
    "A5": "{{ l.name }}",
    "B5": "{{ l.raw.qty }}",
    "C5": "{{ l.raw.price }}",
    "D5": "=B5*C5*$B$2",
    "A6": "{% endfor %}",
    "C7": "Итого",
    "D7": "=SUM(D5:D5)",
    "D8": "=D7*2+'Другой лист'!A5+Счёт!D7",
    "E8": "=A20",
}


def test_formulas_follow_the_rows_a_list_inserts():
    lines = [line(f"Товар {i}", i, "10.50") for i in range(1, 6)]
    ws = render(INVOICE, {"lines": lines})
    # Five lines where the template had one body row and two marker rows: rows 4..8.
    assert [ws.cell(r, 1).value for r in range(4, 9)] == [f"Товар {i}" for i in range(1, 6)]
    assert [ws.cell(r, 4).value for r in range(4, 9)] == [
        f"=B{r}*C{r}*$B$2" for r in range(4, 9)
    ]  # each line's own row; the absolute reference to a row above stays
    assert ws["B4"].value == 1 and ws["C8"].value == 10.5  # numbers stay numbers
    assert ws["C9"].value == "Итого"
    assert ws["D9"].value == "=SUM(D4:D8)"  # the total covers every line, not just one
    # Below the block: its own row moved, another sheet's reference did not, a reference
    # to this sheet by name moved too, and a row past the template moved by the growth.
    assert ws["D10"].value == "=D9*2+'Другой лист'!A5+Счёт!D9"
    assert ws["E10"].value == "=A22"


def test_a_list_with_one_or_no_rows():
    one = render(INVOICE, {"lines": [line("Один", 1, "5")]})
    assert one["D4"].value == "=B4*C4*$B$2" and one["D5"].value == "=SUM(D4:D4)"
    none = render(INVOICE, {"lines": []})
    assert none["C4"].value == "Итого"
    assert none["D4"].value == "=SUM(0)"  # no line printed: nothing left to point at
    assert none["D5"].value == "=D4*2+'Другой лист'!A5+Счёт!D4"


GROUPED = {
    "A1": "{% for g in lines|groupby('group') %}",
    "A2": "{{ g.grouper }}",
    "A3": "{% for l in g.list %}",
    "A4": "{{ l.name }}",
    "B4": "{{ l.raw.price }}",
    "C4": "=B4*2",
    "A5": "{% endfor %}",
    "A6": "Итого по группе",
    "B6": "=SUBTOTAL(9,B4:B4)",
    "C6": "=B6+B2",
    "A7": "{% endfor %}",
    "A8": "Всего",
    "B8": "=SUBTOTAL(9,B1:B7)",
}


def test_nested_blocks_give_groups_with_their_own_subtotals():
    lines = [
        line("a1", 1, "1", "A"),
        line("b1", 1, "10", "B"),
        line("a2", 1, "2", "A"),
        line("b2", 1, "20", "B"),
        line("b3", 1, "30", "B"),
    ]
    ws = render(GROUPED, {"lines": lines})
    values = [[ws.cell(r, c).value for c in range(1, 4)] for r in range(1, 12)]
    assert values == [
        ["A", None, None],
        ["a1", 1, "=B2*2"],
        ["a2", 2, "=B3*2"],
        ["Итого по группе", "=SUBTOTAL(9,B2:B3)", "=B4+B1"],
        ["B", None, None],
        ["b1", 10, "=B6*2"],
        ["b2", 20, "=B7*2"],
        ["b3", 30, "=B8*2"],
        ["Итого по группе", "=SUBTOTAL(9,B6:B8)", "=B9+B5"],  # only its own group's rows
        ["Всего", "=SUBTOTAL(9,B1:B9)", None],
        [None, None, None],
    ]


def test_a_value_that_looks_like_a_formula_stays_text():
    ws = render({"A1": "{{ name }}", "A2": "Клиент: {{ name }}"}, {"name": "=HYPERLINK(1)"})
    assert ws["A1"].value == "=HYPERLINK(1)" and ws["A1"].data_type == "s"
    assert ws["A2"].value == "Клиент: =HYPERLINK(1)"


def test_row_map_keeps_references_it_cannot_map():
    rows = RowMap([(0, ()), (1, ((1, 0),)), (1, ((1, 1),))], 3)
    assert rows.shift("=SUM(A:A)+Total+A2", (), "S") == "=SUM(A:A)+Total+A2"
    assert rows.shift("=SUM(B2:B2)", (), "S") == "=SUM(B2:B3)"
    broken = '=SUM(B2:B2)&"unterminated'
    assert rows.shift(broken, (), "S") == broken  # openpyxl cannot read it: kept as written
