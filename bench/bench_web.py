# ruff: noqa: E501, RUF012  (URLs and table rows read better on one line; ModelView's lists)
"""Web benchmark: list pages of the generated screens against a hand-written Flask-Admin view.

Run:  python bench/bench_web.py --clients 1000000 --db /tmp/web1m.db [--reuse] [--repeat 15]

Both applications serve the same SQLite file over real HTTP: each runs in a threaded werkzeug
server on a free loopback port, and the client is ``http.client`` with one keep-alive
connection per application, requesting one page at a time. For every request two times are
taken: the client's (request sent to body read) and the server's (inside the WSGI callable,
from the call until the body is produced, also sent as a ``Server-Timing`` header).

* **uchet**: ``create_app`` over the sample CRM, logged in as a user of the MAIN role (sees
  every row; the row rules of a manager would only make pages cheaper).
* **Flask-Admin**: ``flask_admin.contrib.sqla.ModelView`` over a static SQLAlchemy model of
  the same ``clients`` table, written as its documentation shows: ``column_list``,
  ``column_searchable_list``, ``column_filters``, ``column_default_sort``, ``page_size=50``.
  It counts every list (``SELECT count(*)``) and searches with ``ILIKE '%term%'``.

Cases are interleaved (each round runs every case on both applications) so both see the same
machine noise. Without ``--reuse`` the data is generated and loaded first with
``bench_core.load`` (the same clients as the engine benchmark). ``--swaps N`` also measures
hot reload on a small separate database: build time and the first list page after a swap.
This is a benchmark, not a test: the numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # this checkout's uchet, as pytest uses
sys.path.insert(0, str(HERE))

from bench_core import load  # noqa: E402

from uchet import Platform  # noqa: E402

LOGIN, PASSWORD = "bench_admin", "bench-password-1"


# -- timing and serving ------------------------------------------------------------------------
class Timed:
    """WSGI middleware: the server-side time of each request, from the call to the last byte
    of the body (both apps render the whole page before answering)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.last_ms = 0.0
        self.last_cpu_ms = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started, cpu = time.perf_counter(), time.thread_time()
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["args"] = (status, headers, exc_info)
            return lambda data: None

        body = self.app(environ, capture)
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        self.last_ms = (time.perf_counter() - started) * 1000
        # CPU time of the serving thread (Python and SQLite alike): what the request costs,
        # independent of how many other processes share the cores.
        self.last_cpu_ms = (time.thread_time() - cpu) * 1000
        status, headers, exc_info = captured["args"]
        headers = [*headers, ("Server-Timing", f"app;dur={self.last_ms:.2f}")]
        start_response(status, headers, exc_info)
        return [data]


class Served:
    """An app in a threaded werkzeug server on 127.0.0.1 and a keep-alive client for it."""

    def __init__(self, name: str, app: Any):
        from werkzeug.serving import WSGIRequestHandler, make_server

        WSGIRequestHandler.log = lambda *a, **k: None  # type: ignore[method-assign]
        self.name = name
        self.timed = Timed(app)
        self.server = make_server("127.0.0.1", 0, self.timed, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str], float]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        client_ms = (time.perf_counter() - started) * 1000
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text, dict(response.getheaders()), client_ms

    def stop(self) -> None:
        self.conn.close()
        self.server.shutdown()


# -- the two applications ------------------------------------------------------------------------
def uchet_app(platform: Platform) -> Any:
    from uchet.web import create_app

    if platform.users.find(LOGIN) is None:
        platform.users.create(LOGIN, PASSWORD, name="Bench", roles=["main"])
    return create_app(platform, secret_key="bench-secret-" + "b" * 24, idle_minutes=0)


def flask_admin_app(db_path: Path) -> tuple[Any, Any]:
    """The hand-written alternative: a static model and a ModelView, by the book."""
    from flask import Flask
    from flask_admin import Admin
    from flask_admin.contrib.sqla import ModelView
    from flask_admin.theme import Bootstrap4Theme
    from flask_babel import Babel
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import BigInteger, ForeignKey, Integer, String
    from sqlalchemy.orm import DeclarativeBase, mapped_column, relationship

    class Base(DeclarativeBase):
        pass

    db = SQLAlchemy(model_class=Base)

    class ClientCategory(db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "client_categories"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(200))

        def __str__(self) -> str:
            return self.name

    class User(db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "uchet_users"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(200))

        def __str__(self) -> str:
            return self.name

    class Client(db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "clients"
        id = mapped_column(Integer, primary_key=True)
        kind = mapped_column(String(100))
        name = mapped_column(String(200))
        status = mapped_column(String(100))
        city = mapped_column(String(100))
        phone = mapped_column(String(50))
        email = mapped_column(String(254))
        tax_id = mapped_column(String(12))
        loyalty = mapped_column(BigInteger)
        category_id = mapped_column("category", ForeignKey("client_categories.id"))
        manager_id = mapped_column("manager", ForeignKey("uchet_users.id"))
        category = relationship(ClientCategory)
        manager = relationship(User)

    class ClientView(ModelView):  # Flask-Admin's documented style: class-level lists
        page_size = 50
        column_list = ["name", "category", "city", "phone", "manager", "status"]
        column_default_sort = "name"
        column_sortable_list = ["name", "city", "phone", "status"]
        column_searchable_list = ["name", "phone", "email", "tax_id"]
        column_filters = ["category.name", "city", "status"]

    app = Flask("handwritten")
    app.config.update(SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}")
    db.init_app(app)
    Babel(app)  # with flask-babel installed, every admin page is a 500 without it
    admin = Admin(app, name="CRM", theme=Bootstrap4Theme())
    view = ClientView(Client, db, name="Clients", endpoint="client")
    admin.add_view(view)
    return app, view


def filter_arg(app: Any, view: Any, label: str, operation: str) -> str:
    """Flask-Admin's URL argument of a filter (``flt0_<index>``)."""
    with app.test_request_context():
        for index, flt in enumerate(view._filters):
            if str(flt.name).endswith(label) and str(flt.operation()) == operation:
                return f"flt0_{view.get_filter_arg(index, flt)}"
    raise LookupError(f"no filter {label!r} {operation!r}")


# -- running ---------------------------------------------------------------------------------
ROWS = re.compile(r"<tr[ >]")


def login_uchet(served: Served) -> None:
    _, html, _, _ = served.request("GET", "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token, "no CSRF token on the login page"
    status, _, _, _ = served.request("POST", "/login", {"login": LOGIN, "password": PASSWORD,
                                                         "csrf_token": token.group(1)})  # fmt: skip
    assert status == 302, f"login failed: {status}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> None:
    db = Path(args.db or Path(tempfile.mkdtemp()) / "web.db")
    db.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{db}"
    if not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        platform = Platform.open("sample_crm", database_url=url)
        platform.migrate()
        _, loaded, seconds = load(platform, args.clients, args.seed)
        print(f"loaded {loaded:,} clients in {seconds:.0f} s", file=sys.stderr)
    else:
        platform = Platform.open("sample_crm", database_url=url)
        if not platform.plan().is_empty:
            sys.exit(f"{db} needs a migration first (uchet migrate --database {url})")
    cats = {
        r["name"]: r["id"]
        for r in platform.records("client_categories", user=platform_system()).query().rows
    }
    vip = cats["VIP"]
    total = (
        platform.records("clients", user=platform_system())
        .query(count=True, count_limit=10**8)
        .total
    )

    ours = Served("uchet", uchet_app(platform))
    login_uchet(ours)
    fa_app, view = flask_admin_app(db)
    theirs = Served("Flask-Admin", fa_app)
    fa_filter = filter_arg(fa_app, view, "Client Categories / Name", "equals")
    q = quote("ива")
    cases: list[tuple[str, str, str | None]] = [
        ("first page", "/clients/", "/admin/client/"),
        (
            "sorted (name desc) and filtered (category = VIP) page",
            f"/clients/?sort=-name&f.category={vip}",
            f"/admin/client/?sort=0&desc=1&{fa_filter}=VIP",
        ),
        ("quick search 'ива', first page", f"/clients/?q={q}", f"/admin/client/?search={q}"),
        (
            "quick search 'ива', sorted by name",
            f"/clients/?q={q}&sort=name",
            f"/admin/client/?search={q}&sort=0",
        ),
        ("next page (page 2)", "/clients/?page=2", "/admin/client/?page=1"),
        ("grouped by category", "/clients/?group=category", None),
        ("grouped by category, then city", "/clients/?group=category,city", None),
    ]
    samples: dict[tuple[str, str], tuple[list[float], list[float], list[float]]] = {}
    for label, *urls in cases:  # warm up and check that each page really lists rows
        for served, path in zip((ours, theirs), urls, strict=True):
            if path is None:
                continue
            status, html, _, _ = served.request("GET", path)
            rows = len(ROWS.findall(html))
            if status != 200 or rows < 10:
                sys.exit(f"{served.name} {path}: HTTP {status}, {rows} table rows")
            samples[(label, served.name)] = ([], [], [])
    for _ in range(args.rounds):
        for label, *urls in cases:
            for served, path in zip((ours, theirs), urls, strict=True):
                if path is None:
                    continue
                server_ms, cpu_ms, client_ms = samples[(label, served.name)]
                for _ in range(args.repeat):
                    status, _, _, took = served.request("GET", path)
                    assert status == 200
                    server_ms.append(served.timed.last_ms)
                    cpu_ms.append(served.timed.last_cpu_ms)
                    client_ms.append(took)
    ours.stop()
    theirs.stop()

    machine_load = (
        " ".join(Path("/proc/loadavg").read_text().split()[:3])
        if Path("/proc/loadavg").exists()
        else "?"
    )
    print(
        f"\n### Web lists, SQLite, {total:,} clients, load average {machine_load} (HTTP on loopback, {args.rounds} x {args.repeat} requests per case and app)\n"
    )
    print(
        "| case | uchet server p50 / p95, ms | uchet server CPU p50, ms | uchet client p50, ms | Flask-Admin server p50 / p95, ms | Flask-Admin server CPU p50, ms | Flask-Admin client p50, ms | uchet / Flask-Admin (server p50) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, *urls in cases:
        line = [label]
        p50 = {}
        for name, path in zip(("uchet", "Flask-Admin"), urls, strict=True):
            if path is None:
                line += ["n/a (no grouping)", "", ""]
                continue
            server_ms, cpu_ms, client_ms = samples[(label, name)]
            p50[name] = statistics.median(server_ms)
            line.append(f"{p50[name]:.1f} / {percentile(server_ms, 0.95):.1f}")
            line.append(f"{statistics.median(cpu_ms):.1f}")
            line.append(f"{statistics.median(client_ms):.1f}")
        ratio = f"{p50['uchet'] / p50['Flask-Admin']:.2f}x" if len(p50) == 2 else "–"
        print("| " + " | ".join([*line, ratio]) + " |")
    if args.swaps:
        swap_cost(args.swaps)
    platform.close()


def platform_system() -> Any:
    from uchet import SYSTEM

    return SYSTEM


def swap_cost(swaps: int) -> None:
    """Hot reload on a small database: building the app of a new version, and the first list
    page it serves (templates come from the shared bytecode cache) against a warm page."""
    from uchet.configurations.overlay import Overlay

    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp}/swap.db"
    platform = Platform.open("sample_crm", database_url=url)
    platform.migrate()
    load(platform, 2_000)
    served = Served("uchet", uchet_app(platform))
    login_uchet(served)
    hs = served.timed.app.extensions["uchet"].hotswap
    first, warm, first_cpu, warm_cpu = [], [], [], []
    for i in range(1, swaps + 1):
        fields = [
            {"id": f"clients.x{k}", "name": f"x{k}", "type": "integer", "label": {"en": f"X{k}"}}
            for k in range(1, i + 1)
        ]
        other = Platform.open(
            "sample_crm",
            database_url=url,
            overlays=[Overlay(f"x{i}.json", {"overlay": f"x{i}", "fields": {"clients": fields}})],
        )
        version = other.migrate()
        other.close()
        deadline = time.monotonic() + 10
        while hs.version != version and time.monotonic() < deadline:
            served.request("GET", "/clients/")  # served by the old app while the new one builds
            hs.wait_idle(10)
        served.request("GET", "/clients/")
        first.append(served.timed.last_ms)
        first_cpu.append(served.timed.last_cpu_ms)
        served.request("GET", "/clients/")
        warm.append(served.timed.last_ms)
        warm_cpu.append(served.timed.last_cpu_ms)
    builds = [e.build_ms for e in list(hs.events)[1:]]
    warms = [e.warm_ms for e in list(hs.events)[1:]]
    served.stop()
    platform.close()
    print(f"\n### Hot reload, {swaps} swaps (sample CRM, 3 tables)\n")
    print("| what | median, ms | max, ms |")
    print("|---|---:|---:|")
    print(
        f"| build the new version's app (background thread) | {statistics.median(builds):.0f} | {max(builds):.0f} |"
    )
    print(
        f"| load its templates before the swap | {statistics.median(warms):.1f} | {max(warms):.1f} |"
    )
    print(
        f"| first list page on the new app (server) | {statistics.median(first):.1f} | {max(first):.1f} |"
    )
    print(f"| the same, server CPU | {statistics.median(first_cpu):.1f} | {max(first_cpu):.1f} |")
    print(f"| the same page once warm (server) | {statistics.median(warm):.1f} | {max(warm):.1f} |")
    print(f"| the same, server CPU | {statistics.median(warm_cpu):.1f} | {max(warm_cpu):.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--clients", type=int, default=1_000_000)
    ap.add_argument("--db", default=None, help="the SQLite file (default: a temporary one)")
    ap.add_argument("--reuse", action="store_true", help="serve an already loaded --db")
    ap.add_argument("--repeat", type=int, default=10, help="requests per case, app and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--swaps", type=int, default=0, help="also measure N hot-reload swaps")
    run(ap.parse_args())


if __name__ == "__main__":
    main()
