"""Helpers of the delivery tests (issue 19): a small configuration of people to write to,
a prepared template and channels of the tests' own, met through the plugin hooks exactly
as the real templates and channels are (contract.py)."""

from __future__ import annotations

import json
import smtplib
import threading
from collections.abc import Iterator, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from uchet import Platform, hookimpl
from uchet.platform.messaging.contract import (
    ChannelRegistry,
    DeliveryResult,
    OutgoingMessage,
    Recipient,
)
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import User

OPT_OUT = "no_mailing_email"
LABELS = {
    "name": "Имя",
    "email": "E-mail",
    "phone": "Телефон",
    "vip": "VIP",
    OPT_OUT: "Не присылать рассылки",
    "manager": "Менеджер",
    "visit_at": "Визит",
    "birthday": "День рождения",
    "stage": "Стадия",
}


def _fld(name: str, type_: str = "string", **props: Any) -> dict[str, Any]:
    return {
        "id": f"people.{name}",
        "name": name,
        "type": type_,
        "label": {"ru": LABELS[name]},
        **props,
    }


def write_bundle(root: Path, rules: list[dict[str, Any]] | None = None,
                 rates: Mapping[str, Any] | None = None) -> Path:  # fmt: skip
    """People with an e-mail, a phone, an opt-out flag, a manager, a visit time, a stage
    and a birthday; senders see their own people, a reader only reads."""
    (root / "tables").mkdir(parents=True, exist_ok=True)
    (root / "roles").mkdir(exist_ok=True)
    settings: dict[str, Any] = {}
    if rules:
        settings["message_rules"] = rules
    if rates:
        settings["message_rates"] = dict(rates)
    manifest = {"name": "people", "version": "1", "title": {"ru": "Учёт клиентов"},
                "locales": ["ru", "en"],
                "default_locale": "ru", "settings": settings}  # fmt: skip
    (root / "manifest.json").write_text(json.dumps(manifest))
    people = {"id": "people", "name": "people", "label": {"ru": "Клиенты"},
              "title_field": "people.name",
              "search_fields": ["people.name", "people.email"],
              "fields": [
                  _fld("name", required=True), _fld("email", "email"), _fld("phone", "phone"),
                  _fld("vip", "boolean"), _fld(OPT_OUT, "boolean"), _fld("manager", "user"),
                  _fld("visit_at", "datetime"), _fld("birthday", "date"),
                  _fld("stage", "choice", choices=[{"value": "new", "label": {"ru": "Новая"}},
                                                   {"value": "ready", "label": {"ru": "Готова"}}]),
              ]}  # fmt: skip
    (root / "tables" / "people.json").write_text(json.dumps([people]))
    roles = [
        {"id": "main", "name": "main", "label": {"ru": "Админ"}, "superuser": True},
        {"id": "sender", "name": "sender", "label": {"ru": "Менеджер"}, "tables": {"people": {
            "read": True, "create": True, "update": True, "mail": True,
            "rows": [{"field": "manager", "op": "eq", "value": "$user"}]}}},
        {"id": "reader", "name": "reader", "label": {"ru": "Читатель"},
         "tables": {"people": {"read": True}}},
    ]  # fmt: skip
    (root / "roles" / "roles.json").write_text(json.dumps(roles))
    return root


class PeopleTemplate:
    """A prepared template of the tests: «Здравствуйте, <name>» to a person's e-mail."""

    table = "people"

    def __init__(self, rt: Any, user: User, name: str, channel: str = "email"):
        self.rt, self.user, self.name, self.channel = rt, user, name, channel

    def _record(self, record_id: int) -> dict[str, Any]:
        return RecordService(self.rt, "people", self.user).get(record_id)

    def recipient(self, record_id: int) -> Recipient:
        r = self._record(record_id)
        address = r["email"] if self.channel == "email" else r["phone"]
        return Recipient(record_id=record_id, name=r["name"], address=address or None,
                         opted_out=bool(r[OPT_OUT]),
                         opt_out_target=("people", record_id, OPT_OUT))  # fmt: skip

    def render(self, record_id: int, *, to: str | None = None,
               headers: Mapping[str, str] | None = None) -> OutgoingMessage:  # fmt: skip
        r = self._record(record_id)
        return OutgoingMessage(
            channel=self.channel,
            to=to or r["email"] or r["phone"] or "",
            subject=f"Здравствуйте, {r['name']}",
            body_text=f"Уважаемый {r['name']}!",
            headers=dict(headers or {}),
        )


class RecordingChannel:
    """A channel that keeps what it is given; ``script[address]`` lists the results to
    give that address in turn (then ``sent``)."""

    def __init__(self, name: str = "email"):
        self.name = name
        self.sent: list[OutgoingMessage] = []
        self.script: dict[str, list[DeliveryResult]] = {}
        self.lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        with self.lock:
            planned = self.script.get(message.to)
            if planned:
                return planned.pop(0)
            self.sent.append(message)
            return DeliveryResult(outcome="sent", provider_id=f"id{len(self.sent)}")


class SmtpChannel:
    """A minimal e-mail channel over smtplib (the real one is the templates' side)."""

    name = "email"

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "crm@example.test", message.to, message.subject
        for key, value in message.headers.items():
            mail[key] = value
        mail.set_content(message.body_text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as e:
            return DeliveryResult(outcome="bounced", reason=str(e))
        except (smtplib.SMTPException, OSError) as e:
            return DeliveryResult(outcome="retry", reason=str(e))
        return DeliveryResult(outcome="sent")


class DeliveryTestPlugin:
    """Offers the tests' templates (any name; ``sms_*`` names go by SMS) and channels."""

    def __init__(self, *channels: Any):
        self.channels = list(channels)

    @hookimpl
    def uchet_prepare_message_template(self, runtime: Any, name: str, user: User) -> Any:
        if name == "unknown":
            return None
        return PeopleTemplate(runtime, user, name, "sms" if name.startswith("sms") else "email")

    @hookimpl
    def uchet_message_templates(self, runtime: Any, table_id: str) -> list[tuple[str, str]]:
        return [("promo", "Акция"), ("welcome", "Приветствие")] if table_id == "people" else []

    @hookimpl
    def uchet_register_message_channels(self, registry: ChannelRegistry) -> None:
        for channel in self.channels:
            registry.register(channel)


def open_people(db_url: str, root: Path, *plugins: Any, **bundle: Any) -> Platform:
    """The people configuration, migrated, on ``db_url``."""
    p = Platform.open(write_bundle(root, **bundle), database_url=db_url, plugins=plugins)
    p.migrate()
    return p


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def people(db_url: str, tmp_path: Path, channel: RecordingChannel) -> Iterator[Platform]:
    """The people configuration with the recording e-mail channel, on each backend."""
    p = open_people(db_url, tmp_path / "people", DeliveryTestPlugin(channel))
    yield p
    p.close()


@pytest.fixture
def senders(people: Platform) -> dict[str, User]:
    users = people.users
    return {
        "anna": users.create("anna", "secret-pass-1", name="Анна", roles=["sender"],
                             email="anna@example.test"),
        "boris": users.create("boris", "secret-pass-2", name="Борис", roles=["sender"]),
        "vera": users.create("vera", "secret-pass-3", name="Вера", roles=["reader"]),
        "admin": users.create("admin", "secret-pass-4", name="Админ", roles=["main"]),
    }  # fmt: skip


def add_people(p: Platform, manager: User, rows: list[dict[str, Any]]) -> list[int]:
    """Create people managed by ``manager``; returns their ids."""
    from uchet import SYSTEM

    records = p.records("people", user=SYSTEM)
    return [int(records.create({"manager": manager.id, **row})["id"]) for row in rows]
