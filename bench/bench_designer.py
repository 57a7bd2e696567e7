"""Card designer benchmark (issue 15, point 6): the durations the issue sets as targets.

Run:  PYTHONPATH=src python bench/bench_designer.py [--rows 10000] [--db sqlite|postgresql]

On a fresh database with the sample CRM and ``--rows`` clients it measures, through the web
app as the administrator:

* **designer page**: ``/-/designer/clients`` (the client card: its 30-odd fields, 8 tabs,
  the palette, a real record's data), median of 20 requests after one warm-up (target:
  under 300 ms);
* **one operation**: a keyboard move sent to ``/-/designer/clients/op`` (applied, checked,
  the canvas drawn again), median of 20;
* **save + hot swap**: ``/-/designer/clients/save`` (one overlay revision: check, plan,
  apply, record) and then the first card served by the new configuration version (the hot
  swap builds the new app on that request), each of 5 saves (target: under 1 s together).

Nothing is asserted: this is a benchmark, not a test (figures in docs/performance.md).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import sqlalchemy as sa  # noqa: E402
from bench.bench_structure import FILL, database  # noqa: E402
from tests.test_web_hotswap import ClosingClient  # noqa: E402
from tests.web_support import PASSWORD, WebClient  # noqa: E402

from uchet import Platform  # noqa: E402
from uchet.web import create_app  # noqa: E402

SECRET = "bench-designer-" + "z" * 20


def median_ms(action: Any, times: int = 20) -> tuple[float, float]:
    found = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        found.append((time.perf_counter() - started) * 1000)
    return statistics.median(found), max(found)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="clients (default 10,000)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    with database(args.db, Path(tempfile.mkdtemp(prefix="bench-designer-"))) as url:
        platform = Platform.open("sample_crm", database_url=url)
        platform.migrate()
        platform.users.create("admin", PASSWORD, roles=["main"])
        with platform.engine.begin() as conn:
            conn.execute(sa.text(FILL[args.db]), {"rows": args.rows})
        app = create_app(platform, secret_key=SECRET, reload_in_background=False)
        app.test_client_class = ClosingClient
        client = WebClient(app)
        assert client.login("admin").status_code == 302
        token = client.token()
        table = platform.config.table("clients")
        print(f"{args.db}: {args.rows:,} clients; the client card has {len(table.fields)} fields")

        def page() -> str:
            r = client.get("/-/designer/clients")
            assert r.status_code == 200, r.status_code
            return str(r.text)

        first = page()  # warm-up
        tabs = json.loads(html.unescape(re.search(r'data-layout="([^"]*)"', first).group(1)))
        mid, top = median_ms(page)
        print(f"  {'designer page: median':<44} {mid:9.1f} ms  (max {top:.1f})")

        def post(url: str, body: dict[str, Any]) -> Any:
            r = client.client.post(url, data=json.dumps(body), content_type="application/json",
                                   headers={"X-CSRFToken": token})  # fmt: skip
            assert r.status_code == 200, r.text[:300]
            return r.get_json()

        body = {"layout": tabs, "op": "nudge", "args": {"key": "clients.city", "move": "up"}}
        mid, top = median_ms(lambda: post("/-/designer/clients/op", body))
        print(f"  {'one operation (move, check, draw): median':<44} {mid:9.1f} ms  (max {top:.1f})")
        saves, swaps, totals = [], [], []
        state = tabs
        for i in range(5):
            move = "up" if i % 2 == 0 else "down"
            state = post(
                "/-/designer/clients/op",
                {"layout": state, "op": "nudge", "args": {"key": "clients.city", "move": move}},
            )["layout"]
            base = platform.overlay.latest()
            started = time.perf_counter()
            res = post(
                "/-/designer/clients/save",
                {"layout": state, "comment": f"bench {i}", "base": base.number if base else ""},
            )
            assert res["ok"], res
            saved = time.perf_counter()
            r = client.get("/clients/edit/?id=1")
            assert r.status_code == 200
            done = time.perf_counter()
            saves.append((saved - started) * 1000)
            swaps.append((done - saved) * 1000)
            totals.append((done - started) * 1000)
        print(f"  {'save (one revision): median':<44} {statistics.median(saves):9.1f} ms")
        print(f"  {'first card on the new version: median':<44} {statistics.median(swaps):9.1f} ms")
        print(f"  {'save + hot swap: median':<44} {statistics.median(totals):9.1f} ms"
              f"  (max {max(totals):.1f})")  # fmt: skip
        platform.close()


if __name__ == "__main__":
    main()
