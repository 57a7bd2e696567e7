"""The idle lock of the screen in a real Chromium, in Russian, on a desktop and a phone (S48,
issue 20 point 6).

The page's clock is Playwright's (``page.clock``), so "five idle minutes" pass at once and
the test measures no time: a manager types into a client's card, stops, the overlay covers
the page and the server refuses the session's data requests; a wrong password is refused
with a message; the right one lifts the lock, the typed text is still in the card, and
saving it works. No CSP violation is logged on the way (the overlay's script and styles
are files, tests/test_web_csp_browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.test_web_csp_browser import Watch
from tests.web_support import ARTIFACTS, PASSWORD, LiveServer, browser_login, seed_users

from uchet import SYSTEM, Platform

IDLE_MINUTES = 5
SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def lock_server(tmp_path: Path, sqlite_crm_template: Path) -> Iterator[LiveServer]:
    from tests.conftest import copy_sqlite

    copy_sqlite(sqlite_crm_template, tmp_path / "lock.db")
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{tmp_path}/lock.db")
    platform.migrate()
    platform.test_users = seed_users(platform)
    server = LiveServer(platform, idle_minutes=IDLE_MINUTES)
    yield server
    server.stop()
    platform.close()


def data_request(page: Any, path: str) -> int:
    """The status of an AJAX request of the page's session (as the screens make them)."""
    return int(page.evaluate(
        "async (p) => (await fetch(p, {headers: {'X-Requested-With': 'XMLHttpRequest'}}))"
        ".status", path))  # fmt: skip


@pytest.mark.parametrize("size", list(SIZES))
def test_idle_lock_keeps_the_typed_text_and_unlocks_with_the_password(
    page: Any, lock_server: LiveServer, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    anna = lock_server.platform.test_users["anna"]
    clients = lock_server.platform.records("clients", user=SYSTEM)
    client = clients.create({"name": "Иванов ИП", "kind": "company", "manager": anna.id})
    watch = Watch(page)
    page.clock.install()  # the page's timers and Date are the test's from here on
    browser_login(page, lock_server, "anna")
    page.goto(f"{lock_server.url}/clients/edit/?id={client['id']}")
    typed = "Перезвонить после обеда, спросить про договор"
    page.fill("#notes", typed)
    assert page.locator("#uchet-screenlock").is_hidden()

    # Four minutes idle: nothing yet. Then past five: the overlay covers the page.
    page.clock.run_for("04:00")
    assert page.locator("#uchet-screenlock").is_hidden()
    page.clock.run_for("01:05")
    overlay = page.locator("#uchet-screenlock")
    overlay.wait_for(state="visible")
    assert "Экран заблокирован" in overlay.inner_text()
    assert "Введите пароль" in overlay.inner_text()
    # The server locked the session too: its data requests are refused.
    page.wait_for_function(
        "async () => (await fetch('/clients/', {headers: {'X-Requested-With': "
        "'XMLHttpRequest'}})).status === 423"
    )
    assert data_request(page, f"/clients/edit/?id={client['id']}") == 423
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"screenlock_{size}.png"))

    # A wrong password: refused, still locked.
    page.fill("#uchet-screenlock-password", "не тот пароль")
    page.click("#uchet-screenlock-unlock")
    error = page.locator("#uchet-screenlock-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "Неверный пароль."
    assert overlay.is_visible() and data_request(page, "/clients/") == 423

    # The right one: the overlay goes, the typed text is still there, and saving works.
    page.fill("#uchet-screenlock-password", PASSWORD)
    page.click("#uchet-screenlock-unlock")
    overlay.wait_for(state="hidden")
    assert page.input_value("#notes") == typed
    assert data_request(page, "/clients/") == 200
    page.locator("form.uchet-card button[type=submit]").first.click()
    page.wait_for_load_state("load")
    assert clients.get(client["id"])["notes"] == typed
    watch.check("after the lock")
