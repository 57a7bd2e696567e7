"""No export can run a formula (issue 13, point 1; OWASP "CSV injection").

Every writer of the export registry and the report xlsx export are fed the same corpus of
payloads. Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return must come
out as text: a leading ``'`` in csv, an inline string (never ``<f>``) in xlsx. Numbers stay
numbers. The registry test covers every format: a format added to ``EXPORTERS`` without a
checker here fails :func:`test_every_format_has_a_checker`.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from tests.web_support import WebClient

from uchet import SYSTEM
from uchet.platform.features.cellsafety import (
    csv_text,
    looks_like_formula,
    neutralise_xlsx_cell,
    strip_csv_guard,
)
from uchet.platform.features.reports import export_xlsx
from uchet.web.export import EXPORTERS

#: Text a spreadsheet program would run.
PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
]
#: Text that must be left alone.
HARMLESS = ["Иванов", "a=1", "1+1", "", "'quoted", "-5", "-1\u00a0234,50", "+79001234567"]


def test_the_rule() -> None:
    assert all(looks_like_formula(p) for p in PAYLOADS)
    assert not any(looks_like_formula(p) for p in HARMLESS)
    assert looks_like_formula("+7 900 123-45-67")  # a phone with dashes: OWASP's price
    assert not any(looks_like_formula(v) for v in (-5, Decimal("-2.5"), -1.0, None, True))
    assert [csv_text(p) for p in PAYLOADS] == ["'" + p for p in PAYLOADS]
    assert csv_text(-5) == -5 and csv_text("a=1") == "a=1"
    assert [strip_csv_guard(csv_text(p)) for p in PAYLOADS] == PAYLOADS
    assert strip_csv_guard("'quoted") == "'quoted"


def xlsx_sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("xl/worksheets/sheet1.xml").decode()


def assert_xlsx_safe(data: bytes, texts: list[str], numbers: list[Any]) -> None:
    """No formula element; the payloads are there as inline strings, the numbers as numbers."""
    from openpyxl import load_workbook

    xml = xlsx_sheet_xml(data)
    assert "<f>" not in xml and "<f " not in xml
    cells = [c for row in load_workbook(io.BytesIO(data)).active.iter_rows() for c in row]
    strings = {c.value for c in cells if c.data_type == "s"}
    for text in texts:
        # openpyxl reads a lone CR back as LF: compare what follows the first character
        assert any(isinstance(s, str) and s[1:] == text[1:] for s in strings), text
    values = [c.value for c in cells if c.data_type == "n"]
    for number in numbers:
        assert number in values


def check_csv(data: bytes, texts: list[str], numbers: list[Any]) -> None:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    cells = [c for row in rows for c in row]
    for text in texts:
        assert "'" + text in cells, text
    for cell in cells:  # nothing left that a spreadsheet would run
        assert not looks_like_formula(cell), cell
    for number in numbers:
        assert str(number) in cells


def check_xlsx(data: bytes, texts: list[str], numbers: list[Any]) -> None:
    assert_xlsx_safe(data, texts, numbers)


def check_json(data: bytes, texts: list[str], numbers: list[Any]) -> None:
    """Data, not a sheet: the text is kept exactly, numbers are JSON numbers."""
    import json

    rows = json.loads(data, parse_float=Decimal)
    values = [v for row in rows for pair in row.items() for v in pair]  # headers are keys
    for text in texts:
        assert text in values, text
    for number in numbers:
        assert any(type(v) is not str and v == number for v in values), number


def check_xml(data: bytes, texts: list[str], numbers: list[Any]) -> None:
    """Data, not a sheet: the text is kept (an XML parser reads a CR as LF)."""
    from xml.etree import ElementTree

    found = list(ElementTree.fromstring(data).iter("cell"))
    cells = [c.text or "" for c in found] + [c.get("name") or "" for c in found]
    for text in texts:
        assert any(c[1:] == text[1:] and c[:1] in (text[:1], "\n") for c in cells), text


def check_html(data: bytes, texts: list[str], numbers: list[Any]) -> None:
    """Excel opens an HTML table and would evaluate "=…": such cells are text cells."""
    import html

    page = data.decode()
    cells = re.findall(r"<t[dh]((?:\s[^>]*)?)>(.*?)</t[dh]>", page, re.S)
    for text in texts:
        styles = [style for style, body in cells if html.unescape(body) == text]
        assert styles and all("mso-number-format" in s for s in styles), text
    plain = [body for style, body in cells if not style]
    for number in numbers:
        assert str(number) in plain
    assert "<script" not in page


def check_ods(data: bytes, texts: list[str], numbers: list[Any]) -> None:
    """No cell carries a formula; the text is a string cell, numbers are float cells."""
    from python_calamine import CalamineWorkbook

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b"table:formula" not in z.read("content.xml")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    cells = [c for row in sheet.to_python() for c in row]
    for text in texts:
        assert any(isinstance(c, str) and c[1:] == text[1:] for c in cells), text
    for number in numbers:
        assert any(isinstance(c, float) and c == number for c in cells), number


def check_docx(data: bytes, texts: list[str], numbers: list[Any]) -> None:
    """A Word table: text, which Word never evaluates, kept as it was."""
    import docx

    table = docx.Document(io.BytesIO(data)).tables[0]
    cells = [c.text for row in table.rows for c in row.cells]
    for text in texts:
        assert any(c[1:] == text[1:] for c in cells), text


CHECKERS = {
    "ods": check_ods,
    "docx": check_docx,
    "csv": check_csv,
    "xlsx": check_xlsx,
    "json": check_json,
    "xml": check_xml,
    "html": check_html,
}


def test_every_format_has_a_checker() -> None:
    assert set(EXPORTERS) <= set(CHECKERS), "add the new format's check to CHECKERS"


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_each_writer_neutralises_the_corpus(fmt: str) -> None:
    exporter = EXPORTERS[fmt]
    rows = [[p, -5, Decimal("-2.5")] for p in PAYLOADS]
    data = b"".join(exporter.write(["=header", "n", "d"], iter(rows)))
    CHECKERS[fmt](data, [*PAYLOADS, "=header"], [-5, -2.5])


def test_neutralise_a_normal_cell() -> None:
    from openpyxl import Workbook

    ws = Workbook().active
    ws.append(["=1+1", -3, "ok"])
    cells = [neutralise_xlsx_cell(c) for c in ws[1]]
    assert [c.data_type for c in cells] == ["s", "n", "s"]


# -- through the product, on both databases ------------------------------------------------------
@pytest.fixture
def hostile(web_platform: Any) -> list[str]:
    """One client per payload (its name and city); the names as stored (the text field
    type may trim surrounding blanks, so the test compares with what the database holds)."""
    clients = web_platform.records("clients", user=SYSTEM)
    made = [clients.create({"name": p, "city": p, "loyalty": 3}) for p in PAYLOADS]
    names = [m["name"] for m in made]
    assert all(looks_like_formula(n) for n in names), names
    return names


def test_list_exports_through_the_web(web_app: Any, hostile: list[str]) -> None:
    admin = WebClient(web_app)
    assert admin.login("admin").status_code == 302
    for fmt in sorted(EXPORTERS):
        r = admin.get(f"/clients/export/{fmt}/?cols=name,city,loyalty&q=")
        assert r.status_code == 200, r.text
        CHECKERS[fmt](r.data, hostile, [3] if fmt in ("xlsx", "json", "ods") else [])


def test_report_xlsx_export(platform: Any, hostile: list[str]) -> None:
    result = platform.report("report_clients_by_city", SYSTEM)
    cities = [r["city"] for r in result.rows if looks_like_formula(r["city"])]
    assert set(cities) == set(hostile), result.rows
    data = export_xlsx(result)
    assert_xlsx_safe(data, cities, [])
    assert re.search(r'<c r="B\d+" t="n"><v>\d+</v>', xlsx_sheet_xml(data))  # counts: numbers
