"""The CRM's workflows end to end, on SQLite and PostgreSQL: task notifications, done and
confirmation, invoices paid in parts, defaults from references, seed rows, attachments and
e-mail through SMTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from tests.crm_support import fake_smtp

from uchet import SYSTEM, NotFound, ValidationError
from uchet.platform.features.jobs import wait_until


def _client(platform, owner, name="ООО «Ромашка»", **values):
    return platform.records("clients", user=owner).create(
        {"name": name, "manager": owner.id, **values}
    )


def _titles(platform, user):
    return [n.title for n in platform.notifications(user).list()]


def test_task_for_another_user_notifies_that_user_only(platform, staff):
    anna, boris, admin = staff["anna"], staff["boris"], staff["admin"]
    client = _client(platform, anna)
    work = platform.records("work", user=anna)
    task = work.create({"client": client["id"], "title": "Отправить КП", "assignee": boris.id})
    assert task["author"] == anna.id  # stamped with the acting user
    assert _titles(platform, boris) == ["Новая задача: Отправить КП"]
    assert _titles(platform, anna) == [] and _titles(platform, admin) == []
    note = platform.notifications(boris).list()[0]
    assert (note.table_id, note.record_id) == ("work", task["id"])
    assert "Анна" in note.body and "Ромашка" in note.body
    # A task for oneself notifies nobody; reassigning notifies the new assignee only.
    own = work.create({"client": client["id"], "title": "Своя задача", "assignee": anna.id})
    assert _titles(platform, anna) == []
    work.update(own["id"], {"assignee": boris.id})
    assert _titles(platform, boris) == ["Новая задача: Своя задача", "Новая задача: Отправить КП"]
    assert _titles(platform, anna) == []


def test_done_notifies_the_author_who_confirms(platform, staff):
    anna, boris = staff["anna"], staff["boris"]
    client = _client(platform, anna)
    task = platform.records("work", user=anna).create(
        {"client": client["id"], "title": "Позвонить", "assignee": boris.id}
    )
    # Boris sees the task on Anna's client (row rule "any": assignee = me) and marks it done.
    as_boris = platform.records("work", user=boris)
    done = as_boris.update(task["id"], {"done": True, "percent": 100})
    assert done["done_at"] is not None and not done["confirmed"]
    assert _titles(platform, anna) == ["Выполнено: Позвонить"]
    inbox = platform.notifications(anna)
    assert inbox.unread_count() == 1
    assert inbox.mark_read() == 1 and inbox.unread_count() == 0
    confirmed = platform.records("work", user=anna).update(task["id"], {"confirmed": True})
    assert confirmed["confirmed_by"] == anna.id and confirmed["confirmed_by__title"] == "Анна"
    assert _titles(platform, boris)[0] == "Выполнение подтверждено: Позвонить"
    # Undoing clears the stamp; the user cannot write the stamped fields themselves.
    assert as_boris.update(task["id"], {"done": False})["done_at"] is None
    with pytest.raises(ValidationError):
        as_boris.update(task["id"], {"done_at": "2024-01-01 10:00"})


def test_partial_payments_move_an_invoice_from_unpaid_to_paid(platform, staff):
    anna = staff["anna"]
    client = _client(platform, anna)
    product = platform.records("products", user=SYSTEM).create({"name": "Принтер", "price": "1500"})
    invoices = platform.records("invoices", user=anna)
    invoice = invoices.create({"client": client["id"], "date": "2025-03-10"})
    assert invoice["number"] == "СЧ-2025-00001"
    lines = platform.records("invoice_lines", user=anna)
    line = lines.create({"invoice": invoice["id"], "product": product["id"], "quantity": 2})
    assert line["unit_price"] == Decimal("1500.00") and line["amount"] == Decimal("3000.00")
    lines.create(
        {"invoice": invoice["id"], "product": product["id"], "quantity": 1, "unit_price": "500"}
    )
    payments = platform.records("payments", user=staff["alla"])
    states = [invoices.get(invoice["id"])]
    for amount in ("1000", "2000.50", "499.50"):
        payments.create({"invoice": invoice["id"], "amount": amount, "date": "2025-03-20"})
        states.append(invoices.get(invoice["id"]))
    assert [s["status"] for s in states] == ["unpaid", "partly_paid", "partly_paid", "paid"]
    assert [s["debt"] for s in states] == [
        Decimal("3500.00"),
        Decimal("2500.00"),
        Decimal("499.50"),
        Decimal("0.00"),
    ]
    assert states[-1]["total"] == Decimal("3500.00") and states[-1]["paid"] == Decimal("3500.00")
    assert platform.records("clients", user=anna).get(client["id"])["debt"] == Decimal("0.00")
    # A manager reads payments of their clients but may not record them.
    assert len(platform.records("payments", user=anna).query().rows) == 3
    with pytest.raises(Exception, match="may not create"):
        platform.records("payments", user=anna).create({"invoice": invoice["id"], "amount": 1})


def test_defaults_from_references_in_bulk(platform):
    products = platform.records("products", user=SYSTEM)
    ids = products.create_many([{"name": f"Товар {i}", "price": 100 + i} for i in range(3)])
    lists = platform.records("price_lists", user=SYSTEM)
    price_list = lists.create({"name": "Розница"})
    items = platform.records("price_list_items", user=SYSTEM)
    items.create_many(
        [{"price_list": price_list["id"], "product": pid} for pid in ids[:2]]
        + [{"price_list": price_list["id"], "product": ids[2], "price": 7}]
    )
    prices = sorted(r["price"] for r in items.query().rows)
    assert prices == [Decimal("7.00"), Decimal("100.00"), Decimal("101.00")]
    assert lists.get(price_list["id"])["item_count"] == 3


def test_seed_rows_are_inserted_once(platform):
    names = [r["name"] for r in platform.records("client_categories", user=SYSTEM).query().rows]
    assert names == ["Обычный", "VIP", "Проблемный"]
    assert len(platform.records("work_categories", user=SYSTEM).query().rows) == 6
    assert platform.plan().is_empty  # migrating again changes nothing and seeds nothing
    assert len(platform.records("our_company", user=SYSTEM).query().rows) == 1


def test_attachments_on_any_record(platform, staff):
    anna, boris = staff["anna"], staff["boris"]
    client = _client(platform, anna)
    mine = platform.records("clients", user=anna)
    att = mine.attach(
        client["id"],
        {"name": "scan.pdf", "data": b"%PDF-1.4 test", "content_type": "application/pdf"},
        note="Договор",
    )
    assert [a.name for a in mine.attachments(client["id"])] == ["scan.pdf"]
    assert mine.attachment(client["id"], att.id) == (
        "scan.pdf",
        "application/pdf",
        b"%PDF-1.4 test",
    )
    with pytest.raises(NotFound):  # another manager cannot see the client's files
        platform.records("clients", user=boris).attachments(client["id"])
    with pytest.raises(ValidationError):  # a table without attachments refuses
        platform.records("products", user=SYSTEM).attachments(1)
    mine.detach(client["id"], att.id)
    assert mine.attachments(client["id"]) == []
    task = platform.records("work", user=anna).create(
        {"client": client["id"], "title": "С файлом", "assignee": anna.id}
    )
    platform.records("work", user=anna).attach(task["id"], {"name": "a.txt", "data": b"x"})
    platform.records("work", user=anna).delete(task["id"])
    assert (
        platform.engine.connect()
        .execute(platform.runtime.model.system["uchet_attachments"].select())
        .all()
        == []
    )


def test_notification_e_mail_through_smtp(platform, staff, monkeypatch):
    anna, boris = staff["anna"], staff["boris"]
    with fake_smtp() as server:
        host, port = server.server_address
        monkeypatch.setenv("UCHET_SMTP_HOST", host)
        monkeypatch.setenv("UCHET_SMTP_PORT", str(port))
        monkeypatch.setenv("UCHET_SMTP_FROM", "crm@example.test")
        client = _client(platform, anna)
        platform.records("work", user=anna).create(
            {"client": client["id"], "title": "Письмо", "assignee": boris.id}
        )
        assert platform.run_jobs() == 1
        assert wait_until(lambda: len(server.messages) == 1)
        message = server.messages[0]
        assert message["to"] == ["<boris@example.test>"]
        assert "Subject:" in message["data"]
        assert platform.run_jobs() == 0  # sent once


def test_reminder_time_in_the_past_is_not_scheduled(platform, staff):
    anna = staff["anna"]
    task = platform.records("work", user=anna).create(
        {
            "title": "Старое",
            "assignee": anna.id,
            "remind_at": dt.datetime.now() - dt.timedelta(days=3),
        }
    )
    jobs = platform.runtime.model.system["uchet_jobs"]
    with platform.engine.connect() as conn:
        assert (
            conn.execute(jobs.select().where(jobs.c.key == f"work.remind:{task['id']}")).all() == []
        )


def test_invoice_status_is_a_choice_shown_by_its_label(platform):
    """The status formula returns a value; lists, cards and print forms show its label."""
    status = platform.runtime.table("invoices").table.field_by_name("status")
    ftype = platform.runtime.types.get(status.type)
    assert status.result_type == "choice"
    assert ftype.format(status, "partly_paid", "ru") == "Оплачен частично"
    assert ftype.format(status, "partly_paid", "en") == "Partly paid"
    assert ftype.format(status, "unpaid", "ru") == "Не оплачен"


def test_a_choice_formula_needs_its_choices(tmp_path):
    """``choices`` on a formula whose result is not ``choice`` is a configuration error that
    names the field (``config check`` with an overlay changing the result type)."""
    import json

    from click.testing import CliRunner

    from uchet.cli import main

    overlay = tmp_path / "status.json"
    overlay.write_text(
        json.dumps({"overlay": "status", "set": {"invoices.status": {"result_type": "string"}}}),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["config", "check", "sample_crm", "--overlay", str(overlay)])
    assert result.exit_code == 1, result.output
    assert '"choices" needs result_type "choice"' in result.output
    assert "invoices" in result.output
