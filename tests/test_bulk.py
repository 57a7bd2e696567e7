"""Bulk create (``RecordService.create_many``): the same rules, audit, search terms, hooks
and permissions as a single create, all or nothing.

Every test runs on SQLite and on PostgreSQL (the ``platform`` / ``db_url`` fixtures).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from uchet import SYSTEM, PermissionDenied, Platform, RecordChange, ValidationError, hookimpl
from uchet.configurations.overlay import Overlay
from uchet.platform.records.service import BulkValidationError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

#: Each one is refused by a single create; the bulk path must say exactly the same.
BAD_ROWS: list[Any] = [
    {"loyalty": "много", "email": "not-an-email", "tax_id": "12", "bogus": 1},
    {"name": "X", "loyalty": 11},
    {"name": "X", "loyalty": -1, "kind": "alien"},
    {"name": "x" * 201},
    {"name": "   "},
    {"name": None},
    {"name": "X", "birthday": "31.02.2020", "website": "not a url"},
    {"name": "X", "loyalty": 3.5, "phone": "12"},
    {"name": "X", "tax_id": "12345678901"},
    {"name": "X", "photo": {"name": "x.png", "data": b"text"}},
    {"name": "X", "category": "first"},
    "not an object",
]

#: Valid, including blanks in fields with a length, pattern or range (they mean no value).
GOOD_ROWS: list[dict[str, Any]] = [
    {"name": "Иванов ИП", "loyalty": "7", "birthday": "31.12.1980", "phone": "+7 912 345-67-89"},
    {"name": "Q", "city": "", "tax_id": " ", "loyalty": "", "email": "", "kind": "Person"},
    {"name": 12345, "website": "example.com", "tax_id": "7701234567", "loyalty": 10.0},
]


def _count(platform: Platform, table: str) -> int:
    with platform.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_bulk_errors_are_the_single_create_errors(platform, locale):
    clients = platform.records("clients", user=SYSTEM, locale=locale)
    single = {}
    for n, values in enumerate(BAD_ROWS, start=1):
        with pytest.raises(ValidationError) as e:
            clients.create(values)
        single[n] = e.value.messages
    with pytest.raises(BulkValidationError) as e:
        clients.create_many([*GOOD_ROWS, *BAD_ROWS])
    assert e.value.rows == {n + len(GOOD_ROWS): msgs for n, msgs in single.items()}
    assert _count(platform, "clients") == 0


def test_bulk_stores_what_single_create_stores(platform):
    clients = platform.records("clients", user=SYSTEM)
    one_by_one = [clients.create(values) for values in GOOD_ROWS]
    ids = clients.create_many(GOOD_ROWS)
    skip = {"id", "created_at", "updated_at"}
    for single, rid in zip(one_by_one, ids):
        bulk = clients.get(rid)
        assert {k: v for k, v in bulk.items() if k not in skip} == {
            k: v for k, v in single.items() if k not in skip
        }
        assert bulk["version"] == 1 and bulk["created_at"] is not None
        # The audit trail answers per record, as after a single create.
        (entry,) = platform.history("clients", rid)
        (first,) = platform.history("clients", single["id"])
        assert entry.action == "create" and entry.changes == first.changes
    assert [r["name"] for r in clients.query(search="иван").rows] == ["Иванов ИП"] * 2
    assert len(clients.query(search="8912345").rows) == 2  # phone terms, by digits


def test_a_bad_row_at_the_end_writes_nothing(platform):
    clients = platform.records("clients", user=SYSTEM, locale="en")
    # The configuration's seed rows (categories and the like) are audited at migrate.
    audited = _count(platform, "uchet_audit")
    rows = [{"name": f"Клиент {i}", "phone": f"+7 900 000 {i:04d}"} for i in range(1500)]
    with pytest.raises(BulkValidationError) as e:
        clients.create_many([*rows, {"name": "Последний", "loyalty": 99}])
    assert set(e.value.rows) == {1501}
    # A reference to a missing record is found inside the transaction, also by row number.
    with pytest.raises(BulkValidationError) as e:
        clients.create_many([*rows, {"name": "Последний", "category": 424242}])
    assert e.value.rows == {1501: {"category": ["The referenced record #424242 does not exist."]}}
    for table in ("clients", "clients__sk"):
        assert _count(platform, table) == 0
    assert _count(platform, "uchet_audit") == audited
    ids = clients.create_many(rows)
    assert len(ids) == len(set(ids)) == 1500 and ids == sorted(ids)
    assert _count(platform, "uchet_audit") == audited + 1500
    assert [r["id"] for r in clients.query(search="Клиент 1499").rows] == [ids[-1]]


def test_unique_values_are_checked_per_row(platform):
    categories = platform.records("client_categories", user=SYSTEM)
    seeded = _count(platform, "client_categories")  # the CRM seeds three categories
    categories.create({"name": "Партнёр"})
    with pytest.raises(ValidationError) as e:
        categories.create({"name": "Партнёр"})
    taken = e.value.messages
    rows = [{"name": "Опт"}, {"name": "Партнёр"}, {"name": "Розница"}, {"name": "Опт"}]
    with pytest.raises(BulkValidationError) as e:
        categories.create_many(rows)
    assert e.value.rows == {2: taken, 4: taken}
    assert _count(platform, "client_categories") == seeded + 1
    assert len(categories.create_many([{"name": "Опт"}, {"name": "Розница"}])) == 2


def test_bulk_respects_table_row_and_field_rights(db_url):
    read_only_notes = Overlay(
        "ro.json", {"overlay": "ro", "set": {"clients.notes": {"read_only": True}}}
    )
    p = Platform.open("sample_crm", database_url=db_url, overlays=[read_only_notes])
    try:
        p.migrate()
        anna = p.users.create("anna", "secret-pass-1", roles=["manager"])
        boris = p.users.create("boris", "secret-pass-2", roles=["manager"])
        vera = p.users.create("vera", "secret-pass-3", roles=["viewer"])
        as_anna = p.records("clients", user=anna)
        with pytest.raises(PermissionDenied):
            p.records("clients", user=vera).create_many([{"name": "Нельзя"}])
        with pytest.raises(ValidationError) as e:
            as_anna.create({"name": "С заметкой", "manager": anna.id, "notes": "x"})
        with pytest.raises(BulkValidationError) as bulk:
            as_anna.create_many([{"name": "A", "manager": anna.id},
                                 {"name": "B", "manager": anna.id, "notes": "x"}])  # fmt: skip
        assert bulk.value.rows == {2: e.value.messages}
        # Row rules: a manager may not create clients outside their own rows.
        with pytest.raises(PermissionDenied):
            as_anna.create_many([{"name": "A", "manager": anna.id},
                                 {"name": "B", "manager": boris.id}])  # fmt: skip
        assert _count(p, "clients") == 0
        ids = as_anna.create_many([{"name": "A", "manager": anna.id}])
        assert p.history("clients", ids[0])[0].user_login == "anna"
    finally:
        p.close()


class Hooks:
    def __init__(self) -> None:
        self.created: list[Any] = []

    @hookimpl
    def uchet_before_create(self, change: RecordChange) -> None:
        values = change.new
        assert values is not None and change.conn is None and change.record_id is None
        if change.table.name == "clients" and values.get("city"):
            values["city"] = values["city"].strip().title()

    @hookimpl
    def uchet_after_create(self, change: RecordChange) -> None:
        record = change.new
        assert record is not None and change.conn is not None
        if change.table.name == "clients":  # migrate also seeds the CRM's directories
            self.created.append((record["id"], record["city"]))


def test_bulk_runs_the_create_hooks_for_every_row(db_url):
    hooks = Hooks()
    p = Platform.open("sample_crm", database_url=db_url, plugins=[hooks])
    try:
        p.migrate()
        clients = p.records("clients", user=SYSTEM)
        ids = clients.create_many([{"name": "A", "city": "москва"}, {"name": "B", "city": "тверь"}])
        assert hooks.created == [(ids[0], "Москва"), (ids[1], "Тверь")]
        assert clients.get(ids[1])["city"] == "Тверь"
        assert p.history("clients", ids[0])[0].changes["city"] == [None, "Москва"]
    finally:
        p.close()


def test_bulk_stores_files(platform):
    clients = platform.records("clients", user=SYSTEM)
    ids = clients.create_many(
        [{"name": "С фото", "photo": {"name": "me.png", "data": PNG}}, {"name": "Без фото"}]
    )
    assert clients.file(ids[0], "photo") == ("me.png", "image/png", PNG)
    assert clients.get(ids[1])["photo"] is None
    assert (
        platform.history("clients", ids[0])[0].changes["photo"][1] == clients.get(ids[0])["photo"]
    )
