# ruff: noqa: E501  (SQL and table rows read better on one line)
"""Dashboard benchmark: the sample CRM's home page on demo data (S42).

Run:  PYTHONPATH=src python bench/bench_dashboard.py --db /tmp/dash10k.db --clients 10000 [--reuse] [--repeat 9]

Without ``--reuse`` the database is made with ``uchet init --demo --clients N`` first.

Each figure of the dashboard is timed as the director (MAIN: every row) through uchet
(``run_widget``: the record service's aggregate with the widget's filters) and as the
equivalent hand-written SQL on the same SQLite file (the ``sqlite3`` module), interleaved,
medians and ratio. Then the whole dashboard (``Platform.dashboard``) and the whole home page
(the Flask test client, HTML included) are timed for the director and for a manager, whose
row rules make every figure a join to her clients. This is a benchmark, not a test: the
numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from uchet import Platform  # noqa: E402
from uchet.platform.features.dashboards import Clock, WidgetContext, run_widget  # noqa: E402

PASSWORD = "demo-pass-1"  # uchet init --demo's staff password


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """Milliseconds ``fn(*args)`` took, and what it returned."""
    start = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - start) * 1000, result


def fetch_one(raw: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    return raw.execute(sql, params).fetchone()[0]


def raw_cases(clock: Clock, stored: bool) -> dict[str, tuple[str, tuple[Any, ...]]]:
    """The director's figures as hand-written SQL (no row rules: MAIN sees every row).
    ``stored``: the invoices have ``total`` and ``paid`` columns (stored rollups), which
    hand-written SQL reads too."""
    now = clock.now.isoformat(sep=" ")
    first = clock.today.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    today = clock.today.isoformat()
    tomorrow = (clock.today + dt.timedelta(days=1)).isoformat()
    debt = (
        "coalesce((SELECT sum(round(l.quantity * coalesce(l.unit_price, 0), 2)) FROM invoice_lines l WHERE l.invoice = i.id), 0)"
        " - coalesce((SELECT sum(p.amount) FROM payments p WHERE p.invoice = i.id), 0)"
    )
    if stored:
        debt = "(i.total - i.paid)"
    return {
        "dash.today_count": (
            "SELECT count(*) FROM (SELECT id FROM work WHERE assignee = ? AND done = 0 AND due_at >= ? AND due_at < ? LIMIT 10001)",
            ("ME", today, tomorrow),
        ),
        "dash.overdue_count": (
            "SELECT count(*) FROM (SELECT id FROM work WHERE done = 0 AND due_at < ? LIMIT 10001)",
            (now,),
        ),
        "dash.receivables": (
            f"SELECT coalesce(sum({debt}), 0) FROM invoices i WHERE {debt} > 0",
            (),
        ),
        "dash.sales_month": (
            "SELECT coalesce(sum(amount), 0) FROM payments WHERE date >= ? AND date <= ?",
            (first.isoformat(), last.isoformat()),
        ),
    }


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    url = f"sqlite:///{args.db}"
    if not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(args.db + suffix).unlink(missing_ok=True)
        env = {**os.environ, "UCHET_DATABASE_URL": url, "PYTHONPATH": str(HERE.parent / "src")}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "uchet.cli", "init", "--demo", "--clients", str(args.clients)],
                       env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        print(f"demo data: {args.clients} clients in {time.perf_counter() - start:.1f} s")
    platform = Platform.open("sample_crm", database_url=url)
    director = platform.users.find("director")
    manager = platform.users.find("manager1")
    clock = Clock.current()
    rt = platform.runtime
    doc = rt.config.dashboards[0]
    widgets = {w["id"]: w for w in doc.data["widgets"]}
    raw = sqlite3.connect(args.db)
    stored = {row[1] for row in raw.execute("PRAGMA table_info(invoices)")} >= {"total", "paid"}
    print(f"invoices.total and .paid stored: {stored}")
    cases = raw_cases(clock, stored)
    ctx = WidgetContext(rt, director, "ru", clock)
    times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in cases}
    values: dict[str, tuple[Any, Any]] = {}
    for _ in range(args.repeat):
        for key, (sql, params) in cases.items():
            params = tuple(director.id if p == "ME" else p for p in params)
            ours, widget = timed(run_widget, ctx, widgets[key])
            theirs, value = timed(fetch_one, raw, sql, params)
            times[key][0].append(ours)
            times[key][1].append(theirs)
            values[key] = (widget.value, value)
    with sqlite3.connect(args.db) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("clients", "work", "invoices", "invoice_lines", "payments")}  # fmt: skip
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print(
        "\n| figure (director) | value | uchet, ms | raw SQL, ms | ratio |\n|---|---:|---:|---:|---:|"
    )
    for key, (ours, theirs) in times.items():
        a, b = median(ours), median(theirs)
        print(
            f"| {key} | {values[key][0]} (raw: {values[key][1]}) | {a:.2f} | {b:.2f} | {a / b:.2f}x |"
        )

    # The report widget (largest debtors: the receivables report grouped by client).
    debtors = [timed(run_widget, ctx, widgets["dash.debtors"])[0] for _ in range(args.repeat)]
    print(f"\nlargest debtors (report widget, director): {median(debtors):.2f} ms")

    from uchet.web import create_app

    app = create_app(platform, secret_key="bench-" + "x" * 30)
    print(
        "\n| whole dashboard | `Platform.dashboard`, ms | home page (HTML), ms |\n|---|---:|---:|"
    )
    for user in (director, manager):
        client = app.test_client()
        page = client.get("/login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"login": user.login, "password": PASSWORD, "csrf_token": token})
        assert client.get("/").status_code == 200
        engine_ms = [timed(platform.dashboard, user)[0] for _ in range(args.repeat)]
        page_ms = [timed(client.get, "/")[0] for _ in range(args.repeat)]
        print(
            f"| {user.login} ({', '.join(user.roles)}) | {median(engine_ms):.1f} | {median(page_ms):.1f} |"
        )
    platform.close()


if __name__ == "__main__":
    main()
