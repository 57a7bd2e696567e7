"""Cards in a real browser (Playwright + Debian's Chromium): the card as a person uses it.

Screenshots land in artifacts/screenshots (one per test, taken at teardown).
"""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import unseed
from tests.test_web_card import PNG
from tests.web_support import ARTIFACTS, browser_login

from uchet import SYSTEM


def seed(server: Any) -> dict[str, Any]:
    p = server.platform
    unseed(p)  # its own categories
    cats = p.records("client_categories", user=SYSTEM)
    cats.create({"name": "VIP"})
    ivanovo = cats.create({"name": "Иваново-опт"})
    client = p.records("clients", user=SYSTEM).create(
        {"name": "Иванов ИП", "city": "Москва", "manager": p.test_users["anna"].id}
    )
    p.records("contacts", user=SYSTEM).create({"client": client["id"], "name": "Иван Петров"})
    return {"client": client, "ivanovo": ivanovo}


def pick(page: Any, field: str, typed: str, choice: str) -> None:
    """Choose ``choice`` in the searchable select of ``field`` after typing ``typed``."""
    page.click(f"#s2id_{field} a.select2-choice")
    page.fill("#select2-drop input.select2-input", typed)
    option = page.locator("#select2-drop .select2-result-selectable", has_text=choice)
    option.first.wait_for()
    results = page.locator("#select2-drop .select2-result-selectable").all_inner_texts()
    assert choice in results
    option.first.click()


def test_add_a_contact_in_the_clients_tab_without_leaving_the_card(
    page: Any, live_server: Any
) -> None:
    data = seed(live_server)
    browser_login(page, live_server, "admin")
    card = f"{live_server.url}/clients/edit/?id={data['client']['id']}"
    page.goto(card)
    page.click("a[data-tab=tab_contacts]")
    assert page.inner_text("a[data-tab=tab_contacts] .uchet-child-count") == "1"
    page.click("#tab-tab_contacts .uchet-child-add")
    page.wait_for_selector("#uchet-modal form.uchet-modal-form #name")
    assert page.locator("#uchet-modal [data-field=client]").count() == 0  # preset, hidden
    page.fill("#uchet-modal #name", "Мария Сидорова")
    page.fill("#uchet-modal #position", "Бухгалтер")
    page.click("#uchet-modal .uchet-modal-save")
    page.wait_for_selector("#tab-tab_contacts tr.uchet-child-row >> text=Мария Сидорова")
    page.wait_for_selector("#uchet-modal", state="hidden")
    assert page.url.startswith(card)  # never left the card
    assert page.inner_text("a[data-tab=tab_contacts] .uchet-child-count") == "2"
    # Edit the new contact in the same dialog.
    page.click("#tab-tab_contacts a.uchet-child-open >> text=Мария Сидорова")
    page.wait_for_selector("#uchet-modal #position")
    assert page.input_value("#uchet-modal #position") == "Бухгалтер"
    page.fill("#uchet-modal #position", "Главный бухгалтер")
    page.click("#uchet-modal .uchet-modal-save")
    page.wait_for_selector("#tab-tab_contacts >> text=Главный бухгалтер")
    assert page.url.startswith(card)
    contacts = live_server.platform.records("contacts", user=SYSTEM).query().rows
    assert {c["name"]: c["client"] for c in contacts} == {
        "Иван Петров": data["client"]["id"],
        "Мария Сидорова": data["client"]["id"],
    }


def test_modal_shows_errors_inside_it(page: Any, live_server: Any) -> None:
    data = seed(live_server)
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/clients/edit/?id={data['client']['id']}#tab-tab_contacts")
    page.click("#tab-tab_contacts .uchet-child-add")
    page.wait_for_selector("#uchet-modal #name")
    page.fill("#uchet-modal #position", "Без имени")
    page.click("#uchet-modal .uchet-modal-save")
    error = page.wait_for_selector("#uchet-modal [data-field=name] .uchet-error")
    assert error.inner_text() == "Обязательное поле."
    assert page.input_value("#uchet-modal #position") == "Без имени"
    page.screenshot(path=str(ARTIFACTS / "card_modal_error.png"))


def test_required_field_message_appears_next_to_it(page: Any, live_server: Any) -> None:
    seed(live_server)
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/clients/new/")
    assert page.locator("[data-field=name] .uchet-asterisk").is_visible()
    page.fill("#city", "Тверь")
    page.click("#uchet-save")
    error = page.wait_for_selector("[data-field=name] .uchet-error")
    assert error.inner_text() == "Обязательное поле."
    assert page.input_value("#city") == "Тверь"
    assert "/clients/new/" in page.url


def test_pick_a_category_and_a_manager_in_searchable_selects(page: Any, live_server: Any) -> None:
    data = seed(live_server)
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/clients/new/")
    page.fill("#name", "Новый клиент")
    pick(page, "category", "Ива", "Иваново-опт")
    pick(page, "manager", "an", "Anna")
    page.click("#uchet-save")
    page.wait_for_url(re.compile(r".*/clients/$"))
    found = live_server.platform.records("clients", user=SYSTEM).query(search="Новый").rows[0]
    assert found["category"] == data["ivanovo"]["id"]
    assert found["manager"] == live_server.platform.test_users["anna"].id


def test_manager_lookup_lists_only_her_clients(page: Any, live_server: Any) -> None:
    seed(live_server)
    live_server.platform.records("clients", user=SYSTEM).create(
        {"name": "Ивушка ООО", "manager": live_server.platform.test_users["boris"].id}
    )
    browser_login(page, live_server, "anna")
    page.goto(f"{live_server.url}/contacts/new/")
    page.click("#s2id_client a.select2-choice")
    page.fill("#select2-drop input.select2-input", "Ив")
    page.wait_for_selector("#select2-drop .select2-result-selectable")
    page.wait_for_timeout(400)  # let a late response land, if any
    results = page.locator("#select2-drop .select2-result-selectable").all_inner_texts()
    assert results == ["Иванов ИП"]


def test_upload_a_photo_and_see_the_preview(page: Any, live_server: Any, tmp_path: Any) -> None:
    data = seed(live_server)
    photo = tmp_path / "face.png"
    photo.write_bytes(PNG)
    browser_login(page, live_server, "admin")
    card = f"{live_server.url}/clients/edit/?id={data['client']['id']}"
    page.goto(card)
    page.set_input_files("#photo", str(photo))
    assert page.locator("[data-field=photo] .uchet-preview-new").is_visible()  # before saving
    page.click("button[name=_continue_editing]")
    page.wait_for_selector("[data-field=photo] .uchet-file-current img.uchet-preview")
    loaded = page.eval_on_selector(
        "[data-field=photo] .uchet-file-current img", "img => img.complete && img.naturalWidth"
    )
    assert loaded == 64
    assert page.get_attribute("[data-field=photo] a.uchet-download", "href") == (
        f"/clients/file/{data['client']['id']}/photo"
    )


def test_a_too_large_file_is_refused_before_sending(page: Any, live_server: Any) -> None:
    data = seed(live_server)
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/clients/edit/?id={data['client']['id']}")
    page.fill("#city", "Казань")
    big = {"name": "big.png", "mimeType": "image/png", "buffer": b"\0" * (10 * 1024 * 1024 + 1)}
    page.set_input_files("#photo", big)
    error = page.locator("[data-field=photo] .uchet-size-error")
    assert error.is_visible() and "10 МБ" in error.inner_text()
    assert page.eval_on_selector("#photo", "i => i.files.length") == 0
    assert page.input_value("#city") == "Казань"  # nothing else was lost


def test_stale_edit_in_the_browser(page: Any, live_server: Any) -> None:
    data = seed(live_server)
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/clients/edit/?id={data['client']['id']}")
    live_server.platform.records("clients", user=SYSTEM).update(
        data["client"]["id"], {"city": "Тверь"}
    )
    page.fill("#name", "Иванов и партнёры")
    page.click("#uchet-save")
    page.wait_for_selector(".uchet-conflict")
    row = page.inner_text(".uchet-conflict-table tr[data-field=city]")
    assert "Москва" in row and "Тверь" in row
    assert page.input_value("#name") == "Иванов и партнёры"
    page.screenshot(path=str(ARTIFACTS / "card_stale_edit.png"))
    page.click("#uchet-save")
    page.wait_for_url(re.compile(r".*/clients/$"))
    assert (
        live_server.platform.records("clients", user=SYSTEM).get(data["client"]["id"])["name"]
        == "Иванов и партнёры"
    )


def test_card_on_a_phone(browser: Any, live_server: Any) -> None:
    """375x700: one column, no sideways scrolling, tabs and buttons reachable (S18)."""
    data = seed(live_server)
    context = browser.new_context(
        viewport={"width": 375, "height": 700}, locale="ru-RU", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        browser_login(page, live_server, "admin")
        page.goto(f"{live_server.url}/clients/edit/?id={data['client']['id']}")
        kind = page.locator("div.uchet-field[data-field=kind]").bounding_box()
        status = page.locator("div.uchet-field[data-field=status]").bounding_box()
        assert status["y"] > kind["y"] + kind["height"] - 1  # stacked, not side by side
        assert kind["width"] > 300
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the card scrolls sideways ({width}px)"
        assert page.locator(".uchet-save-top").is_visible()  # saving needs no scrolling
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "card_phone.png"), full_page=True)
        page.click("a[data-tab=tab_contacts]")
        page.click("#tab-tab_contacts .uchet-child-add")
        page.wait_for_selector("#uchet-modal.show #name")
        page.wait_for_timeout(400)  # the dialog's fade-in
        box = page.locator("#uchet-modal .modal-content").bounding_box()
        assert box["width"] <= 375
        page.screenshot(path=str(ARTIFACTS / "card_phone_modal.png"))
    finally:
        context.close()


def test_child_tab_show_more_appends_the_next_rows(page: Any, live_server: Any) -> None:
    """120 contacts: the tab shows 50; "show more" appends 50, then the last 20, and goes."""
    p = live_server.platform
    rid = p.records("clients", user=SYSTEM).create({"name": "Много контактов"})["id"]
    p.records("contacts", user=SYSTEM).create_many(
        [{"client": rid, "name": f"Контакт {i:03}"} for i in range(1, 121)]
    )
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/clients/edit/?id={rid}")
    page.click("a[data-tab=tab_contacts]")
    rows = page.locator("#tab-tab_contacts tr.uchet-child-row")
    assert rows.count() == 50
    assert page.inner_text("a[data-tab=tab_contacts] .uchet-child-count") == "120"
    more = page.locator("#tab-tab_contacts .uchet-child-more")
    more.click()
    page.wait_for_function(  # a function, not a bare expression: the CSP forbids eval
        "() => document.querySelectorAll('#tab-tab_contacts tr.uchet-child-row').length === 100"
    )
    more.click()
    page.wait_for_function(  # a function, not a bare expression: the CSP forbids eval
        "() => document.querySelectorAll('#tab-tab_contacts tr.uchet-child-row').length === 120"
    )
    assert more.count() == 0  # nothing more to show
    ids = page.eval_on_selector_all(
        "#tab-tab_contacts tr.uchet-child-row", "rows => rows.map(r => r.dataset.id)"
    )
    assert len(set(ids)) == 120
    assert f"/clients/edit/?id={rid}" in page.url  # never left the card
    # The full list, filtered to this client.
    page.click("#tab-tab_contacts .uchet-child-list")
    page.wait_for_url(re.compile(rf"/contacts/\?f\.client={rid}"))
    page.wait_for_selector("table >> text=Контакт 001")
    assert page.locator("tr >> text=Много контактов").count() == 50  # one page of 120
    # A phone-sized screen: the foot of the tab is reachable (the screenshot shows it).
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(f"{live_server.url}/clients/edit/?id={rid}")
    page.click("a[data-tab=tab_contacts]")
    page.locator("#tab-tab_contacts .uchet-child-more").scroll_into_view_if_needed()
