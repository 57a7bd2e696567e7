"""The card designer in a real browser (Playwright + Chromium), in Russian, as an
administrator would use it (issue 15): from the client card, «Настроить форму»; drag «День
рождения» (the CRM's birth date field) off the form and back into the second column of the
first section; make a tab «Реквизиты» and drag the «Реквизиты» section onto it; undo once,
redo once, save; a manager sees the new card (also on a phone); a layout for the manager
role leaves «Реквизиты» out, which the administrator still sees; the structure editor's
history returns to the files' form. Screenshots go to docs/img/ and artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.sortable_drag import sortable_drag as drag
from tests.test_web_csp_browser import Watch
from tests.web_support import ARTIFACTS, LiveServer, browser_login, seed_users

from uchet import SYSTEM

DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


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


def shot(page: Any, name: str, full: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full)
    page.screenshot(path=str(DOCS_IMG / name), full_page=full)


def wait_idle(page: Any) -> None:
    """Wait until the designer has the server's answer to the last operation, drawn."""
    page.wait_for_selector("#uchet-designer[data-busy='0']", state="attached")


def layout_of(page: Any) -> Any:
    """The designer's current layout, as its undo stack holds it (read from the canvas)."""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('#uchet-d-canvas .uchet-d-tab'))"
        ".map(t => [t.dataset.tab, Array.from(document.querySelectorAll("
        "'.uchet-d-sections[data-tab=\"' + t.dataset.tab + '\"] .uchet-d-section'))"
        ".map(s => s.dataset.section)])"
    )


def test_design_the_client_card(page: Any, server: LiveServer) -> None:
    platform = server.platform
    anna = platform.test_users["anna"]
    page.set_viewport_size({"width": 1366, "height": 850})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    csp = Watch(page)  # no inline style or script is refused by the CSP on the way
    client = platform.records("clients", user=SYSTEM).create(
        {
            "name": "ООО Ромашка",
            "kind": "company",
            "tax_id": "7701234567",
            "manager": anna.id,
            "bank_name": "АО «Т-Банк»",
        }
    )
    browser_login(page, server, "admin")
    page.goto(f"{server.url}/clients/edit/?id={client['id']}")
    page.click("a.uchet-design-form")
    page.wait_for_selector("#uchet-designer[data-ready='1']", state="attached")
    body = page.text_content("body") or ""
    assert "Конструктор формы" in body and "Поля не на форме" in body
    assert page.input_value("#uchet-d-canvas #name") == "ООО Ромашка"  # a real record's data
    # «День рождения» off the form (dragged to the palette), then into the second column of
    # the first section, next to «Наименование».
    drag(page, "#uchet-d-canvas [data-key='clients.birthday']", "#uchet-d-palette-fields")
    wait_idle(page)
    page.wait_for_selector("#uchet-d-palette [data-key='clients.birthday']")
    assert page.locator("#uchet-d-canvas [data-key='clients.birthday']").count() == 0
    drag(page, "#uchet-d-palette [data-key='clients.birthday']",
         "#uchet-d-canvas [data-key='clients.name']", "right")  # fmt: skip
    page.wait_for_selector("#uchet-d-canvas [data-key='clients.birthday']")
    wait_idle(page)
    row = page.locator("#uchet-d-canvas [data-key='clients.name']").locator("xpath=..")
    assert row.locator("[data-key]").evaluate_all("els => els.map(e => e.dataset.key)") == [
        "clients.name",
        "clients.birthday",
    ]
    # A new tab «Реквизиты», and the «Реквизиты» section dragged onto it.
    page.fill("#uchet-d-new-label", "Реквизиты")
    page.click("#uchet-d-add-tab")
    page.wait_for_selector("#uchet-d-droptabs .uchet-d-droptab:has-text('Реквизиты')",
                           state="attached")  # fmt: skip
    wait_idle(page)
    drag(page, "#uchet-d-canvas [data-section='sec_legal'] .uchet-d-section-handle",
         "#uchet-d-droptabs .uchet-d-droptab:has-text('Реквизиты')")  # fmt: skip
    wait_idle(page)
    moved = dict(layout_of(page))
    assert "sec_legal" not in moved["tab_main"] and moved["tab_1"] == ["sec_legal"]
    page.click("#uchet-d-canvas a[data-part='tab_1']")
    shot(page, "designer-tab.png")
    # Undo once: the section is back; redo once: it is on the new tab again.
    page.click("#uchet-d-undo")
    wait_idle(page)
    assert "sec_legal" in dict(layout_of(page))["tab_main"]
    page.click("#uchet-d-redo")
    wait_idle(page)
    assert dict(layout_of(page))["tab_1"] == ["sec_legal"]
    page.click("#uchet-d-canvas a[data-part='tab_main']")
    page.click("#uchet-d-canvas [data-key='clients.birthday']")  # the inspector of a field
    page.wait_for_selector("#uchet-d-inspector:not(.d-none)")
    shot(page, "designer.png")
    page.fill("#uchet-d-comment", "Реквизиты на своей вкладке")
    page.click("#uchet-d-save")
    page.wait_for_selector("#uchet-d-message.text-success")
    assert "Сохранено как версия" in page.inner_text("#uchet-d-message")
    (rev,) = platform.overlay.revisions()
    assert rev.comment == "Реквизиты на своей вкладке"
    assert errors == []
    csp.check("the designer, after dragging")
    # The manager sees the new card: «Реквизиты» is a tab; «День рождения» beside the name.
    page.context.clear_cookies()
    browser_login(page, server, "anna")
    page.goto(f"{server.url}/clients/edit/?id={client['id']}")
    page.wait_for_selector("#uchet-save")
    assert page.locator("a.uchet-design-form").count() == 0  # not a configurer
    tabs = page.locator(".uchet-tabs .nav-link").all_inner_texts()
    assert any(t.strip().startswith("Реквизиты") for t in tabs), tabs
    name_row = page.locator("#tab-tab_main .uchet-field[data-field='name']").locator("xpath=../..")
    assert name_row.locator(".uchet-field").evaluate_all(
        "els => els.map(e => e.dataset.field)"
    ) == ["name", "birthday"]
    assert page.locator("#tab-tab_main .uchet-field[data-field='tax_id']").count() == 0
    page.click(".uchet-tabs a[data-tab='tab_1']")
    page.wait_for_selector("#tab-tab_1 .uchet-field[data-field='tax_id']")
    shot(page, "designer-card.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.click(".uchet-tabs a[data-tab='tab_main']")
    shot(page, "designer-card-phone.png")
    page.set_viewport_size({"width": 1366, "height": 850})
    # A layout for the manager role without the «Реквизиты» tab.
    page.context.clear_cookies()
    browser_login(page, server, "admin")
    page.goto(f"{server.url}/-/designer/clients?record={client['id']}")
    page.wait_for_selector("#uchet-designer[data-ready='1']", state="attached")
    page.select_option("#uchet-d-role", "manager")
    page.wait_for_selector(".uchet-d-role-note")  # starts from the layout for everyone
    page.wait_for_selector("#uchet-designer[data-ready='1']", state="attached")
    page.click("#uchet-d-canvas a[data-part='tab_1']")
    page.wait_for_selector("#uchet-d-inspector:not(.d-none)")
    page.click("#uchet-d-remove-part")
    wait_idle(page)
    assert "tab_1" not in dict(layout_of(page))
    shot(page, "designer-role.png")
    page.fill("#uchet-d-comment", "Менеджерам без реквизитов")
    page.click("#uchet-d-save")
    page.wait_for_selector("#uchet-d-message.text-success")
    # The manager no longer sees «Реквизиты»; the administrator (a director) still does.
    page.goto(f"{server.url}/clients/edit/?id={client['id']}")
    page.wait_for_selector("#uchet-save")
    assert page.locator(".uchet-tabs a[data-tab='tab_1']").count() == 1
    page.context.clear_cookies()
    browser_login(page, server, "anna")
    page.goto(f"{server.url}/clients/edit/?id={client['id']}")
    page.wait_for_selector("#uchet-save")
    assert page.locator(".uchet-tabs a[data-tab='tab_1']").count() == 0
    assert page.locator(".uchet-field[data-field='tax_id']").count() == 0
    # Back to the files' form from the structure editor's history.
    page.context.clear_cookies()
    browser_login(page, server, "admin")
    page.goto(f"{server.url}/-/structure-history/")
    assert "Реквизиты на своей вкладке" in page.inner_text("#uchet-structure-revisions")
    page.click("tr[data-revision='0'] .uchet-revert")
    page.wait_for_selector("#uchet-structure-changes")
    page.click("#uchet-structure-confirm button[type=submit]")
    page.wait_for_selector(".alert-success")
    page.goto(f"{server.url}/clients/edit/?id={client['id']}")
    page.wait_for_selector("#uchet-save")
    assert page.locator(".uchet-tabs a[data-tab='tab_1']").count() == 0
    assert page.locator("#tab-tab_main .uchet-field[data-field='tax_id']").count() == 1


def test_keyboard_moves_and_errors_on_the_element(page: Any, server: LiveServer) -> None:
    browser_login(page, server, "admin")
    page.set_viewport_size({"width": 1366, "height": 850})
    page.goto(f"{server.url}/-/designer/clients")
    page.wait_for_selector("#uchet-designer[data-ready='1']", state="attached")
    # Alt+↑ from the keyboard: «Город» joins no row, it takes the row above its own.
    page.click("#uchet-d-canvas [data-key='clients.city']")
    page.keyboard.press("Alt+ArrowUp")
    wait_idle(page)
    keys = page.locator("#uchet-d-canvas [data-section='sec_contact'] .uchet-d-cell").evaluate_all(
        "els => els.map(e => e.dataset.key)"
    )
    assert keys.index("clients.city") < keys.index("clients.messengers")
    # «Следующий столбец» at the row's end is refused, shown on the field.
    page.click("#uchet-d-canvas [data-key='clients.city']")
    page.click("#uchet-d-inspector [data-move='right']")
    page.wait_for_selector("#uchet-d-message.text-danger")
    assert page.inner_text("#uchet-d-message") == "Это последний столбец."
    assert page.locator("#uchet-d-canvas [data-key='clients.city'].uchet-d-bad").count() == 1
    # A width of two columns for «Адрес»; then the next section from the keyboard.
    page.click("#uchet-d-canvas [data-key='clients.address']")
    page.select_option("#uchet-d-span", "2")
    wait_idle(page)
    assert "uchet-span-2" in page.get_attribute("#uchet-d-canvas [data-key='clients.address']",
                                                "class")  # fmt: skip
    page.click("#uchet-d-canvas [data-key='clients.address']")
    page.keyboard.press("Alt+PageDown")
    wait_idle(page)
    assert page.locator("#uchet-d-canvas [data-section='sec_legal'] [data-key='clients.address']"
                        ).count() == 1  # fmt: skip


def test_new_parts_are_dragged_from_the_palette_and_child_tabs_show_rows(
    page: Any, server: LiveServer
) -> None:
    """Issue 15, second round: «Новый раздел» dragged from the palette onto the card lands
    before the section it is dropped on; a heading is dragged onto a section's rows; the
    «Контактные лица» tab shows the record's real contacts; two quick moves are both made
    (the second waits for the first's answer instead of being dropped)."""
    platform = server.platform
    client = platform.records("clients", user=SYSTEM).create(
        {"name": "ООО Палитра", "kind": "company"})  # fmt: skip
    platform.records("contacts", user=SYSTEM).create(
        {"client": client["id"], "name": "Ирина Кистева", "position": "Бухгалтер"})  # fmt: skip
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    csp = Watch(page)
    browser_login(page, server, "admin")
    page.set_viewport_size({"width": 1366, "height": 850})
    page.goto(f"{server.url}/-/designer/clients?record={client['id']}")
    page.wait_for_selector("#uchet-designer[data-ready='1']", state="attached")
    before = dict(layout_of(page))["tab_main"]
    page.fill("#uchet-d-new-label", "Из палитры")
    drag(page, "#uchet-d-add-section", "#uchet-d-canvas [data-section='sec_contact'] legend")
    wait_idle(page)
    page.wait_for_selector("#uchet-d-canvas .uchet-d-section:has-text('Из палитры')")
    after = dict(layout_of(page))["tab_main"]
    assert len(after) == len(before) + 1
    new = [s for s in after if s not in before]
    assert len(new) == 1 and after.index(new[0]) == after.index("sec_contact") - 1
    # A heading dragged onto the first row of «Связь».
    page.fill("#uchet-d-new-label", "Телефоны")
    drag(page, "#uchet-d-add-heading",
         "#uchet-d-canvas [data-section='sec_contact'] .uchet-d-row >> nth=0")  # fmt: skip
    wait_idle(page)
    page.wait_for_selector("#uchet-d-canvas [data-section='sec_contact'] h6:has-text('Телефоны')")
    shot(page, "designer-palette-drag.png")
    # Two moves sent at once: the second is queued, not ignored.
    page.click("#uchet-d-canvas [data-key='clients.city']")
    page.evaluate("""() => {
        document.querySelector("#uchet-d-inspector [data-move='up']").click();
        document.querySelector("#uchet-d-inspector [data-move='up']").click();
    }""")
    wait_idle(page)
    keys = page.locator("#uchet-d-canvas [data-section='sec_contact'] .uchet-d-cell").evaluate_all(
        "els => els.map(e => e.dataset.key)")  # fmt: skip
    assert keys.index("clients.city") < keys.index("clients.website")
    # The contacts tab: the record's real rows, drawn by the card's child list.
    page.click("#uchet-d-canvas a[data-part='tab_contacts']")
    page.wait_for_selector("#uchet-d-canvas .uchet-child-table:has-text('Ирина Кистева')")
    shot(page, "designer-child-rows.png")
    csp.check("the designer, palette drags")
    assert errors == []
