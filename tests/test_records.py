"""The record service: validation, locking, permissions, audit, files, bulk load, search.

Every test runs on SQLite and on PostgreSQL (the ``platform`` fixture).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from uchet import (
    SYSTEM,
    ConflictError,
    Filter,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from uchet.platform.records.service import BulkValidationError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def people(platform):
    """Two managers, a viewer and an admin."""
    users = platform.users
    return {
        "anna": users.create("anna", "secret-pass-1", name="Анна", roles=["manager"]),
        "boris": users.create("boris", "secret-pass-2", name="Борис", roles=["manager"]),
        "vera": users.create("vera", "secret-pass-3", name="Вера", roles=["viewer"]),
        "admin": users.create("admin", "secret-pass-4", name="Админ", roles=["main"]),
    }


def test_create_coerces_strings_and_applies_defaults(platform):
    clients = platform.records("clients", user=SYSTEM)
    rec = clients.create({"name": "Иванов ИП", "loyalty": "7", "birthday": "31.12.1980"})
    assert rec["loyalty"] == 7
    assert rec["birthday"] == dt.date(1980, 12, 31)
    assert rec["kind"] == "company" and rec["status"] == "active"  # defaults
    assert rec["version"] == 1
    assert clients.get(rec["id"])["name"] == "Иванов ИП"


def test_validation_reports_every_field_in_the_users_locale(platform):
    ru = platform.records("clients", user=SYSTEM, locale="ru")
    with pytest.raises(ValidationError) as e:
        ru.create({"loyalty": "много", "email": "not-an-email", "tax_id": "12", "bogus": 1})
    msgs = e.value.messages
    assert set(msgs) == {"name", "loyalty", "email", "tax_id", "bogus"}
    assert msgs["name"] == ["Обязательное поле."]
    assert msgs["loyalty"] == ["Нужно целое число."]
    assert msgs["bogus"] == ["Неизвестное поле."]
    en = platform.records("clients", user=SYSTEM, locale="en")
    with pytest.raises(ValidationError) as e:
        en.create({"name": "X", "loyalty": 11})
    assert e.value.messages == {"loyalty": ["Must be at most 10."]}
    assert en.query(count=True).total == 0  # nothing written


def test_text_never_truncated(platform):
    clients = platform.records("clients", user=SYSTEM)
    with pytest.raises(ValidationError) as e:
        clients.create({"name": "x" * 201})
    assert "200" in e.value.messages["name"][0]


def test_stale_update_and_delete_raise_conflict_and_change_nothing(platform):
    clients = platform.records("clients", user=SYSTEM)
    rec = clients.create({"name": "Альфа"})
    updated = clients.update(rec["id"], {"city": "Москва"}, version=1)
    assert updated["version"] == 2
    with pytest.raises(ConflictError) as e:
        clients.update(rec["id"], {"city": "Тверь"}, version=1)
    assert e.value.current["city"] == "Москва" and e.value.current["version"] == 2
    with pytest.raises(ConflictError):
        clients.delete(rec["id"], version=1)
    assert clients.get(rec["id"])["city"] == "Москва"
    clients.delete(rec["id"], version=2)
    with pytest.raises(NotFound):
        clients.get(rec["id"])


def test_reference_to_missing_record_is_a_clear_error(platform):
    contacts = platform.records("contacts", user=SYSTEM)
    with pytest.raises(ValidationError) as e:
        contacts.create({"client": 999, "name": "Пётр"})
    assert "999" in e.value.messages["client"][0]


def test_unique_field_reports_the_duplicate(platform):
    cats = platform.records("client_categories", user=SYSTEM)
    cats.create({"name": "Опт"})
    with pytest.raises(ValidationError) as e:
        cats.create({"name": "Опт"})
    assert "name" in e.value.messages


def test_manager_sees_only_own_clients(platform, people):
    anna, boris = people["anna"], people["boris"]
    mine = platform.records("clients", user=anna).create(
        {"name": "Клиент Анны", "manager": anna.id}
    )
    theirs = platform.records("clients", user=boris).create(
        {"name": "Клиент Бориса", "manager": boris.id}
    )
    as_anna = platform.records("clients", user=anna)
    result = as_anna.query(count=True)
    assert [r["name"] for r in result.rows] == ["Клиент Анны"]
    assert result.total == 1
    assert [g.count for g in as_anna.query(group_by=["manager"]).groups] == [1]
    with pytest.raises(NotFound):
        as_anna.get(theirs["id"])
    with pytest.raises(NotFound):
        as_anna.update(theirs["id"], {"city": "X"})
    assert as_anna.get(mine["id"])["manager__title"] == "Анна"
    # A manager cannot hand a record outside their own rows.
    with pytest.raises(PermissionDenied):
        as_anna.create({"name": "Чужой", "manager": boris.id})
    assert platform.records("clients", user=SYSTEM).query().total == 2


def test_row_rules_follow_references(platform, people):
    anna, boris = people["anna"], people["boris"]
    c1 = platform.records("clients", user=anna).create({"name": "А", "manager": anna.id})
    c2 = platform.records("clients", user=boris).create({"name": "Б", "manager": boris.id})
    platform.records("contacts", user=anna).create({"client": c1["id"], "name": "Контакт А"})
    platform.records("contacts", user=SYSTEM).create({"client": c2["id"], "name": "Контакт Б"})
    names = [r["name"] for r in platform.records("contacts", user=anna).query().rows]
    assert names == ["Контакт А"]


def test_field_rights_hide_and_protect_fields(platform, people):
    vera = people["vera"]
    platform.records("clients", user=SYSTEM).create({"name": "Фирма", "tax_id": "7701234567"})
    as_vera = platform.records("clients", user=vera)
    row = as_vera.query().rows[0]
    assert row["name"] == "Фирма" and "tax_id" not in row
    with pytest.raises(PermissionDenied):
        as_vera.query(filters=[Filter("tax_id", "eq", "7701234567")])
    with pytest.raises(PermissionDenied):
        as_vera.create({"name": "Нельзя"})


def test_audit_trail_records_who_what_and_old_new_values(platform, people):
    admin = people["admin"]
    clients = platform.records("clients", user=admin)
    rec = clients.create({"name": "Бета", "city": "Казань"})
    clients.update(rec["id"], {"city": "Самара"}, version=1)
    clients.delete(rec["id"], version=2)
    trail = platform.history("clients", rec["id"])
    assert [e.action for e in trail] == ["create", "update", "delete"]
    assert all(e.user_login == "admin" for e in trail)
    assert trail[0].changes["name"] == [None, "Бета"]
    assert trail[1].changes == {"city": ["Казань", "Самара"]}
    assert trail[2].changes["city"] == ["Самара", None]


def test_files_are_stored_in_the_database_with_a_limit(platform, people):
    anna, boris = people["anna"], people["boris"]
    clients = platform.records("clients", user=anna)
    rec = clients.create(
        {"name": "С фото", "manager": anna.id, "photo": {"name": "me.png", "data": PNG}}
    )
    assert clients.file(rec["id"], "photo") == ("me.png", "image/png", PNG)
    with pytest.raises(NotFound):
        platform.records("clients", user=boris).file(rec["id"], "photo")
    with pytest.raises(ValidationError) as e:
        clients.create(
            {"name": "Не фото", "manager": anna.id, "photo": {"name": "x.png", "data": b"text"}}
        )
    assert "photo" in e.value.messages
    big = PNG + b"\x00" * (platform.runtime.max_file_size + 1)
    with pytest.raises(ValidationError) as e:
        clients.create(
            {"name": "Большое", "manager": anna.id, "photo": {"name": "b.png", "data": big}}
        )
    assert "photo" in e.value.messages


def test_create_many_is_all_or_nothing(platform):
    clients = platform.records("clients", user=SYSTEM)
    rows = [{"name": f"Клиент {i}", "loyalty": str(i % 10)} for i in range(500)]
    ids = clients.create_many(rows)
    assert len(ids) == 500 and ids == sorted(ids)
    assert clients.get(ids[7])["name"] == "Клиент 7"
    bad = [
        {"name": "ok"},
        {"name": "", "loyalty": "x"},
        {"name": "ok2"},
        {"loyalty": 99, "name": "n"},
    ]
    with pytest.raises(BulkValidationError) as e:
        clients.create_many(bad)
    assert set(e.value.rows) == {2, 4}
    assert "loyalty" in e.value.rows[2] and "name" in e.value.rows[2]
    assert clients.query(count=True).total == 500


def test_quick_search_is_case_insensitive_for_cyrillic(platform):
    clients = platform.records("clients", user=SYSTEM)
    clients.create_many(
        [
            {"name": "Иванов ИП", "phone": "+7 (912) 345-67-89"},
            {"name": "ООО Ивушка"},
            {"name": "Петров и партнёры"},
        ]
    )
    for text in ("ива", "ИВА", "Ива"):
        names = sorted(r["name"] for r in clients.query(search=text).rows)
        assert names == ["Иванов ИП"], text
    assert [r["name"] for r in clients.query(search="ивуш").rows] == ["ООО Ивушка"]
    assert [r["name"] for r in clients.query(search="партн").rows] == ["Петров и партнёры"]
    # A phone typed in another format finds the client by its digits.
    assert [r["name"] for r in clients.query(search="8912345").rows] == ["Иванов ИП"]
    # Search terms follow updates.
    rec = clients.query(search="петров").rows[0]
    clients.update(rec["id"], {"name": "Сидоров"}, version=rec["version"])
    assert clients.query(search="петров").rows == []
    assert len(clients.query(search="сид").rows) == 1


def test_capped_count(platform):
    clients = platform.records("clients", user=SYSTEM)
    clients.create_many([{"name": f"N{i}"} for i in range(30)])
    result = clients.query(count=True, count_limit=10, limit=5)
    assert result.total == 10 and result.total_capped
    exact = clients.query(count=True, count_limit=100)
    assert exact.total == 30 and not exact.total_capped


def test_formula_and_rollup_values(platform):
    clients = platform.records("clients", user=SYSTEM)
    c = clients.create({"name": "Гамма", "city": "Омск"})
    contacts = platform.records("contacts", user=SYSTEM)
    contacts.create_many([{"client": c["id"], "name": f"К{i}"} for i in range(3)])
    assert clients.get(c["id"])["contact_count"] == 3
    assert {r["client_city"] for r in contacts.query().rows} == {"Омск"}
    top = clients.query(filters=[Filter("contact_count", "ge", 2)])
    assert [r["name"] for r in top.rows] == ["Гамма"]


def test_decimal_and_money_round_trip(platform):
    from uchet.platform.fieldtypes.scalar import DecimalType
    from uchet.platform.model.config import Field

    f = Field(id="x", name="x", type="decimal", label={"en": "x"}, precision=10, scale=2)
    assert DecimalType().parse(f, "1 234,5") == Decimal("1234.50")
    with pytest.raises(ValueError):
        DecimalType().parse(f, "123456789")  # 9 digits before the point, 8 allowed


def test_records_requires_an_explicit_user(platform):
    with pytest.raises(TypeError):
        platform.records("clients")  # type: ignore[call-arg]


def test_queries_of_one_shape_share_a_statement_but_not_values(platform, people):
    """List statements are reused per query shape; values, users and NULLs still count."""
    anna, boris = people["anna"], people["boris"]
    platform.records("clients", user=anna).create_many(
        [{"name": f"А{i}", "manager": anna.id, "loyalty": i} for i in range(5)]
    )
    platform.records("clients", user=boris).create_many(
        [{"name": "Б0", "manager": boris.id, "loyalty": 1}, {"name": "Б1", "manager": boris.id}]
    )
    clients = platform.records("clients", user=SYSTEM)
    for n in range(5):
        page = clients.query(filters=[Filter("loyalty", "ge", n)], sort=["name"], count=True)
        assert page.total == 5 - n + (n <= 1)
        assert all(r["loyalty"] >= n for r in page.rows)
    assert [r["name"] for r in clients.query(filters=[Filter("loyalty", "eq", None)]).rows] == [
        "Б1"
    ]
    # The same query by two managers: the same statement shape, each sees their own rows.
    for user, prefix in ((anna, "А"), (boris, "Б"), (anna, "А")):
        rows = platform.records("clients", user=user).query(sort=["name"]).rows
        assert rows and all(r["name"].startswith(prefix) for r in rows)
    # Keyset pages reuse the first page's statement with the cursor's values.
    first = clients.query(sort=["name"], limit=3)
    second = clients.query(sort=["name"], limit=3, after=first.next_cursor)
    third = clients.query(sort=["name"], limit=3, after=second.next_cursor)
    names = [r["name"] for p in (first, second, third) for r in p.rows]
    assert names == ["А0", "А1", "А2", "А3", "А4", "Б0", "Б1"]
    # Quick search with other words of the same shape.
    assert [r["name"] for r in clients.query(search="а3").rows] == ["А3"]
    assert [r["name"] for r in clients.query(search="б1").rows] == ["Б1"]
