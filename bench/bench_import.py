"""Import speed (issue 17): a CSV / XLSX file of N clients through the product's importer
(read, map, parse every cell, validate every row, all-or-nothing, tag every record for
undo) against ``create_many`` of the same rows already as Python values, each on a fresh
SQLite file, interleaved, medians.

    PYTHONPATH=src python bench/bench_import.py --rows 100000 --repeat 3

Not a test: it prints a table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from uchet import SYSTEM, Platform
from uchet.platform.features.importing import Importer, Options, read_sheet

CITIES = ["Москва", "Тверь", "Казань", "Самара"]


def rows(n: int) -> list[list[Any]]:
    out = [["Наименование", "Вид", "Город", "Лояльность", "Телефон рабочий", "ИНН"]]
    for i in range(n):
        out.append([f"Клиент {i:06d}", "Организация" if i % 3 else "Частное лицо",
                    CITIES[i % 4], str(i % 11), f"+7 (900) {i % 1000:03d}-{i % 100:02d}-00",
                    f"77{i:08d}"])  # fmt: skip
    return out


def as_values(table: list[list[Any]]) -> list[dict[str, Any]]:
    kind = {"Организация": "company", "Частное лицо": "person"}
    return [{"name": r[0], "kind": kind[r[1]], "city": r[2], "loyalty": int(r[3]),
             "phone": r[4], "tax_id": r[5]} for r in table[1:]]  # fmt: skip


def csv_file(table: list[list[Any]]) -> bytes:
    return ("\r\n".join(";".join(r) for r in table) + "\r\n").encode("cp1251")


def xlsx_file(table: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for r in table:
        sheet.append(r)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def fresh(template: Path, work: Path) -> Platform:
    import sqlite3

    for old in work.parent.glob(work.name + "*"):
        old.unlink()
    src, dst = sqlite3.connect(template), sqlite3.connect(work)
    src.backup(dst)  # takes what sits in the WAL too
    src.close()
    dst.close()
    return Platform.open("sample_crm", database_url=f"sqlite:///{work}")


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    table = rows(args.rows)
    values = as_values(table)
    files = {"csv": csv_file(table), "xlsx": xlsx_file(table)}
    tmp = Path(tempfile.mkdtemp())
    template = tmp / "template.db"
    first = Platform.open("sample_crm", database_url=f"sqlite:///{template}")
    first.migrate()
    first.close()
    cases = ("create_many", "import csv", "read xlsx", "import xlsx")
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.repeat):
        p = fresh(template, tmp / "a.db")
        times["create_many"].append(
            timed(lambda p=p: p.records("clients", user=SYSTEM).create_many(values))
        )
        p.close()
        for fmt in ("csv", "xlsx"):
            p = fresh(template, tmp / "a.db")
            importer = Importer(p.runtime, "clients", SYSTEM, "ru")

            def run(p: Platform = p, importer: Importer = importer, fmt: str = fmt) -> None:
                report = importer.run(read_sheet(files[fmt], f"f.{fmt}"), Options())
                assert report.written and report.created == args.rows, report.problems[:3]

            times[f"import {fmt}"].append(timed(run))
            p.close()
        times["read xlsx"].append(timed(lambda: list(read_sheet(files["xlsx"], "f.xlsx").rows)))
    med = {k: statistics.median(v) for k, v in times.items()}
    n = args.rows
    print(f"{n:,} clients, SQLite, median of {args.repeat}")
    print("| path | seconds | rows/s | vs baseline |")
    print("|---|---:|---:|---:|")
    base = med["create_many"]
    print(f"| create_many (values already parsed) | {base:.2f} | {n / base:,.0f} | 1.00x |")
    csv_s = med["import csv"]
    print(f"| import csv (cp1251, all-or-nothing) | {csv_s:.2f} | {n / csv_s:,.0f} | "
          f"{base / csv_s:.2f}x of create_many |")  # fmt: skip
    xbase = base + med["read xlsx"]
    print(f"| calamine read of the xlsx alone | {med['read xlsx']:.2f} | "
          f"{n / med['read xlsx']:,.0f} | |")  # fmt: skip
    print(f"| import xlsx | {med['import xlsx']:.2f} | {n / med['import xlsx']:,.0f} | "
          f"{xbase / med['import xlsx']:.2f}x of read + create_many |")  # fmt: skip


if __name__ == "__main__":
    main()
