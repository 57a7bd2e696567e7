"""Delivery (issue 19): the unsubscribe link of a mass e-mail (a real SMTP server), the
opt-out it sets as the system actor, and the automatic rules firing once per occasion."""

from __future__ import annotations

import datetime as dt
import email
import socket
import threading
from email import policy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.delivery_support import (
    DeliveryTestPlugin,
    RecordingChannel,
    SmtpChannel,
    add_people,
    open_people,
)

from uchet import SYSTEM
from uchet.platform.messaging import optout, outbox, rules
from uchet.platform.messaging.mailings import Mailings
from uchet.platform.messaging.sender import Sender


class Inbox:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller cannot start on port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, "127.0.0.1", port
    finally:
        controller.stop()


@pytest.fixture
def mailed(db_url: str, tmp_path: Path, smtp_server):
    inbox, host, port = smtp_server
    p = open_people(db_url, tmp_path / "people", DeliveryTestPlugin(SmtpChannel(host, port)))
    yield p, inbox
    p.close()


def test_mass_email_carries_a_signed_unsubscribe_link_that_works(mailed, monkeypatch):
    monkeypatch.setenv("UCHET_PUBLIC_URL", "https://crm.example.test/")
    p, inbox = mailed
    anna = p.users.create("anna", "secret-pass-1", roles=["sender"], email="a@example.test")
    ids = add_people(p, anna, [{"name": "Иван", "email": "ivan@example.test"},
                               {"name": "Пётр", "email": "petr@example.test"}])  # fmt: skip
    mailings = Mailings(p.runtime)
    mailings.start("promo", anna, ids)
    assert Sender(p.runtime).deliver().sent == 2
    by_to = {str(m["To"]): m for m in inbox.messages}
    ivan = by_to["ivan@example.test"]
    header = str(ivan["List-Unsubscribe"])
    assert header.startswith("<https://crm.example.test/unsubscribe/") and header.endswith(">")
    assert str(ivan["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    link = header[1:-1]
    body = ivan.get_body(("plain",)).get_content()
    assert f"Отписаться от рассылки: {link}" in body
    # The token names Ivan's record only, and is signed with the site's secret.
    secret = optout.site_secret(p.engine, p.runtime.model.system["uchet_state"])
    unsubscribe = optout.Unsubscribe(secret)
    target = unsubscribe.target(link.rsplit("/", 1)[1])
    assert target == ("people", ids[0], "no_mailing_email")
    with pytest.raises(optout.BadUnsubscribeLink):
        optout.Unsubscribe("another secret").target(link.rsplit("/", 1)[1])
    with pytest.raises(optout.BadUnsubscribeLink):
        unsubscribe.target(link.rsplit("/", 1)[1][:-2] + "xx")
    assert optout.apply(p, target) is True
    assert optout.apply(p, target) is False  # already set: nothing changes
    assert p.records("people", user=SYSTEM).get(ids[0])["no_mailing_email"] is True
    [entry] = [e for e in p.history("people", ids[0]) if "no_mailing_email" in (e.changes or {})]
    assert entry.user_login in (None, "system")
    # The next mailing skips him, counted; the one before is not touched.
    plan = mailings.plan("promo", anna, ids)
    assert plan.counts() == {"send": 1, "no_address": 0, "opted_out": 1, "no_right": 0}


def test_opting_out_after_the_mailing_was_made_still_skips(people, senders, channel):
    anna = senders["anna"]
    ids = add_people(people, anna, [{"name": "А", "email": "a1@example.test"},
                                    {"name": "Б", "email": "b1@example.test"}])  # fmt: skip
    mailing = Mailings(people.runtime).start("promo", anna, ids)
    people.records("people", user=SYSTEM).update(ids[1], {"no_mailing_email": True})
    report = Sender(people.runtime).deliver()
    assert (report.sent, report.skipped) == (1, 1)
    assert [m.to for m in channel.sent] == ["a1@example.test"]
    assert Mailings(people.runtime).progress(mailing)["skipped"] == 1


# -- automatic rules ------------------------------------------------------------------------
RULES = [
    {"id": "visit_sms", "label": {"ru": "SMS перед визитом"}, "table": "people",
     "template": "visit", "channel": "email", "when": {"before": "visit_at", "hours": 24}},
    {"id": "ready", "table": "people", "template": "ready", "channel": "email",
     "when": {"changed": "stage", "to": "ready"}},
    {"id": "birthday", "table": "people", "template": "birthday", "channel": "email",
     "when": {"yearly": "birthday"}},
]  # fmt: skip


@pytest.fixture
def ruled(db_url: str, tmp_path: Path):
    recording = RecordingChannel()
    p = open_people(db_url, tmp_path / "people", DeliveryTestPlugin(recording), rules=RULES)
    yield p, recording
    p.close()


def _rule_rows(p, rule_id: str) -> list[dict[str, Any]]:
    o, m = p.runtime.model.system["uchet_outbox"], p.runtime.model.system["uchet_mailings"]
    stmt = sa.select(o).join(m, m.c.id == o.c.mailing_id).where(m.c.rule_id == rule_id)
    with p.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt.order_by(o.c.id))]


def test_a_visit_reminder_fires_once_n_hours_before(ruled):
    p, recording = ruled
    now = outbox.now()
    ids = add_people(p, SYSTEM, [
        {"name": "Завтра", "email": "t@example.test", "visit_at": now + dt.timedelta(hours=30)},
        {"name": "Прошло", "email": "past@example.test", "visit_at": now - dt.timedelta(hours=1)},
    ])  # fmt: skip
    assert rules.tick(p.runtime, now) == 0  # 30 hours ahead: not yet
    at = now + dt.timedelta(hours=7)  # 23 hours before the visit
    # Two workers tick the same moment: the occasion is queued once.
    assert rules.tick(p.runtime, at) == 1
    assert rules.tick(p.runtime, at) == 0
    # The worker sends it (its job, due at ``at``).
    assert p.worker(worker_id="w1").run_once(at=at) == 1
    assert [m.to for m in recording.sent] == ["t@example.test"]
    assert rules.tick(p.runtime, at + dt.timedelta(hours=1)) == 0
    # The visit moves: a new occasion, one more reminder.
    p.records("people", user=SYSTEM).update(ids[0], {"visit_at": at + dt.timedelta(hours=10)})
    assert rules.tick(p.runtime, at + dt.timedelta(hours=1)) == 1
    assert len(_rule_rows(p, "visit_sms")) == 2


def test_a_stage_change_fires_once_per_change(ruled):
    p, recording = ruled
    records = p.records("people", user=SYSTEM)
    [pid] = add_people(p, SYSTEM, [{"name": "Заказ", "email": "o@example.test", "stage": "new"}])
    records.update(pid, {"name": "Заказ 1"})  # no stage change: nothing
    assert _rule_rows(p, "ready") == []
    records.update(pid, {"stage": "ready"})
    records.update(pid, {"name": "Заказ 2"})  # still ready: not again
    assert len(_rule_rows(p, "ready")) == 1
    Sender(p.runtime).deliver()
    assert [m.subject for m in recording.sent] == ["Здравствуйте, Заказ 2"]
    [row] = _rule_rows(p, "ready")
    assert row["status"] == "sent" and row["address"] == "o@example.test"


def test_a_birthday_fires_once_a_year_and_a_switched_off_rule_not_at_all(ruled):
    p, _ = ruled
    today = outbox.now()
    born = dt.date(1990, today.month, min(today.day, 28))
    add_people(p, SYSTEM, [{"name": "Именинник", "email": "b@example.test", "birthday": born},
                           {"name": "Другой", "email": "d@example.test",
                            "birthday": born + dt.timedelta(days=3)}])  # fmt: skip
    at = dt.datetime.combine(born.replace(year=today.year), dt.time(9, 0))
    admin = p.users.create("admin", "secret-pass-1", roles=["main"])
    rules.set_enabled(p.runtime, "birthday", False, admin)
    assert [r.enabled for r in rules.configured(p.runtime) if r.id == "birthday"] == [False]
    assert rules.tick(p.runtime, at) == 0
    rules.set_enabled(p.runtime, "birthday", True, admin)
    assert rules.tick(p.runtime, at) == 1
    assert rules.tick(p.runtime, at + dt.timedelta(hours=5)) == 0  # the same day, again
    assert rules.tick(p.runtime, at.replace(year=at.year + 1)) == 1  # next year
    with pytest.raises(KeyError):
        rules.set_enabled(p.runtime, "nope", True, admin)


def test_bad_rules_are_refused_naming_where(tmp_path: Path):
    from uchet.platform.model.errors import ConfigError

    bad = [
        {"id": "a", "table": "nope", "template": "t", "channel": "email",
         "when": {"yearly": "birthday"}},
        {"id": "b", "table": "people", "template": "t", "channel": "email",
         "when": {"before": "name", "hours": 2}},
        {"id": "b", "table": "people", "template": "t", "channel": "email",
         "when": {"changed": "missing", "to": "x"}},
    ]  # fmt: skip
    with pytest.raises(ConfigError) as raised:
        open_people(f"sqlite:///{tmp_path}/bad.db", tmp_path / "people", rules=bad)
    assert sorted(str(i) for i in raised.value.issues) == [
        "manifest.json:/settings/message_rules/0/table: unknown table 'nope'",
        "manifest.json:/settings/message_rules/1/when/before: 'name' is a string field: "
        "'before' needs a date or datetime",
        "manifest.json:/settings/message_rules/2/id: duplicate rule id 'b'",
        "manifest.json:/settings/message_rules/2/when/changed: table 'people' has no field "
        "'missing'",
    ]
    # The shape is the meta-schema's: an unknown key in «when» is refused too.
    shape = [{"id": "c", "table": "people", "template": "t", "channel": "email",
              "when": {"yearly": "birthday", "extra": 1}}]  # fmt: skip
    with pytest.raises(ConfigError):
        open_people(f"sqlite:///{tmp_path}/bad2.db", tmp_path / "people2", rules=shape)
