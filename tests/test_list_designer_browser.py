"""The list designer and layouts per role in a real browser (Playwright + Chromium), in
Russian, as people would use them (issue 15).

An administrator opens the client list, clicks «Настроить список», drags «Город» to the top,
moves «Статус» up with the keyboard, undoes and redoes, sorts by name descending and saves
with a comment; a manager then sees the list that way. A layout for the manager role
(saved as a database overlay revision, as the card designer saves it) hides the
«Реквизиты» section: the manager does not see it, a director does. Desktop (1366×850) and
phone (390×844) screenshots go to docs/img/ and artifacts/.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.sortable_drag import sortable_drag
from tests.web_support import (
    ARTIFACTS,
    PASSWORD,
    LiveServer,
    browser_locale,
    browser_login,
    seed_users,
)

from uchet import SYSTEM

DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
DESKTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}
CARD = Path(__file__).resolve().parents[1] / "src/uchet/sample_crm/forms/client_card.json"
FORM = json.loads(CARD.read_text(encoding="utf-8"))


def _manager_layout() -> list[Any]:
    tabs = copy.deepcopy(FORM["layout"])
    tabs[0]["sections"] = [s for s in tabs[0]["sections"] if s["id"] != "sec_legal"]
    return tabs


@pytest.fixture
def server(tmp_path: Path, sqlite_crm_template: Path) -> Iterator[LiveServer]:
    from tests.conftest import copy_sqlite

    from uchet import Platform

    copy_sqlite(sqlite_crm_template, tmp_path / "live.db")
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{tmp_path}/live.db")
    platform.migrate()
    users = seed_users(platform)
    # A director role and the manager's card layout: one revision of the database overlay.
    director = {"id": "director", "name": "director", "label": {"ru": "Директор"},
                "default": {"read": True, "create": True, "update": True}}  # fmt: skip
    platform.overlay.save(
        {"overlay": "database", "roles": [director],
         "set": {"form_client": {"role_layouts": {"manager": _manager_layout()}}}},
        base_revision=None, comment="Макет карточки для менеджеров",
    )  # fmt: skip
    platform.users.create("dina", PASSWORD, name="Дина", roles=["director"])
    clients = platform.records("clients", user=SYSTEM)
    for name, city in (("Альфа", "Тверь"), ("Бета", "Москва"), ("Гамма", "Омск")):
        clients.create({"name": name, "city": city, "tax_id": "7701234567",
                        "manager": users["anna"].id})  # fmt: skip
    live = LiveServer(platform, reload_in_background=False)
    yield live
    live.stop()
    platform.close()


def _context(browser: Any, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, locale=browser_locale("ru"))
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(60_000)
    return page


def shot(page: Any, name: str, full: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full)
    page.screenshot(path=str(DOCS_IMG / name), full_page=full)


def _order(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#uchet-ld-columns > li", "rows => rows.map(r => r.dataset.name)"
    )


def _drag(page: Any, source: str, target: str) -> None:
    """Drag ``source``'s handle onto the upper part of ``target``, with the mouse."""
    sortable_drag(page, source, target, "top")


def _headers(page: Any) -> list[str]:
    return page.eval_on_selector_all("#uchet-list thead th", "ths => ths.map(t => t.dataset.field)")


def test_design_the_list_and_a_role_layout(browser: Any, server: LiveServer) -> None:
    platform = server.platform
    admin = _context(browser, DESKTOP)
    browser_login(admin, server, "admin")
    admin.goto(server.url + "/clients/")
    admin.click("#uchet-list-design")
    admin.wait_for_selector("#uchet-ld-columns")
    assert "Макет списка" in admin.inner_text("body")
    start = _order(admin)
    assert start[:3] == ["name", "category", "city"]

    # Drag «Город» above «Наименование».
    _drag(admin, "li[data-name=city] .uchet-ld-handle", "li[data-name=name]")
    first = "document.querySelector('#uchet-ld-columns > li').dataset.name"
    admin.wait_for_function(f"{first} === 'city'")
    assert _order(admin)[:3] == ["city", "name", "category"]
    # Undo puts it back, redo moves it again.
    admin.click("#uchet-ld-undo")
    assert _order(admin)[:3] == ["name", "category", "city"]
    admin.click("#uchet-ld-redo")
    assert _order(admin)[:3] == ["city", "name", "category"]
    # The keyboard: «Статус» one place up with Alt+↑.
    before = _order(admin).index("status")
    admin.focus("li[data-name=status]")
    admin.keyboard.press("Alt+ArrowUp")
    assert _order(admin).index("status") == before - 1
    # The default sort: by name, descending.
    admin.select_option("#uchet-ld-sort li:first-child .uchet-ld-sort-field", "clients.name")
    admin.select_option("#uchet-ld-sort li:first-child .uchet-ld-sort-dir", "desc")
    admin.fill("#uchet-ld-comment", "Город первым, имена от Я до А")
    admin.evaluate("window.scrollTo(0, 0)")
    shot(admin, "list-designer.png")
    admin.click("#uchet-ld-save")
    admin.wait_for_selector("#uchet-ld-saved")
    assert "Сохранено как версия" in admin.inner_text("#uchet-ld-saved")
    assert platform.overlay.revisions()[0].comment == "Город первым, имена от Я до А"
    admin.context.close()

    # The manager's list: «Город» first, names from Я to А.
    anna = _context(browser, DESKTOP)
    browser_login(anna, server, "anna")
    anna.goto(server.url + "/clients/")
    anna.wait_for_selector("#uchet-list")
    assert _headers(anna)[:2] == ["city", "name"]
    assert "uchet-list-design" not in anna.content()  # no «Настроить список» for her
    names = anna.eval_on_selector_all("#uchet-list tbody td[data-field=name]",
                                      "tds => tds.map(t => t.innerText.trim())")  # fmt: skip
    assert names[:3] == ["Гамма", "Бета", "Альфа"]
    shot(anna, "list-designed-manager.png")
    # The manager's card layout has no «Реквизиты».
    anna.click("#uchet-list tbody tr.uchet-row td:first-child a")
    anna.wait_for_selector("fieldset[data-section=sec_main]")
    assert anna.locator("fieldset[data-section=sec_legal]").count() == 0
    assert "реквизиты" not in anna.inner_text("#tab-tab_main").lower()
    anna.context.close()

    # A director sees the default card, «Реквизиты» included.
    dina = _context(browser, DESKTOP)
    browser_login(dina, server, "dina")
    dina.goto(server.url + "/clients/")
    dina.click("#uchet-list tbody tr.uchet-row td:first-child a")
    dina.wait_for_selector("fieldset[data-section=sec_legal]")
    assert "реквизиты" in dina.inner_text("fieldset[data-section=sec_legal]").lower()
    dina.context.close()


def test_the_designer_and_the_role_card_on_a_phone(browser: Any, server: LiveServer) -> None:
    admin = _context(browser, PHONE)
    browser_login(admin, server, "admin")
    admin.goto(server.url + "/-/list-designer/clients")
    admin.wait_for_selector("#uchet-ld-columns")
    # On a touch-sized screen the buttons move rows too.
    admin.click("li[data-name=city] .uchet-ld-up")
    assert _order(admin)[:3] == ["name", "city", "category"]
    width = admin.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the designer must not scroll sideways on a phone"
    shot(admin, "list-designer-phone.png")
    admin.context.close()

    anna = _context(browser, PHONE)
    browser_login(anna, server, "anna")
    anna.goto(server.url + "/clients/")
    anna.click("#uchet-list tbody tr.uchet-row td:first-child a")
    anna.wait_for_selector("fieldset[data-section=sec_main]")
    assert anna.locator("fieldset[data-section=sec_legal]").count() == 0
    shot(anna, "role-layout-manager-phone.png", full=True)
    anna.context.close()
