# ruff: noqa: E501  (URLs and table rows read better on one line)
"""List pages at the speed of their query (issue 12): q1-q6 of ../shared/bench as HTML list
pages, against a raw JSON endpoint running hand-written SQL for the same questions.

Run:  python bench/bench_list_pages.py --db /tmp/l100k.db --clients 100000 [--reuse]

Data: ``/work/shared/bench/generate_clients.py N 42`` (the peers' CSV), loaded through
``create_many`` (name, phone, city, category, address; every client's manager is the bench
manager, so both users see every row). Then:

1. **CPU per page** in process (``time.process_time`` over ``--repeat`` requests through the
   Flask test client), for the main user and the manager, and for the raw endpoint.
2. **gunicorn, 2 sync workers**, the same app with the raw endpoint mounted at ``/raw``:
   throughput at 8 connections (``--seconds`` per case, one thread per connection,
   keep-alive where the server allows it), uchet and raw side by side.
3. **Worker memory** (RSS of each worker) after 100 requests each (8 connections, so both
   workers serve them), after the throughput phase, and after ``--requests`` in all.

A benchmark, not a test: the numbers go to docs/performance.md with the command.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from uchet import SYSTEM, Platform  # noqa: E402

GENERATOR = Path("/work/shared/bench/generate_clients.py")
MAIN, MANAGER, PASSWORD = "bench_main", "bench_mgr", "bench-password-1"
CATEGORIES = ("regular", "VIP", "problem")
SIZE = 25


def load(db: Path, n: int) -> None:
    """Generate the peers' CSV and load it into a fresh sample CRM at ``db``."""
    out = db.with_suffix(".csv")
    subprocess.run([sys.executable, str(GENERATOR), str(n), "42", str(out)], check=True)
    p = Platform.open("sample_crm", database_url=f"sqlite:///{db}")
    p.migrate()
    p.users.create(MAIN, PASSWORD, name="Bench main", roles=["main"])
    mgr = p.users.create(MANAGER, PASSWORD, name="Bench manager", roles=["manager"]).id
    service = p.records("client_categories", user=SYSTEM)
    # The sample CRM seeds some categories on migrate (VIP among them); add the others.
    seeded = {r["name"]: r["id"] for r in service.query(limit=1000, count=False).rows}
    missing = [c for c in CATEGORIES if c not in seeded]
    seeded.update(zip(missing, service.create_many([{"name": c} for c in missing])))
    cats = {c: seeded[c] for c in CATEGORIES}
    clients = p.records("clients", user=SYSTEM)
    t = time.perf_counter()
    with out.open(encoding="utf-8") as f:
        batch: list[dict[str, Any]] = []
        for row in csv.DictReader(f):
            batch.append({"name": row["name"], "kind": "company", "phone": row["phone"],
                          "city": row["city"], "category": cats[row["category"]],
                          "address": row["address"], "manager": mgr})  # fmt: skip
            if len(batch) == 20_000:
                clients.create_many(batch)
                batch = []
        if batch:
            clients.create_many(batch)
    print(f"loaded {n} clients in {time.perf_counter() - t:.0f} s", flush=True)
    p.close()


def category_ids(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT name, id FROM client_categories"))


def cases(db: Path) -> dict[str, str]:
    """q1-q6 as list-page URLs (page size 25)."""
    c = category_ids(db)
    return {
        "q1": f"/clients/?size={SIZE}",
        "q2": f"/clients/?sort=name&page=200&size={SIZE}",
        "q3": f"/clients/?f.category={c['VIP']}&sort=-created_at&size={SIZE}",
        "q4": f"/clients/?f.city={quote('Москва')}&f.category={c['regular']}&page=3&size={SIZE}",
        "q5": f"/clients/?f.name.startswith={quote('Сев')}&size={SIZE}",
        "q5b": f"/clients/?f.name.startswith=Nor&size={SIZE}",
        "q6": f"/clients/?f.category={c['problem']}&size={SIZE}",
    }


# -- the raw JSON endpoint: the same questions in hand-written SQL ---------------------------
COLS = "c.id, c.name, c.city, c.phone, cc.name AS category"
FROM = "clients c LEFT JOIN client_categories cc ON cc.id = c.category"
SK = "c.id IN (SELECT record_id FROM clients__sk WHERE term >= ? AND term < ? AND field = 0) AND lower(c.name) LIKE ?"
RAW: dict[str, tuple[str, str, Any]] = {
    # (page SQL, count SQL, parameters(categories))
    "q1": (
        f"SELECT {COLS} FROM {FROM} ORDER BY c.id LIMIT 26",
        "SELECT count(*) FROM (SELECT 1 FROM clients LIMIT 10001)",
        lambda c: (),
    ),
    "q2": (
        f"SELECT {COLS} FROM (SELECT id FROM clients ORDER BY name, id LIMIT 26 OFFSET 4975) p JOIN clients c ON c.id = p.id LEFT JOIN client_categories cc ON cc.id = c.category ORDER BY c.name, c.id",
        "SELECT count(*) FROM (SELECT 1 FROM clients LIMIT 10001)",
        lambda c: (),
    ),
    "q3": (
        f"SELECT {COLS} FROM {FROM} WHERE c.category = ? ORDER BY c.created_at DESC, c.id DESC LIMIT 26",
        "SELECT count(*) FROM (SELECT 1 FROM clients WHERE category = ? LIMIT 10001)",
        lambda c: (c["VIP"],),
    ),
    "q4": (
        f"SELECT {COLS} FROM {FROM} WHERE c.city = ? AND c.category = ? ORDER BY c.id LIMIT 26 OFFSET 50",
        "SELECT count(*) FROM (SELECT 1 FROM clients WHERE city = ? AND category = ? LIMIT 10001)",
        lambda c: ("Москва", c["regular"]),
    ),
    "q5": (
        f"SELECT {COLS} FROM {FROM} WHERE {SK} ORDER BY c.id LIMIT 26",
        f"SELECT count(*) FROM (SELECT 1 FROM clients c WHERE {SK} LIMIT 10001)",
        lambda c: ("сев", "сев\U0010ffff", "сев%"),
    ),
    "q5b": (
        f"SELECT {COLS} FROM {FROM} WHERE {SK} ORDER BY c.id LIMIT 26",
        f"SELECT count(*) FROM (SELECT 1 FROM clients c WHERE {SK} LIMIT 10001)",
        lambda c: ("nor", "nor\U0010ffff", "nor%"),
    ),
    "q6": (
        f"SELECT {COLS} FROM {FROM} WHERE c.category = ? ORDER BY c.id LIMIT 26",
        "SELECT count(*) FROM (SELECT 1 FROM clients WHERE category = ? LIMIT 10001)",
        lambda c: (c["problem"],),
    ),
}


def raw_app(db: Path) -> Any:
    """A 40-line JSON app: the page and the capped count of one question, as JSON."""
    from flask import Flask, jsonify

    app = Flask("raw")
    cats = category_ids(db)
    local = threading.local()

    @app.get("/<q>")
    def page(q: str) -> Any:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = sqlite3.connect(db, check_same_thread=False)
            conn.create_function(
                "lower", 1, lambda v: v.lower() if isinstance(v, str) else v, deterministic=True
            )
        rows_sql, count_sql, params = RAW[q]
        args = params(cats)
        rows = conn.execute(rows_sql, args).fetchall()
        total = conn.execute(count_sql, args).fetchone()[0]
        return jsonify(total=total, rows=[list(r) for r in rows[:SIZE]])

    return app


def wsgi() -> Any:
    """The app gunicorn serves: the sample CRM, with the raw endpoint at ``/raw``."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from uchet.web import create_app

    db = Path(os.environ["BENCH_DB"])
    p = Platform.open("sample_crm", database_url=f"sqlite:///{db}")
    app = create_app(p, secret_key="bench-" + "x" * 26, idle_minutes=0)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/raw": raw_app(db)})  # type: ignore[method-assign]
    return app


# -- 1. CPU per page in process ---------------------------------------------------------------
def login(client: Any, user: str) -> None:
    html = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token is not None
    r = client.post("/login", data={"login": user, "password": PASSWORD, "csrf_token": token[1]})
    assert r.status_code == 302, r.status_code


def cpu_per_page(db: Path, repeat: int) -> dict[str, dict[str, float]]:
    os.environ["BENCH_DB"] = str(db)
    app = wsgi()
    urls = cases(db)
    out: dict[str, dict[str, float]] = {}
    for user in (MAIN, MANAGER):
        client = app.test_client()
        login(client, user)
        for q, url in urls.items():
            for _ in range(3):
                assert client.get(url).status_code == 200, url
            t = time.process_time()
            for _ in range(repeat):
                client.get(url).close()
            out.setdefault(q, {})[user] = (time.process_time() - t) / repeat * 1000
    client = app.test_client()
    for q in urls:
        client.get(f"/raw/{q}")
        t = time.process_time()
        for _ in range(repeat):
            client.get(f"/raw/{q}").close()
        out[q]["raw"] = (time.process_time() - t) / repeat * 1000
    size = len(app.test_client().get("/raw/q1").data)
    client = app.test_client()
    login(client, MAIN)
    out["html_kb"] = {"q1": len(client.get(urls["q1"]).data) / 1024, "raw_q1": size / 1024}
    return out


# -- 2./3. gunicorn -----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """One connection; logs in once (the session cookie is shared by the threads)."""

    def __init__(self, port: int, cookie: str = ""):
        self.port, self.cookie = port, cookie
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, url: str, body: str | None = None) -> tuple[int, bytes, Any]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, url, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                return r.status, data, r
            except (http.client.HTTPException, OSError):
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError


def http_login(port: int, user: str) -> str:
    c = Client(port)
    status, html, r = c.request("GET", "/login")
    cookie = r.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token is not None
    c.cookie = cookie
    body = f"login={user}&password={PASSWORD}&csrf_token={quote(token[1].decode())}"
    status, _, r = c.request("POST", "/login", body)
    assert status == 302, status
    return str(r.getheader("Set-Cookie", "").split(";")[0] or cookie)


def worker_rss(master: int) -> list[float]:
    """RSS of each worker of a gunicorn master, in MB."""
    out = subprocess.run(
        ["ps", "--ppid", str(master), "-o", "rss="], capture_output=True, text=True
    )
    return [int(x) / 1024 for x in out.stdout.split()]


def throughput(
    port: int, cookie: str, url: str, seconds: float, conns: int = 8
) -> tuple[float, int]:
    done = [0] * conns
    errors = [0] * conns
    stop = time.perf_counter() + seconds

    def run(i: int) -> None:
        c = Client(port, cookie)
        while time.perf_counter() < stop:
            status, _, _ = c.request("GET", url)
            done[i] += 1
            errors[i] += status != 200

    threads = [threading.Thread(target=run, args=(i,)) for i in range(conns)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return sum(done) / (time.perf_counter() - t), sum(errors)


def gunicorn_phase(db: Path, seconds: float, total: int) -> dict[str, Any]:
    port = free_port()
    env = dict(os.environ, BENCH_DB=str(db), PYTHONPATH=f"{HERE.parent / 'src'}:{HERE}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--keep-alive", "5", "--timeout", "120", "bench_list_pages:wsgi()"],
        cwd=HERE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        cookie = http_login(port, MAIN)
        urls = cases(db)
        order = list(urls.values())

        def warm(i: int, n: int) -> None:
            cl = Client(port, cookie)
            for k in range(n):
                cl.request("GET", order[(i + k) % len(order)])

        # 100 requests per worker: 8 connections of 25 each, spread over both workers as
        # in the later phases (one keep-alive connection would have warmed one worker only,
        # and the other's "after 100" reading would have been a cold worker's).
        threads = [threading.Thread(target=warm, args=(i, 25)) for i in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        served = 200
        rss100 = worker_rss(proc.pid)
        out: dict[str, Any] = {"rps": {}, "rss100": rss100}
        for q, url in urls.items():
            rps, errors = throughput(port, cookie, url, seconds)
            raw, raw_errors = throughput(port, "", f"/raw/{q}", seconds)
            out["rps"][q] = (rps, raw, errors + raw_errors)
            served += int(rps * seconds)
            print(f"  {q}: {rps:.0f} pages/s, raw {raw:.0f}/s", flush=True)
        out["rss_mid"], out["requests_mid"] = worker_rss(proc.pid), served
        rest = max(0, total - served)
        threads = [threading.Thread(target=warm, args=(i, rest // 8)) for i in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        out["rss_total"] = worker_rss(proc.pid)
        out["requests"] = served + rest // 8 * 8
        return out
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--clients", type=int, default=100_000)
    ap.add_argument("--reuse", action="store_true", help="use an already loaded --db")
    ap.add_argument("--repeat", type=int, default=20, help="requests per case for CPU/page")
    ap.add_argument("--seconds", type=float, default=6.0, help="per throughput cell")
    ap.add_argument("--requests", type=int, default=10_000, help="for the memory reading")
    ap.add_argument("--skip-gunicorn", action="store_true")
    a = ap.parse_args()
    db = Path(a.db)
    if not a.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        load(db, a.clients)
    cpu = cpu_per_page(db, a.repeat)
    print(json.dumps(cpu, indent=1), flush=True)
    g = None if a.skip_gunicorn else gunicorn_phase(db, a.seconds, a.requests)
    print(f"\n{a.clients:,} clients; CPU ms per page in process; gunicorn -w 2, 8 connections")
    print("| query | CPU main | CPU manager | CPU raw JSON | pages/s | raw JSON/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for q in cases(db):
        c = cpu[q]
        rps = g["rps"][q] if g else (0.0, 0.0, 0)
        ratio = rps[0] / rps[1] if rps[1] else 0.0
        print(
            f"| {q} | {c[MAIN]:.1f} | {c[MANAGER]:.1f} | {c['raw']:.2f} | {rps[0]:.0f} | {rps[1]:.0f} | {ratio:.2f} |"
        )
    print(f"HTML of q1: {cpu['html_kb']['q1']:.0f} KB")
    if g:
        print(f"worker RSS after 100 requests each: {', '.join(f'{x:.0f}' for x in g['rss100'])} MB; "
              f"after {g['requests_mid']:,}: {', '.join(f'{x:.0f}' for x in g['rss_mid'])} MB; "
              f"after {g['requests']:,}: {', '.join(f'{x:.0f}' for x in g['rss_total'])} MB")  # fmt: skip


if __name__ == "__main__":
    main()
