"""CPU time of one small list page, through the record service, on a file bench_core.py loaded.

Run:  PYTHONPATH=src python bench/bench_pages_cpu.py --db /tmp/core.db

Wall-clock medians of sub-millisecond calls are at the mercy of the neighbours on a shared
machine; the CPU time this process spends per call (``time.process_time``, the best of
five rounds) is not. Run it with ``PYTHONPATH`` pointing at two checkouts in turn to
compare them. Prints one JSON object: case -> milliseconds of CPU per call.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from uchet import SYSTEM, Filter, Platform


def cpu_ms(fn: Callable[[], Any], calls: int, rounds: int = 5) -> float:
    for _ in range(calls // 5):
        fn()  # warm: statements built, pages cached
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, (time.process_time() - start) / calls * 1000)
    return round(best, 3)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--calls", type=int, default=300)
    args = ap.parse_args()
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{args.db}")
    clients = platform.records("clients", user=SYSTEM)
    manager = platform.users.find("m3")
    assert manager is not None, "not a file loaded by bench_core.py"
    as_manager = platform.records("clients", user=manager)
    cols = ["name", "kind", "status", "city", "phone", "email", "loyalty", "category", "manager"]
    vip = platform.records("client_categories", user=SYSTEM).query(sort=["id"]).rows[1]["id"]
    cursor = clients.query(columns=cols, limit=50, offset=49_900, count=False).next_cursor
    cases: dict[str, Callable[[], Any]] = {
        "filter category=VIP, sorted by name, first page": lambda: clients.query(
            filters=[Filter("category", "eq", vip)],
            sort=["name"],
            columns=cols,
            limit=50,
            count=False,
        ),
        "first page with capped count (10 000)": lambda: clients.query(
            columns=cols, limit=50, count=True
        ),
        "page by keyset cursor (after row 49,950)": lambda: clients.query(
            columns=cols, limit=50, after=cursor, count=False
        ),
        "a manager's first page (row rules)": lambda: as_manager.query(
            columns=cols, limit=50, count=False
        ),
        "a manager's page filtered by category title": lambda: as_manager.query(
            filters=[Filter("category", "eq", "VIP")], columns=cols, limit=50, count=False
        ),
    }
    print(
        json.dumps({name: cpu_ms(fn, args.calls) for name, fn in cases.items()}, ensure_ascii=False)
    )


if __name__ == "__main__":
    main()
