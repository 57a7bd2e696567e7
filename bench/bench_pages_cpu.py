"""CPU time of one small list page, through the record service, on a file bench_core.py loaded.

Run:  PYTHONPATH=src python bench/bench_pages_cpu.py --db /tmp/core.db

Wall-clock medians of sub-millisecond calls are at the mercy of the neighbours on a shared
machine; the CPU time this process spends per call (``time.process_time``, the best of
five rounds) is not. Run it with ``PYTHONPATH`` pointing at two checkouts in turn to
compare them. The two cases issue 2 compares with raw SQL are also timed as hand-written SQL
through the ``sqlite3`` module, in interleaved rounds. Prints one JSON object: case ->
milliseconds of CPU per call (for those two: uchet, raw and their ratio, medians of the
rounds).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
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
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds against raw SQL")
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
    # The same two pages as hand-written SQL through the ``sqlite3`` module (bench_core's
    # baseline), so each run also gives CPU ratios measured at the same moment.
    raw = sqlite3.connect(args.db)
    select = (
        "SELECT c.id, c.version, c.name, c.kind, c.status, c.city, c.phone, c.email, c.loyalty, "
        "c.category, cc.name AS category__title, c.manager, u.name AS manager__title "
        "FROM clients c LEFT JOIN client_categories cc ON cc.id = c.category "
        "LEFT JOIN uchet_users u ON u.id = c.manager"
    )
    baselines: dict[str, Callable[[], Any]] = {
        "filter category=VIP, sorted by name, first page": lambda: raw.execute(
            f"{select} WHERE c.category = ? ORDER BY c.name, c.id LIMIT 50", (vip,)
        ).fetchall(),
        "first page with capped count (10 000)": lambda: (
            raw.execute(f"{select} ORDER BY c.name, c.id LIMIT 50").fetchall(),
            raw.execute("SELECT count(*) FROM (SELECT 1 FROM clients LIMIT 10001)").fetchone(),
        ),
    }
    results: dict[str, Any] = {}
    for name, fn in cases.items():
        if name not in baselines:
            results[name] = cpu_ms(fn, args.calls)
            continue
        # Interleaved rounds, so both see the same neighbours; medians of the rounds' bests.
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(cpu_ms(fn, args.calls))
            theirs.append(cpu_ms(baselines[name], args.calls))
        mine, base = statistics.median(ours), statistics.median(theirs)
        results[name] = {"uchet": mine, "raw": base, "ratio": round(mine / base, 2)}
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
