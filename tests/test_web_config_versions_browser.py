"""The configuration versions page in a real browser (Playwright + Chromium), in Russian, on
a desktop (1366x850) and a phone (390x844): the administrator opens «Настройка» → «Версии
конфигурации» from the menu and reads the versions in words (issue 16, point 7).
Screenshots go to artifacts/."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web_support import ARTIFACTS, LiveServer, browser_login, open_menu_link, seed_users

from uchet.configurations.overlay_diff import EMPTY_DOCUMENT
from uchet.platform.records.users import User

URL = "/-/config-versions/"


@pytest.fixture
def server(tmp_path: Path, sqlite_crm_template: Path) -> Iterator[LiveServer]:
    from tests.conftest import copy_sqlite

    from uchet import Platform

    copy_sqlite(sqlite_crm_template, tmp_path / "live.db")
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{tmp_path}/live.db")
    platform.migrate()
    platform.test_users = seed_users(platform)
    doc = copy.deepcopy(EMPTY_DOCUMENT)
    doc["fields"] = {"clients": [{"id": "clients.visit_date", "name": "visit_date",
                                  "type": "date", "label": {"ru": "Дата визита"}}]}  # fmt: skip
    platform.overlay.save(doc, base_revision=None, user=User(id=None, login="admin", name="A"))
    live = LiveServer(platform, reload_in_background=False)
    yield live
    live.stop()
    platform.close()


@pytest.mark.parametrize(("width", "height"), [(1366, 850), (390, 844)])
def test_versions_page_in_russian(page: Any, server: LiveServer, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, server, "admin")
    if width < 500:
        page.click(".navbar-toggler")  # the collapsed menu of a phone
    open_menu_link(page, URL)
    page.wait_for_selector("#uchet-config-versions")
    text = page.inner_text(".uchet-config-versions")
    assert "Версии конфигурации" in page.title() or "Версии конфигурации" in page.content()
    rows = page.locator(".uchet-config-version")
    assert rows.count() == 2
    assert "редактор структуры" in rows.nth(0).inner_text()
    assert "добавлено: 1 поле" in rows.nth(0).inner_text()
    assert "первая версия: 22 таблицы" in rows.nth(1).inner_text()
    # No English word in the Russian interface (bundle names and logins are data).
    data = {"sample_crm", "admin", "uchet", "config", "rollback", "plan", "sample", "crm"}
    words = set(re.findall(r"[A-Za-z]{3,}", text)) - data
    assert not words, words
    # Nothing wider than the screen (a phone scrolls the table, not the page).
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"config_versions_{width}.png"), full_page=True)
