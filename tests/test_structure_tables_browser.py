"""The structure editor's table-level screens in a real browser (Playwright + Chromium), in
Russian, as an administrator would use them (issue 14): rename the «Клиенты» menu entry to
«Контрагенты»; add a table «Автомобили» with a reference to Клиенты and see it as a tab on
the client card; archive a field, restore it and see its data back; hide the «Банк»
section; return to the first revision; then every structure page at phone size (390x844).
Screenshots go to docs/img/ (the guide shows them) and artifacts/.
"""

from __future__ import annotations

from typing import Any

from tests.test_web_structure_browser import apply_preview, server, shot  # noqa: F401
from tests.web_support import LiveServer, browser_login, open_menu_link

from uchet import SYSTEM


def test_tables_archive_restore_hide_and_revert(page: Any, server: LiveServer) -> None:  # noqa: F811
    platform = server.platform
    client = platform.records("clients", user=SYSTEM).create(
        {"name": "ООО Ромашка", "kind": "company", "city": "Тверь"}
    )
    browser_login(page, server, "admin")
    open_menu_link(page, "/-/structure/")
    # 1. Rename the «Клиенты» menu entry to «Контрагенты» (revision 1: the first one).
    page.goto(f"{server.url}/-/structure/table/clients")
    page.fill("#uchet-structure-table-label #label_ru", "Контрагенты")
    page.click("#uchet-structure-table-label button[type=submit]")
    apply_preview(page, "изменено у «Клиенты»: название «Клиенты» → «Контрагенты»")
    page.goto(server.url + "/")
    assert page.locator("#uchet-menu a[href='/clients/']").inner_text().strip() == "Контрагенты"
    # 2. Add «Автомобили»: a mistake first (no name), shown next to the control.
    page.goto(f"{server.url}/-/structure/")
    page.click("#uchet-structure-new-table")
    page.wait_for_selector("#uchet-structure-table-add")
    page.fill("#label_ru", "Автомобили")
    page.click("#uchet-structure-table-add button[type=submit]")
    assert "Строчные латинские буквы" in page.inner_text("#uchet-structure-table-add")
    page.goto(f"{server.url}/-/structure-tables/new")
    page.fill("#label_ru", "Автомобили")
    page.fill("#label_en", "Cars")
    page.fill("#name", "cars")
    page.select_option("#kind", "document")
    page.select_option("#section", "sec_clients")
    page.select_option("#target", "clients")
    page.check("input[name=roles][value=manager]")
    shot(page, "structure-new-table.png")
    page.click("#uchet-structure-table-add button[type=submit]")
    apply_preview(page, "добавлена таблица «Автомобили»", "structure-new-table-preview.png")
    assert "cars" in {t.id for t in platform.config.tables}
    # It is in the menu, and a tab of the client's card lists the client's cars.
    page.goto(server.url + "/")
    assert page.locator("#uchet-menu a[href='/cars/']").count() == 1
    platform.records("cars", user=SYSTEM).create({"name": "Лада Веста", "clients": client["id"]})
    page.goto(f"{server.url}/clients/edit/?id={client['id']}")
    page.wait_for_selector("#uchet-save")
    tab = page.locator("a[href='#tab-tab_cars_clients']")
    assert tab.inner_text().strip().startswith("Автомобили")
    tab.click()
    page.wait_for_selector("#tab-tab_cars_clients >> text=Лада Веста")
    shot(page, "structure-new-table-tab.png")
    # 3. Archive the field «Город», restore it: the value is back.
    page.goto(f"{server.url}/-/structure/field/clients/city")
    page.click("#uchet-structure-field-hide button[value=hide]")
    apply_preview(page, "скрыто: «Город»")
    page.goto(f"{server.url}/clients/edit/?id={client['id']}")
    page.wait_for_selector("#uchet-save")
    assert page.locator("#city").count() == 0
    page.goto(f"{server.url}/-/structure/field/clients/city")
    page.click("#uchet-structure-field-hide button[value=show]")
    apply_preview(page, "снова показано: «Город»")
    page.goto(f"{server.url}/clients/edit/?id={client['id']}")
    page.wait_for_selector("#city")
    assert page.input_value("#city") == "Тверь"
    # The field page says where its visibility comes from (the structure editor).
    page.goto(f"{server.url}/-/structure/field/clients/city")
    row = page.locator("#uchet-structure-layers tr[data-property=hidden]")
    assert "редактор структуры" in row.inner_text()
    # 4. Hide the «Банк» section of our company's card.
    company = platform.records("our_company", user=SYSTEM).create({"name": "ООО Учёт"})
    page.goto(f"{server.url}/-/structure/table/our_company")
    page.click("#uchet-structure-parts tr[data-part=sec_company_bank] button")
    apply_preview(page, "скрыт раздел «Банк» карточки «Реквизиты организации»")
    page.goto(f"{server.url}/our_company/edit/?id={company['id']}")
    page.wait_for_selector("#uchet-save")
    assert "БИК" not in page.inner_text("body")
    # 5. Back to the first revision: the table is archived (hidden, rows kept), the section
    # is back, the menu entry still says «Контрагенты».
    page.goto(f"{server.url}/-/structure-history/")
    shot(page, "structure-history-tables.png")
    page.click("tr[data-revision='1'] .uchet-revert")
    apply_preview(page, "скрыто: «Автомобили»")
    page.goto(server.url + "/")
    assert page.locator("#uchet-menu a[href='/cars/']").count() == 0
    assert page.locator("#uchet-menu a[href='/clients/']").inner_text().strip() == "Контрагенты"
    page.goto(f"{server.url}/our_company/edit/?id={company['id']}")
    page.wait_for_selector("#uchet-save")
    assert "БИК" in page.inner_text("body")
    page.goto(f"{server.url}/clients/edit/?id={client['id']}")
    page.wait_for_selector("#uchet-save")
    assert page.locator("a[href='#tab-tab_cars_clients']").count() == 0  # archived: no tab
    assert platform.records("cars", user=SYSTEM).query().total == 1  # its rows are kept
    # 6. The same pages at phone size: nothing wider than the screen, Russian only.
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in (
        ("/-/structure/", "structure-phone.png"),
        ("/-/structure/table/clients", "structure-table-phone.png"),
        ("/-/structure/field/clients/city", "structure-field-phone.png"),
        ("/-/structure-tables/new", "structure-new-table-phone.png"),
        ("/-/structure-history/", "structure-history-phone.png"),
    ):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide on a phone"
        shot(page, name)
