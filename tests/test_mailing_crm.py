"""Issue 19 end to end on the sample CRM with the REAL channels: the built-in e-mail channel
talking to an aiosmtpd server on 127.0.0.1 and the built-in HTTP SMS channel talking to a
local HTTP receiver, both configured through the administrator's saved channel settings
(``platform.channel_settings``), the CRM's own message templates (the print side answers
delivery's template hooks) and the delivery outbox sent by the job worker.

The core path (a mass mailing: Cyrillic subject and body, two clients without e-mail counted
as skipped, the unsubscribe link setting ``no_mailing_email``) runs on SQLite and PostgreSQL;
the rest on SQLite. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import email
import re
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from uchet import SYSTEM
from uchet.platform.messaging import outbox
from uchet.platform.messaging.mailings import Mailings

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class Inbox:
    """aiosmtpd handler keeping every message it is given, parsed."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if str(m["To"]) == address]


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller cannot start on port 0)
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class SmsReceiver:
    """A local HTTP SMS gateway: keeps each request's form parameters, answers «OK»."""

    def __init__(self) -> None:
        received = self.received = []  # type: list[dict[str, list[str]]]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
                received.append(urllib.parse.parse_qs(raw))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"OK id=1")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms() -> Iterator[SmsReceiver]:
    receiver = SmsReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def crm(platform: Any, smtp_inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CRM with the e-mail channel set up on the settings page's store, two managers."""
    monkeypatch.setenv("UCHET_PUBLIC_URL", "https://crm.example.test/")
    _inbox, port = smtp_inbox
    platform.channel_settings.save(
        "email", {"host": "127.0.0.1", "port": port, "sender": "shop@example.test"}
    )
    platform.users.create("anna", "secret-pass-1", name="Анна", roles=["manager"],
                          email="anna@example.test")  # fmt: skip
    platform.users.create("boris", "secret-pass-1", name="Борис", roles=["manager"])
    return platform


def _user(p: Any, login: str) -> Any:
    return p.users.find(login)


def _clients(p: Any, manager: Any, rows: list[dict[str, Any]]) -> list[int]:
    service = p.records("clients", user=SYSTEM)
    return [service.create({"manager": manager.id, **row})["id"] for row in rows]


def _run_worker(p: Any) -> None:
    """Run the job worker in-process until no job is left (no sleeps)."""
    worker = p.worker()
    while worker.run_once():
        pass


def _statuses(p: Any, mailing_id: int) -> list[tuple[str, str | None]]:
    table = p.runtime.model.system["uchet_outbox"]
    import sqlalchemy as sa

    with p.engine.connect() as conn:
        rows = conn.execute(
            sa.select(table.c.status, table.c.reason).where(table.c.mailing_id == mailing_id)
        )
        return sorted((r.status, r.reason) for r in rows)


# -- the core path, both databases ---------------------------------------------------------
def test_mass_mailing_to_crm_clients_through_the_worker_and_unsubscribe(crm, smtp_inbox):
    inbox, _port = smtp_inbox
    anna = _user(crm, "anna")
    ids = _clients(crm, anna, [
        {"name": "ООО «Ромашка»", "email": "romashka@example.test"},
        {"name": "ИП Иванов", "email": "ivanov@example.test"},
        {"name": "АО «Без почты»"},
        {"name": "ЗАО «Тоже без почты»"},
    ])  # fmt: skip
    mailings = Mailings(crm.runtime)
    plan = mailings.plan("birthday", anna, ids)
    assert plan.counts() == {"send": 2, "no_address": 2, "opted_out": 0, "no_right": 0}
    mailing_id = mailings.start("birthday", anna, ids)
    _run_worker(crm)

    assert sorted(str(m["To"]) for m in inbox.messages) == [
        "ivanov@example.test", "romashka@example.test"]  # fmt: skip
    assert mailings.progress(mailing_id)["sent"] == 2
    assert mailings.progress(mailing_id)["skipped"] == 2
    [letter] = inbox.to("romashka@example.test")
    assert str(letter["Subject"]) == "С днём рождения, ООО «Ромашка»!"
    body = letter.get_body(("plain",)).get_content()
    assert "Здравствуйте, ООО «Ромашка»!" in body and "Поздравляем вас" in body
    link = str(letter["List-Unsubscribe"])[1:-1]
    assert link.startswith("https://crm.example.test/unsubscribe/") and link in body

    # The client follows the link (GET only asks) and presses the button (POST).
    from uchet.web import create_app

    app = create_app(crm, secret_key="test-secret-" + "x" * 20)
    web = app.test_client()
    path = urllib.parse.urlsplit(link).path
    assert web.get(path).status_code == 200
    assert crm.records("clients", user=SYSTEM).get(ids[0])["no_mailing_email"] is not True
    assert web.post(path).status_code == 200
    assert crm.records("clients", user=SYSTEM).get(ids[0])["no_mailing_email"] is True
    # The next mailing skips her, counted as opted out.
    assert mailings.plan("birthday", anna, ids).counts()["opted_out"] == 1


# -- SQLite only ---------------------------------------------------------------------------
@SQLITE_ONLY
def test_the_invoice_arrives_with_its_print_form_attached(crm, smtp_inbox):
    inbox, _port = smtp_inbox
    anna = _user(crm, "anna")
    [client] = _clients(crm, anna, [{"name": "ООО «Ромашка»", "email": "romashka@example.test"}])
    invoice = crm.records("invoices", user=anna).create(
        {"date": dt.date(2026, 3, 5), "client": client}
    )
    number = invoice["number"]  # numbered by the configuration
    mailing_id = Mailings(crm.runtime).single("invoice", anna, invoice["id"])
    _run_worker(crm)
    assert _statuses(crm, mailing_id) == [(outbox.SENT, None)]
    [letter] = inbox.messages
    assert str(letter["Subject"]) == f"Счёт на оплату № {number} от 05.03.2026"
    assert f"Направляем счёт на оплату № {number}" in letter.get_body(("plain",)).get_content()
    [part] = list(letter.iter_attachments())
    assert part.get_filename().endswith(".docx") and number in part.get_filename()
    assert part.get_content()[:2] == b"PK"  # a real Word document


@SQLITE_ONLY
def test_order_ready_rule_fires_once_when_the_stage_becomes_ready(crm, smtp_inbox):
    inbox, _port = smtp_inbox
    anna = _user(crm, "anna")
    [client] = _clients(crm, anna, [{"name": "ООО «Ромашка»", "email": "romashka@example.test"}])
    orders = crm.records("orders", user=anna)
    order = orders.create({"client": client, "subject": "Визитки, 500 шт."})
    assert order["stage"] == "new"
    order = orders.update(order["id"], {"stage": "in_work"}, version=order["version"])
    _run_worker(crm)
    assert inbox.messages == []  # «в работе» is not the rule's stage
    order = orders.update(order["id"], {"stage": "ready"}, version=order["version"])
    orders.update(order["id"], {"notes": "Упаковано"}, version=order["version"])
    _run_worker(crm)
    _run_worker(crm)
    [letter] = inbox.to("romashka@example.test")
    assert str(letter["Subject"]) == f"Ваш заказ № {order['number']} готов"
    assert "Визитки, 500 шт." in letter.get_body(("plain",)).get_content()


@SQLITE_ONLY
def test_the_rule_switched_off_by_the_administrator_sends_nothing(crm, smtp_inbox):
    from uchet.platform.messaging import rules

    inbox, _port = smtp_inbox
    rules.set_enabled(crm.runtime, "order_ready_email", False, SYSTEM)
    assert {r.id: r.enabled for r in rules.configured(crm.runtime)} == {
        "visit_sms": True, "order_ready_email": False, "birthday_email": False}  # fmt: skip
    anna = _user(crm, "anna")
    [client] = _clients(crm, anna, [{"name": "ООО «Ромашка»", "email": "romashka@example.test"}])
    orders = crm.records("orders", user=anna)
    order = orders.create({"client": client, "subject": "Буклеты"})
    orders.update(order["id"], {"stage": "ready"}, version=order["version"])
    _run_worker(crm)
    assert inbox.messages == []


@SQLITE_ONLY
def test_a_manager_cannot_mail_another_managers_clients(crm, smtp_inbox):
    inbox, _port = smtp_inbox
    anna, boris = _user(crm, "anna"), _user(crm, "boris")
    [mine] = _clients(crm, anna, [{"name": "Клиент Анны", "email": "annas@example.test"}])
    [his] = _clients(crm, boris, [{"name": "Клиент Бориса", "email": "boriss@example.test"}])
    mailings = Mailings(crm.runtime)
    assert mailings.plan("birthday", anna, [mine, his]).counts() == {
        "send": 1, "no_address": 0, "opted_out": 0, "no_right": 1}  # fmt: skip
    mailings.start("birthday", anna, [mine, his])
    _run_worker(crm)
    assert [str(m["To"]) for m in inbox.messages] == ["annas@example.test"]


@SQLITE_ONLY
def test_the_visit_reminder_sms_goes_out_hours_before_the_event(crm, sms):
    crm.channel_settings.save("sms", {"url": sms.url, "method": "POST",
                                      "params": {"to": "{to}", "text": "{text}"},
                                      "success": "OK"})  # fmt: skip
    anna = _user(crm, "anna")
    [client] = _clients(crm, anna, [{"name": "ООО «Ромашка»", "phone": "+79990001122"}])
    visit = (dt.datetime.now() + dt.timedelta(hours=10)).replace(second=0, microsecond=0)
    crm.records("events", user=anna).create(
        {"client": client, "subject": "Визит", "happened_at": visit}
    )
    _run_worker(crm)  # the worker's pass ticks the time rules first
    _run_worker(crm)
    [request] = sms.received
    assert request["to"] == ["+79990001122"]
    text = request["text"][0]
    assert text.startswith("Напоминаем:") and visit.strftime("%d.%m в %H:%M") in text
    assert re.search(r"\d\d\.\d\d в \d\d:\d\d", text)
