"""Folded-key indexes (issue 12, point 3): text filters on a field that is not a search field,
at 100,000 clients of the peers' workload, with and without the index, against raw SQL.

Run:  python bench/bench_text_keys.py --db /tmp/l100k.db [--clients 100000] [--reuse]

The database is ``bench_list_pages.load``'s (the peers' CSV through ``create_many``). For each
case, CPU per call (``time.process_time``, ``--repeat`` calls) of:

* **engine**: the record service's list query (25 rows sorted by name, the capped count),
  SYSTEM user, with the ``tk_`` index the migration made;
* **plain**: the same calls with that index dropped (what every page paid before: one Python
  ``lower()`` per row of the table); the index is made again afterwards;
* **raw**: hand-written SQL with ``sqlite3`` in the same process, on the same index (the
  range on ``lower(city)`` and the LIKE, the page and the capped count).

A benchmark, not a test: the numbers go to docs/performance.md with the command.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from bench_list_pages import load  # noqa: E402

from uchet import SYSTEM, Platform  # noqa: E402
from uchet.platform.query.filters import Filter  # noqa: E402
from uchet.platform.records.runtime import DEFAULT_COUNT_LIMIT  # noqa: E402

SIZE, CAP = 25, DEFAULT_COUNT_LIMIT  # the engine counts up to its cap, so does raw
#: (label, field, operator, typed text)
CASES = [
    ("city starts with «Сам»", "city", "startswith", "Сам"),
    ("city starts with «нов» (lower case)", "city", "startswith", "нов"),
    ("city equals «МОСКВА» ignoring case (17 %)", "city", "ieq", "МОСКВА"),
    ("city contains «бург» (a scan on SQLite)", "city", "contains", "бург"),
]


def cpu(fn: Callable[[], Any], repeat: int) -> float:
    """Milliseconds of CPU per call, after one warm-up call."""
    fn()
    t = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - t) * 1000 / repeat


def raw_call(conn: sqlite3.Connection, op: str, text: str) -> Callable[[], Any]:
    low = text.lower()
    esc = low.replace("/", "//").replace("%", "/%").replace("_", "/_")
    where, args = {
        "startswith": ("lower(city) >= ? AND lower(city) < ? AND lower(city) LIKE ? ESCAPE '/'",
                       (low, low + "\U0010ffff", esc + "%")),
        "ieq": ("lower(city) = ?", (low,)),
        "contains": ("lower(city) LIKE ? ESCAPE '/'", ("%" + esc + "%",)),
    }[op]  # fmt: skip
    page = f"SELECT id, name, city, phone FROM clients WHERE {where} ORDER BY name, id LIMIT ?"
    count = f"SELECT count(*) FROM (SELECT 1 FROM clients WHERE {where} LIMIT ?)"

    def run() -> Any:
        return conn.execute(page, (*args, SIZE)).fetchall(), conn.execute(
            count, (*args, CAP + 1)).fetchone()  # fmt: skip

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--clients", type=int, default=100_000)
    ap.add_argument("--reuse", action="store_true", help="use an already loaded --db")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    db = Path(args.db)
    if not args.reuse:
        db.unlink(missing_ok=True)
        load(db, args.clients)
    p = Platform.open("sample_crm", database_url=f"sqlite:///{db}")
    p.migrate()  # the folded-key indexes of a database loaded by an older uchet
    service = p.records("clients", user=SYSTEM)
    raw = sqlite3.connect(db)
    raw.create_function("lower", 1, lambda v: v.lower() if isinstance(v, str) else v,
                        deterministic=True)  # fmt: skip

    def engine_call(field: str, op: str, text: str) -> Callable[[], Any]:
        flt = [Filter(field, op, text)]
        return lambda: service.query(filters=flt, sort=["name"], limit=SIZE,
                                     columns=["name", "city", "phone"])  # fmt: skip

    results = []
    for label, field, op, text in CASES:
        rows = service.query(filters=[Filter(field, op, text)], limit=1,
                             count_limit=10**9).total  # fmt: skip
        results.append([label, rows, cpu(engine_call(field, op, text), args.repeat),
                        None, cpu(raw_call(raw, op, text), args.repeat)])  # fmt: skip
    with raw:
        raw.execute("DROP INDEX tk_clients_clients_city")
    try:
        for r, (_, field, op, text) in zip(results, CASES, strict=True):
            r[3] = cpu(engine_call(field, op, text), max(3, args.repeat // 4))
    finally:
        p.migrate()  # makes the index again
    print(f"{'case':45} {'rows':>7} {'engine':>9} {'plain':>9} {'raw':>8} {'eng/raw':>8}")
    for label, rows, eng, plain, rawt in results:
        print(f"{label:45} {rows:>7} {eng:>7.2f}ms {plain:>7.2f}ms {rawt:>6.2f}ms "
              f"{eng / rawt:>7.1f}x")  # fmt: skip
    p.close()


if __name__ == "__main__":
    main()
