"""Mass mailing in a real browser on the sample CRM (issue 19, Russian), with the real
e-mail channel talking to an aiosmtpd server on 127.0.0.1 (configured through the saved
channel settings): a test letter to oneself arrives in the local server, a mailing to the
client list filtered to the VIP category shows who gets it and who is skipped, its progress
follows the job worker run in-process (no sleeps: the page polls), the log lists the
messages, and the client's card shows the message in its history. Screenshots of the steps
go to docs/img/mailing-*.png (desktop 1366×850 and phone 390×844).

Writing a template with a placeholder and previewing it in the editor is
tests/test_messaging_browser.py (on the same CRM demo)."""

from __future__ import annotations

import email
import re
import socket
import threading
from email import policy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.web_support import browser_locale

from uchet import SYSTEM

IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


class Inbox:
    """aiosmtpd handler keeping every message it is given, parsed."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def served(live_server: Any):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    p = live_server.platform
    p.channel_settings.save("email", {"host": "127.0.0.1", "port": port,
                                      "sender": "shop@example.test"})  # fmt: skip
    olga = p.users.create("olga", "secret-pass-1", name="Ольга Менеджер", roles=["manager"],
                          email="olga@example.test")  # fmt: skip
    categories = p.runtime.table("client_categories")
    with p.engine.connect() as conn:
        vip = conn.execute(
            sa.select(categories.sql.c.id).where(categories.sql.c.name == "VIP")
        ).scalar_one()
    clients = p.records("clients", user=SYSTEM)
    vips = [clients.create({"name": name, "category": vip, "manager": olga.id, **extra})["id"]
            for name, extra in (("ООО «Альфа»", {"email": "alfa@example.test"}),
                                ("ООО «Бета»", {"email": "beta@example.test"}),
                                ("ИП Гамма", {"email": "gamma@example.test"}),
                                ("ЗАО «Дельта» (без почты)", {}))]  # fmt: skip
    clients.create({"name": "Обычный клиент", "email": "plain@example.test", "manager": olga.id})
    try:
        yield live_server, p, inbox, vips, vip
    finally:
        controller.stop()


def _login(page: Any, server: Any) -> None:
    page.goto(server.url + "/login")
    page.fill("#login", "olga")
    page.fill("#password", "secret-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def test_mailing_to_filtered_vip_clients(browser: Any, served: Any) -> None:
    server, p, inbox, vips, vip = served
    context = browser.new_context(viewport={"width": 1366, "height": 850},
                                  locale=browser_locale("ru"))  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        _login(page, server)
        page.goto(server.url + f"/clients/?f.category={vip}")
        page.click("#uchet-new-mailing")
        page.wait_for_selector("#uchet-mailing-plan")
        assert page.inner_text("#uchet-plan-send") == "3"
        assert "нет адреса: 1" in page.inner_text("#uchet-plan-reasons")
        assert "Здравствуйте" in page.inner_text("#uchet-mailing-preview-box")
        page.screenshot(path=str(IMG / "mailing-new.png"), full_page=True)
        new_url = page.url
        # The test letter first, to Olga herself: it arrives in the local SMTP server.
        page.click("#uchet-mailing-test")
        page.wait_for_selector("#uchet-mailing")
        assert "Тестовое сообщение отправлено на olga@example.test" in page.content()
        [test_letter] = inbox.messages
        assert str(test_letter["To"]) == "olga@example.test"
        assert str(test_letter["Subject"]).startswith("С днём рождения, ")
        # Then the mailing: queued, and the page follows the worker.
        page.goto(new_url)
        page.click("#uchet-mailing-send")
        page.wait_for_selector("#uchet-mailing")
        assert page.inner_text("#uchet-mailing-status") == "идёт"
        page.screenshot(path=str(IMG / "mailing-queued.png"), full_page=True)
        worker = p.worker(worker_id="browser-test")
        while worker.run_once():
            pass
        # mailing.js polls the progress and reloads the page once the mailing is done.
        page.locator("#uchet-mailing-status", has_text="завершена").wait_for()
        assert page.inner_text("[data-count='sent']") == "3"
        assert page.inner_text("[data-count='skipped']") == "1"
        assert "отправлено" in page.inner_text("#uchet-message-log")
        page.screenshot(path=str(IMG / "mailing-done.png"), full_page=True)
        # The client's card: its messages show the mailing.
        page.goto(server.url + f"/clients/edit/?id={vips[0]}")
        page.click("#uchet-messages-log")
        page.wait_for_selector("#uchet-message-log")
        log = page.inner_text("#uchet-message-log")
        assert "Рассылка" in log and "alfa@example.test" in log and "отправлено" in log
        page.screenshot(path=str(IMG / "mailing-client-messages.png"), full_page=True)
        # On a phone the mailing page fits the screen.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(server.url + "/-/mailings/")
        page.click("#uchet-mailings a")
        page.wait_for_selector("#uchet-mailing-counts")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1
        page.screenshot(path=str(IMG / "mailing-phone.png"), full_page=True)
    finally:
        context.close()
    assert sorted(str(m["To"]) for m in inbox.messages) == sorted(
        ["olga@example.test", "alfa@example.test", "beta@example.test", "gamma@example.test"]
    )
