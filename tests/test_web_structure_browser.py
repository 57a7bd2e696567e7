"""The structure editor in a real browser (Playwright + Chromium), in Russian, as an
administrator would use it (issue 14): add «Дата визита» (date) to Клиенты, see it on the
card and fill it; rename the «Клиенты» menu entry to «Контрагенты»; hide the «Банк» section
of a card; return to the state of the configuration files. Screenshots go to docs/img/
(the guide shows them) and artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web_support import ARTIFACTS, LiveServer, browser_login, open_menu_link, seed_users

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


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    page.screenshot(path=str(DOCS_IMG / name))


def apply_preview(page: Any, expected: str, screenshot: str | None = None) -> None:
    """Read the plan, check it says ``expected``, and press «Применить»."""
    page.wait_for_selector("#uchet-structure-changes")
    assert expected in page.inner_text("#uchet-structure-changes")
    if screenshot:
        page.click("#uchet-structure-sql summary")  # the SQL, for those who want it
        shot(page, screenshot)
    page.click("#uchet-structure-confirm button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "Сохранено как версия" in page.inner_text(".alert-success")


def test_add_field_rename_menu_entry_and_revert(page: Any, server: LiveServer) -> None:
    platform = server.platform
    client = platform.records("clients", user=SYSTEM).create(
        {"name": "ООО Ромашка", "kind": "company"}
    )
    browser_login(page, server, "admin")
    open_menu_link(page, "/-/structure/")
    page.wait_for_selector("#uchet-structure-tables")
    assert "Таблицы" in page.inner_text("body")
    page.click("#uchet-structure-tables tr[data-table=clients] a")
    page.wait_for_selector("#uchet-structure-add")
    shot(page, "structure-table.png")
    # A mistake first: no label and a name with a capital letter. Shown next to the fields.
    page.fill("#uchet-structure-add #name", "VisitDate")
    page.select_option("#uchet-structure-add #type", "date")
    page.click("#uchet-structure-add button[type=submit]")
    errors = page.inner_text("#uchet-structure-add")
    assert "Нужно название." in errors and "Строчные латинские буквы" in errors
    assert platform.overlay.revisions() == []
    page.fill("#uchet-structure-add #label_ru", "Дата визита")
    page.fill("#uchet-structure-add #label_en", "Visit date")
    page.fill("#uchet-structure-add #name", "visit_date")
    page.select_option("#uchet-structure-add #type", "date")
    page.click("#uchet-structure-add button[type=submit]")
    apply_preview(page, "добавлено поле «Дата визита» в «Клиенты»", "structure-preview.png")
    # On the card, and filled in as any field.
    page.goto(f"{server.url}/clients/edit/?id={client['id']}")
    page.wait_for_selector("#visit_date")
    assert "Дата визита" in page.inner_text("body")
    page.fill("#visit_date", "2026-05-14")
    page.click("#uchet-save")
    page.wait_for_load_state("networkidle")
    saved = platform.records("clients", user=SYSTEM).get(client["id"])
    assert str(saved["visit_date"]) == "2026-05-14"
    # Rename the «Клиенты» menu entry (the table's label) to «Контрагенты».
    page.goto(f"{server.url}/-/structure/table/clients")
    page.fill("#uchet-structure-table-label #label_ru", "Контрагенты")
    page.click("#uchet-structure-table-label button[type=submit]")
    apply_preview(page, "изменено у «Клиенты»: название")
    page.goto(server.url + "/")
    assert page.locator("#uchet-menu a[href='/clients/']").inner_text().strip() == "Контрагенты"
    # Hide the «Банк» section of our company's card.
    company = platform.records("our_company", user=SYSTEM).create({"name": "ООО Учёт"})
    page.goto(f"{server.url}/-/structure/table/our_company")
    page.click("#uchet-structure-parts tr[data-part=sec_company_bank] button")
    apply_preview(page, "скрыт раздел «Банк» карточки «Реквизиты организации»")
    page.goto(f"{server.url}/our_company/edit/?id={company['id']}")
    page.wait_for_selector("#uchet-save")
    assert "БИК" not in page.inner_text("body")
    # The history, in words; back to the files' state: the field is archived, not dropped.
    page.goto(f"{server.url}/-/structure-history/")
    history = page.inner_text("#uchet-structure-revisions")
    assert "добавлено поле «Дата визита» в «Клиенты»" in history
    assert "изменено у «Клиенты»: название" in history
    shot(page, "structure-history.png")
    page.click("tr[data-revision='0'] .uchet-revert")
    apply_preview(page, "скрыто: «Дата визита»")
    page.goto(server.url + "/")
    assert page.locator("#uchet-menu a[href='/clients/']").inner_text().strip() == "Клиенты"
    page.goto(f"{server.url}/clients/edit/?id={client['id']}")
    page.wait_for_selector("#uchet-save")
    assert page.locator("#visit_date").count() == 0
    page.goto(f"{server.url}/our_company/edit/?id={company['id']}")
    page.wait_for_selector("#uchet-save")
    assert "БИК" in page.inner_text("body")  # the section is back
    kept = platform.records("clients", user=SYSTEM).get(client["id"])
    assert str(kept["visit_date"]) == "2026-05-14"  # the value is still there
