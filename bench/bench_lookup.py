"""Lookups beyond one's rows on a demo database (S25, S36): what a manager's quick lookup,
phone lookup and duplicate check cost, next to the list query of their own rows that the
same search runs anyway (the baseline, measured side by side).

    uchet init -d sqlite:////tmp/bench.db --demo --clients 100000 --seed 1
    PYTHONPATH=src python bench/bench_lookup.py sqlite:////tmp/bench.db

Prints the median of ``--repeat`` runs per operation, in milliseconds, and the ratio to the
baseline.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from uchet import SYSTEM, Filter, Platform


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm the statement cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    platform = Platform.open("sample_crm", database_url=args.database)
    manager = next(u for u in platform.users.all() if "manager" in u.roles)
    records = platform.records("clients", user=manager)
    everyone = platform.records("clients", user=SYSTEM)
    # A common word, a rare name, a phone of another manager's client, its exact name.
    other = everyone.query(
        filters=[Filter("manager", "ne", manager.id), Filter("phone", "is_null", False)],
        limit=1,
    ).rows[0]
    word = other["name"].split()[0]
    found = everyone.query(limit=1, search=word)
    more = "+" if found.total_capped else ""
    print(f"{args.database}: manager {manager.login}; '{word}' starts a word of "
          f"{found.total}{more} clients")  # fmt: skip
    cases = {
        f"list query, own rows, search '{word}' (baseline)": lambda: records.query(
            search=word, limit=50, count=False
        ),
        f"lookup('{word}') all rows, 20": lambda: records.lookup(word, limit=20),
        f"lookup('{other['name']}')": lambda: records.lookup(other["name"], limit=20),
        "lookup('7701') digits, probe": lambda: records.lookup("7701", limit=20),
        f"find_by_phone('{other['phone']}')": lambda: records.find_by_phone(other["phone"]),
        "find_duplicates(name, phone)": lambda: records.find_duplicates(
            {"name": other["name"], "phone": other["phone"]}
        ),
    }
    baseline = None
    for label, fn in cases.items():
        ms = median_ms(fn, args.repeat)
        baseline = baseline or ms
        print(f"{label:60s} {ms:8.1f} ms  ×{ms / baseline:5.2f}")
    platform.close()


if __name__ == "__main__":
    main()
