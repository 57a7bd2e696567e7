"""The top bar in a real browser (Playwright + Chromium): the CRM's menu fits one row on a
1280×800 screen, in the order of the manifest's sections, with what does not fit under
"More"; Reports, the Find box, the bell and the user menu stay in the bar; on a 375×700
phone the collapsed menu lists every entry. Screenshots land in artifacts/screenshots.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.web_support import ARTIFACTS, PASSWORD, browser_login, open_menu_link

SECTIONS_RU = ["Клиенты", "Работа и события", "Продажи", "Товары и услуги", "Справочники",
               "Наша организация"]  # fmt: skip


def top_entries(page: Any) -> list[str]:
    """The menu's entries in configured order, wherever they are (bar or "More")."""
    return page.eval_on_selector_all(
        "#uchet-menu .uchet-menu-entry > .nav-link",
        "links => links.map(a => [+a.parentElement.dataset.order, a.textContent.trim()])"
        ".sort((a, b) => a[0] - b[0]).map(pair => pair[1])",
    )


def one_row(page: Any) -> bool:
    """Whether everything in the bar stands on one line."""
    return page.evaluate(
        """() => {
          const parts = ['.navbar-brand', '#uchet-menu', '#uchet-find', '#uchet-user-menu',
                         '#uchet-bell'].map(s => document.querySelector(s));
          const boxes = parts.filter(Boolean).map(e => e.getBoundingClientRect());
          const nav = document.querySelector('nav.navbar').getBoundingClientRect();
          return nav.height < 70 && boxes.every(b => b.height > 0 && b.bottom <= nav.bottom
                 && b.right <= nav.right + 1);
        }"""
    )


def test_menu_fits_one_row_at_1280_and_collapses_on_a_phone(page: Any, live_server: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser_login(page, live_server, "admin")
    # The page and the browser speak the user's language.
    assert page.evaluate("[document.documentElement.lang, navigator.language]") == ["ru", "ru-RU"]
    # Sections in the manifest's order (not the tables' order), then print forms, reports and
    # administration; the home page is the site's name at the left.
    entries = top_entries(page)
    assert entries[: len(SECTIONS_RU)] == SECTIONS_RU
    assert {"Печатные формы", "Отчёты", "Администрирование"} <= set(entries)
    assert "Главная" not in entries
    assert one_row(page)
    assert page.locator("#uchet-more").is_visible()  # the administrator has more than fits
    for pinned in ("a.dropdown-toggle:has-text('Отчёты')", "#uchet-find", "#uchet-user-menu",
                   "#uchet-bell"):  # fmt: skip
        assert page.locator(pinned).is_visible(), pinned
    page.click("#uchet-more-toggle")
    page.wait_for_selector("#uchet-more .uchet-more-menu", state="visible")
    page.screenshot(path=str(ARTIFACTS / "menu_more_1280.png"))
    more = page.inner_text("#uchet-more .uchet-more-menu")
    assert "Администрирование" in more and "Пользователи" in more
    # Every table the administrator may open is one or two clicks away, wherever it is.
    open_menu_link(page, "/our_company/")
    page.wait_for_url("**/our_company/")
    open_menu_link(page, "/clients/")
    page.wait_for_url("**/clients/")
    assert one_row(page)
    page.screenshot(path=str(ARTIFACTS / "menu_1280.png"))

    # A phone: one bar with the toggler and the bell; the menu lists every entry in order.
    page.set_viewport_size({"width": 375, "height": 700})
    page.wait_for_function(  # a function: the CSP forbids eval'd expressions
        "() => document.getElementById('uchet-more').classList.contains('d-none')"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click(".navbar-toggler")
    page.wait_for_selector("#admin-navbar-collapse.show")
    page.wait_for_timeout(400)  # the collapse animation
    shown = page.locator("#uchet-menu > .uchet-menu-entry > .nav-link").all_inner_texts()
    assert [s.strip() for s in shown] == entries
    assert page.locator("#uchet-find").is_visible()
    page.screenshot(path=str(ARTIFACTS / "menu_375_open.png"), full_page=True)
    open_menu_link(page, "/-/users/")
    page.wait_for_url("**/-/users/")

    # Back on a wide screen the bar fits one row again.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_function(
        "() => !document.getElementById('uchet-more').classList.contains('d-none')"
    )
    assert one_row(page)


def test_a_manager_sees_her_sections_in_one_row_in_english_too(page: Any, live_server: Any) -> None:
    browser_login(page, live_server, "anna")
    assert one_row(page)
    assert "Администрирование" not in top_entries(page)
    page.click("#uchet-user-menu")
    page.click("button[name=locale][value=en]")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert top_entries(page)[:3] == ["Clients", "Work and events", "Sales"]
    assert one_row(page)
    page.screenshot(path=str(ARTIFACTS / "menu_1280_en.png"))


@pytest.mark.user_language("en")
def test_an_english_users_browser_and_page_speak_english(page: Any, live_server: Any) -> None:
    live_server.platform.users.create("emma", PASSWORD, name="Emma", roles=["manager"], locale="en")
    browser_login(page, live_server, "emma")
    assert page.evaluate("[document.documentElement.lang, navigator.language]") == ["en", "en-US"]
    assert top_entries(page)[:2] == ["Clients", "Work and events"]
