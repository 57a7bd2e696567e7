"""Real-browser test of the message template editor (issue 19, Playwright + Chromium, in
Russian): write a template with a placeholder picked from the catalog, watch the live
preview render it on a chosen record, see the SMS segment counter, save; on a desktop and
on a phone. Screenshots go to artifacts/screenshots (and the good ones to docs/img)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.web_support import ARTIFACTS, browser_login

from uchet import SYSTEM

DESKTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"messages_{name}.png"), full_page=True)


def _records(live_server: Any) -> dict[str, Any]:
    clients = live_server.platform.records("clients", user=SYSTEM)
    client = clients.create({"name": "ООО «Ромашка»", "email": "romashka@example.test",
                             "phone": "+79990001122", "city": "Тверь"})  # fmt: skip
    event = live_server.platform.records("events", user=SYSTEM).create(
        {"client": client["id"], "subject": "Замер", "happened_at": dt.datetime(2026, 3, 6, 9, 0)}
    )
    return {"client": client, "event": event}


def test_write_a_template_with_a_placeholder_and_preview_it(page: Any, live_server: Any) -> None:
    from playwright.sync_api import expect  # here: a laptop without playwright skips

    made = _records(live_server)
    page.set_viewport_size(DESKTOP)
    browser_login(page, live_server, "admin")
    page.goto(live_server.url + "/-/message-templates/")
    assert page.locator("h4").first.inner_text() == "Шаблоны сообщений"
    assert page.locator("#uchet-message-templates").get_by_text("Счёт на оплату").count() == 1
    page.select_option("#new-table", "clients")
    page.select_option("#new-channel", "email")
    page.click("#uchet-message-create")
    page.wait_for_selector("#uchet-message-form[data-ready='1']")  # messages.js is deferred
    page.fill("#msg-label", "Приглашение на выставку")
    page.fill("#msg-name", "expo_invite")
    page.fill("#msg-address", "email")
    page.fill("#msg-subject", "Приглашение для ")
    # The picker inserts where the cursor is: at the end of the subject.
    page.click("#msg-subject")
    page.press("#msg-subject", "End")
    page.fill("#uchet-catalog-filter", "Наименование")
    page.locator(".uchet-insert[data-text='{{ name }}']").first.click()
    assert page.input_value("#msg-subject") == "Приглашение для {{ name }}"
    page.fill("#msg-body", "Здравствуйте, {{ name }}!\nЖдём вас в городе {{ city }}.")
    page.select_option("#msg-record", str(made["client"]["id"]))
    preview = page.locator("#uchet-message-preview")
    preview.locator(".uchet-preview-subject").wait_for()
    expect(preview.locator(".uchet-preview-text")).to_contain_text("Тверь")
    assert preview.locator(".uchet-preview-subject").inner_text() == "Приглашение для ООО «Ромашка»"
    assert preview.locator(".uchet-preview-to").inner_text() == (
        "ООО «Ромашка» <romashka@example.test>"
    )
    assert "Ждём вас в городе Тверь." in preview.locator(".uchet-preview-text").inner_text()
    # A misspelt placeholder is named, in Russian, with its line.
    page.fill("#msg-body", "Здравствуйте, {{ name }}!\nЖдём вас в городе {{ cty }}.")
    problem = preview.locator(".uchet-preview-problem").first
    problem.wait_for()
    assert problem.inner_text().startswith("текст, строка 2: неизвестное поле {{ cty }}")
    page.fill("#msg-body", "Здравствуйте, {{ name }}!\nЖдём вас в городе {{ city }}.")
    preview.locator(".uchet-preview-text").wait_for()
    shot(page, "editor_desktop")
    page.click("#uchet-message-save")
    page.wait_for_url(re.compile(r".*/-/message-templates/mt\.expo_invite/$"))
    assert page.get_by_text("Шаблон сохранён.").count() == 1
    # HTML: the preview shows it in a frame that runs nothing.
    page.check("#msg-html")
    page.fill("#msg-body", "<p>Здравствуйте, <b>{{ name }}</b>!</p>")
    frame = page.frame_locator("#uchet-message-preview iframe.uchet-preview-html")
    assert frame.locator("b").inner_text() == "ООО «Ромашка»"
    shot(page, "editor_html")


def test_the_sms_counter_and_the_editor_on_a_phone(page: Any, live_server: Any) -> None:
    from playwright.sync_api import expect

    made = _records(live_server)
    page.set_viewport_size(PHONE)
    browser_login(page, live_server, "admin")
    page.goto(live_server.url + "/-/message-templates/mt_event_reminder/")
    page.select_option("#msg-record", str(made["event"]["id"]))
    count = page.locator("#uchet-message-preview .uchet-sms-count")
    count.wait_for()
    expect(page.locator(".uchet-preview-text")).to_contain_text("06.03 в 09:00")
    assert re.fullmatch(r"\d+ симв\., UCS-2: 1 SMS \(по 70 в сообщении\)", count.inner_text())
    assert page.locator("#msg-subject").is_hidden()  # an SMS has no subject
    page.fill("#msg-body", "Напоминаем о визите " + "я" * 80)
    expect(page.locator(".uchet-sms-count")).to_contain_text("2 SMS")
    assert "по 67 в сообщении" in page.locator(".uchet-sms-count").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone: {width}px"
    shot(page, "sms_phone")
