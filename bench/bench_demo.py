"""Demo-data benchmark: how long ``uchet init --demo --clients N`` takes to load the CRM.

Run:  python bench/bench_demo.py --clients 10000 [--db /tmp/demo.db] [--seed 1]

It migrates a fresh database, loads the demo data through the record service and prints
the rows per table, the wall-clock seconds and the process CPU seconds (on a busy machine
the CPU time is the fairer figure). This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from uchet import Platform
from uchet.sample_crm.demo import Demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default=None, help="SQLite file (default: a temporary one)")
    args = parser.parse_args()
    db = Path(args.db or tempfile.mkdtemp()) / "demo.db" if not args.db else Path(args.db)
    db.unlink(missing_ok=True)
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{db}")
    platform.migrate()
    wall, cpu = time.perf_counter(), time.process_time()
    summary = Demo(platform, args.clients, args.seed, lambda _text: None).run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = sum(summary["counts"].values())
    for table, count in summary["counts"].items():
        print(f"{table:<20} {count:>9}")
    print(f"{rows} rows in {wall:.1f} s wall, {cpu:.1f} s CPU ({rows / wall:,.0f} rows/s)")
    platform.close()


if __name__ == "__main__":
    main()
