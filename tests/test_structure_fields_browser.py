"""The structure editor's field page in a real browser (Playwright + Chromium), in Russian,
as an administrator would use it (issue 14): rename the field ``city`` of Клиенты, which a
formula (contacts' «Город клиента» = ``client.city``) and a report («Клиенты по городам»)
use, and see both still work; change a text field to a whole number on data with three
values that do not convert, read the preview, choose «оставить пустым» and check the other
values. Screenshots go to docs/img/ (the guide shows them) and artifacts/.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web_support import ARTIFACTS, LiveServer, browser_login, open_menu_link, seed_users

from uchet import SYSTEM
from uchet.configurations.overlay_diff import EMPTY_DOCUMENT

DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
DESKTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def server(tmp_path: Path, sqlite_crm_template: Path) -> Iterator[LiveServer]:
    """A live server that swaps to a new configuration version on the request that notices
    it (the production swap, without the background build's fraction of a second)."""
    from tests.conftest import copy_sqlite

    from uchet import Platform

    copy_sqlite(sqlite_crm_template, tmp_path / "live.db")
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{tmp_path}/live.db")
    platform.migrate()
    platform.test_users = seed_users(platform)
    live = LiveServer(platform, reload_in_background=False)
    yield live
    live.stop()
    platform.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.screenshot(path=str(DOCS_IMG / name), full_page=True)


def open_field_page(page: Any, server: LiveServer, field_label: str) -> None:
    """Структура → Клиенты → the field → «Переименовать, сменить тип, изменить варианты»."""
    open_menu_link(page, "/-/structure/")
    page.click("#uchet-structure-tables tr[data-table=clients] a")
    page.wait_for_selector("#uchet-structure-add")
    page.get_by_role("link", name=field_label, exact=True).first.click()
    page.click("#uchet-field-edit-link")
    page.wait_for_selector("#uchet-field-rename")


def test_rename_city_formula_and_report_still_work(page: Any, server: LiveServer) -> None:
    platform = server.platform
    page.set_viewport_size(DESKTOP)
    clients = platform.records("clients", user=SYSTEM)
    tula = clients.create({"name": "ООО Тульский пряник", "kind": "company", "city": "Тула"})
    clients.create({"name": "ООО Орловский", "kind": "company", "city": "Орёл"})
    contact = platform.records("contacts", user=SYSTEM).create(
        {"name": "Иван Петров", "client": tula["id"]})  # fmt: skip
    browser_login(page, server, "admin")
    open_field_page(page, server, "Город")
    # A name that is not a name: said next to the field, nothing saved.
    page.fill("#uchet-field-rename #new_name", "Город")
    page.click("#uchet-field-rename button[type=submit]")
    page.wait_for_selector("#uchet-field-rename .uchet-error")
    assert "Строчные латинские буквы" in page.inner_text("#uchet-field-rename")
    page.fill("#uchet-field-rename #new_name", "town")
    page.click("#uchet-field-rename button[type=submit]")
    page.wait_for_selector("#uchet-rename-references")
    refs = page.inner_text("#uchet-rename-references")
    assert "поле «Город клиента» таблицы «Контактные лица»" in refs
    assert "отчёт «Клиенты по городам»" in refs
    assert "«Карточка клиента»" in page.inner_text("#uchet-rename-templates")
    page.click("#uchet-structure-sql summary")
    shot(page, "structure-field-rename.png")
    assert platform.overlay.revisions() == []
    page.click("#uchet-structure-confirm button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "Сохранено как версия 1" in page.inner_text(".alert-success")
    assert "town" in page.inner_text(".uchet-structure-field-edit h5")
    # The formula follows: the contact's card still shows the client's city.
    page.goto(f"{server.url}/contacts/edit/?id={contact['id']}")
    page.wait_for_selector("[data-field=client_city]")
    assert "Тула" in page.inner_text("[data-field=client_city]")
    # The report follows: it still groups the clients by city.
    page.goto(f"{server.url}/reports/report_clients_by_city/")
    page.wait_for_selector("table")
    body = page.inner_text("table")
    assert "Тула" in body and "Орёл" in body


def test_retype_text_to_integer_leaving_bad_values_empty(page: Any, server: LiveServer) -> None:
    platform = server.platform
    page.set_viewport_size(DESKTOP)
    doc = copy.deepcopy(EMPTY_DOCUMENT)
    doc["fields"] = {
        "clients": [
            {
                "id": "clients.code",
                "name": "code",
                "type": "string",
                "label": {"ru": "Код клиента", "en": "Client code"},
            }
        ]
    }
    platform.overlay.save(doc, base_revision=None)
    svc = platform.records("clients", user=SYSTEM)
    values = ["101", "двадцать", "7", "12.5", "0042", "N-5", None]
    ids = [svc.create({"name": f"Клиент {i}", "kind": "company", "code": v})["id"]
           for i, v in enumerate(values)]  # fmt: skip
    browser_login(page, server, "admin")
    open_field_page(page, server, "Код клиента")
    page.select_option("#uchet-field-retype #new_type", "integer")
    page.click("#uchet-field-retype button[type=submit]")
    page.wait_for_selector("#uchet-retype-counts")
    counts = page.inner_text("#uchet-retype-counts")
    assert "Преобразуется значений: 3" in counts
    assert "Не преобразуется значений: 3" in counts
    examples = page.inner_text("#uchet-retype-examples")
    for bad in ("двадцать", "12.5", "N-5"):
        assert bad in examples
    assert "101" not in examples
    policy = page.inner_text("#uchet-retype-policy")
    assert "отменить изменение" in policy and "подставить значение" in policy
    page.set_viewport_size(PHONE)  # the preview reads on a phone too
    shot(page, "structure-field-retype-phone.png")
    page.set_viewport_size(DESKTOP)
    page.get_by_label("оставить пустым").check()
    shot(page, "structure-field-retype.png")
    assert platform.overlay.latest().number == 1  # nothing applied before «Применить»
    page.click("#uchet-structure-confirm button[type=submit]")
    page.wait_for_selector(".alert-success")
    fresh = platform.records("clients", user=SYSTEM)
    assert [fresh.get(i)["code"] for i in ids] == [101, None, 7, None, 42, None, None]


def test_choice_list_retire_and_add(page: Any, server: LiveServer) -> None:
    platform = server.platform
    page.set_viewport_size(DESKTOP)
    old = platform.records("clients", user=SYSTEM).create(
        {"name": "ООО Давний лид", "kind": "company", "status": "lead"})  # fmt: skip
    browser_login(page, server, "admin")
    open_field_page(page, server, "Статус")
    rows = page.locator("#uchet-field-choices tr.uchet-choice-row")
    lead = page.locator("#uchet-field-choices tr[data-value=lead]")
    lead.locator("input[type=checkbox]").check()
    new = rows.nth(3)
    new.locator("input[name=label_ru_3]").fill("Партнёр")
    new.locator("input[name=label_en_3]").fill("Partner")
    shot(page, "structure-field-choices.png")
    page.set_viewport_size(PHONE)
    shot(page, "structure-field-choices-phone.png")
    page.set_viewport_size(DESKTOP)
    page.click("#uchet-field-choices button[type=submit]")
    page.wait_for_selector("#uchet-structure-changes")
    assert "варианты" in page.inner_text("#uchet-structure-changes")
    page.click("#uchet-structure-confirm button[type=submit]")
    page.wait_for_selector(".alert-success")
    # A new client is not offered the retired status; the old one keeps and shows it.
    page.goto(f"{server.url}/clients/new/")
    options = page.locator("select#status option").all_inner_texts()
    assert "Партнёр" in options and "Потенциальный" not in options
    page.goto(f"{server.url}/clients/edit/?id={old['id']}")
    selected = page.locator("select#status option:checked").inner_text()
    assert selected == "Потенциальный"
