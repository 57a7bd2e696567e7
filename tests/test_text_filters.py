"""Index-backed text filters (issue 12): the same rows as the plain folded comparison, on
SQLite and PostgreSQL, Cyrillic and mixed case included.

"Starts with" and "equals ignoring case" on a search field (``clients.name``) look their
candidates up in the search table's term index and then compare exactly; on other fields,
and for "contains", they compare only. Either way the values are bound, so every prefix
typed shares one statement.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from uchet import SYSTEM
from uchet.platform.query.cache import model_cache
from uchet.platform.query.filters import OPERATORS, Filter, fold, fold_text
from uchet.platform.query.textmatch import TEXT_MATCHES, KeyIndex, escape_like

NAMES = [
    "СЕВЕРНЫЙ ВЕТЕР", "Северсталь", "северок", "ООО «Северный путь»", "Сев", "Се",
    "NORTHWIND", "Northern Lights", "north star", "Нордвинд", "Ёлкин и Ко", "ЁЖИК", "ежевика",
    "100% ткань", "a_b плюс", "A%B", "Straße", "STRASSE", "ß-тест", "  Север с пробелом",
    "x" * 120, "X" * 101 + "y",
]  # fmt: skip
CITIES = ["Северодвинск", "СЕВАСТОПОЛЬ", "Nordhausen", None, "москва", "МОСКВА", "Москва-Сити"]

PREFIXES = ["Сев", "сев", "СЕВЕР", "Севе", "Nor", "nor", "NORTH", "ё", "Ё", "е", "100%",
            "a_", "A%", "stra", "STRASS", "ß", "Север с", "x" * 100, "x" * 101, "X" * 101,
            "Сев ", "нет такого"]  # fmt: skip
EQUALS = ["СЕВЕРНЫЙ ВЕТЕР", "северный ветер", "сев", "NORTHWIND", "northwind", "ЁЖИК",
          "ёжик", "STRASSE", "straße", "a_b плюс", "A%B", "a%b", "x" * 120, "ветер"]  # fmt: skip


@pytest.fixture
def crm(platform: Any) -> Any:
    rows = [{"name": n, "kind": "company", "city": CITIES[i % len(CITIES)]}
            for i, n in enumerate(NAMES)]  # fmt: skip
    platform.records("clients", user=SYSTEM).create_many(rows)
    return platform


def engine_ids(p: Any, flt: Filter) -> list[int]:
    result = p.records("clients", user=SYSTEM).query(filters=[flt], limit=500, sort=["id"])
    return [r["id"] for r in result.rows]


def plain_ids(p: Any, field: str, op: str, text: str) -> list[int]:
    """The rows of the plain folded comparison (the form before issue 12), in SQL."""
    table = p.runtime.model["clients"].sql
    col = fold(table.c[field])
    text = text.strip()
    cond: Any = {
        "startswith": lambda: col.startswith(fold_text(text), autoescape=True),
        "contains": lambda: col.contains(fold_text(text), autoescape=True),
        "ieq": lambda: col == fold_text(text),
    }[op]()
    with p.engine.connect() as conn:
        return list(conn.scalars(sa.select(table.c.id).where(cond).order_by(table.c.id)))


def python_ids(p: Any, field: str, op: str, text: str) -> list[int]:
    """The rows Python's own folding picks: what a user means."""
    text = text.strip().lower()
    test = {"startswith": str.startswith, "contains": str.__contains__, "ieq": str.__eq__}[op]
    rows = p.records("clients", user=SYSTEM).query(limit=500, sort=["id"]).rows
    return [r["id"] for r in rows if r[field] is not None and test(r[field].lower(), text)]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_starts_with_gives_the_rows_of_the_plain_comparison(crm: Any, prefix: str) -> None:
    for field in ("name", "city"):  # a search field (term index) and a plain one
        expected = plain_ids(crm, field, "startswith", prefix)
        assert engine_ids(crm, Filter(field, "startswith", prefix)) == expected, field
        assert expected == python_ids(crm, field, "startswith", prefix), field


@pytest.mark.parametrize("text", EQUALS)
def test_equals_ignoring_case_gives_the_rows_of_the_plain_comparison(crm: Any, text: str) -> None:
    for field in ("name", "city"):
        expected = plain_ids(crm, field, "ieq", text)
        assert engine_ids(crm, Filter(field, "ieq", text)) == expected, field
        assert expected == python_ids(crm, field, "ieq", text), field


@pytest.mark.parametrize("text", ["ЕВЕР", "ветер", "orth", "%", "_", "ß", "Ё"])
def test_contains_gives_the_rows_of_the_plain_comparison(crm: Any, text: str) -> None:
    for field in ("name", "city"):
        expected = plain_ids(crm, field, "contains", text)
        assert engine_ids(crm, Filter(field, "contains", text)) == expected, field
        assert expected == python_ids(crm, field, "contains", text), field


def test_cyrillic_prefix_finds_capitals_but_not_a_later_word(crm: Any) -> None:
    names = {r["name"] for r in crm.records("clients", user=SYSTEM).query(
        filters=[Filter("name", "startswith", "Сев")], limit=50).rows}  # fmt: skip
    assert names == {"СЕВЕРНЫЙ ВЕТЕР", "Северсталь", "северок", "Сев", "Север с пробелом"}
    # «ООО «Северный путь»» has the term «северный» (a later word): a candidate only.
    assert "ООО «Северный путь»" not in names


def test_a_search_field_is_served_by_the_term_index(crm: Any) -> None:
    model = crm.runtime.model
    planned = _planned(crm, Filter("name", "startswith", "Сев"))
    assert planned.index is not None and planned.index.search_table is model["clients"].search
    assert "clients__sk" in str(planned.condition())
    # A list filter (city) and a search field whose terms are digits (phone) have a folded-key
    # index instead: on SQLite the query adds its range; PostgreSQL's trigram index serves
    # the LIKE as it stands (tests/test_text_keys.py).
    sqlite = crm.engine.dialect.name == "sqlite"
    for name in ("city", "phone"):
        index = _planned(crm, Filter(name, "startswith", "Сев")).index
        assert isinstance(index, KeyIndex) if sqlite else index is None, name


def _planned(p: Any, flt: Filter) -> Any:
    from uchet.platform.query.filters import plan_filter

    model = p.runtime.model
    return plan_filter(model, model["clients"], flt)


def test_every_prefix_shares_one_statement(crm: Any) -> None:
    statements = model_cache(crm.runtime.model, "list_statements")
    service = crm.records("clients", user=SYSTEM)
    service.query(filters=[Filter("name", "startswith", "Сев")], limit=25)
    before = len(statements._items)
    for prefix in ["Nor", "Се", "abc", "ё", "Северный", "ива", "x_y", "50%"]:
        service.query(filters=[Filter("name", "startswith", prefix)], limit=25)
    assert len(statements._items) == before


def test_like_wildcards_typed_by_a_user_are_literal() -> None:
    assert escape_like("50%_a/b") == "50/%/_a//b"
    assert TEXT_MATCHES["startswith"].values("A%", True) == ("a/%%", "a%", "a%\U0010ffff")
    assert TEXT_MATCHES["startswith"].values("", True) == ()
    assert TEXT_MATCHES["startswith"].values("y" * 101, True) == ("y" * 101 + "%",)
    assert OPERATORS["ieq"].match is TEXT_MATCHES["ieq"]
