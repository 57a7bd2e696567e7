"""Print-form benchmark: documents per second for a client card with 20 contact rows, or
for the bundled invoice with 20 lines.

Run:  taskset -c 0 python bench/bench_print.py [--form client_card|invoice] [--docs 200]
      [--db /tmp/bench_print.db]

It creates one client with 20 contacts (``client_card``), or the demo company with its logo,
signature and stamp and an invoice of 20 lines (``invoice``), in the sample CRM, builds the
rendering context once (through the record service) and renders the bundled form from
cached template bytes (a fresh ``DocxTemplate`` per document, as the engine does), one
document at a time on one core:

* in process (bundle forms, trusted);
* in the isolated worker process (user-uploaded forms: pickling the context, the pipe,
  limits);
* the whole path of ``PrintForms.render`` (context from the database + render), in process.

Rates are reported per CPU second (this process plus the worker), the capacity of one
core, and by wall clock, which on a shared machine also counts time lost to other load.
This is a benchmark, not a test: numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from uchet import SYSTEM, Platform
from uchet.printeditor import PrintForms
from uchet.printeditor.render import render
from uchet.printeditor.worker import WorkerPool
from uchet.sample_crm.demo import Demo


def child_cpu(pool: WorkerPool) -> float:
    """CPU seconds the pool's worker processes have used so far (Linux /proc)."""
    total = 0.0
    for worker in pool._all:
        if worker.process is not None:
            fields = Path(f"/proc/{worker.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def per_second(
    run: Callable[[], object], docs: int, pool: WorkerPool, rounds: int = 3
) -> tuple[float, float]:
    """Best documents per second by wall-clock time, and by CPU time (this process plus the
    worker): the CPU figure is what one core sustains, whatever else the machine runs."""
    wall, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time() + child_cpu(pool)
        for _ in range(docs):
            run()
        wall.append(docs / (time.perf_counter() - start))
        cpu.append(docs / (time.process_time() + child_cpu(pool) - start_cpu))
    return max(wall), statistics.median(cpu)


def client_card(platform: Platform) -> int:
    """One client with 20 contacts; returns its id."""
    # The CRM seeds its client categories: use the first one.
    category = platform.records("client_categories", user=SYSTEM).query(limit=1).rows[0]
    client = platform.records("clients", user=SYSTEM).create(
        {
            "name": 'ООО "Ромашка & Ко"',
            "category": category["id"],
            "city": "Москва",
            "phone": "+7 495 123-45-67",
            "tax_id": "7701234567",
            "birthday": "1990-05-17",
        }
    )
    platform.records("contacts", user=SYSTEM).create_many(
        [
            {
                "client": client["id"],
                "name": f"Сотрудник {i:02d}",
                "position": "Менеджер",
                "phone_work": f"+7 495 000-00-{i:02d}",
                "email": f"user{i}@example.com",
            }
            for i in range(20)
        ]
    )
    return int(client["id"])


def invoice(platform: Platform) -> int:
    """The demo company (logo, signature, stamp) and an invoice of 20 lines; its id."""
    demo = Demo(platform, 0, 1, lambda _text: None)
    demo.company()
    products = demo.products()
    client = platform.records("clients", user=SYSTEM).create(
        {"name": 'ООО "Ромашка & Ко"', "tax_id": "7701234567", "kpp": "770101001",
         "address": "г. Москва, ул. Тверская, д. 1", "phone": "+7 495 123-45-67"}
    )  # fmt: skip
    found = platform.records("invoices", user=SYSTEM).create(
        {"client": client["id"], "date": "2024-03-15", "due_date": "2024-03-25"}
    )
    platform.records("invoice_lines", user=SYSTEM).create_many(
        [
            {"invoice": found["id"], "product": pid, "quantity": i % 5 + 1}
            for i, (pid, _price) in enumerate(products[:20])
        ]
    )
    return int(found["id"])


TITLES = {"client_card": "Client card, 20 contact rows", "invoice": "Invoice, 20 lines"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200, help="documents per round")
    parser.add_argument("--db", default=None, help="SQLite file (default: a temporary one)")
    parser.add_argument("--form", choices=sorted(TITLES), default="client_card")
    args = parser.parse_args()
    db = args.db or str(Path(tempfile.mkdtemp()) / "bench_print.db")
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{db}")
    platform.migrate()
    record_id = client_card(platform) if args.form == "client_card" else invoice(platform)

    forms = PrintForms(platform, SYSTEM, isolate=False)
    form = forms.get(args.form)
    data = forms.template(form)
    context = forms.context(form, record_id)
    pool = WorkerPool(size=1)
    pool.render("docx", data, context, form.name)  # start the worker before timing

    cases = [
        (
            "render in process (cached template bytes)",
            lambda: render("docx", data, context, form.name),
        ),
        ("render in the isolated worker", lambda: pool.render("docx", data, context, form.name)),
        (
            "PrintForms.render: context from the DB + render",
            lambda: forms.render(args.form, record_id),
        ),
    ]
    print(f"{TITLES[args.form]}, {args.docs} documents per round, best of 3, one core")
    print(f"Python {sys.version.split()[0]}\n")
    print("| case | docs/s per CPU core | CPU ms/doc | docs/s wall clock (best) |")
    print("|---|---:|---:|---:|")
    for name, run in cases:
        wall, cpu = per_second(run, args.docs, pool)
        print(f"| {name} | {cpu:.1f} | {1000 / cpu:.1f} | {wall:.1f} |")
    pool.close()
    platform.close()


if __name__ == "__main__":
    main()
