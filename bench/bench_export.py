"""Export writers (issue 17, point 7): rows per second and peak Python memory of each list
export format at 10,000 and 100,000 rows, and XLSX against openpyxl's own write-only mode
on the same rows. The writers alone, fed generated rows (the list's keyset reading is
measured by bench_core.py).

    PYTHONPATH=src python bench/bench_export.py --rows 10000 100000

Time is measured untraced; peak memory is tracemalloc's (Python allocations) in a second
run, the file thrown away chunk by chunk as the web response does. Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import time
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from uchet.web.export import EXPORTERS

HEADERS = ["Наименование", "Город", "Лояльность", "Долг", "Дата", "ИНН"]


def rows(n: int) -> Iterator[list[Any]]:
    for i in range(n):
        yield [f"Клиент {i:06d}", ("Москва", "Тверь", "Казань")[i % 3], i % 11,
               Decimal(i % 5000) / 4, dt.date(2024, 1, 1 + i % 28), f"77{i:08d}"]  # fmt: skip


def measure(write: Any, n: int) -> tuple[float, int, int]:
    """Seconds (untraced), bytes written, peak traced memory (a second, traced run)."""
    start = time.perf_counter()
    size = sum(len(chunk) for chunk in write(HEADERS, rows(n)))
    seconds = time.perf_counter() - start
    tracemalloc.start()
    for _chunk in write(HEADERS, rows(n)):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, size, peak


def openpyxl_write_only(headers: list[str], data: Iterator[list[Any]]) -> Iterator[bytes]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for row in data:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    yield buffer.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    args = ap.parse_args()
    print("| format | rows | seconds | rows/s | file MB | peak memory MB |")
    print("|---|---:|---:|---:|---:|---:|")
    writers = {name: e.write for name, e in EXPORTERS.items()}
    writers["openpyxl write-only (baseline)"] = openpyxl_write_only
    for n in args.rows:
        for name, write in writers.items():
            seconds, size, peak = measure(write, n)
            print(f"| {name} | {n:,} | {seconds:.2f} | {n / seconds:,.0f} | "
                  f"{size / 1e6:.1f} | {peak / 1e6:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
