"""Message templates (issue 19, S17/S28/S34): configuration objects checked like print forms,
rendered for one user in the print sandbox, with the ``mail`` right.

The CRM's four templates render on real records; a field the sender may not read renders
empty; a hostile template fails with a message naming the place, never a traceback; the
SMS counter counts GSM-7 and UCS-2 segments as the networks do.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from uchet import SYSTEM
from uchet.configurations.loader import load
from uchet.platform.messaging.contract import Recipient
from uchet.platform.messaging.segments import sms_length
from uchet.platform.model.config import thaw
from uchet.platform.model.errors import ConfigError, NotFound, PermissionDenied
from uchet.printeditor.message_templates import MessageTemplateError, check_template
from uchet.printeditor.messages import MAX_STEPS, html_to_text, prepare, template_store


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: these tests are about templates, not the backend."""
    return f"sqlite:///{tmp_path}/test.db"


@pytest.fixture
def crm(platform: Any) -> dict[str, Any]:
    """Two clients of Anna (a manager), one of Boris, an invoice and an event."""
    users = platform.users
    anna = users.create("anna", "secret-pass-1", name="Анна", roles=["manager"])
    boris = users.create("boris", "secret-pass-2", name="Борис", roles=["manager"])
    viewer = users.create("vera", "secret-pass-3", name="Вера", roles=["viewer"])
    clients = platform.records("clients", user=SYSTEM)
    ivanov = clients.create({"name": "ООО «Иванов и сыновья»", "email": "ivanov@example.test",
                             "phone": "+79990001122", "manager": anna.id, "tax_id": "7701234567",
                             "birthday": dt.date(1980, 5, 17)})  # fmt: skip
    empty = clients.create({"name": "Без почты", "manager": anna.id})
    other = clients.create(
        {"name": "Клиент Бориса", "email": "b@example.test", "manager": boris.id}
    )
    invoice = platform.records("invoices", user=SYSTEM).create(
        {"number": "С-17", "date": dt.date(2026, 3, 5), "client": ivanov["id"]}
    )
    event = platform.records("events", user=SYSTEM).create(
        {"client": ivanov["id"], "subject": "Визит", "happened_at": dt.datetime(2026, 3, 6, 14, 30)}
    )
    return {"anna": anna, "boris": boris, "viewer": viewer, "ivanov": ivanov, "empty": empty,
            "other": other, "invoice": invoice, "event": event}  # fmt: skip


def test_the_crm_ships_four_templates_that_pass_the_full_check(platform: Any) -> None:
    names = {d.get("label")["ru"] for d in platform.config.message_templates}
    assert names == {"Заказ готов", "Напоминание о визите", "Счёт на оплату", "С днём рождения"}
    for doc in platform.config.message_templates:
        assert check_template(platform.config, doc.data, "ru") == [], doc.id


def test_an_email_renders_cyrillic_placeholders_from_the_record_and_its_references(
    platform: Any, crm: dict[str, Any]
) -> None:
    prepared = prepare(platform, "birthday", crm["anna"])
    message = prepared.render(crm["ivanov"]["id"])
    assert message.channel == "email" and message.to == "ivanov@example.test"
    assert message.subject == "С днём рождения, ООО «Иванов и сыновья»!"
    assert "Здравствуйте, ООО «Иванов и сыновья»!" in message.body_text
    assert message.body_html is None
    invoice = prepare(platform, "mt_invoice", crm["anna"]).render(crm["invoice"]["id"])
    assert invoice.subject == "Счёт на оплату № С-17 от 05.03.2026"
    assert "<p>Здравствуйте, ООО «Иванов и сыновья»!</p>" in (invoice.body_html or "")
    assert "Направляем счёт на оплату № С-17" in invoice.body_text
    assert "<p>" not in invoice.body_text
    [(name, mime, data)] = invoice.attachments  # the invoice print form, rendered for Anna
    assert name.endswith(".docx") and data[:2] == b"PK" and "wordprocessingml" in mime


def test_an_html_body_escapes_values_and_a_test_message_goes_to_the_given_address(
    platform: Any, crm: dict[str, Any]
) -> None:
    platform.records("clients", user=SYSTEM).update(
        crm["ivanov"]["id"], {"name": "<b>Злой</b> & Co"}, crm["ivanov"]["version"]
    )
    message = prepare(platform, "invoice", crm["anna"]).render(
        crm["invoice"]["id"], to="anna@example.test", headers={"X-Test": "1"}
    )
    assert message.to == "anna@example.test" and message.headers == {"X-Test": "1"}
    assert "&lt;b&gt;Злой&lt;/b&gt; &amp; Co" in (message.body_html or "")
    assert "<b>Злой</b> & Co" in message.body_text  # the text version is plain text again


def test_recipient_says_no_address_and_follows_references(
    platform: Any, crm: dict[str, Any]
) -> None:
    birthday = prepare(platform, "birthday", crm["anna"])
    assert birthday.recipient(crm["empty"]["id"]) == Recipient(
        record_id=crm["empty"]["id"],
        name="Без почты",
        address=None,
        opt_out_target=("clients", crm["empty"]["id"], "no_mailing_email"),
    )  # every CRM template names its opt-out field
    sms = prepare(platform, "event_reminder", crm["anna"])
    who = sms.recipient(crm["event"]["id"])
    assert (who.address, who.name, who.opted_out) == (
        "+79990001122",
        "ООО «Иванов и сыновья»",
        False,
    )
    text = sms.render(crm["event"]["id"]).body_text
    assert text.startswith("Напоминаем:") and "06.03 в 14:30" in text
    assert sms.render(crm["event"]["id"]).subject == ""


def test_opt_out_is_read_from_the_configured_field(platform: Any, crm: dict[str, Any]) -> None:
    # The CRM's opt-out fields (clients.no_mailing_email...) come with the orders work of
    # issue 19; the mechanism is the same for any yes/no field the template names: here a
    # template about work items, sent to the client, with the item's «done» as the flag.
    work = platform.records("work", user=SYSTEM).create(
        {"client": crm["ivanov"]["id"], "title": "Поставка", "assignee": crm["anna"].id}
    )
    doc = _doc(platform, "birthday")
    doc.update(
        id="mt_work_done",
        name="work_done",
        table="work",
        subject="Готово: {{ title }}",
        body="{{ title }}",
        recipient={"address": "client.email", "opt_out": "done"},
    )
    assert check_template(platform.config, doc, "ru") == []
    template_store(platform).save(doc)
    prepared = prepare(platform, "work_done", SYSTEM)  # managers have no mail right on work
    who = prepared.recipient(work["id"])
    assert (who.address, who.opted_out) == ("ivanov@example.test", False)
    assert who.opt_out_target == ("work", work["id"], "done")
    platform.records("work", user=SYSTEM).update(work["id"], {"done": True}, work["version"])
    assert prepared.recipient(work["id"]).opted_out


def test_a_field_the_sender_may_not_read_is_not_rendered(
    platform: Any, crm: dict[str, Any]
) -> None:
    doc = _doc(platform, "birthday")
    doc["body"] = "ИНН: [{{ tax_id }}] [{{ raw.tax_id }}] [{{ record.tax_id }}]"
    template_store(platform).save(doc)
    # The viewer role reads clients but not tax_id; give it the mail right through an
    # overlay-free role change: the SYSTEM user sees it, the viewer does not.
    assert (
        "7701234567" in prepare(platform, "birthday", SYSTEM).render(crm["ivanov"]["id"]).body_text
    )
    with pytest.raises(PermissionDenied):  # the viewer role has no mail right at all
        prepare(platform, "birthday", crm["viewer"])
    rt = platform.runtime
    access = rt.permissions.access(crm["viewer"], "clients")
    assert "tax_id" not in access.readable()
    roles = [thaw(r.data) for r in rt.config.roles]
    for role in roles:
        if role["id"] == "viewer":
            role["tables"]["clients"]["mail"] = True
    platform2 = _with_roles(platform, roles)
    body = prepare(platform2, "birthday", crm["viewer"]).render(crm["ivanov"]["id"]).body_text
    assert body == "ИНН: [] [] []"


def test_mail_right_and_row_rules(platform: Any, crm: dict[str, Any]) -> None:
    perms = platform.runtime.permissions
    assert perms.can_mail(crm["anna"], "clients") and perms.can_mail(crm["anna"], "invoices")
    assert not perms.can_mail(crm["anna"], "products")
    assert not perms.can_mail(crm["viewer"], "clients")
    assert perms.can_mail(SYSTEM, "products")
    prepared = prepare(platform, "birthday", crm["anna"])
    with pytest.raises(NotFound):  # Boris's client is outside Anna's rows
        prepared.recipient(crm["other"]["id"])
    with pytest.raises(NotFound):
        prepared.render(crm["other"]["id"])


def test_hostile_templates_fail_with_the_place_never_a_traceback(
    platform: Any, crm: dict[str, Any]
) -> None:
    store = template_store(platform)
    cases = {
        "{{ ''.__class__.__mro__ }}": "not allowed",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}": str(
            MAX_STEPS
        ),
        "{{ 'a' * 1000000 }}": "too long",
        "{{ 9 ** 999 }}": "too large",
        "{% for c in contacts %}{% for d in range(99999) %}{{ d }}{% endfor %}{% endfor %}x"
        "{% for i in range(99999) %}{% for j in range(99) %}{% endfor %}{% endfor %}": "steps",
    }
    for body, words in cases.items():
        doc = _doc(platform, "birthday")
        doc["body"] = "Строка 1\n" + body
        store.save(doc)
        with pytest.raises(MessageTemplateError) as caught:
            prepare(platform, "birthday", crm["anna"]).render(crm["ivanov"]["id"])
        assert caught.value.problems[0].location == "body", body
        assert words in caught.value.message, (body, caught.value.message)
    doc = _doc(platform, "birthday")
    doc["recipient"] = {"address": "gone_field"}  # saved before the field was deleted
    store.save(doc)
    with pytest.raises(MessageTemplateError) as caught:
        prepare(platform, "birthday", crm["anna"])
    assert caught.value.problems[0].location == "recipient.address"
    doc = _doc(platform, "birthday")
    doc["body"] = "Здравствуйте,\n{{ name }\n"
    store.save(doc)
    with pytest.raises(MessageTemplateError) as caught:
        prepare(platform, "birthday", crm["anna"])
    assert caught.value.problems[0].location == "body, line 2"


def test_the_check_names_each_problem_and_its_place(platform: Any) -> None:
    doc = _doc(platform, "invoice")
    doc["subject"] = "Счёт {{ numbr }}"
    doc["body"] = "Строка\n{% for l in invoice_lines %}{{ l.prodct }}{% endfor %}\n{{ total"
    doc["recipient"] = {"address": "client.phone", "opt_out": "client.name"}
    doc["attachment"] = {"print_form": "pf_client_card"}
    problems = {(p.location, p.message) for p in check_template(platform.config, doc, "ru")}
    assert ("recipient.address", "the address 'client.phone' is a phone field; a email address "
            "must be one of: email, string") in problems  # fmt: skip
    assert any(loc == "recipient.opt_out" and "yes/no" in m for loc, m in problems)
    assert any(loc == "attachment.print_form" and "prints table" in m for loc, m in problems)
    assert any(loc == "subject" and "numbr" in m for loc, m in problems), problems
    assert any(loc == "body, line 3" and "syntax error" in m for loc, m in problems), problems
    doc = _doc(platform, "invoice")
    doc["body"] = "{% for l in invoice_lines %}{{ l.prodct }}{% endfor %}"
    problems = {(p.location, p.message) for p in check_template(platform.config, doc, "ru")}
    assert any(loc == "body, line 1" and "l.prodct" in m for loc, m in problems), problems
    doc["channel"] = "fax!"
    [schema] = check_template(platform.config, doc, "ru")
    assert schema.location == "channel"


def test_the_configuration_check_refuses_a_broken_bundle_template(tmp_path: Path) -> None:
    import shutil
    from importlib import resources

    bundle = tmp_path / "crm"
    shutil.copytree(Path(str(resources.files("uchet") / "sample_crm")), bundle)
    (bundle / "message_templates" / "bad.json").write_text(
        '{"id": "mt_bad", "name": "bad", "label": "Плохой", "channel": "sms", "table": "clients",'
        ' "recipient": {"address": "emial"}, "subject": "x", "body": "{% if %}"}',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load(bundle)
    text = str(caught.value)
    assert "message_templates/bad.json:/recipient/address" in text
    assert "message_templates/bad.json:/subject: an SMS has no subject" in text
    assert "message_templates/bad.json:/body: syntax error on line 1" in text


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("Hello", "GSM-7", 5, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("{}" * 40, "GSM-7", 160, 1),  # extension characters take two septets
        ("€" * 81, "GSM-7", 162, 2),
        ("Привет", "UCS-2", 6, 1),
        ("я" * 70, "UCS-2", 70, 1),
        ("я" * 71, "UCS-2", 71, 2),
        ("я" * 134, "UCS-2", 134, 2),
        ("я" * 135, "UCS-2", 135, 3),
        ("Hi 😀", "UCS-2", 5, 1),  # an emoji is two UTF-16 units
    ],
)
def test_sms_segments(text: str, encoding: str, units: int, segments: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_html_to_text_keeps_paragraphs_and_entities() -> None:
    text = html_to_text("<p>Здравствуйте,&nbsp;Анна!</p><p>Строка<br>вторая &amp; третья</p>")
    assert text == "Здравствуйте, Анна!\nСтрока\nвторая & третья"


# -- helpers ---------------------------------------------------------------------------------
def _doc(platform: Any, name: str) -> dict[str, Any]:
    found = next(d for d in platform.config.message_templates if d.get("name") == name)
    return copy.deepcopy(thaw(found.data))


def _with_roles(platform: Any, roles: list[dict[str, Any]]) -> Any:
    """The same database seen through a configuration whose roles are ``roles``."""
    from uchet.platform.model.config import build_configuration
    from uchet.platform.records.runtime import Runtime

    tree = thaw(platform.runtime.config.tree)
    tree["roles"] = roles
    config = build_configuration(tree)
    rt = Runtime(platform.engine, config, platform.types, platform.pm, platform.runtime.version)

    class Shim:
        engine, _system, runtime = platform.engine, platform._system, rt
        channels = platform.channels

    return Shim()


def test_an_overlay_replaces_a_template_and_a_broken_one_is_named(tmp_path: Path) -> None:
    overlay = tmp_path / "mailing.json"
    overlay.write_text(
        '{"overlay": "mailing", "message_templates": [{"id": "mt_birthday", "name": "birthday",'
        ' "label": "ДР", "channel": "email", "table": "clients", "recipient": {"address": "email"},'
        ' "subject": "Поздравляем, {{ name }}!", "body": "{{ name }}"}],'
        ' "set": {"mt_invoice": {"subject": "Счёт {{ number }}"}}}',
        encoding="utf-8",
    )
    loaded = load("sample_crm", [overlay])
    docs = {d.id: d for d in loaded.config.message_templates}
    assert docs["mt_birthday"].get("subject") == "Поздравляем, {{ name }}!"
    assert docs["mt_invoice"].get("subject") == "Счёт {{ number }}"
    overlay.write_text(
        '{"overlay": "mailing", "set": {"mt_invoice": {"recipient": {"address": "client.nme"}}}}',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load("sample_crm", [overlay])
    assert "recipient/address" in str(caught.value) and "nme" in str(caught.value)


def test_saved_templates_are_read_once_per_cache_time_and_sending_reads_afresh(
    platform: Any,
) -> None:
    """Issue 12: every list page asks which templates its table has; that is one read per
    CACHE_SECONDS, forgotten at once by a save here; another process's save shows after the
    cache time, and sending never trusts the cache."""
    from uchet.printeditor.message_templates import CACHE_SECONDS, MessageTemplateStore

    now = [100.0]
    state = platform._system["uchet_state"]
    here = MessageTemplateStore(platform.engine, state, clock=lambda: now[0])
    elsewhere = MessageTemplateStore(platform.engine, state)  # another process, in effect
    reads: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "uchet_state" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    doc = {"id": "mt_probe", "name": "probe", "table": "clients", "channel": "email"}
    import sqlalchemy as sa

    sa.event.listen(platform.engine, "before_cursor_execute", count)
    try:
        assert here.all() == [] and here.all() == []
        assert len(reads) == 1  # the second answer came from the cache
        elsewhere.save(doc)
        assert here.all() == []  # still trusted: another process's save is not seen yet
        assert [d["id"] for d in here.all(fresh=True)] == ["mt_probe"]  # sending's read
        elsewhere.delete("mt_probe")
        now[0] += CACHE_SECONDS - 1
        assert [d["id"] for d in here.all()] == ["mt_probe"]  # the fresh read was cached
        now[0] += 1
        assert here.all() == []  # the cache time is over: read again
        here.save(doc)
        assert [d["id"] for d in here.all()] == ["mt_probe"]  # a save here forgets at once
        here.all()[0]["id"] = "changed"  # a caller's copy; the cache keeps its own
        assert [d["id"] for d in here.all()] == ["mt_probe"]
    finally:
        sa.event.remove(platform.engine, "before_cursor_execute", count)
    assert template_store(platform) is template_store(platform)  # one store per platform
