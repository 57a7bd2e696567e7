"""The document grid (issue 21): what one save of an invoice with N lines costs (one
transaction through the record service, each line validated, audited, its rollup kept), and
what one live recomputation of the unsaved card costs (the ``live/`` endpoint's work: the
engine's formulas and rollup over the typed lines, evaluated in SQL).

    PYTHONPATH=src python bench/bench_document_grid.py sqlite:////tmp/grid-bench.db
    PYTHONPATH=src python bench/bench_document_grid.py postgresql://.../grid_bench

The database is migrated (the sample CRM) if it is new. Prints the median of ``--repeat``
runs per line count, in milliseconds.
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import Any

from bench_lookup import median_ms  # run as bench/<name>.py: bench/ is on the path

from uchet import SYSTEM, Platform
from uchet.platform.records import live
from uchet.platform.records.document import GridInput, Row, save_document


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--lines", type=int, nargs="+", default=[1, 10, 50, 200])
    args = parser.parse_args()
    platform = Platform.open("sample_crm", database_url=args.database)
    platform.migrate()
    rt = platform.runtime
    rec = lambda table: platform.records(table, user=SYSTEM)  # noqa: E731
    client = rec("clients").create({"kind": "company", "name": "Бенчмарк"})
    products = [rec("products").create({"name": f"Товар {i}", "kind": "good",
                                        "price": Decimal(100 + i)}) for i in range(20)]  # fmt: skip
    print(f"{'lines':>6} {'save, ms':>10} {'live, ms':>10} {'ms/line save':>13}")
    for n in args.lines:
        rows = [{"product": products[i % 20]["id"], "quantity": str(1 + i % 5)} for i in range(n)]

        def save(rows: list[dict[str, Any]] = rows) -> Any:
            return save_document(rt, SYSTEM, "invoices", None, None, {"client": client["id"]},
                                 {"invoice_lines": GridInput([Row(r) for r in rows])})  # fmt: skip

        def recompute(rows: list[dict[str, Any]] = rows) -> Any:
            return live.compute(rt, SYSTEM, "invoices", {"client": client["id"]},
                                {"invoice_lines": rows})  # fmt: skip

        saved, computed = median_ms(save, args.repeat), median_ms(recompute, args.repeat)
        print(f"{n:>6} {saved:>10.1f} {computed:>10.1f} {saved / n:>13.2f}")
    platform.close()


if __name__ == "__main__":
    main()
