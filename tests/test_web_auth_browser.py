"""Login, permissions, language and the phone layout in a real browser (Playwright + Debian's
Chromium; issue 3 §4–§6, S01, S02, S18). Screenshots go to artifacts/screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from tests.web_support import ARTIFACTS, PASSWORD, browser_login, open_menu_link

from uchet import SYSTEM

PHONE = {"width": 375, "height": 700}


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_log_in_and_log_out(page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/clients/")
    page.wait_for_url(re.compile(r".*/login\?next=.*"))  # not logged in: sent to the login page
    page.fill("#login", "admin")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    assert "Неверный логин или пароль" in page.inner_text(".alert-danger")
    page.fill("#login", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/clients/")  # back where the user was going
    page.click("#uchet-user-menu")
    page.click("#uchet-logout")
    page.wait_for_url(re.compile(r".*/login$"))
    page.goto(live_server.url + "/clients/")
    page.wait_for_url(re.compile(r".*/login\?next=.*"))


def test_manager_cannot_see_another_managers_client(page: Any, live_server: Any) -> None:
    users = live_server.platform.test_users
    svc = live_server.platform.records("clients", user=SYSTEM)
    svc.create({"name": "Аннин клиент", "manager": users["anna"].id})
    other = svc.create({"name": "Борин клиент", "manager": users["boris"].id})
    browser_login(page, live_server, "anna")
    page.goto(live_server.url + "/clients/")
    names = page.locator("tr.uchet-row").all_inner_texts()
    assert len(names) == 1 and "Аннин клиент" in names[0]
    assert "Борин клиент" not in page.content()
    response = page.goto(live_server.url + f"/clients/edit/?id={other['id']}")
    assert response.status == 404
    assert "Не найдено" in page.inner_text("h1")
    assert "Борин клиент" not in page.content()


def test_switching_to_english_changes_the_menu(page: Any, live_server: Any) -> None:
    browser_login(page, live_server, "anna")
    navbar = page.locator("#admin-navbar-collapse")
    assert "Клиенты" in navbar.inner_text()
    page.click("#uchet-user-menu")
    page.click("button[name=locale][value=en]")
    page.wait_for_load_state()
    assert "Clients" in navbar.inner_text() and "Клиенты" not in navbar.inner_text()
    assert "Log out" in page.content()
    page.reload()  # remembered
    # Directories may wait under "More" (the bar keeps one row): text_content sees it there.
    assert "Directories" in page.locator("#uchet-menu").text_content()


def test_administrator_creates_a_user_who_can_log_in(page: Any, live_server: Any) -> None:
    browser_login(page, live_server, "admin")
    # Administration may not fit the bar's row at 1280 px: then it waits under "More".
    open_menu_link(page, "/-/users/")
    page.click("#uchet-user-create")
    page.fill("#login", "gleb")
    page.fill("#name", "Глеб")
    page.fill("#password", "short")
    page.check("input[name=roles][value=manager]")
    page.click("#uchet-save")
    assert "не короче 8 символов" in page.inner_text("[data-field=password] .uchet-error")
    assert page.input_value("#name") == "Глеб"  # kept
    page.fill("#password", "gleb-pass-1")
    page.click("#uchet-save")
    page.wait_for_url(live_server.url + "/-/users/")
    assert page.locator("tr[data-login=gleb]").count() == 1
    page.goto(live_server.url + "/-/roles/")
    _shot(page, "admin_roles")
    assert "Глеб (gleb)" in page.inner_text("[data-role=manager] .uchet-role-holders")


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, locale="ru-RU", is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def test_phone_layout_login_and_menu(phone: Any, live_server: Any) -> None:
    live_server.platform.records("clients", user=SYSTEM).create(
        {"name": "Иванов Пётр", "city": "Москва"}
    )
    page = phone
    page.goto(live_server.url + "/login")
    form = page.locator(".uchet-login-form").bounding_box()
    assert form["x"] >= 0 and form["x"] + form["width"] <= PHONE["width"]
    _shot(page, "phone_login")
    browser_login(page, live_server, "admin")
    # The navbar is collapsed behind the toggler; nothing sticks out sideways.
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    assert not page.locator("#admin-navbar-collapse").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "phone_home")
    toggler.tap()
    page.wait_for_selector("#admin-navbar-collapse.show")
    _shot(page, "phone_menu_open")
    page.locator("#admin-navbar-collapse >> text=Клиенты").first.tap()
    page.locator("#admin-navbar-collapse a[href='/clients/']").tap()
    page.wait_for_url(live_server.url + "/clients/")
    assert page.locator("tr.uchet-row").count() == 1
    _shot(page, "phone_list")
    # The user menu (language, log out) works from the collapsed navbar too.
    page.locator(".navbar-toggler").tap()
    page.wait_for_selector("#admin-navbar-collapse.show")
    page.locator("#uchet-user-menu").tap()
    page.locator("#uchet-logout").tap()
    page.wait_for_url(re.compile(r".*/login$"))
