"""Folded-key indexes (issue 12, point 3): text filters on list-filter, ``indexed`` and search
fields are served from an index on both databases, and the indexes follow the configuration
through renames, retypes and drops.

On SQLite each such field (but a search field, which its whole-value terms serve) has an
index on ``lower(column)`` under the Python folding, read as a range by "starts with"; on
PostgreSQL a ``pg_trgm`` GIN index on the folded column serves "starts with", "contains" and
"equals ignoring case". The rows stay those of the plain comparison
(tests/test_text_filters.py); here the database is asked how it runs them.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from tests.test_migrator import base_tree, db_url, engine, fld, migrate, tbl

from uchet import SYSTEM
from uchet.platform.query.filters import Filter, plan_filter
from uchet.platform.schema import textkeys

__all__ = ["db_url", "engine"]  # the fixtures, shared with test_migrator


def keyed_tree() -> dict[str, Any]:
    """test_migrator's clients with a list filter on city and an ``indexed`` code."""
    tree = base_tree()
    tbl(tree, "clients")["list"] = {"filters": ["clients.city"]}
    fld(tree, "clients.code")["indexed"] = True
    return tree


def keys(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(textkeys.live_indexes(conn))


def starting(engine: Engine, column: str, prefix: str) -> list[str]:
    """Values of ``clients.<column>`` that start with ``prefix``, folded, through the index
    forms the engine uses (a prefix LIKE, plus the range on SQLite)."""
    table = sa.Table("clients", sa.MetaData(), sa.Column("id"), sa.Column(column, sa.String))
    key = textkeys.fold(table.c[column])
    low = prefix.lower()
    cond = key.like(low + "%")
    if engine.dialect.name == "sqlite":
        cond = sa.and_(cond, key >= low, key < low + "\U0010ffff")
    with engine.connect() as conn:
        return sorted(conn.scalars(sa.select(table.c[column]).where(cond)))


def test_the_indexes_follow_renames_retypes_and_drops(engine: Engine) -> None:
    sqlite = engine.dialect.name == "sqlite"
    applied = migrate(engine, None, keyed_tree())
    expected = {"tk_clients_clients_city", "tk_clients_clients_code"}
    # name is a search field: its terms serve it on SQLite; PostgreSQL indexes it for
    # "contains" too.
    assert keys(engine) == (expected if sqlite else expected | {"tk_clients_clients_name"})
    with engine.begin() as conn:
        conn.execute(
            sa.table("clients", sa.column("name"), sa.column("city"), sa.column("code")).insert(),
            [{"name": "А", "city": "СЕВЕРОДВИНСК", "code": "Ёж-1"},
             {"name": "Б", "city": "Северск", "code": "ёж-2"},
             {"name": "В", "city": "Москва", "code": "ЕЖ-3"}],
        )  # fmt: skip
    assert starting(engine, "city", "сев") == sorted(["Северск", "СЕВЕРОДВИНСК"])

    # A rename keeps the index (named by ids) and it still answers under the new name.
    tree = keyed_tree()
    fld(tree, "clients.city")["name"] = "town"
    applied = migrate(engine, applied, tree)
    assert "tk_clients_clients_city" in keys(engine)
    assert starting(engine, "town", "СЕВ") == sorted(["Северск", "СЕВЕРОДВИНСК"])

    # A retype (string -> text) drops the old column's index first, then makes it again;
    # dropping a field drops its index with it (SQLite refuses to drop an indexed column).
    tree = copy.deepcopy(tree)
    fld(tree, "clients.code").update(type="text")
    fld(tree, "clients.code").pop("max_length", None)
    tbl(tree, "clients")["fields"] = [
        f for f in tbl(tree, "clients")["fields"] if f["id"] != "clients.city"
    ]
    tbl(tree, "clients")["list"] = {"filters": []}
    applied = migrate(engine, applied, tree, allow_destructive=True)
    assert "tk_clients_clients_city" not in keys(engine)
    assert "tk_clients_clients_code" in keys(engine)
    assert starting(engine, "code", "ёж") == sorted(["Ёж-1", "ёж-2"])  # е is not ё

    # No longer indexed: the index goes.
    tree = copy.deepcopy(tree)
    fld(tree, "clients.code").pop("indexed")
    migrate(engine, applied, tree)
    assert "tk_clients_clients_code" not in keys(engine)


def test_a_hand_dropped_index_is_made_again_at_the_next_start(engine: Engine) -> None:
    applied = migrate(engine, None, keyed_tree())
    with engine.begin() as conn:
        conn.execute(sa.schema.DropIndex(sa.Index("tk_clients_clients_city")))
    assert "tk_clients_clients_city" not in keys(engine)
    migrate(engine, applied, keyed_tree())  # nothing to change: the start-up migration
    assert "tk_clients_clients_city" in keys(engine)


# -- the database's own plan ---------------------------------------------------------------
def plan_of(p: Any, conn: Connection, flt: Filter) -> str:
    """How the database runs the list condition of ``flt`` on clients."""
    model = p.runtime.model
    ct = model["clients"]
    query = sa.select(ct.sql.c.id).where(plan_filter(model, ct, flt).condition())
    sql = str(query.compile(p.engine, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
        return "\n".join(str(r[-1]) for r in rows)
    # Too few rows here for the planner to prefer an index on its own: forbid the scan, so
    # the plan shows whether the index can serve the condition at all.
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql).all())


@pytest.fixture
def crm(platform: Any) -> Any:
    cities = ["Северодвинск", "СЕВАСТОПОЛЬ", "Nordhausen", "Москва"]
    rows = [{"name": f"Клиент {i}", "kind": "company", "city": c, "email": f"c{i}@пример.рф"}
            for i, c in enumerate(cities)]  # fmt: skip
    platform.records("clients", user=SYSTEM).create_many(rows)
    return platform


def test_the_database_serves_text_filters_from_the_folded_keys(crm: Any) -> None:
    sqlite = crm.engine.dialect.name == "sqlite"
    with crm.engine.connect() as conn, conn.begin():
        city_prefix = plan_of(crm, conn, Filter("city", "startswith", "Сев"))
        city_equal = plan_of(crm, conn, Filter("city", "ieq", "москва"))
        name_contains = plan_of(crm, conn, Filter("name", "contains", "иент"))
        email_contains = plan_of(crm, conn, Filter("email", "contains", "пример"))
    assert "tk_clients_clients_city" in city_prefix, city_prefix
    assert "tk_clients_clients_city" in city_equal, city_equal
    if sqlite:  # "contains" scans on SQLite
        assert "tk_" not in name_contains and "SCAN clients" in name_contains
    else:
        assert "tk_clients_clients_name" in name_contains, name_contains
        assert "tk_clients_clients_email" in email_contains, email_contains


def test_the_rows_are_right_through_the_indexes(crm: Any) -> None:
    service = crm.records("clients", user=SYSTEM)
    cases = {
        ("city", "startswith", "сЕв"): ["Северодвинск", "СЕВАСТОПОЛЬ"],
        ("city", "ieq", "МОСКВА"): ["Москва"],
        ("city", "contains", "HAUS"): ["Nordhausen"],
        ("email", "contains", "ПРИМЕР"): ["Северодвинск", "СЕВАСТОПОЛЬ", "Nordhausen", "Москва"],
    }
    for (name, op, text), cities in cases.items():
        rows = service.query(filters=[Filter(name, op, text)], sort=["id"]).rows
        assert [r["city"] for r in rows] == cities, (name, op, text)
