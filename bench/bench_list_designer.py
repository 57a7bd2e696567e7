"""List designer benchmark (issue 15, point 6): open the page, save a layout, hot swap.

Run:  PYTHONPATH=src python bench/bench_list_designer.py [--rows 100000]

On a fresh SQLite file with the sample CRM and ``--rows`` clients, through the web app
(Flask's test client, the swap done on the request that notices the new version):

* **designer page**: ``/-/list-designer/clients`` (28 fields), median of 20 after a warm-up;
* **save: columns and sort**: the POST that saves a new column order, a width and a
  descending sort as one overlay revision (check, plan, apply, record), then the first
  ``/clients/`` request (it builds the new version's app);
* **save: quick-search fields**: the same with «Город» added to quick search, which
  rebuilds the search terms of every client in the same transaction;
* **card, role layout**: a manager's client card with a role layout vs. the default one
  (median of 20 each), to show the layout choice costs nothing measurable.

Nothing is asserted: this is a benchmark, not a test (figures in docs/performance.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import lxml.html  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from tests.web_support import PASSWORD, WebClient  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from uchet import SYSTEM, Platform  # noqa: E402
from uchet.web import create_app  # noqa: E402

FILL = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows) "
    "INSERT INTO clients (name, kind, city, version) "
    "SELECT 'Клиент ' || i, 'company', 'Город ' || (i % 97), 1 FROM n"
)


def median_ms(fn: Any, n: int = 20) -> float:
    fn()  # warm-up
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def form_pairs(html: str) -> list[tuple[str, str]]:
    tree = lxml.html.fromstring(html)
    out: list[tuple[str, str]] = []
    for el in tree.xpath("//form[@id='uchet-ld-form']//input|//form[@id='uchet-ld-form']//select"):
        name = el.get("name")
        if not name or name == "csrf_token":
            continue
        if el.get("type") == "checkbox":
            if el.get("checked") is not None:
                out.append((name, el.get("value")))
        elif el.tag == "select":
            chosen = el.xpath(".//option[@selected]")
            out.append((name, chosen[0].get("value") if chosen else ""))
        else:
            out.append((name, el.get("value") or ""))
    return out


def save(client: WebClient, change: Any) -> tuple[float, float]:
    """Save the designer's form changed by ``change``; (save ms, first list request ms)."""
    pairs = change(form_pairs(client.get("/-/list-designer/clients").text))
    data = MultiDict(pairs)
    data["csrf_token"] = client.token()
    start = time.perf_counter()
    r = client.client.post("/-/list-designer/clients", data=data)
    saved = (time.perf_counter() - start) * 1000
    assert r.status_code == 302, r.text[:2000]
    start = time.perf_counter()
    assert client.get("/clients/").status_code == 200
    return saved, (time.perf_counter() - start) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        p = Platform.open("sample_crm", database_url=url)
        p.migrate()
        with p.engine.begin() as conn:
            conn.execute(sa.text(FILL), {"rows": args.rows})
        p.users.create("admin", PASSWORD, name="Admin", roles=["main"])
        anna = p.users.create("anna", PASSWORD, name="Anna", roles=["manager"])
        rec = p.records("clients", user=SYSTEM).create({"name": "Анна и Ко", "manager": anna.id})
        client = WebClient(create_app(p, secret_key="bench-" + "x" * 30,
                                      reload_in_background=False))  # fmt: skip
        client.login("admin")
        page = median_ms(lambda: client.get("/-/list-designer/clients"))
        print(f"designer page (28 fields): {page:.1f} ms median")

        def columns_and_sort(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
            cols = [v for k, v in pairs if k == "col"]
            cols.remove("clients.city")
            cols.insert(0, "clients.city")
            drop = ("col", "sort_field", "sort_dir", "width.clients.city")
            keep = [(k, v) for k, v in pairs if k not in drop]
            return [*(("col", c) for c in cols), *keep, ("width.clients.city", "160"),
                    ("sort_field", "clients.name"), ("sort_dir", "desc")]  # fmt: skip

        saved, first = save(client, columns_and_sort)
        print(f"save columns+sort at {args.rows} clients: {saved:.0f} ms; "
              f"first list request after: {first:.0f} ms")  # fmt: skip
        saved, first = save(client, lambda pairs: [*pairs, ("search", "clients.city")])
        print(f"save quick search +city at {args.rows} clients: {saved:.0f} ms; "
              f"first list request after: {first:.0f} ms")  # fmt: skip

        client.login("anna")
        card = f"/clients/edit/?id={rec['id']}"
        default = median_ms(lambda: client.get(card))
        doc = p.overlay.document()
        form = next(f for f in p.config.forms if f.id == "form_client")
        tabs = [dict(t) for t in form.data["layout"]]
        doc.setdefault("set", {})["form_client"] = {"role_layouts": {"manager": _thaw(tabs)}}
        p.overlay.save(doc, base_revision=p.overlay.latest().number)
        client.get(card)  # the swap
        role = median_ms(lambda: client.get(card))
        print(f"manager's card: default layout {default:.1f} ms, role layout {role:.1f} ms")
        p.close()


def _thaw(value: Any) -> Any:
    if hasattr(value, "items"):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(v) for v in value]
    return value


if __name__ == "__main__":
    main()
