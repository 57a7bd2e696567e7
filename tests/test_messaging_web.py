"""The message template editor and the channel settings page (issue 19), through Flask.

Who may open them, the list, a template saved from the form (checked first, problems in
Russian, nothing stored when refused), the server preview on a record as the user, the SMS
counter, and the administrator's channel settings with a test send to a local SMTP server.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web_support import WebClient

from uchet import SYSTEM
from uchet.printeditor.messages import template_store

BASE = "/-/message-templates"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/test.db"


def login(web_app: Any, name: str) -> WebClient:
    c = WebClient(web_app)
    assert c.login(name).status_code == 302
    return c


@pytest.fixture
def data(web_platform: Any) -> dict[str, Any]:
    anna = web_platform.test_users["anna"]
    client = web_platform.records("clients", user=SYSTEM).create(
        {"name": "ООО «Ромашка»", "email": "romashka@example.test", "phone": "+79990001122",
         "manager": anna.id, "tax_id": "7701234567"}
    )  # fmt: skip
    event = web_platform.records("events", user=SYSTEM).create(
        {"client": client["id"], "subject": "Визит", "happened_at": dt.datetime(2026, 3, 6, 9, 0)}
    )
    return {"client": client, "event": event}


def _form(**values: Any) -> dict[str, Any]:
    form = {"name": "vip_news", "label": "Новости для VIP", "channel": "email", "table": "clients",
            "address": "email", "subject": "Новости для {{ name }}", "format": "text",
            "body": "Здравствуйте, {{ name }}!\nГород: {{ city }}", "attachment": ""}  # fmt: skip
    form.update(values)
    return form


def test_only_configurers_open_the_editor_and_only_admins_the_channels(
    web_app: Any, data: dict[str, Any]
) -> None:
    admin, anna = login(web_app, "admin"), login(web_app, "anna")
    page = admin.get(BASE + "/")
    assert page.status_code == 200
    for label in ("Заказ готов", "Напоминание о визите", "Счёт на оплату", "С днём рождения"):
        assert label in page.text
    assert "Шаблоны сообщений" in admin.get("/").text
    assert anna.get(BASE + "/").status_code == 403
    assert anna.get("/-/message-channels/").status_code == 403
    assert admin.get("/-/message-channels/").status_code == 200
    editor = admin.get(BASE + "/mt_invoice/")
    assert editor.status_code == 200
    assert "{{ client.email }}" in editor.text  # the placeholder picker of invoices
    assert "{%tr" not in editor.text  # Word's row tags are not offered for messages
    assert admin.get(BASE + "/nope/").status_code == 404


def test_a_template_is_saved_from_the_form_after_the_check(
    web_app: Any, web_platform: Any, data: dict[str, Any]
) -> None:
    admin = login(web_app, "admin")
    refused = admin.post(BASE + "/new/", _form(body="{{ nme }}\n{% if %}", address="phone"))
    assert refused.status_code == 422
    assert "адрес: адрес &#39;phone&#39; — поле типа phone" in refused.text
    assert "текст, строка 1: неизвестное поле {{ nme }}" in refused.text
    assert "текст, строка 2: синтаксическая ошибка" in refused.text
    assert template_store(web_platform).all() == []
    saved = admin.post(BASE + "/new/", _form())
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/mt.vip_news/")
    [doc] = template_store(web_platform).all()
    assert doc["recipient"] == {"address": "email"} and doc["label"] == {"ru": "Новости для VIP"}
    page = admin.get(BASE + "/mt.vip_news/")
    assert "Шаблон сохранён." in page.text
    again = admin.post(BASE + "/new/", _form())
    assert again.status_code == 422 and "Шаблон с таким именем уже есть." in again.text
    # Editing a configuration template saves a replacement; deleting it brings it back.
    changed = admin.post(BASE + "/mt_birthday/", _form(name="birthday", subject="Поздравляем!"))
    assert changed.status_code == 302
    stored = {d["id"]: d for d in template_store(web_platform).all()}
    assert stored["mt_birthday"]["subject"] == "Поздравляем!"
    assert admin.post(BASE + "/mt_birthday/delete/").status_code == 302
    assert "mt_birthday" not in {d["id"] for d in template_store(web_platform).all()}
    assert admin.post(BASE + "/mt_invoice/delete/").status_code == 404  # nothing saved


def test_the_preview_renders_on_a_record_as_the_user(web_app: Any, data: dict[str, Any]) -> None:
    admin = login(web_app, "admin")
    rid = data["client"]["id"]
    shown = admin.post(
        BASE + "/preview", _form(record=str(rid), body="ИНН {{ tax_id }}")
    ).get_json()
    assert (
        shown["to"] == "romashka@example.test" and shown["subject"] == "Новости для ООО «Ромашка»"
    )
    assert shown["text"] == "ИНН 7701234567" and shown["problems"] == []
    html = admin.post(BASE + "/preview", _form(record=str(rid), format="html",
                                               body="<p>{{ name }}</p>")).get_json()  # fmt: skip
    assert html["html"] == "<p>ООО «Ромашка»</p>" and html["text"] == "ООО «Ромашка»"
    sms = admin.post(BASE + "/preview", _form(
        record=str(data["event"]["id"]), table="clients", template="mt_event_reminder",
        channel="sms", address="client.phone", subject="", body="Напоминаем: {{ subject }}",
    )).get_json()  # fmt: skip
    assert sms["to"] == "+79990001122" and sms["text"] == "Напоминаем: Визит"
    assert sms["sms"] == "17 симв., UCS-2: 1 SMS (по 70 в сообщении)"
    broken = admin.post(BASE + "/preview", _form(record=str(rid), body="{{ 9 ** 999 }}")).get_json()
    assert broken["problems"] == [
        "текст, строка 1: слишком большая степень 999 (допустимо не более 100)"
    ]
    missing = admin.post(BASE + "/preview", _form(record="999999")).get_json()
    assert missing["problems"] == ["Запись не существует или вам недоступна."]
    # The server-rendered preview (without scripts) shows the same message on the page.
    page = admin.post(BASE + "/new/", _form(record=str(rid), action="preview"))
    assert page.status_code == 200 and "Здравствуйте, ООО «Ромашка»!" in page.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[Any]]]:
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 Message accepted"

    port = _free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_the_administrator_sets_up_smtp_and_sends_a_test(
    web_app: Any, web_platform: Any, smtp_server: tuple[int, list[Any]]
) -> None:
    port, received = smtp_server
    admin = login(web_app, "admin")
    bad = admin.post("/-/message-channels/", {"channel": "email", "host": "127.0.0.1",
                                              "port": "99999"}, follow_redirects=True)  # fmt: skip
    assert "Не сохранено: порт — число от 1 до 65535." in bad.text
    assert web_platform.channel_settings.get("email") is None
    ok = admin.post("/-/message-channels/", {
        "channel": "email", "host": "127.0.0.1", "port": str(port), "security": "none",
        "user": "", "password": "", "sender": "shop@example.test",
    }, follow_redirects=True)  # fmt: skip
    assert "Настройки сохранены." in ok.text
    sent = admin.post("/-/message-channels/test/", {"channel": "email", "to": "me@example.test"},
                      follow_redirects=True)  # fmt: skip
    assert "отправлено" in sent.text
    [envelope] = received
    assert envelope.rcpt_tos == ["me@example.test"] and envelope.mail_from == "shop@example.test"
    params = admin.post("/-/message-channels/", {"channel": "sms", "url": "ftp://x",
                                                 "params": "to={to}", "success": "OK"},
                        follow_redirects=True)  # fmt: skip
    assert "адрес должен начинаться с http://" in params.text
    sms = admin.post("/-/message-channels/", {
        "channel": "sms", "url": "http://127.0.0.1:9/send", "method": "POST",
        "params": "phones={to}\nmes={text}", "password": "секрет", "success": "^OK",
    }, follow_redirects=True)  # fmt: skip
    assert "Настройки сохранены." in sms.text and "секрет" not in sms.text
    saved = web_platform.channel_settings.get("sms")
    assert saved["params"] == {"phones": "{to}", "mes": "{text}"}
    assert saved["password"] == "секрет"
    form = {"channel": "sms", "url": "http://127.0.0.1:9/s", "password": "", "success": "OK"}
    kept = admin.post("/-/message-channels/", form)
    assert kept.status_code == 302
    assert web_platform.channel_settings.get("sms")["password"] == "секрет"


def test_crafted_posts_are_refused_without_a_500(web_app: Any, web_platform: Any) -> None:
    admin = login(web_app, "admin")
    assert admin.post(BASE + "/new/", _form(table="no_such_table")).status_code == 404
    assert admin.get(BASE + "/new/?table=no_such_table").status_code == 404
    bad = admin.post(BASE + "/new/", _form(channel="fax!", name="Плохое имя"))
    assert bad.status_code == 422 and "канал:" in bad.text
    assert admin.post(BASE + "/preview", _form(template="nope")).status_code == 404
    assert admin.post(BASE + "/preview", _form(record="abc")).get_json()["problems"] == [
        "Выберите запись, на которой показать сообщение."
    ]
    assert admin.post(BASE + "/new/", _form(), token=False).status_code == 400
    assert template_store(web_platform).all() == []


def test_the_roles_page_shows_the_mail_right(web_app: Any) -> None:
    page = login(web_app, "admin").get("/-/roles/").text
    assert "Может отправлять сообщения" in page
    assert page.count('data-action="mail">✓') == 7  # managers: 5 tables, accountants: 2
