"""A message template renders the same on SQLite and PostgreSQL (issue 19): the record and
its references are read through the record service, the saved templates through
``uchet_state``, the channel settings too."""

from __future__ import annotations

import datetime as dt
from typing import Any

from uchet import SYSTEM
from uchet.printeditor.messages import prepare, template_store


def test_render_recipient_and_saved_templates_on_each_backend(platform: Any) -> None:
    anna = platform.users.create("anna", "secret-pass-1", name="Анна", roles=["manager"])
    client = platform.records("clients", user=SYSTEM).create(
        {"name": "ООО «Ромашка»", "email": "romashka@example.test", "manager": anna.id}
    )
    invoice = platform.records("invoices", user=SYSTEM).create(
        {"number": "С-17", "date": dt.date(2026, 3, 5), "client": client["id"]}
    )
    prepared = prepare(platform, "invoice", anna)
    assert prepared.recipient(invoice["id"]).address == "romashka@example.test"
    message = prepared.render(invoice["id"])
    assert message.subject == "Счёт на оплату № С-17 от 05.03.2026"
    assert message.attachments[0][0].endswith(".docx")
    doc = dict(next(d for d in platform.config.message_templates if d.id == "mt_birthday").data)
    doc["subject"] = "Поздравляем!"
    template_store(platform).save(doc)
    assert prepare(platform, "birthday", anna).render(client["id"]).subject == "Поздравляем!"
    platform.channel_settings.save("sms", {"url": "http://127.0.0.1:9/", "params": {}})
    assert platform.channel_settings.get("sms")["url"] == "http://127.0.0.1:9/"
