"""Report benchmark: each report of the sample CRM through the engine and as a web page.

Run:  PYTHONPATH=src python bench/bench_reports.py --clients 10000 --db /tmp/reports10k.db \
          [--repeat 7]

The database is made with ``uchet init --demo`` (skipped when the file exists). For every
report and for two users (``director``, MAIN role: every row; ``manager1``: their row rules)
three things are timed, interleaved round by round so all see the same machine noise:

* **engine**: ``platform.report(...)``, the one SELECT with the user's rules (the baseline);
* **page**: ``GET /reports/<id>/`` through Flask's test client (query, formatting, chart
  data, template);
* **xlsx**: ``GET /reports/<id>/xlsx`` (query and the openpyxl workbook).

Medians in ms and the page/engine ratio (what the web layer adds) are printed as a Markdown
table for docs/performance.md. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # this checkout's uchet, as pytest uses

from click.testing import CliRunner  # noqa: E402

from uchet import Platform  # noqa: E402
from uchet.cli import main  # noqa: E402
from uchet.web import create_app  # noqa: E402

USERS = {"director": "demo-pass-1", "manager1": "demo-pass-1"}


def ensure_db(path: Path, clients: int) -> str:
    url = f"sqlite:///{path}"
    if not path.exists():
        args = ["init", "-d", url, "--admin-password", "bench-admin-1", "--demo"]
        result = CliRunner().invoke(main, [*args, "--clients", str(clients)])
        assert result.exit_code == 0, result.output
        print(result.output.strip().splitlines()[-1], file=sys.stderr)
    return url


def logged_in(app: object, login: str) -> object:
    client = app.test_client()  # type: ignore[attr-defined]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").text)
    assert token
    data = {"login": login, "password": USERS[login], "csrf_token": token.group(1)}
    assert client.post("/login", data=data).status_code == 302
    return client


def ms(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000


def main_() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/reports10k.db"))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    platform = Platform.open("sample_crm", database_url=ensure_db(args.db, args.clients))
    app = create_app(platform, secret_key="bench-secret-" + "z" * 20)
    reports = [doc.id for doc in platform.config.reports]
    rows: list[str] = []
    for login in USERS:
        user = platform.users.find(login)
        assert user is not None
        client = logged_in(app, login)
        times: dict[str, dict[str, list[float]]] = {r: {"e": [], "p": [], "x": []} for r in reports}
        counts = {r: len(platform.report(r, user).rows) for r in reports}
        for r in reports:  # warm up: templates, statements, openpyxl import
            client.get(f"/reports/{r}/")  # type: ignore[attr-defined]
            client.get(f"/reports/{r}/xlsx")  # type: ignore[attr-defined]
        get = client.get  # type: ignore[attr-defined]
        for _ in range(args.repeat):
            for r in reports:
                times[r]["e"].append(ms(lambda r=r, u=user: platform.report(r, u)))
                times[r]["p"].append(ms(lambda r=r, g=get: g(f"/reports/{r}/")))
                times[r]["x"].append(ms(lambda r=r, g=get: g(f"/reports/{r}/xlsx")))
        for r in reports:
            e, p, x = (statistics.median(times[r][k]) for k in "epx")
            rows.append(
                f"| {login} | {r.removeprefix('report_')} | {counts[r]} | {e:.1f} | {p:.1f} "
                f"| {p / e:.2f}x | {x:.1f} |"
            )
    print("| user | report | rows | engine, ms | page, ms | page/engine | xlsx, ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    platform.close()


if __name__ == "__main__":
    main_()
