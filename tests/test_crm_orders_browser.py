"""Orders «Заявки» in a real Chromium, in Russian (issue 19 point 0, S18/S20).

A manager enters an order on a phone (390×844, touch): the client from a look-up, what is
asked for, a line from the catalogue in the card's «Товары и услуги» tab; then moves it to
«В работе» and makes the invoice with «Выставить счёт» on a desktop (1366×850), which opens
the new invoice with the line copied and VAT at 22 %. Screenshots go to
artifacts/screenshots (docs/img holds the ones the documentation shows).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from tests.test_document_grid_browser import _choose
from tests.test_web_card_browser import pick
from tests.web_support import ARTIFACTS, browser_login

from uchet import SYSTEM


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"orders_{name}.png"), full_page=True)


def seed(server: Any) -> dict[str, Any]:
    p = server.platform
    client = p.records("clients", user=SYSTEM).create(
        {"name": "ООО «Ромашка»", "city": "Тверь", "manager": p.test_users["anna"].id}
    )
    p.records("contacts", user=SYSTEM).create({"client": client["id"], "name": "Козлова Анна"})
    other = p.records("clients", user=SYSTEM).create(
        {"name": "ООО «Лютик»", "manager": p.test_users["anna"].id}
    )
    p.records("contacts", user=SYSTEM).create({"client": other["id"], "name": "Лютиков Пётр"})
    product = p.records("products", user=SYSTEM).create(
        {"name": "Кассовый аппарат", "price": Decimal("24400"), "vat_rate": "22"}
    )
    return {"client": client, "product": product}


def test_manager_enters_an_order_on_a_phone_then_makes_the_invoice(
    browser: Any, live_server: Any
) -> None:
    seed(live_server)
    p = live_server.platform
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU",
                                has_touch=True, is_mobile=True)  # fmt: skip
    page = phone.new_page()
    page.set_default_timeout(30_000)
    try:
        browser_login(page, live_server, "anna")
        page.goto(f"{live_server.url}/orders/new/")
        assert page.locator("#stage").input_value() == "new"  # the stage's default
        # Nothing sticks out of the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        pick(page, "client", "Ромаш", "ООО «Ромашка»")
        # The contact is chosen among this client's contacts only (lookup_match).
        page.click("#s2id_contact a.select2-choice")
        page.locator("#select2-drop .select2-result-selectable", has_text="Козлова").wait_for()
        offered = page.locator("#select2-drop .select2-result-selectable").all_inner_texts()
        assert offered == ["Козлова Анна"], offered
        page.locator("#select2-drop .select2-result-selectable").first.click()
        page.fill("#subject", "Поставить и настроить кассу")
        shot(page, "phone_new")
        # A new record keeps «Сохранить и продолжить» on a phone: the card opens for lines.
        page.click("button[name=_continue_editing]")
        page.wait_for_url(re.compile(r".*/orders/edit/\?id=\d+"))
        (order,) = p.records("orders", user=SYSTEM).query().rows
        assert order["responsible"] == p.test_users["anna"].id  # the current user
        assert order["number"].startswith("ЗК-") and order["new_on"] is not None
        # The lines are a grid on the order's card (issue 21), one line ready to fill.
        page.focus(".uchet-grid tbody tr:nth-child(1) td[data-name=product] .select2-focusser")
        _choose(page, "Кассовый аппарат")
        page.fill(".uchet-grid tbody tr:nth-child(1) td[data-name=quantity] input", "2")
        page.click("#uchet-save")
        page.wait_for_selector(".alert-success")
        lines = p.records("order_lines", user=SYSTEM).query(count=False).rows
        assert [(x["sales_order"], x["quantity"]) for x in lines] == [(order["id"], 2)]
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "phone_lines")
    finally:
        phone.close()

    desktop = browser.new_context(viewport={"width": 1366, "height": 850}, locale="ru-RU")
    page = desktop.new_page()
    page.set_default_timeout(30_000)
    try:
        browser_login(page, live_server, "anna")
        page.goto(f"{live_server.url}/orders/edit/?id={order['id']}")
        page.select_option("#stage", "in_work")
        page.click("#uchet-save")
        page.wait_for_selector(".alert-success")
        assert p.records("orders", user=SYSTEM).get(order["id"])["in_work_on"] is not None
        page.goto(f"{live_server.url}/orders/edit/?id={order['id']}")
        assert page.inner_text("#uchet-card-form [data-field=total]").count("48") >= 1
        shot(page, "desktop_card")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click(".uchet-derive-btn")
        page.wait_for_url(re.compile(r".*/invoices/edit/\?id=\d+"))
        banner = page.locator(".alert-success").inner_text()
        assert "Создано на основании записи «Заявка: ЗК-" in banner
        assert "Скопировано строк: 1." in banner
        titles = page.locator(".uchet-grid tbody td[data-name=product] .select2-chosen")
        assert [t.strip() for t in titles.all_inner_texts()] == ["Кассовый аппарат"]
        shot(page, "desktop_invoice")
    finally:
        desktop.close()
    (invoice,) = p.records("invoices", user=SYSTEM).query().rows
    assert invoice["sales_order"] == order["id"]
    assert invoice["total"] == Decimal("48800.00")
    assert invoice["vat"] == Decimal("8800.00")  # 48 800 × 22 / 122
