"""Deep pages (issue 12): a page past the first finds its ids first and joins reference
titles for its own rows only (a deferred join). It must give the same rows, in the same
order, as the plain statement, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from uchet import SYSTEM
from uchet.platform.query import statements
from uchet.platform.query.cache import model_cache
from uchet.platform.query.filters import Filter

SIZE = 25
SORTS = [["name"], ["-name"], ["category"], ["-category", "name"], ["city"], ["-created_at"]]
FILTERS: list[list[Filter]] = [[], [Filter("status", "eq", "active")],
                               [Filter("name", "startswith", "к")]]  # fmt: skip


@pytest.fixture
def crm(platform: Any) -> Any:
    categories = [r["id"] for r in platform.records("client_categories", user=SYSTEM)
                  .query(limit=10).rows]  # fmt: skip
    words = ["Клён", "Берёза", "Ясень", "Alpha", "beta", "Кедр", "ольха", "Дуб"]
    rows = [
        {
            "name": f"{words[i % len(words)]} {i % 13}",  # duplicates: the id breaks ties
            "kind": "company",
            "status": ["active", "lead", "inactive"][i % 3],
            "city": [None, "Тверь", "Казань", "Москва"][i % 4],
            "category": None if i % 5 == 0 else categories[i % len(categories)],
        }
        for i in range(110)
    ]
    platform.records("clients", user=SYSTEM).create_many(rows)
    return platform


def page_ids(p: Any, sort: list[str], filters: list[Filter], page: int) -> list[Any]:
    result = p.records("clients", user=SYSTEM).query(
        sort=sort, filters=filters, limit=SIZE, offset=page * SIZE,
        columns=["name", "category", "city", "status"],
    )  # fmt: skip
    return [(r["id"], r["name"], r.get("category__title"), r["city"]) for r in result.rows]


def test_deep_pages_give_the_rows_of_the_plain_statement(
    crm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements_cache = model_cache(crm.runtime.model, "list_statements")
    deferred = {}
    for sort in SORTS:
        for filters in FILTERS:
            for page in range(5):
                deferred[(tuple(sort), tuple(filters), page)] = page_ids(crm, sort, filters, page)
    monkeypatch.setattr(statements, "DEFERRED_JOIN", False)
    statements_cache.clear()
    checked = 0
    for (sort, filters, page), rows in deferred.items():
        assert rows == page_ids(crm, list(sort), list(filters), page), (sort, filters, page)
        checked += bool(rows)
    assert checked > 40  # most pages hold rows: the comparison is not of empty lists


def test_pages_together_are_the_whole_list(crm: Any) -> None:
    for sort in SORTS:
        whole = (
            crm.records("clients", user=SYSTEM)
            .query(sort=sort, limit=500, columns=["name", "category", "city", "status"])
            .rows
        )
        expected = [(r["id"], r["name"], r.get("category__title"), r["city"]) for r in whole]
        pages = [row for page in range(5) for row in page_ids(crm, sort, [], page)]
        assert pages == expected, sort
        assert any(t is not None for _, _, t, _ in pages)  # titles are read on deep pages


def test_only_pages_past_the_first_are_deferred(crm: Any) -> None:
    from uchet.platform.query.listquery import ListQuery

    model = crm.runtime.model
    deep = ListQuery(model, "clients", sort=["category"], limit=SIZE, offset=SIZE)
    first = ListQuery(model, "clients", sort=["category"], limit=SIZE)
    assert "_page" in str(deep.statement("rows"))
    assert "_page" not in str(first.statement("rows"))
