"""Real-browser test of the invoice print form (Playwright + Debian's Chromium, issue 5).

Seeds S19/S38: a manager duplicates the bundled «Счёт на оплату» (a configuration form is
not edited in place), uploads an edited template with a misspelt placeholder and sees the
refusal naming it and where, uploads the fixed one as a new version, validates it, then
prints an invoice with lines from the invoice's card and reads the downloaded .docx back.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.test_web_print_browser import docx_text, shot

#: (product, kind, unit, price, quantity): goods and a service, a fractional quantity.
LINES = [
    ('Монитор 24"', "good", "шт", "15000", "2"),
    ("Клавиатура беспроводная", "good", "шт", "2500", "3"),
    ("Установка ПО", "service", "усл.", "1200", "1.5"),
]
TOTAL = "39 300,00"  # 30 000 + 7 500 + 1 800
IN_WORDS = "Тридцать девять тысяч триста рублей 00 копеек"


def edited_docx(data: bytes, *replacements: tuple[str, str]) -> bytes:
    """``data`` with text replaced in the document body, as a person would in Word.

    Works on ``word/document.xml`` directly: the invoice keeps each placeholder in one run,
    and every other part of the package is copied unchanged.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    xml = source.read("word/document.xml").decode("utf-8")
    for old, new in replacements:
        assert xml.count(old) == 1, f"{old!r} is not in the template exactly once"
        xml = xml.replace(old, new)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = xml.encode("utf-8") if item.filename == "word/document.xml" else None
            target.writestr(item, body if body is not None else source.read(item.filename))
    return out.getvalue()


def seed_invoice(platform: Any, manager: Any) -> dict[str, Any]:
    """A client of ``manager`` (a manager sees only their clients' invoices), three products,
    an invoice with a line of each and a partial payment."""
    from uchet import SYSTEM

    rec = lambda table: platform.records(table, user=SYSTEM)  # noqa: E731
    client = rec("clients").create(
        {
            "kind": "company",
            "name": "ООО «Василёк»",
            "city": "Тверь",
            "tax_id": "6901234567",
            "manager": manager.id,
        }
    )
    products = [
        rec("products").create({"name": name, "kind": kind, "unit": unit, "price": Decimal(p)})
        for name, kind, unit, p, _ in LINES
    ]
    invoice = rec("invoices").create(
        {"client": client["id"], "date": dt.date(2026, 3, 16), "due_date": dt.date(2026, 3, 26)}
    )
    for product, (*_, quantity) in zip(products, LINES, strict=True):
        # No unit price: it comes from the product (default_from), as in the web form.
        rec("invoice_lines").create(
            {"invoice": invoice["id"], "product": product["id"], "quantity": Decimal(quantity)}
        )
    rec("payments").create(
        {"invoice": invoice["id"], "date": dt.date(2026, 3, 18), "amount": Decimal("10000")}
    )
    invoice = rec("invoices").get(invoice["id"])
    assert invoice["total"] == Decimal("39300.00") and invoice["debt"] == Decimal("29300.00")
    return invoice


def test_manager_fixes_a_misspelt_placeholder_in_the_invoice_then_prints_it_from_the_card(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    from tests.web_support import browser_login, open_menu_link

    invoice = seed_invoice(live_server.platform, live_server.platform.test_users["anna"])
    number = invoice["number"]
    assert number.startswith("СЧ-2026-")

    # A manager (not an administrator) may use the bundled invoice form and duplicate it.
    browser_login(page, live_server, "anna")
    open_menu_link(page, "/print-forms/")
    page.wait_for_selector("#uchet-print-forms")
    page.click("#uchet-print-forms tr[data-form='pf_invoice'] a")
    page.wait_for_url(re.compile(r".*/print-forms/pf_invoice/$"))
    assert "Счёт на оплату" in page.inner_text("#uchet-print-title")
    # A configuration form is not changed in place: no upload here, duplicate it instead.
    assert page.locator("#uchet-print-upload").count() == 0
    assert "Чтобы изменить её, сделайте копию" in page.inner_text(".uchet-print-editor")
    with page.expect_download() as info:
        page.click("#uchet-template-download")
    original = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename == "invoice.docx"
    shot(page, "invoice_bundled")

    page.fill("#uchet-print-duplicate input[name=label]", "Счёт для клиентов")
    page.fill("#uchet-print-duplicate input[name=name]", "my_invoice")
    page.click("#uchet-print-duplicate button")
    page.wait_for_url(re.compile(r".*/print-forms/pf\.my_invoice/$"))
    assert "Счёт для клиентов" in page.inner_text("#uchet-print-title")
    versions = page.locator("#uchet-versions tbody tr")
    assert versions.count() == 1
    assert versions.locator("td").nth(1).inner_text().startswith("invoice.docx")

    # The product's name misspelt in the lines table (and a heading reworded): refused,
    # the error names the placeholder, where it is, and what was probably meant.
    broken = edited_docx(
        original, ("{{ l.product.name }}", "{{ l.product.nmae }}"), ("Итого:", "Итого по счёту:")
    )
    (tmp_path / "invoice-typo.docx").write_bytes(broken)
    page.set_input_files("#uchet-upload-file", str(tmp_path / "invoice-typo.docx"))
    page.fill("#uchet-upload-note", "итог по-новому")
    page.click("#uchet-upload")
    error = page.locator(".uchet-print-refused")
    error.wait_for()
    text = error.inner_text()
    assert "не сохранён" in text
    assert (
        "таблица 4, строка 3, столбец 2: неизвестное поле {{ l.product.nmae }}"
        " (может быть, l.product.name?)"
    ) in text, text
    assert page.input_value("#uchet-upload-note") == "итог по-новому"  # the note is kept
    assert page.locator("#uchet-versions tbody tr").count() == 1  # nothing was saved
    shot(page, "invoice_refused")

    # The fixed file becomes version 2 and passes the check.
    fixed = edited_docx(broken, ("{{ l.product.nmae }}", "{{ l.product.name }}"))
    (tmp_path / "invoice-fixed.docx").write_bytes(fixed)
    page.set_input_files("#uchet-upload-file", str(tmp_path / "invoice-fixed.docx"))
    page.click("#uchet-upload")
    page.wait_for_selector(".alert-success")
    assert "Версия 2" in page.inner_text(".alert-success")
    assert page.locator("#uchet-versions tr.table-success").get_attribute("data-version") == "2"
    page.click("#uchet-validate")
    assert "Шаблон в порядке" in page.inner_text(".uchet-print-checked")
    shot(page, "invoice_fixed")

    # The invoice's card: the Print menu offers both forms; print with the new one.
    page.goto(f"{live_server.url}/invoices/edit/?id={invoice['id']}")
    page.click("#uchet-print-btn")
    menu = page.locator(".uchet-print-items")
    headers = menu.locator(".dropdown-header").all_inner_texts()
    assert "Счёт на оплату" in headers and headers[-1] == "Счёт для клиентов", headers
    shot(page, "invoice_card_menu")
    link = menu.locator("a[data-uchet-print][href*='pf.my_invoice']", has_text=".docx")
    assert link.count() == 1
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"Счёт {number} от 16.03.2026 ООО «Василёк».docx"
    printed = docx_text(Path(download.path()).read_bytes()).replace("\u00a0", " ")
    assert f"Счёт на оплату № {number} от 16 марта 2026 г." in printed
    assert "ООО «Василёк», ИНН 6901234567" in printed
    for product, *_ in LINES:
        assert product in printed
    assert "Итого по счёту:" in printed  # version 2 printed, not the bundled template
    assert f"Всего наименований 3, на сумму {TOTAL} руб." in printed
    assert IN_WORDS in printed
    assert "{{" not in printed and "{%" not in printed
    assert page.locator("#uchet-print-status").is_hidden()
