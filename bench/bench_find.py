"""Find everything (issue 21, point 5) on a demo database: what a phone's last four digits
cost through the reversed-digit index terms, next to the scan they replace (``LIKE '%8409'``
over every phone column), and a Find over every findable table.

    uchet init -d sqlite:////tmp/find.db --demo --clients 100000 --seed 1
    PYTHONPATH=src python bench/bench_find.py sqlite:////tmp/find.db

Prints the median of ``--repeat`` runs per operation in milliseconds. A benchmark, not a
test: the numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
from typing import Any

import sqlalchemy as sa
from bench_lookup import median_ms  # run as bench/<name>.py: bench/ is on the path

from uchet import SYSTEM, Filter, Platform


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    platform = Platform.open("sample_crm", database_url=args.database)
    admin = SYSTEM
    manager = next(u for u in platform.users.all() if "manager" in u.roles)
    everyone = platform.records("clients", user=admin)
    mine = platform.records("clients", user=manager)
    sample = mine.query(filters=[Filter("phone", "is_null", False)], limit=1).rows[0]
    last4 = "".join(ch for ch in sample["phone"] if ch.isdigit())[-4:]
    sql = platform.runtime.table("clients").sql
    phones = [sql.c.phone, sql.c.phone_mobile, sql.c.phone_home]
    # The scan the index replaces: every phone, formatted as typed, compared by its end.
    # (It is not even right: "+7 (495) 123-84-09" does not end in "8409".)
    scan = sa.select(sql.c.id).where(sa.or_(*(p.like(f"%{last4}") for p in phones))).limit(21)
    with platform.engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(sql)).scalar_one()

    def run_scan() -> Any:
        with platform.engine.connect() as conn:
            return conn.execute(scan).all()

    tables = [t for t in platform.config.tables if t.findable]
    print(f"{args.database}: {total} clients; last four digits '{last4}'; "
          f"findable: {', '.join(t.name for t in tables)}")  # fmt: skip
    cases = {
        "LIKE '%dddd' scan of 3 phone columns (the old way)": run_scan,
        "find_by_phone_end, administrator (every row)": lambda: everyone.find_by_phone_end(
            last4, limit=21
        ),
        "find_by_phone_end, manager (own rows)": lambda: mine.find_by_phone_end(last4, limit=21),
        "Find over every findable table, manager, 'Иван'": lambda: [
            platform.records(t.id, user=manager).lookup("Иван", limit=21, fields=t.findable)
            for t in tables
        ],
    }
    for name, fn in cases.items():
        found = fn()
        size = len(found) if not isinstance(found, list) or not found or not isinstance(
            found[0], list) else sum(len(x) for x in found)  # fmt: skip
        print(f"  {name:<55} {median_ms(fn, args.repeat):8.2f} ms  ({size} found)")
    if platform.engine.dialect.name == "sqlite":
        search = platform.runtime.table("clients").search
        assert search is not None
        term = "~" + last4[::-1]
        stmt = sa.select(search.c.record_id).where(
            search.c.term >= term, search.c.term < term + "\U0010ffff"
        )
        compiled = stmt.compile(platform.engine, compile_kwargs={"literal_binds": True})
        with platform.engine.connect() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
        print("  plan of the term range:", " / ".join(str(r[-1]) for r in plan))


if __name__ == "__main__":
    main()
