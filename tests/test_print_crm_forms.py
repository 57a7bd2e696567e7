"""The sample CRM's bundled print forms, rendered for demo-like records and read back.

Seeds S19/S29/S38: a счёт на оплату with the bank details, lines, VAT, totals and the
amount in words; an act and a waybill; a contract with both parties' details; a price list
grouped by category with subtotals. Every document is read back with python-docx or
openpyxl and checked value by value, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from uchet import SYSTEM, Platform
from uchet.configurations.loader import load
from uchet.printeditor import PrintForms
from uchet.printeditor.validate import check_template
from uchet.sample_crm.demo import Demo

DEMO_DATA = resources.files("uchet") / "sample_crm" / "demo_data"
CLIENT = 'ООО "Рога & Копыта"'
#: (product, quantity, price override): two services among goods, a fractional quantity
#: and a discounted price.
LINES = [
    ('Ноутбук 15"', "2", None),
    ("Настройка сети", "1.5", None),
    ("Бумага А4, 500 л.", "10", None),
    ("Аудит ИТ-инфраструктуры", "1", None),
    ("Картридж чёрный", "3", "3500"),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crm(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """The sample CRM with the demo company and catalogue, a company client with a
    contract and an invoice of goods and services, and a person client."""
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('crmforms')}/forms.db"
    else:
        from psycopg import sql
        from tests.pg_server import _admin_execute, _url

        port = request.getfixturevalue("postgresql_server_port")
        name = f"uchet_forms_{uuid.uuid4().hex[:12]}"
        _admin_execute(port, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = _url(port, name)
        drop = (port, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))  # fmt: skip
    p = Platform.open("sample_crm", database_url=url)
    p.migrate()
    try:
        yield _seed(p)
    finally:
        p.close()
        if drop:
            _admin_execute(*drop)


def _seed(p: Platform) -> dict[str, Any]:
    demo = Demo(p, 0, 1, lambda _text: None)
    demo.company()  # what `uchet init --demo` does: details, logo, signature, stamp
    demo.products()  # the catalogue and the two price lists
    rec = lambda table: p.records(table, user=SYSTEM)  # noqa: E731
    products = {r["name"]: r for r in rec("products").query(limit=1000).rows}
    rec("products").update(products["Тонер"]["id"], {"active": False})  # not on price lists
    client = rec("clients").create(
        {
            "kind": "company", "name": CLIENT, "tax_id": "7712345678", "kpp": "771201001",
            "city": "Москва", "address": "г. Москва, ул. Лесная, д. 5", "phone": "+74957654321",
            "email": "zakaz@roga.example", "bank_name": "АО «Альфа-Банк»", "bank_bik": "044525593",
            "corr_account": "30101810200000000593", "bank_account": "40702810100000001234",
        }
    )  # fmt: skip
    person = rec("clients").create(
        {"kind": "person", "name": "Иванова Мария Петровна", "phone_mobile": "+79161234567"}
    )
    contract = rec("contracts").create(
        {
            "client": client["id"], "date": dt.date(2024, 3, 1), "starts_on": dt.date(2024, 3, 1),
            "ends_on": dt.date(2025, 2, 28), "subject": "Поставка оборудования",
            "amount": Decimal("500000"), "status": "active",
        }
    )  # fmt: skip
    person_contract = rec("contracts").create(
        {"client": person["id"], "date": dt.date(2024, 4, 2), "subject": "Обучение",
         "amount": Decimal("15000"), "status": "active"}
    )  # fmt: skip
    invoice = rec("invoices").create(
        {
            "client": client["id"], "contract": contract["id"], "date": dt.date(2024, 3, 15),
            "due_date": dt.date(2024, 3, 25), "notes": "Доставка до офиса включена",
        }
    )  # fmt: skip
    rec("invoice_lines").create_many(
        [
            {"invoice": invoice["id"], "product": products[name]["id"], "quantity": qty,
             **({"unit_price": price} if price else {})}
            for name, qty, price in LINES
        ]
    )  # fmt: skip
    rec("payments").create(
        {"invoice": invoice["id"], "date": dt.date(2024, 3, 20), "amount": Decimal("100000")}
    )
    return {
        "p": p,
        "client": client,
        "person_contract": person_contract,
        "contract": rec("contracts").get(contract["id"]),
        "invoice": rec("invoices").get(invoice["id"]),
        "products": products,
    }


# -- reading documents back --------------------------------------------------------------------
def _t(text: str) -> str:
    return text.replace("\u00a0", " ").strip()


def read_docx(data: bytes) -> tuple[list[str], list[list[list[str]]], Any]:
    """Body paragraphs, tables (rows of cell texts) and the document."""
    doc = Document(io.BytesIO(data))
    tables = [[[_t(c.text) for c in row.cells] for row in t.rows] for t in doc.tables]
    return [_t(p.text) for p in doc.paragraphs if p.text.strip()], tables, doc


def images(doc: Any) -> list[bytes]:
    """The pictures placed in a document, in order."""
    blips = doc.element.body.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}blip")
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
    return [doc.part.related_parts[b.get(rel)].blob for b in blips]


def png(name: str) -> bytes:
    return (DEMO_DATA / f"{name}.png").read_bytes()


def row_of(table: list[list[str]], first: str) -> list[str]:
    """The distinct cell texts of the row whose first cell is ``first``."""
    for row in table:
        if row[0] == first:
            return list(dict.fromkeys(row))
    raise AssertionError(f"no row {first!r} in {table}")


def label_values(table: list[list[str]]) -> dict[str, str]:
    """A borderless two-column table of labels and values as a dict (merged cells once)."""
    return {row[-2]: row[-1] for row in table if len(set(row)) >= 2}


# -- the invoice ---------------------------------------------------------------------------------
def test_invoice_has_bank_details_lines_vat_totals_words_and_signatures(crm):
    forms = PrintForms(crm["p"], SYSTEM)
    number = crm["invoice"]["number"]
    document = forms.render("invoice", crm["invoice"]["id"])
    assert document.name == f"Счёт {number} от 15.03.2024 ООО _Рога & Копыта.docx"
    paragraphs, tables, doc = read_docx(document.data)
    letterhead, bank, parties, lines, totals, signatures = tables

    assert letterhead[0][1].startswith("ООО «ТехноСервис»")
    assert row_of(bank, "ПАО Сбербанк\nБанк получателя") == [
        "ПАО Сбербанк\nБанк получателя", "БИК", "044525225"]  # fmt: skip
    assert bank[1][2:] == ["Сч. №", "30101810400000000225"]
    assert bank[2] == ["ИНН 7701234567", "КПП 770101001", "Сч. №", "40702810938000012345"]
    assert bank[3][0] == "ООО «ТехноСервис»\nПолучатель"

    assert f"Счёт на оплату № {number} от 15 марта 2024 г." in paragraphs
    supplier, buyer, basis = (row[1] for row in parties)
    assert supplier == (
        "ООО «ТехноСервис», ИНН 7701234567, КПП 770101001, 115093, г. Москва, ул. Люсиновская, "
        "д. 36, стр. 1, офис 305, тел.: +7 (495) 123-45-67"
    )
    assert buyer.startswith(f"{CLIENT}, ИНН 7712345678, КПП 771201001, г. Москва, ул. Лесная")
    assert basis == f"Договор № {crm['contract']['number']} от 01.03.2024"

    assert lines[0] == ["№", "Товары (работы, услуги)", "Кол-во", "Ед.", "Цена", "Сумма"]
    assert lines[1:] == [
        ["1", 'Ноутбук 15"', "2", "шт", "68 900,00", "137 800,00"],
        ["2", "Настройка сети", "1,5", "усл.", "12 000,00", "18 000,00"],
        ["3", "Бумага А4, 500 л.", "10", "шт", "490,00", "4 900,00"],
        ["4", "Аудит ИТ-инфраструктуры", "1", "усл.", "45 000,00", "45 000,00"],
        ["5", "Картридж чёрный", "3", "шт", "3 500,00", "10 500,00"],
    ]
    assert crm["invoice"]["total"] == Decimal("216200.00")  # the rollup agrees
    assert label_values(totals) == {
        "Итого:": "216 200,00",
        # Each line's VAT at its rate (goods name 22 %, services take the company's default
        # 22 %): amount × 22 / 122 rounded half up per line, then summed (issue 21).
        "В том числе НДС (22 %):": "38 986,88",
        "Всего к оплате:": "216 200,00",
    }
    assert "Всего наименований 5, на сумму 216 200,00 руб." in paragraphs
    assert "Двести шестнадцать тысяч двести рублей 00 копеек" in paragraphs
    assert "Оплатить не позднее 25.03.2024." in paragraphs
    assert "Доставка до офиса включена" in paragraphs
    assert not [p for p in paragraphs if "{" in p or "%" in p]  # no tag left behind
    assert signatures[0][:4:3] == ["Руководитель", "Соколов А. В."]
    assert signatures[1][:4:3] == ["Бухгалтер", "Жукова Е. В."]
    # Logo, the director's signature and the stamp, from the company record.
    assert images(doc) == [png("logo"), png("signature"), png("stamp")]


def set_line_rates(crm: dict[str, Any], rates: dict[str, str | None]) -> dict[str, Any]:
    """Give the invoice's lines of the named products these VAT rates; returns the old ones."""
    lines = crm["p"].records("invoice_lines", user=SYSTEM)
    old = {}
    mine = [{"field": "invoice", "op": "eq", "value": crm["invoice"]["id"]}]
    for row in lines.query(filters=mine).rows:
        if row["product__title"] in rates:
            old[row["product__title"]] = row["vat_rate"]
            lines.update(row["id"], {"vat_rate": rates[row["product__title"]]})
    return old


def test_invoice_without_vat_and_without_a_chief_accountant(crm):
    """Lines «без НДС» print «Без НДС»; without a chief accountant the director signs for
    both."""
    company = crm["p"].records("our_company", user=SYSTEM)
    row = company.query(limit=1).rows[0]
    company.update(row["id"], {"chief_accountant": None})
    old = set_line_rates(crm, {name: "none" for name, _, _ in LINES})
    try:
        data = PrintForms(crm["p"], SYSTEM).render("invoice", crm["invoice"]["id"]).data
        assert crm["p"].records("invoices", user=SYSTEM).get(crm["invoice"]["id"])["vat"] == 0
    finally:
        set_line_rates(crm, old)
        company.update(row["id"], {"chief_accountant": row["chief_accountant"]})
    _, tables, doc = read_docx(data)
    assert label_values(tables[4]) == {
        "Итого:": "216 200,00", "Без НДС:": "—", "Всего к оплате:": "216 200,00"}  # fmt: skip
    assert tables[5][1][:4:3] == ["Бухгалтер", "Соколов А. В."]
    # In document order: the stamp's cell spans both rows and starts in the first.
    assert images(doc) == [png("logo"), png("signature"), png("stamp"), png("signature")]


def test_invoice_with_mixed_rates_prints_one_vat_line_per_rate(crm):
    """A line at 10 % and a line «без НДС» among lines at 22 %: one VAT line per rate, each
    with the VAT of its lines; the invoice's «В том числе НДС» field totals them."""
    old = set_line_rates(crm, {"Картридж чёрный": "10", "Аудит ИТ-инфраструктуры": "none"})
    try:
        data = PrintForms(crm["p"], SYSTEM).render("invoice", crm["invoice"]["id"]).data
        vat = crm["p"].records("invoices", user=SYSTEM).get(crm["invoice"]["id"])["vat"]
    finally:
        set_line_rates(crm, old)
    _, tables, _ = read_docx(data)
    assert label_values(tables[4]) == {
        "Итого:": "216 200,00",
        "В том числе НДС (10 %):": "954,55",  # 10 500 × 10 / 110
        "В том числе НДС (22 %):": "28 978,69",  # 24 849,18 + 3 245,90 + 883,61
        "Без НДС:": "—",
        "Всего к оплате:": "216 200,00",
    }
    assert vat == Decimal("29933.24")  # 954,55 + 28 978,69


# -- act and waybill: the services and the goods of the invoice ------------------------------
def test_act_lists_the_services_with_their_own_totals(crm):
    paragraphs, tables, _ = read_docx(
        PrintForms(crm["p"], SYSTEM).render("act", crm["invoice"]["id"]).data
    )
    number = crm["invoice"]["number"]
    assert f"Акт № {number} от 15 марта 2024 г." in paragraphs
    parties = {row[0]: row[1] for row in tables[1]}
    assert parties["Исполнитель:"].startswith("ООО «ТехноСервис», ИНН 7701234567")
    assert parties["Заказчик:"].startswith(f"{CLIENT}, ИНН 7712345678")
    assert tables[2][1:] == [
        ["1", "Настройка сети", "1,5", "усл.", "12 000,00", "18 000,00"],
        ["2", "Аудит ИТ-инфраструктуры", "1", "усл.", "45 000,00", "45 000,00"],
    ]
    assert label_values(tables[3]) == {
        "Итого:": "63 000,00",
        "В том числе НДС (22 %):": "11 360,65",  # 3 245,90 + 8 114,75
        "Всего к оплате:": "63 000,00",
    }
    assert "Всего оказано услуг 2, на сумму 63 000,00 руб." in paragraphs
    assert "Шестьдесят три тысячи рублей 00 копеек" in paragraphs
    signatures = tables[4]
    assert signatures[0] == ["ИСПОЛНИТЕЛЬ", "", "ЗАКАЗЧИК"]
    assert signatures[1][2] == CLIENT and signatures[2][0] == "/ Соколов А. В. /"


def test_waybill_lists_the_goods_with_their_articles(crm):
    paragraphs, tables, _ = read_docx(
        PrintForms(crm["p"], SYSTEM).render("waybill", crm["invoice"]["id"]).data
    )
    skus = {n: crm["products"][n]["sku"] for n, _, _ in LINES}
    assert tables[2][1:] == [
        ["1", skus['Ноутбук 15"'], 'Ноутбук 15"', "шт", "2", "68 900,00", "137 800,00"],
        ["2", skus["Бумага А4, 500 л."], "Бумага А4, 500 л.", "шт", "10", "490,00", "4 900,00"],
        ["3", skus["Картридж чёрный"], "Картридж чёрный", "шт", "3", "3 500,00", "10 500,00"],
    ]
    assert label_values(tables[3])["В том числе НДС (22 %):"] == "27 626,23"
    assert "Всего наименований 3, на сумму 153 200,00 руб." in paragraphs
    assert "Сто пятьдесят три тысячи двести рублей 00 копеек" in paragraphs


# -- the contract -------------------------------------------------------------------------------
def test_contract_has_both_parties_details_and_its_invoices(crm):
    contract = crm["contract"]
    document = PrintForms(crm["p"], SYSTEM).render("contract", contract["id"])
    assert document.name == f"Договор {contract['number']} ООО _Рога & Копыта.docx"
    paragraphs, tables, doc = read_docx(document.data)
    text = "\n".join(paragraphs)
    assert f"ДОГОВОР № {contract['number']}" in paragraphs
    assert tables[0][0] == ["г. Москва", "«01» марта 2024 г."]
    assert (
        "Общество с ограниченной ответственностью «ТехноСервис», именуемое в дальнейшем "
        "«Исполнитель», в лице генерального директора Соколов Андрей Викторович" in text
    )
    assert f"и {CLIENT}, именуемое в дальнейшем «Заказчик»" in text
    assert "«Поставка оборудования»" in text
    assert (
        "составляет 500 000,00 руб. (Пятьсот тысяч рублей 00 копеек), в том числе НДС 22 %." in text
    )
    assert "вступает в силу «01» марта 2024 г. и действует до «28» февраля 2025 г." in text

    details = {row[0]: row[2] for row in tables[1]}
    ours = "\n".join(row[0] for row in tables[1])
    theirs = "\n".join(row[2] for row in tables[1])
    assert details["ИСПОЛНИТЕЛЬ"] == "ЗАКАЗЧИК"
    for value in ("Общество с ограниченной ответственностью «ТехноСервис»",
                  "ИНН: 7701234567 / КПП 770101001", "ОГРН: 1157746123456",
                  "Р/с: 40702810938000012345", "Банк: ПАО Сбербанк", "БИК: 044525225",
                  "К/с: 30101810400000000225"):  # fmt: skip
        assert value in ours
    for value in (CLIENT, "ИНН: 7712345678 / КПП 771201001", "Адрес: г. Москва, ул. Лесная",
                  "Р/с: 40702810100000001234", "Банк: АО «Альфа-Банк»", "БИК: 044525593",
                  "К/с: 30101810200000000593", "E-mail: zakaz@roga.example"):  # fmt: skip
        assert value in theirs
    assert "ОГРН" not in theirs  # an empty detail prints no label
    appendix = tables[3]
    assert appendix[1] == [
        "1", crm["invoice"]["number"], "15.03.2024", "216 200,00", "100 000,00",
        "оплачен частично"]  # fmt: skip
    assert images(doc) == [png("signature"), png("stamp")]


def test_contract_with_a_person_has_no_appendix(crm):
    paragraphs, tables, _ = read_docx(
        PrintForms(crm["p"], SYSTEM).render("contract", crm["person_contract"]["id"]).data
    )
    text = "\n".join(paragraphs)
    assert "гражданин(ка) Иванова Мария Петровна, именуемый(ая) в дальнейшем «Заказчик»" in text
    assert "действует до полного исполнения сторонами своих обязательств." in text
    assert "Приложение 1" not in text and len(tables) == 3


# -- the price list -----------------------------------------------------------------------------
def subtotal(ws: Any, formula: str) -> float:
    """Evaluate ``=SUBTOTAL(2|9, Ea:Eb)`` as Excel does: cells holding SUBTOTAL themselves
    are skipped, so a grand total does not count the subtotals inside its range."""
    m = re.fullmatch(r"=SUBTOTAL\((2|9),([A-Z])(\d+):([A-Z])(\d+)\)", formula)
    assert m, formula
    values = [ws[f"{m.group(2)}{r}"].value for r in range(int(m.group(3)), int(m.group(5)) + 1)]
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return float(len(numbers)) if m.group(1) == "2" else float(sum(numbers))


@pytest.mark.parametrize("list_name", ["Розничный", "Оптовый"])
def test_price_list_is_grouped_by_category_with_subtotals(crm, list_name):
    p = crm["p"]
    price_list = next(
        r for r in p.records("price_lists", user=SYSTEM).query().rows if r["name"] == list_name
    )
    document = PrintForms(p, SYSTEM).render("price_list", price_list["id"])
    assert document.name == f"Прайс-лист {list_name} на {dt.date.today():%d.%m.%Y}.xlsx"
    ws = load_workbook(io.BytesIO(document.data))["Прайс-лист"]
    assert ws["A1"].value == "ООО «ТехноСервис»"
    assert ws["A4"].value == f"Прайс-лист «{list_name}»"
    assert ws["A5"].value.endswith("Цены указаны в рублях, включая НДС 22 %.")

    # What the list should hold, from the database: active products by category.
    items = (
        p.records("price_list_items", user=SYSTEM)
        .query(filters=[{"field": "price_list", "op": "eq", "value": price_list["id"]}], limit=1000)
        .rows
    )
    by_id = {r["id"]: r for r in p.records("products", user=SYSTEM).query(limit=1000).rows}
    categories = dict(
        (r["id"], r["name"]) for r in p.records("product_categories", user=SYSTEM).query().rows
    )
    expected: dict[str, list[tuple]] = {}
    for item in items:
        product = by_id[item["product"]]
        if product["active"]:
            expected.setdefault(categories[product["category"]], []).append(
                (product["sku"], product["name"], product["unit"], float(item["price"]))
            )
    assert "Тонер" not in {n for rows in expected.values() for _, n, _, _ in rows}

    row, found = 8, {}
    while ws.cell(row, 1).value and "поз.)" in str(ws.cell(row, 1).value):
        category, count = re.fullmatch(r"(.+) \((\d+) поз\.\)", ws.cell(row, 1).value).groups()
        first = row + 1
        rows = []
        while ws.cell(row + 1, 3).value != "Итого по разделу:":
            row += 1
            rows.append(tuple(ws.cell(row, c).value for c in range(1, 6)))
        row += 1  # the subtotal row: its formulas cover exactly this category's rows
        assert ws.cell(row, 4).value == f"=SUBTOTAL(2,E{first}:E{row - 1})"
        assert ws.cell(row, 5).value == f"=SUBTOTAL(9,E{first}:E{row - 1})"
        assert subtotal(ws, ws.cell(row, 4).value) == int(count) == len(rows)
        assert subtotal(ws, ws.cell(row, 5).value) == pytest.approx(sum(r[4] for r in rows))
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))  # numbered per group
        assert [r[2] for r in rows] == sorted((r[2] for r in rows), key=str.lower)
        found[category] = sorted(r[1:] for r in rows)
        assert ws.merged_cells.ranges and f"A{first - 1}:E{first - 1}" in {
            str(m) for m in ws.merged_cells.ranges
        }
        row += 1
    assert found == {k: sorted(v) for k, v in expected.items()}
    assert list(found) == sorted(found)  # categories in alphabetical order
    total = row + 1
    assert ws.cell(total, 3).value == "Всего в прайс-листе:"
    assert ws.cell(total, 4).value == f"=SUBTOTAL(2,E8:E{total - 2})"
    count = sum(len(v) for v in expected.values())
    assert subtotal(ws, ws.cell(total, 4).value) == count == 23
    assert subtotal(ws, ws.cell(total, 5).value) == pytest.approx(
        sum(price for rows in expected.values() for *_, price in rows)
    )
    laptop = next(r for r in found["Оборудование"] if r[1] == 'Ноутбук 15"')
    # The demo's wholesale list is 10 % below retail.
    assert laptop[3] == (62010.0 if list_name == "Оптовый" else 68900.0)


# -- every bundled form passes the checker -------------------------------------------------------
def test_every_bundled_form_passes_the_checker():
    loaded = load("sample_crm")
    forms = {d.get("name"): d for d in loaded.config.print_forms}
    assert {"client_card", "invoice", "act", "waybill", "contract", "price_list"} <= set(forms)
    for name, form in forms.items():
        data = loaded.bundle.files[form.get("template")]
        kind = form.get("template").rsplit(".", 1)[1]
        problems = check_template(kind, data, loaded.config, form.get("table"), "ru", name)
        assert problems == [], (name, [str(p) for p in problems])


# -- PDF ------------------------------------------------------------------------------------------
def test_invoice_as_pdf(crm, tmp_path):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed: the PDF of the invoice is not tested")
    document = PrintForms(crm["p"], SYSTEM).render("invoice", crm["invoice"]["id"], pdf=True)
    assert document.name.endswith(".pdf") and document.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        path = tmp_path / "invoice.pdf"
        path.write_bytes(document.data)
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        text = re.sub(r"\s+", " ", text.replace("\u00a0", " "))
        for value in (
            f"Счёт на оплату № {crm['invoice']['number']} от 15 марта 2024 г.",
            "044525225", "40702810938000012345", "216 200,00", "36 033,33",
            "Двести шестнадцать тысяч двести рублей 00 копеек", "Соколов А. В.",
        ):  # fmt: skip
            assert value in text


def test_who_may_print_which_document(crm):
    p = crm["p"]
    users = {
        role: p.users.find(f"forms_{role}")
        or p.users.create(f"forms_{role}", "secret-pass-1", name=role, roles=[role])
        for role in ("manager", "accountant", "viewer")
    }
    names = {
        role: {f.name for f in PrintForms(p, user).available()} for role, user in users.items()
    }
    documents = {"invoice", "act", "waybill", "contract"}
    assert documents | {"price_list", "client_card"} <= names["accountant"]
    assert documents | {"price_list", "client_card"} <= names["manager"]
    assert not documents & names["viewer"] and {"price_list", "client_card"} <= names["viewer"]


def test_contract_heading_names_our_company_city(crm):
    """The place of the contract is the company's own city, not a fixed text."""
    company = crm["p"].records("our_company", user=SYSTEM)
    record = company.query(limit=1, count=False).rows[0]
    company.update(record["id"], {"city": "Тверь"})
    contract = crm["contract"]
    _, tables, _ = read_docx(PrintForms(crm["p"], SYSTEM).render("contract", contract["id"]).data)
    assert tables[0][0][0] == "г. Тверь"
    record = company.get(record["id"])
    company.update(record["id"], {"city": None})
    _, tables, _ = read_docx(PrintForms(crm["p"], SYSTEM).render("contract", contract["id"]).data)
    assert tables[0][0][0] == ""  # no city: no "г." either
    company.update(record["id"], {"city": "Москва"})
