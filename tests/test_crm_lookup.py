"""Lookups beyond one's own rows (S25, S36): a manager learns that a client exists and who
owns it, never its details; phone lookup in any format, through contacts too; the
duplicate warning; row rules with "any"; the accountant and viewer roles."""

from __future__ import annotations

import pytest

from uchet import SYSTEM, NotFound, PermissionDenied


@pytest.fixture
def clients(platform, staff):
    anna, boris = staff["anna"], staff["boris"]
    a = platform.records("clients", user=anna).create(
        {
            "name": "ООО «Ромашка»",
            "manager": anna.id,
            "phone": "+7 (495) 123-45-67",
            "tax_id": "7701234567",
            "city": "Москва",
            "notes": "секрет Анны",
        }
    )
    b = platform.records("clients", user=boris).create(
        {"name": "ИП Петров", "manager": boris.id, "phone_mobile": "8-912-000-11-22"}
    )
    platform.records("contacts", user=anna).create(
        {"client": a["id"], "name": "Иван Иванов", "phone_mobile": "+7 903 555 44 33"}
    )
    return a, b


def test_manager_sees_that_a_client_exists_but_not_its_details(platform, staff, clients):
    a, _b = clients
    boris = staff["boris"]
    as_boris = platform.records("clients", user=boris)
    with pytest.raises(NotFound):
        as_boris.get(a["id"])
    assert [r["name"] for r in as_boris.query().rows] == ["ИП Петров"]
    [found] = as_boris.lookup("ромаш")
    assert not found.visible and found.id == a["id"]
    assert found.values["name"] == "ООО «Ромашка»" and found.values["manager__title"] == "Анна"
    assert "notes" not in found.values and "phone" not in found.values
    assert "tax_id" not in found.values
    # His own client comes back whole.
    [mine] = as_boris.lookup("петров")
    assert mine.visible and mine.values["phone_mobile"] == "8-912-000-11-22"
    # A report or a filter cannot reach Anna's client either.
    result = platform.report("report_clients_by_city", boris)
    assert [(r["city"], r["count"]) for r in result.rows] == [(None, 1)]


def test_phone_lookup_in_another_format_finds_the_client(platform, staff, clients):
    a, b = clients
    anna = staff["anna"]
    for typed in ("84951234567", "+7 495 123 45 67", "(495) 1234567", "4951234567"):
        [found] = platform.phone_lookup("clients", typed, user=anna)
        assert found.id == a["id"] and found.visible, typed
        assert found.matched == ("clients.phone",)
    # Through a contact's mobile: the client comes back, naming the field that matched.
    [by_contact] = platform.phone_lookup("clients", "8 (903) 555-44-33", user=anna)
    assert by_contact.id == a["id"] and by_contact.matched == ("contacts.phone_mobile",)
    # Another manager's client is found, with the lookup fields only.
    [other] = platform.phone_lookup("clients", "+79120001122", user=anna)
    assert other.id == b["id"] and not other.visible and other.values["manager__title"] == "Борис"
    assert platform.phone_lookup("clients", "+7 999 999 99 99", user=anna) == []
    # The tax id 7701234567 has phone-like digits but is not a phone.
    assert platform.phone_lookup("clients", "7701234567", user=anna) == []


def test_duplicate_warning(platform, staff, clients):
    a, b = clients
    boris = staff["boris"]
    records = platform.records("clients", user=boris)
    by_name = records.find_duplicates({"name": "ооо «ромашка»"})
    assert [(d.id, d.matched, d.visible) for d in by_name] == [(a["id"], ("clients.name",), False)]
    # A phone typed in another format, in another phone field, matches too.
    by_phone = records.find_duplicates({"name": "Новая", "phone_home": "8 495 123-45-67"})
    assert [(d.id, d.matched) for d in by_phone] == [(a["id"], ("clients.phone_home",))]
    by_tax = records.find_duplicates({"tax_id": "7701234567"})
    assert [d.id for d in by_tax] == [a["id"]] and "tax_id" not in by_tax[0].values
    several = records.find_duplicates({"name": "ИП Петров", "tax_id": "7701234567"})
    assert sorted(d.id for d in several) == sorted([a["id"], b["id"]])
    # Editing a record does not warn about itself; nothing matching, no warning.
    assert records.find_duplicates({"id": b["id"], "name": "ИП Петров"}) == []
    assert records.find_duplicates({"name": "Совсем другая"}) == []
    # A warning is not an error: the record can still be created.
    assert records.create({"name": "ООО «Ромашка»", "manager": boris.id})["id"]


def test_row_rules_with_any_and_the_other_roles(platform, staff, clients):
    a, b = clients
    anna, boris, alla, vera = staff["anna"], staff["boris"], staff["alla"], staff["vera"]
    work = platform.records("work", user=anna)
    for_boris = work.create({"client": a["id"], "title": "Для Бориса", "assignee": boris.id})
    work.create({"client": a["id"], "title": "Для Анны", "assignee": anna.id})
    assert [r["title"] for r in platform.records("work", user=boris).query().rows] == ["Для Бориса"]
    assert platform.records("work", user=boris).get(for_boris["id"])["client"] == a["id"]
    # The accountant reads every client but changes none; the viewer only reads.
    assert len(platform.records("clients", user=alla).query().rows) == 2
    with pytest.raises(PermissionDenied):
        platform.records("clients", user=alla).update(a["id"], {"city": "Тверь"})
    invoice = platform.records("invoices", user=alla).create({"client": b["id"]})
    assert invoice["number"].startswith("СЧ-")
    with pytest.raises(PermissionDenied):
        platform.records("invoices", user=vera).create({"client": b["id"]})
    assert "tax_id" not in platform.records("clients", user=vera).get(a["id"])
    # Without read or lookup rights on a table there is no lookup at all.
    assert platform.records("clients", user=SYSTEM).lookup("ромашка")[0].visible


def test_lookup_cannot_probe_hidden_values_by_prefix(platform, staff, clients):
    """Quick lookup matches another manager's client by the start of a word of its lookup
    fields (its name) only: the digits of its phone or tax id, typed as a prefix, find
    nothing, so a phone cannot be learned one digit at a time. Exact matches still work
    where they are the point (phone lookup, duplicate check)."""
    a, b = clients
    boris, vera = staff["boris"], staff["vera"]
    as_boris = platform.records("clients", user=boris)
    for probe in ("7701", "495", "+7 495 12", "84951"):
        assert [f.id for f in as_boris.lookup(probe)] == [], probe
    # His own client is still found by its phone's first digits (he reads the phone)...
    assert [f.id for f in as_boris.lookup("8912")] == [b["id"]]
    assert [f.id for f in as_boris.lookup("ип")] == [b["id"]]
    # ...and Anna's by its name, two words in any order of typing.
    assert [f.id for f in as_boris.lookup("ромашка ооо")] == [a["id"]]
    # The whole phone finds it, as the phone lookup is meant to.
    assert [f.id for f in platform.phone_lookup("clients", "84951234567", user=boris)] == [a["id"]]
    # The viewer reads every client but not the tax id: neither lookup nor the duplicate
    # check tells them which client has a tax id.
    as_vera = platform.records("clients", user=vera)
    assert as_vera.lookup("7701") == []
    assert as_vera.find_duplicates({"tax_id": "7701234567"}) == []
    assert [f.id for f in as_vera.lookup("ромашка")] == [a["id"]]
