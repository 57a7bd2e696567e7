"""Stored rollups: what reading gains and what writing pays, on a demo database.

Run:  PYTHONPATH=src python bench/bench_stored_rollups.py --db /tmp/demo10k.db [--repeat 9]

Meant to be run twice on copies of the same ``uchet init --demo --clients 10000`` file: once
by a checkout where the CRM's ``invoices.total``/``paid`` and ``clients.debt`` are computed
rollups (the baseline) and once by one where they are stored (after ``uchet migrate``).
Reads: the dashboard's receivables figure, the receivables report (director), the invoice
list sorted by debt, the client list filtered by debt. Writes: an invoice line added and a
payment added through the record service (each commits; the client's debt, the invoice's
total and paid are recomputed when stored). Medians in ms. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # this checkout's uchet

from uchet import SYSTEM, Platform  # noqa: E402
from uchet.platform.features.dashboards import Clock, WidgetContext, run_widget  # noqa: E402
from uchet.platform.query.listquery import Filter  # noqa: E402


def ms(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{args.db}")
    director = platform.users.find("director")
    rt = platform.runtime
    stored = bool(getattr(rt.table("invoices"), "rollups", None))  # absent before stored rollups
    widgets = {w["id"]: w for w in rt.config.dashboards[0].data["widgets"]}
    ctx = WidgetContext(rt, director, "ru", Clock.current())
    invoices = platform.records("invoices", user=director)
    clients = platform.records("clients", user=director)
    lines = platform.records("invoice_lines", user=SYSTEM)
    payments = platform.records("payments", user=SYSTEM)
    invoice = invoices.query(sort=["-date"], limit=1).rows[0]
    product = platform.records("products", user=SYSTEM).query(limit=1).rows[0]
    cases: dict[str, Callable[[], Any]] = {
        "receivables figure (sum of debt where debt > 0)": lambda: run_widget(
            ctx, widgets["dash.receivables"]
        ),
        "receivables report (director)": lambda: platform.report("report_receivables", director),
        "invoice list sorted by debt, first page": lambda: invoices.query(
            sort=["-debt"], limit=50, count=True
        ),
        "client list where debt > 0, by debt": lambda: clients.query(
            filters=[Filter("debt", "gt", 0)], sort=["-debt"], limit=50, count=True
        ),
        "add an invoice line (write)": lambda: lines.create(
            {"invoice": invoice["id"], "product": product["id"], "quantity": 1}
        ),
        "add a payment (write)": lambda: payments.create(
            {"invoice": invoice["id"], "amount": "1", "date": "2025-01-01"}
        ),
    }
    for fn in cases.values():
        fn()  # warm up: statements built and cached
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.repeat):
        for key, fn in cases.items():
            times[key].append(ms(fn))
    print(f"rollups stored: {stored}")
    print("| case | median, ms |\n|---|---:|")
    for key, values in times.items():
        print(f"| {key} | {statistics.median(values):.2f} |")
    platform.close()


if __name__ == "__main__":
    main()
