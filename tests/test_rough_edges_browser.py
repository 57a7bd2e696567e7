"""Rough edges of issue 21 in a real Chromium, in Russian, at desktop and phone sizes.

- a look-up that finds nothing says «Ничего не найдено», not «No matches found»;
- after «Сохранить и продолжить» on the second tab, the page shows the saved banner at the
  top (it used to jump to the tab's anchor, the banner off-screen);
- on a phone the card's tabs scroll sideways instead of being cut off, and the list has no
  "drag a header here" box (a touch screen cannot drag a header).
"""

from __future__ import annotations

from typing import Any

from tests.web_support import browser_login

from uchet import SYSTEM


def _client(server: Any) -> dict[str, Any]:
    p = server.platform
    client = p.records("clients", user=SYSTEM).create(
        {"name": "Иванов ИП", "city": "Москва", "manager": p.test_users["anna"].id}
    )
    p.records("contacts", user=SYSTEM).create({"client": client["id"], "name": "Иван Петров"})
    return client


def test_lookup_texts_and_the_saved_banner_after_a_tab(page: Any, live_server: Any) -> None:
    client = _client(live_server)
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/clients/edit/?id={client['id']}")
    page.click("#s2id_category a.select2-choice")
    page.fill("#select2-drop input.select2-input", "нет-такой-категории")
    page.locator("#select2-drop .select2-no-results").wait_for()
    assert page.inner_text("#select2-drop .select2-no-results") == "Ничего не найдено"
    page.keyboard.press("Escape")
    page.click("a[data-tab=tab_contacts]")
    assert page.url.endswith("#tab=tab_contacts")
    page.click("button[name=_continue_editing]")
    banner = page.locator(".alert", has_text="Запись сохранена")
    banner.wait_for()
    assert page.evaluate("window.scrollY") == 0
    box = banner.bounding_box()
    assert box is not None and box["y"] + box["height"] <= page.viewport_size["height"]


def test_phone_tabs_scroll_and_no_drag_box(browser: Any, live_server: Any) -> None:
    client = _client(live_server)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU",
                                  has_touch=True, is_mobile=True)  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        browser_login(page, live_server, "admin")
        page.goto(f"{live_server.url}/clients/edit/?id={client['id']}")
        tabs = page.locator(".uchet-tabs")
        assert tabs.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        assert tabs.evaluate("e => e.scrollWidth > e.clientWidth")  # more tabs than fit
        last = page.locator(".uchet-tabs a[data-tab]").last
        last.scroll_into_view_if_needed()
        last.click()
        assert "active" in (last.get_attribute("class") or "")
        page.goto(f"{live_server.url}/clients/")
        assert not page.locator("#uchet-groupbar").is_visible()
    finally:
        context.close()
