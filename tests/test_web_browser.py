"""Real-browser tests (Playwright + Debian's Chromium): the screens as a person uses them."""

from __future__ import annotations

from typing import Any

from tests.web_support import browser_login


def test_login_search_and_open_a_client(page: Any, live_server: Any) -> None:
    from uchet import SYSTEM

    svc = live_server.platform.records("clients", user=SYSTEM)
    svc.create({"name": "Иванов Пётр", "city": "Москва"})
    svc.create({"name": "Петров Иван", "city": "Тверь"})
    browser_login(page, live_server, "admin")
    page.goto(live_server.url + "/clients/")
    page.fill("#uchet-search", "ива")
    page.press("#uchet-search", "Enter")
    page.wait_for_url("**q=*")
    rows = page.locator("tr.uchet-row")
    assert rows.count() == 2  # "Иванов Пётр" by the first word, "Петров Иван" by the second
    page.click("text=Иванов Пётр")
    page.wait_for_selector(".uchet-card")
    assert page.input_value("#name") == "Иванов Пётр"
