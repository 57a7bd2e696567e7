"""The built-in message channels (issue 19) against real servers on 127.0.0.1.

* E-mail: an aiosmtpd server with STARTTLS (a self-signed certificate made with openssl)
  and a login. A Cyrillic subject and body arrive readable, the invoice print form arrives
  attached, and the server's answers map to outcomes: 4xx → retry, 5xx → failed, 550 no
  such user → bounced, nothing listening → retry.
* SMS: a local HTTP receiver (http.server) standing in for a gateway, configured by URL,
  method, parameters with placeholders and a success pattern.
* The settings the administrator saves apply at the next send, over the environment; a
  plug-in channel named ``sms`` replaces the built-in one through the hook.

Nothing ever leaves 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from uchet import SYSTEM, hookimpl
from uchet.platform.features.mailer import SmtpSettings
from uchet.platform.messaging.channels_email import EmailChannel, classify
from uchet.platform.messaging.channels_sms import HttpSmsChannel, HttpSmsSettings
from uchet.platform.messaging.contract import (
    ChannelRegistry,
    DeliveryResult,
    OutgoingMessage,
)
from uchet.platform.plugins import channel_registry, make_plugin_manager
from uchet.printeditor.messages import prepare


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/test.db"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- e-mail ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test server's certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


class Mailbox:
    """What the test SMTP server received, and how it answers chosen recipients."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.logins: list[str] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:  # fmt: skip
        if address.startswith("nobody@"):
            return "550 5.1.1 <nobody@example.test>: no such user"
        if address.startswith("busy@"):
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if any(a.startswith("spam@") for a in envelope.rcpt_tos):
            return "554 5.7.1 message refused as spam"
        self.received.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp(certificate: tuple[str, str]) -> Iterator[tuple[Mailbox, SmtpSettings]]:
    """A real SMTP server on 127.0.0.1 requiring STARTTLS and a login."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"shop",
            "пароль-1".encode(),
        )
        if ok:
            box.logins.append(data.login.decode())
        return AuthResult(success=ok)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    port = _free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=authenticator, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    settings = SmtpSettings(host="127.0.0.1", port=port, user="shop", password="пароль-1",
                            sender="shop@example.test", starttls=True)  # fmt: skip
    try:
        yield box, settings
    finally:
        controller.stop()


def _message(to: str, **extra: Any) -> OutgoingMessage:
    return OutgoingMessage(channel="email", to=to, subject="Счёт № С-17 готов",
                           body_text="Здравствуйте, Анна!", **extra)  # fmt: skip


def test_a_cyrillic_email_arrives_over_starttls_with_login(
    smtp: tuple[Mailbox, SmtpSettings],
) -> None:
    box, settings = smtp
    channel = EmailChannel(lambda: settings)
    result = channel.send(_message(
        "ivanov@example.test", body_html="<p>Здравствуйте, <b>Анна</b>!</p>",
        attachments=(("Счёт С-17.txt", "text/plain", "Итого: 100 ₽".encode()),),
        headers={"List-Unsubscribe": "<https://crm.example.test/u/abc>"},
    ))  # fmt: skip
    assert result.outcome == "sent" and result.provider_id, result
    assert box.logins == ["shop"]
    [envelope] = box.received
    assert envelope.rcpt_tos == ["ivanov@example.test"]
    msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert msg["Subject"] == "Счёт № С-17 готов"
    assert "=?utf-8?" in envelope.content.decode("ascii").split("Subject:")[1].split("\n")[0]
    assert msg["List-Unsubscribe"] == "<https://crm.example.test/u/abc>"
    assert msg["Message-ID"] == result.provider_id
    assert msg.get_body(("plain",)).get_content().strip() == "Здравствуйте, Анна!"
    assert "<b>Анна</b>" in msg.get_body(("html",)).get_content()
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == "Счёт С-17.txt"
    assert part.get_payload(decode=True) == "Итого: 100 ₽".encode()


def test_smtp_answers_map_to_outcomes(smtp: tuple[Mailbox, SmtpSettings]) -> None:
    box, settings = smtp
    channel = EmailChannel(lambda: settings)
    bounced = channel.send(_message("nobody@example.test"))
    assert bounced == DeliveryResult(
        outcome="bounced", reason="550 5.1.1 <nobody@example.test>: no such user"
    )
    busy = channel.send(_message("busy@example.test"))
    assert busy.outcome == "retry" and busy.reason.startswith("451 4.3.0")
    spam = channel.send(_message("spam@example.test"))
    assert spam.outcome == "failed" and spam.reason.startswith("554 5.7.1")
    # A refused login is a 5xx answer too (aiosmtpd keeps a client that failed its login
    # waiting, so that answer is classified directly).
    refused = classify(smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"))
    assert refused == DeliveryResult(outcome="failed", reason="535 5.7.8 bad credentials")
    assert classify(smtplib.SMTPServerDisconnected("gone")).outcome == "retry"
    nowhere = EmailChannel(lambda: SmtpSettings(host="127.0.0.1", port=_free_port()))
    down = nowhere.send(_message("ivanov@example.test"))
    assert down.outcome == "retry" and "Connection" in down.reason
    assert EmailChannel(lambda: None).send(_message("a@example.test")) == DeliveryResult(
        outcome="failed", reason="Канал «email» не настроен"
    )
    assert box.received == []


def test_a_crm_invoice_arrives_with_its_print_form_through_the_saved_settings(
    platform: Any, smtp: tuple[Mailbox, SmtpSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, settings = smtp
    monkeypatch.setenv("UCHET_SMTP_HOST", "127.0.0.1")  # the environment points nowhere...
    monkeypatch.setenv("UCHET_SMTP_PORT", str(_free_port()))
    platform.channel_settings.save("email", {  # ...the administrator's settings win
        "host": "127.0.0.1", "port": settings.port, "user": "shop", "password": "пароль-1",
        "sender": "shop@example.test", "starttls": True,
    })  # fmt: skip
    anna = platform.users.create("anna", "secret-pass-1", name="Анна", roles=["manager"])
    client = platform.records("clients", user=SYSTEM).create(
        {"name": "ООО «Ромашка»", "email": "romashka@example.test", "manager": anna.id}
    )
    invoice = platform.records("invoices", user=SYSTEM).create(
        {"number": "С-17", "date": dt.date(2026, 3, 5), "client": client["id"]}
    )
    message = prepare(platform, "invoice", anna).render(invoice["id"])
    assert platform.channels.get("email").send(message).outcome == "sent"
    [envelope] = box.received
    msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert msg["To"] == "romashka@example.test"
    assert msg["Subject"] == "Счёт на оплату № С-17 от 05.03.2026"
    assert "Направляем счёт на оплату № С-17" in msg.get_body(("plain",)).get_content()
    [part] = list(msg.iter_attachments())
    assert part.get_filename().endswith(".docx") and "С-17" in part.get_filename()
    assert part.get_content()[:2] == b"PK"


# -- SMS -------------------------------------------------------------------------------------
class Gateway:
    """A local SMS gateway: records requests, answers as told."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, list[str]] | dict[str, Any]]] = []
        self.answer: tuple[int, str] = (200, "OK id=4711")
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, params: Any) -> None:
                gateway.requests.append((self.command, self.path, params))
                status, body = gateway.answer
                self.send_response(status)
                self.end_headers()
                self.wfile.write(body.encode())

            def do_GET(self) -> None:
                self._reply(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
                if self.headers["Content-Type"].startswith("application/json"):
                    self._reply(json.loads(raw))
                else:
                    self._reply(urllib.parse.parse_qs(raw))

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    g = Gateway()
    yield g
    g.close()


def _sms(text: str = "Напоминаем: визит завтра в 14:30") -> OutgoingMessage:
    return OutgoingMessage(channel="sms", to="+79990001122", body_text=text)


def test_an_sms_goes_to_the_http_gateway_with_the_configured_parameters(gateway: Gateway) -> None:
    settings = HttpSmsSettings(
        url=gateway.url, method="POST", login="shop", password="p@ss", sender="SHOP",
        params={"login": "{login}", "psw": "{password}", "phones": "{to}", "mes": "{text}",
                "sender": "{sender}", "charset": "utf-8"},
        success=r"^OK id=(?P<id>\d+)",
    )  # fmt: skip
    result = HttpSmsChannel(lambda: settings).send(_sms())
    assert result == DeliveryResult(outcome="sent", provider_id="4711")
    [(method, path, params)] = gateway.requests
    assert (method, path) == ("POST", "/send")
    assert params == {"login": ["shop"], "psw": ["p@ss"], "phones": ["+79990001122"],
                      "mes": ["Напоминаем: визит завтра в 14:30"], "sender": ["SHOP"],
                      "charset": ["utf-8"]}  # fmt: skip
    get = HttpSmsSettings(url=gateway.url, method="GET", params={"to": "{to}", "text": "{text}"},
                          success="OK")  # fmt: skip
    assert HttpSmsChannel(lambda: get).send(_sms("Привет & пока")).outcome == "sent"
    assert gateway.requests[-1][2] == {"to": ["+79990001122"], "text": ["Привет & пока"]}
    as_json = HttpSmsSettings(url=gateway.url, params={"to": "{to}", "text": "{text}"},
                              body="json", success="OK")  # fmt: skip
    assert HttpSmsChannel(lambda: as_json).send(_sms("Ёлка")).outcome == "sent"
    assert gateway.requests[-1][2] == {"to": "+79990001122", "text": "Ёлка"}


def test_gateway_answers_map_to_outcomes(gateway: Gateway) -> None:
    settings = HttpSmsSettings(url=gateway.url, params={"to": "{to}"}, success=r"^OK")
    channel = HttpSmsChannel(lambda: settings)
    gateway.answer = (200, "ERROR 7: no money on the account")
    assert channel.send(_sms()) == DeliveryResult(
        outcome="failed", reason="HTTP 200: ERROR 7: no money on the account"
    )
    gateway.answer = (503, "maintenance")
    assert channel.send(_sms()) == DeliveryResult(outcome="retry", reason="HTTP 503: maintenance")
    gateway.answer = (429, "slow down")
    assert channel.send(_sms()).outcome == "retry"
    gateway.answer = (403, "bad login")
    assert channel.send(_sms()) == DeliveryResult(outcome="failed", reason="HTTP 403: bad login")
    down = HttpSmsSettings(url=f"http://127.0.0.1:{_free_port()}/send", success="OK")
    assert HttpSmsChannel(lambda: down).send(_sms()).outcome == "retry"
    broken = HttpSmsSettings(url=gateway.url, success="(")
    assert (
        HttpSmsChannel(lambda: broken)
        .send(_sms())
        .reason.startswith("the success pattern is wrong")
    )
    assert HttpSmsChannel(lambda: None).send(_sms()).outcome == "failed"


def test_the_crm_visit_reminder_goes_out_as_sms_with_the_saved_settings(
    platform: Any, gateway: Gateway
) -> None:
    platform.channel_settings.save("sms", {"url": gateway.url, "method": "POST",
                                           "params": {"to": "{to}", "text": "{text}"},
                                           "success": "OK"})  # fmt: skip
    client = platform.records("clients", user=SYSTEM).create(
        {"name": "ООО «Ромашка»", "phone": "+79990001122"}
    )
    event = platform.records("events", user=SYSTEM).create(
        {"client": client["id"], "subject": "Визит", "happened_at": dt.datetime(2026, 3, 6, 9, 0)}
    )
    message = prepare(platform, "event_reminder", SYSTEM).render(event["id"])
    assert platform.channels.get("sms").send(message).outcome == "sent"
    [(_m, _p, params)] = gateway.requests
    assert params["to"] == ["+79990001122"]
    assert params["text"][0].startswith("Напоминаем:") and "06.03 в 09:00" in params["text"][0]


# -- plug-ins --------------------------------------------------------------------------------
class VendorSms:
    """A vendor's own SMS channel, as docs/mailing.md shows."""

    name = "sms"

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        self.sent.append(message)
        return DeliveryResult(outcome="sent", provider_id=f"v{len(self.sent)}")


class VendorPlugin:
    def __init__(self) -> None:
        self.channel = VendorSms()

    @hookimpl
    def uchet_register_message_channels(self, registry: ChannelRegistry) -> None:
        registry.register(self.channel)


def test_a_plugin_channel_replaces_the_built_in_one_and_reads_its_saved_settings() -> None:
    plugin = VendorPlugin()
    pm = make_plugin_manager([plugin], entry_points=False)
    saved = {"sms": {"token": "t-1"}}
    registry = channel_registry(pm, saved.get)
    assert registry.names() == ["email", "sms"]
    assert registry.get("sms") is plugin.channel
    assert isinstance(registry.get("email"), EmailChannel)
    assert registry.settings("sms") == {"token": "t-1"}
    assert registry.get("sms").send(_sms()).provider_id == "v1"
    plain = channel_registry(make_plugin_manager(entry_points=False))
    assert isinstance(plain.get("sms"), HttpSmsChannel)
