"""The duplicate warning and the Find box in a real browser (Playwright + Chromium), as a
manager uses them (S25, S36). Screenshots land in artifacts/screenshots; one of the
duplicate warning is in docs/img/ (docs/crm.md)."""

from __future__ import annotations

import re
from typing import Any

from tests.web_support import ARTIFACTS, browser_login

from uchet import SYSTEM


def seed(server: Any) -> dict[str, Any]:
    """Anna's client with a contact person; Boris has a client of his own."""
    p = server.platform
    anna, boris = p.test_users["anna"], p.test_users["boris"]
    clients = p.records("clients", user=SYSTEM)
    romashka = clients.create(
        {
            "name": "ООО «Ромашка»",
            "city": "Москва",
            "manager": anna.id,
            "phone": "+7 (495) 123-45-67",
            "tax_id": "7701234567",
        }
    )
    p.records("contacts", user=SYSTEM).create(
        {"client": romashka["id"], "name": "Иван Иванов", "phone_mobile": "+7 903 555 44 33"}
    )
    petrov = clients.create({"name": "ИП Петров", "city": "Тверь", "manager": boris.id,
                             "phone_mobile": "8-912-000-11-22"})  # fmt: skip
    return {"romashka": romashka, "petrov": petrov}


def test_typing_a_duplicate_name_warns_and_saving_asks_to_confirm(
    page: Any, live_server: Any
) -> None:
    seed(live_server)
    browser_login(page, live_server, "boris")
    page.goto(live_server.url + "/clients/new/")
    page.fill("#name", "ООО «Ромашка")
    page.type("#name", "»")  # typing, as a person does: the check runs as they type
    warning = page.locator(".uchet-duplicates .uchet-duplicates-warning")
    warning.wait_for()
    text = warning.inner_text()
    # Another manager's client: by default (issue 13, point 8) a manager learns only that it
    # exists and which field matched: not its title, owner or city, no link, no phones.
    assert "есть у другого менеджера" in text and "Наименование" in text
    assert "ООО «Ромашка»" not in text and "Anna" not in text and "Москва" not in text
    assert warning.locator("a").count() == 0
    assert "7701234567" not in text and "123-45-67" not in text
    page.fill("#city", "Казань")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "duplicate_warning.png"))
    # Save: nothing saved, the warning and "Save anyway"; the input is kept.
    page.click("#uchet-save")
    page.wait_for_selector(".uchet-save-anyway")
    assert page.input_value("#city") == "Казань"
    assert "/clients/new/" in page.url
    page.click(".uchet-save-anyway")
    page.wait_for_url(re.compile(r".*/clients/(\?.*)?$"))
    names = [r["name"] for r in live_server.platform.records("clients", user=SYSTEM).query().rows]
    assert names.count("ООО «Ромашка»") == 2
    # A phone typed in another format warns too (this time about his own client: a link).
    page.goto(live_server.url + "/clients/new/")
    page.fill("#phone", "+7912 0001122")
    page.wait_for_selector(".uchet-duplicates-warning a.uchet-found-title >> text=ИП Петров")


def test_a_phone_in_another_format_finds_the_client(page: Any, live_server: Any) -> None:
    data = seed(live_server)
    browser_login(page, live_server, "anna")
    page.fill("#uchet-find", "8 (495) 123-45-67")
    page.press("#uchet-find", "Enter")
    page.wait_for_url(re.compile(rf".*/clients/edit/\?id={data['romashka']['id']}$"))
    assert page.input_value("#name") == "ООО «Ромашка»"
    # The contact person's mobile, typed another way, lands on the same card.
    page.fill("#uchet-find", "89035554433")
    page.press("#uchet-find", "Enter")
    page.wait_for_url(re.compile(rf".*/clients/edit/\?id={data['romashka']['id']}$"))
    # Boris's client: Anna learns it exists and who owns it, and cannot open it.
    page.fill("#uchet-find", "+7 (912) 000-11-22")
    page.press("#uchet-find", "Enter")
    page.wait_for_selector(".uchet-find-results .uchet-found-hidden")
    result = page.inner_text(".uchet-find-results")
    assert "ИП Петров" in result and "Boris" in result and "000-11-22" not in result
    assert page.locator(".uchet-find-results a").count() == 0
    # The list's quick search names Boris's client above Anna's (empty) rows, no link.
    page.goto(live_server.url + "/clients/?q=петров")
    panel = page.locator("#uchet-elsewhere")
    assert "ИП Петров" in panel.inner_text() and "Boris" in panel.inner_text()
    assert panel.locator("a").count() == 0
    assert page.locator("#uchet-list tr.uchet-row").count() == 0


def test_find_box_on_a_small_screen(page: Any, live_server: Any) -> None:
    """At 375×700 the box is in the collapsed menu and the results fit the screen."""
    seed(live_server)
    page.set_viewport_size({"width": 375, "height": 700})
    browser_login(page, live_server, "anna")
    page.click(".navbar-toggler")
    # The suggestions fit the phone's screen under the box.
    page.locator("#uchet-find").press_sequentially("петров", delay=30)
    page.wait_for_selector("#uchet-find-suggest .uchet-suggest-hidden")
    box = page.locator("#uchet-find-suggest").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    page.screenshot(path=str(ARTIFACTS / "find_suggest_phone_375.png"))
    page.press("#uchet-find", "Enter")
    page.wait_for_selector(".uchet-find-results .uchet-found-hidden")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways: {width}px"


def test_find_box_suggests_as_one_types(page: Any, live_server: Any) -> None:
    """Suggestions under the Find box: a phone typed key by key in another format shows
    nothing until it is complete, then the client; the keyboard picks it. Another
    manager's client is only said to exist, and leads to the Find page, not its card."""
    data = seed(live_server)
    browser_login(page, live_server, "anna")
    box, listbox = page.locator("#uchet-find"), page.locator("#uchet-find-suggest")
    items = listbox.locator(".uchet-suggest-item")
    box.press_sequentially("8 (495) 123-45-6", delay=40)
    page.wait_for_timeout(700)  # past the pause and the answer: an incomplete number finds nothing
    assert not listbox.is_visible()
    box.press_sequentially("7")
    items.first.wait_for()
    assert items.count() == 1 and "ООО «Ромашка»" in items.inner_text()
    assert box.get_attribute("aria-expanded") == "true"
    page.screenshot(path=str(ARTIFACTS / "find_suggest_phone.png"))
    page.keyboard.press("ArrowDown")
    assert "active" in items.first.get_attribute("class")
    page.keyboard.press("Escape")
    assert not listbox.is_visible()
    # By the first letters of the name: Down, Enter opens the card.
    box.fill("")
    box.press_sequentially("ромаш", delay=40)
    items.first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/clients/edit/\?id={data['romashka']['id']}$"))
    # Boris's client: it exists, who works with it, nothing more; a click shows the Find
    # page's entry for it, never its card.
    box.press_sequentially("петр", delay=40)
    hidden = listbox.locator(".uchet-suggest-hidden")
    hidden.wait_for()
    text = hidden.inner_text()
    assert "ИП Петров" in text and "Boris" in text and "другой пользователь" in text
    assert "000-11-22" not in listbox.inner_text()
    page.screenshot(path=str(ARTIFACTS / "find_suggest_elsewhere.png"))
    hidden.click()
    page.wait_for_selector(".uchet-find-results .uchet-found-hidden")
    assert page.locator(".uchet-find-results a").count() == 0
    assert "000-11-22" not in page.inner_text(".uchet-find-results")
