"""«Выставить счёт»: the time to make an invoice from an order (issue 19, S18).

Run:  PYTHONPATH=src python bench/bench_derive.py --db /tmp/demo.db [--lines 1,10,100,1000]
      [--repeat 5]

On a copy of an ``uchet init --demo`` database: for each line count, an order of one demo
client with that many lines (the demo's products in turn) is made once, then the invoice is
made from it ``--repeat`` times through :func:`uchet.platform.features.derive.derive` as a
manager (read the order and its lines under the row rules, create the invoice and copy the
lines in one transaction: numbering, the lines' VAT rate from the product or the company,
the invoice's stored total). Medians in ms. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # this checkout's uchet

from uchet import SYSTEM, Platform  # noqa: E402
from uchet.platform.features.derive import derive  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--lines", default="1,10,100,1000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    p = Platform.open("sample_crm", database_url=f"sqlite:///{args.db}")
    manager = p.users.find("manager1")
    client = p.records("clients", user=manager).query(limit=1).rows[0]
    products = [r["id"] for r in p.records("products", user=SYSTEM).query(limit=1000).rows]
    print(f"{'lines':>6}  {'median ms':>10}  {'min ms':>8}")
    for count in (int(n) for n in args.lines.split(",")):
        order = p.records("orders", user=manager).create(
            {"client": client["id"], "subject": f"Бенчмарк: {count} строк"}
        )
        p.records("order_lines", user=manager).create_many(
            [{"sales_order": order["id"], "product": products[i % len(products)], "quantity": 1}
             for i in range(count)]
        )  # fmt: skip
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            made = derive(p.runtime, manager, "orders", "orders.make_invoice", order["id"])
            times.append((time.perf_counter() - start) * 1000)
            assert made.children == count
        print(f"{count:>6}  {statistics.median(times):>10.1f}  {min(times):>8.1f}")
    p.close()


if __name__ == "__main__":
    main()
