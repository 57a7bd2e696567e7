"""Document numbers: patterns, yearly reset, and no duplicates or gaps under concurrent
creation, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from uchet import SYSTEM, ValidationError
from uchet.platform.model.numbering import parse_pattern


def test_numbers_follow_the_pattern_and_restart_each_year(platform):
    client = platform.records("clients", user=SYSTEM).create({"name": "Клиент"})
    invoices = platform.records("invoices", user=SYSTEM)
    made = [
        invoices.create({"client": client["id"], "date": d})["number"]
        for d in ("2024-12-30", "2024-12-31", "2025-01-01", "2025-02-01")
    ]
    assert made == ["СЧ-2024-00001", "СЧ-2024-00002", "СЧ-2025-00001", "СЧ-2025-00002"]
    # A number given explicitly (an import) is kept and does not advance the sequence.
    kept = invoices.create({"client": client["id"], "date": "2025-03-01", "number": "OLD-7"})
    assert kept["number"] == "OLD-7"
    bulk = invoices.create_many([{"client": client["id"], "date": "2025-05-05"}] * 3)
    numbers = sorted(invoices.get(i)["number"] for i in bulk)
    assert numbers == ["СЧ-2025-00003", "СЧ-2025-00004", "СЧ-2025-00005"]


def test_a_failed_insert_leaves_no_gap(platform):
    client = platform.records("clients", user=SYSTEM).create({"name": "Клиент"})
    invoices = platform.records("invoices", user=SYSTEM)
    first = invoices.create({"client": client["id"], "date": "2025-01-10"})
    with pytest.raises(ValidationError):
        invoices.create({"client": 999999, "date": "2025-01-11"})  # refused: no such client
    second = invoices.create({"client": client["id"], "date": "2025-01-12"})
    assert (first["number"], second["number"]) == ("СЧ-2025-00001", "СЧ-2025-00002")


def test_concurrent_creation_gives_no_duplicates_and_no_gaps(platform):
    client = platform.records("clients", user=SYSTEM).create({"name": "Клиент"})
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            invoices = platform.records("invoices", user=SYSTEM)
            for _ in range(n):
                invoices.create({"client": client["id"], "date": "2025-06-01"})
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=create, args=(5,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    rows = platform.records("invoices", user=SYSTEM).query(limit=100).rows
    numbers = sorted(r["number"] for r in rows)
    assert numbers == [f"СЧ-2025-{i:05d}" for i in range(1, 41)]


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("N-{seq}-{seq}", "exactly one"),
        ("N-{year}", "exactly one"),
        ("{seq:5}", "placeholder"),
        ("N-{client}-{seq}", "placeholder"),
        ("{seq.__class__}", "placeholder"),
    ],
)
def test_bad_patterns_are_refused(pattern, problem):
    with pytest.raises(ValueError, match=problem):
        parse_pattern(pattern)
