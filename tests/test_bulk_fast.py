"""How ``create_many`` is fast (``bulk_insert.py``, ``Checks.bulk``, ``audit.creation_json``)
without changing what it stores: indexes built after a large load on SQLite, ``COPY`` on
PostgreSQL, a repeated value checked once per load, audit JSON built from pieces.

Runs on SQLite and PostgreSQL (``platform`` / ``db_url`` fixtures).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from uchet import SYSTEM, Filter, InsertBatch, Platform, hookimpl
from uchet.platform.fieldtypes import ParseError
from uchet.platform.fieldtypes.scalar import IntegerType, StringType
from uchet.platform.fieldtypes.validation import _declared_cacheable
from uchet.platform.records import bulk_insert
from uchet.platform.records.audit import creation_changes, creation_json
from uchet.platform.records.service import BulkValidationError

CITIES = ["Москва", "Тверь", "Казань"]


def _rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Клиент «{i}» ООО",
            "city": CITIES[i % 3],
            "loyalty": str(i % 11),
            "phone": f"8 (912) 000-{i:04d}",
            "birthday": "01.02.1990" if i % 2 else None,
            "kind": "company" if i % 2 else "Person",
        }
        for i in range(n)
    ]


def _indexes(platform: Platform) -> list[tuple[str, str]]:
    """(name, definition) of every index of clients and its search table."""
    with platform.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = (
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name IN ('clients', 'clients__sk') ORDER BY name"
            )
        else:
            sql = (
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE tablename IN ('clients', 'clients__sk') ORDER BY indexname"
            )
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def _count(platform: Platform, table: str) -> int:
    with platform.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one()


def test_large_load_stores_what_single_create_stores(platform, monkeypatch):
    """Above the thresholds (lowered here) SQLite builds the indexes after the rows and
    PostgreSQL takes COPY: rows, search terms, audit entries and indexes are the same."""
    monkeypatch.setattr(bulk_insert, "REINDEX_MIN_ROWS", 10)
    monkeypatch.setattr(bulk_insert, "COPY_MIN_ROWS", 10)
    clients = platform.records("clients", user=SYSTEM)
    before = _indexes(platform)
    rows = _rows(40)
    singles = [clients.create(values) for values in rows[:3]]
    statements: list[str] = []
    sa.event.listen(platform.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    copied: list[str] = []
    copy = bulk_insert.DriverInsert._copy

    def spy(self: Any, conn: Any, rows: Any) -> None:
        copied.append(self.table_name)
        copy(self, conn, rows)

    monkeypatch.setattr(bulk_insert.DriverInsert, "_copy", spy)
    ids = clients.create_many(rows)  # 40 rows into a table of 3: a large load
    if platform.engine.dialect.name == "sqlite":
        # The plain indexes are dropped and built after the rows; the folded keys (tk_,
        # issue 12) stay and are kept up row by row.
        plain = [name for name, _ in before if not name.startswith("tk_")]
        assert sum("DROP INDEX" in s for s in statements) == len(plain) == 8
        assert len(before) - len(plain) == 4  # city, and the three phones' text
        with platform.engine.connect() as conn:  # the planner has statistics now
            stats = conn.exec_driver_sql("SELECT idx FROM sqlite_stat1 WHERE tbl = 'clients'")
            assert "ix_clients_clients_manager_clients_name" in {r[0] for r in stats}
        assert not copied
    else:
        assert not [s for s in statements if "DROP INDEX" in s]
        assert copied == ["clients", "clients__sk", "uchet_audit"]
    assert _indexes(platform) == before
    skip = {"id", "created_at", "updated_at"}
    for single, rid in zip(singles, ids):
        bulk = clients.get(rid)
        assert {k: v for k, v in bulk.items() if k not in skip} == {
            k: v for k, v in single.items() if k not in skip
        }
        assert platform.history("clients", rid)[0].changes == (
            platform.history("clients", single["id"])[0].changes
        )
    assert clients.get(ids[7])["birthday"] == dt.date(1990, 2, 1)
    assert clients.get(ids[8])["kind"] == "person"
    found = clients.query(search="клиент 17", count=False).rows
    assert [r["id"] for r in found] == [ids[17]]
    assert [r["id"] for r in clients.query(search="9120000039", count=False).rows] == [ids[39]]
    # The indexes serve queries again (SQLite's planner picks the (city, name) index).
    page = clients.query(filters=[Filter("city", "eq", "Тверь")], sort=["name"], limit=5)
    assert [r["city"] for r in page.rows] == ["Тверь"] * 5 and page.total == 14


class FailAfterInsert:
    @hookimpl
    def uchet_after_insert(self, batch: InsertBatch) -> None:
        if batch.table.name == "clients" and len(batch.rows) > 1:
            raise RuntimeError("after insert failed")


def test_failed_large_load_leaves_rows_and_indexes_as_they_were(db_url, monkeypatch):
    monkeypatch.setattr(bulk_insert, "REINDEX_MIN_ROWS", 10)
    monkeypatch.setattr(bulk_insert, "COPY_MIN_ROWS", 10)
    p = Platform.open("sample_crm", database_url=db_url, plugins=[FailAfterInsert()])
    try:
        p.migrate()
        before = _indexes(p)
        audit = _count(p, "uchet_audit")
        with pytest.raises(RuntimeError, match="after insert failed"):
            p.records("clients", user=SYSTEM).create_many(_rows(30))
        assert _indexes(p) == before
        assert _count(p, "clients") == 0 and _count(p, "clients__sk") == 0
        assert _count(p, "uchet_audit") == audit
    finally:
        p.close()


def test_small_load_into_large_table_keeps_indexes(platform, monkeypatch):
    """Below the ratio nothing is dropped (the database sees no DDL at all)."""
    monkeypatch.setattr(bulk_insert, "REINDEX_MIN_ROWS", 10)
    clients = platform.records("clients", user=SYSTEM)
    clients.create_many(_rows(40))
    ddl: list[str] = []
    sa.event.listen(platform.engine, "before_cursor_execute", lambda *a: ddl.append(a[2]))
    clients.create_many(_rows(12))
    assert not [s for s in ddl if "INDEX" in s.upper()]


def test_repeated_values_are_checked_once_but_every_bad_row_is_reported(platform, monkeypatch):
    calls: list[Any] = []
    parse = IntegerType.parse

    def counting(self: Any, field: Any, value: Any) -> Any:
        calls.append(value)
        return parse(self, field, value)

    monkeypatch.setattr(IntegerType, "parse", counting)
    monkeypatch.setattr(IntegerType, "cacheable_parse", True)  # declared with parse again
    clients = platform.records("clients", user=SYSTEM)
    clients.create_many([{"name": f"n{i}", "loyalty": str(i % 3)} for i in range(30)])
    assert sorted(c for c in calls if isinstance(c, str)) == ["0", "1", "2"]
    bad = [{"name": f"b{i}", "loyalty": "много" if i % 2 else "5"} for i in range(6)]
    with pytest.raises(BulkValidationError) as e:
        clients.create_many(bad)
    assert sorted(e.value.rows) == [2, 4, 6]
    assert all("loyalty" in msgs for msgs in e.value.rows.values())


def test_cacheable_parse_is_not_inherited_by_an_override():
    class Upper(StringType):
        name = "upper"

        def parse(self, field: Any, value: Any) -> Any:
            return str(value).upper() + dt.datetime.now().isoformat()

    class Declared(Upper):
        cacheable_parse = True

        def validators(self, field: Any, locale: str) -> list[Any]:
            return []

    class Strict(Declared):
        def parse(self, field: Any, value: Any) -> Any:
            if value == "bad":
                raise ParseError("invalid_text")
            return value

    assert _declared_cacheable(StringType()) and _declared_cacheable(IntegerType())
    assert not _declared_cacheable(Upper())
    assert _declared_cacheable(Declared())
    assert not _declared_cacheable(Strict())


def test_audit_json_decodes_to_the_changes_of_a_single_create(platform):
    import json

    service = platform.records("clients", user=SYSTEM)
    encode = creation_json(service.stored_fields)
    as_dict = creation_changes(service.stored_fields)
    values = {
        "name": 'Кавычки " и \\ и \n',
        "loyalty": 7,
        "birthday": dt.date(1990, 2, 1),
        "city": None,
        "kind": "person",
        "manager": 3,
    }
    assert json.loads(encode(values)) == json.loads(json.dumps(as_dict(values)))
    assert json.loads(encode({"name": "x", "loyalty": True})) == {
        "name": [None, "x"],
        "loyalty": [None, True],
    }
    assert json.loads(encode({"name": 1.5, "bogus": 1})) == {"name": [None, 1.5]}
