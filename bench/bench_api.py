# ruff: noqa: E501  (query strings read better on one line)
"""REST API benchmark against the peer workload q1–q6 (issue 18; ../shared/bench/).

Run:  PYTHONPATH=src python bench/bench_api.py [--rows 100000] [--db /tmp/api.db] [--seconds 10]

It loads the shared generator's clients (``generate_clients.py 100000 42``) into the sample
CRM through ``create_many`` (category → a client category named regular / VIP / problem;
``created_at`` is set from the CSV afterwards, as the peers have it), starts gunicorn with
as many workers as cores on 127.0.0.1, and asks each query of ``queries.py`` over HTTP with
keep-alive as an API token of the administrator: the p50 latency at one connection and the
throughput at eight (threads with ``http.client``, on the same 2 cores as the server), and,
in the same run, the same page through raw ``sqlite3`` (page + exact count, as the peers'
figures). A benchmark, not a test: the numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench"
if not SHARED.exists():
    SHARED = Path("/work/shared/bench")
sys.path.insert(0, str(SHARED))
from queries import ORDER, PAGE_SIZE, QUERIES  # noqa: E402

from uchet import SYSTEM, Platform  # noqa: E402
from uchet.platform.records.tokens import TokenStore  # noqa: E402

CATEGORIES = ("regular", "VIP", "problem")


def load(db: Path, rows: int) -> None:
    """The sample CRM with ``rows`` generated clients in ``db`` (once; reused after)."""
    csv_path = db.with_suffix(".csv")
    subprocess.run(
        [sys.executable, str(SHARED / "generate_clients.py"), str(rows), "42", str(csv_path)],
        check=True,
    )
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{db}")
    platform.migrate()
    cats = platform.records("client_categories", user=SYSTEM)
    existing = {r["name"]: r["id"] for r in cats.query(limit=100).rows}
    ids = {c: existing.get(c) or cats.create({"name": c})["id"] for c in CATEGORIES}
    with csv_path.open(encoding="utf-8") as f:
        data = list(csv.DictReader(f))
    clients = platform.records("clients", user=SYSTEM)
    started = time.perf_counter()
    new_ids: list[Any] = []
    for i in range(0, len(data), 10_000):
        new_ids += clients.create_many(
            [
                {
                    "name": r["name"][:200],
                    "phone": r["phone"],
                    "email": r["email"],
                    "city": r["city"],
                    "category": ids[r["category"]],
                    "address": r["address"],
                    "notes": r["notes"],
                }
                for r in data[i : i + 10_000]
            ]
        )
    print(
        f"loaded {len(new_ids)} clients through create_many in {time.perf_counter() - started:.1f} s"
    )
    table = platform.runtime.table("clients").sql
    with platform.engine.begin() as conn:
        conn.execute(
            table.update()
            .where(table.c.id == sa.bindparam("rid"))
            .values(created_at=sa.bindparam("at")),
            [
                {"rid": rid, "at": dt.datetime.fromisoformat(r["created_at"][:19])}
                for rid, r in zip(new_ids, data, strict=True)
            ],
        )
    platform.close()


def api_paths() -> dict[str, str]:
    """Each query as an API path (the engine's keyset paging has no offset: page N is the
    cursor of page N-1, so the deep pages are asked for with their cursor, as a client that
    pages does; ``count=false`` except where the question is the count)."""
    base = f"/api/v1/clients?limit={PAGE_SIZE}&fields=name,phone,email,city,category&count=false"
    return {
        "q1": base,
        "q2": base + "&sort=name",  # cursor added at run time (page 200)
        "q3": base + "&filter[category]=VIP&sort=-created_at",
        "q4": base
        + "&"
        + quote("filter[city]")
        + "="
        + quote("Москва")
        + "&filter[category]=regular",  # page 3 by cursor
        "q5": base + "&" + quote("filter[name][startswith]") + "=" + quote("Сев"),
        "q5b": base + "&" + quote("filter[name][startswith]") + "=Nor",
        "q6": "/api/v1/clients?limit=1&fields=name&filter[category]=problem&count=true",
    }


def follow(conn: http.client.HTTPConnection, headers: dict[str, str], path: str, pages: int) -> str:
    """The path of page ``pages + 1``: follows next_cursor ``pages`` times."""
    import json

    for _ in range(pages):
        conn.request("GET", path, headers=headers)
        cursor = json.loads(conn.getresponse().read())["meta"]["next_cursor"]
        if cursor is None:
            break  # fewer rows than the page asked for (a small --rows)
        path = path.split("&cursor=")[0] + "&cursor=" + quote(cursor)
    return path


def timed(
    port: int, headers: dict[str, str], path: str, seconds: float, connections: int
) -> tuple[float, float]:
    """(p50 ms at this many connections, requests per second)."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        mine = []
        while time.perf_counter() < stop:
            t = time.perf_counter()
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
            assert r.status == 200, r.status
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statistics.median(latencies) * 1000, len(latencies) / (time.perf_counter() - start)


RAW = {
    "q1": (
        "SELECT id, name, phone, email, city, category FROM clients ORDER BY name, id LIMIT 25",
        "SELECT count(*) FROM clients",
    ),
    "q2": (
        "SELECT id, name, phone, email, city, category FROM clients ORDER BY name, id LIMIT 25 OFFSET 4975",
        "SELECT count(*) FROM clients",
    ),
    "q3": (
        "SELECT c.id, c.name FROM clients c JOIN client_categories k ON k.id = c.category WHERE k.name = 'VIP' ORDER BY c.created_at DESC LIMIT 25",
        "SELECT count(*) FROM clients c JOIN client_categories k ON k.id = c.category WHERE k.name = 'VIP'",
    ),
    "q4": (
        "SELECT c.id, c.name FROM clients c JOIN client_categories k ON k.id = c.category WHERE c.city = 'Москва' AND k.name = 'regular' ORDER BY c.name LIMIT 25 OFFSET 50",
        "SELECT count(*) FROM clients c JOIN client_categories k ON k.id = c.category WHERE c.city = 'Москва' AND k.name = 'regular'",
    ),
    "q5": (
        "SELECT id, name FROM clients WHERE name LIKE 'Сев%' ORDER BY name LIMIT 25",
        "SELECT count(*) FROM clients WHERE name LIKE 'Сев%'",
    ),
    "q5b": (
        "SELECT id, name FROM clients WHERE name LIKE 'Nor%' ORDER BY name LIMIT 25",
        "SELECT count(*) FROM clients WHERE name LIKE 'Nor%'",
    ),
    "q6": (
        "SELECT count(*) FROM clients c JOIN client_categories k ON k.id = c.category WHERE k.name = 'problem'",
        None,
    ),
}


def workers_of(master: int) -> list[int]:
    """The pids of gunicorn's workers (the children of ``master``), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry.name))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` so far, seconds (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def rss_mib(pids: list[int]) -> list[float]:
    """Each pid's resident memory, MiB."""
    out = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out.append(int(line.split()[1]) / 1024)
    return out


def raw_ms(db: Path, query: str, repeat: int = 30) -> float:
    """Raw sqlite3: the page and its exact count (the peers' figures), median ms."""
    conn = sqlite3.connect(db)
    page, count = RAW[query]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        conn.execute(page).fetchall()
        if count:
            conn.execute(count).fetchall()
        times.append(time.perf_counter() - t)
    conn.close()
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/uchet_bench_api.db"))
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if not args.db.exists():
        load(args.db, args.rows)
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{args.db}")
    admin = platform.users.authenticate("bench", "bench-pass-1") or platform.users.create(
        "bench", "bench-pass-1", name="Bench", roles=["main"]
    )
    store = TokenStore(
        platform.engine, platform.runtime.model.system["uchet_api_tokens"], platform.users
    )
    secret = store.create(admin.id, "bench")[1]
    platform.close()
    env = {
        **os.environ,
        "UCHET_CONFIG": "sample_crm",
        "UCHET_DATABASE_URL": f"sqlite:///{args.db}",
        "UCHET_API_RATE_LIMIT": "",
        "UCHET_SECRET_KEY": "bench-" + "k" * 30,
    }
    workers = os.cpu_count() or 2
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
            "uchet.web:create_app()",
        ],
        env=env,
    )
    try:
        headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "ru"}
        conn = http.client.HTTPConnection("127.0.0.1", args.port)
        for _ in range(300):
            try:
                conn.request("GET", "/api/v1/clients?limit=1", headers=headers)
                if conn.getresponse().read() and True:
                    break
            except OSError:
                conn = http.client.HTTPConnection("127.0.0.1", args.port)
                time.sleep(0.2)
        paths = api_paths()
        paths["q2"] = follow(conn, headers, paths["q2"], 199)
        paths["q4"] = follow(conn, headers, paths["q4"], 2)
        print(f"{args.rows} clients, gunicorn -w {workers}, {args.seconds:.0f} s a cell\n")
        workers_pids = workers_of(server.pid)
        rss_start = rss_mib(workers_pids)
        print(
            "| query | uchet API p50 @1 | uchet API rps @8 | worker CPU / request | raw SQLite page + count |"
        )
        print("|---|---|---|---|---|")
        for q in ORDER:
            for w in (1, 8):  # warm every worker's statements
                timed(args.port, headers, paths[q], 1.0, w)
            p50, _ = timed(args.port, headers, paths[q], args.seconds, 1)
            cpu = cpu_seconds(workers_pids)
            started = time.perf_counter()
            _, rps = timed(args.port, headers, paths[q], args.seconds, 8)
            served = rps * (time.perf_counter() - started)
            per = (cpu_seconds(workers_pids) - cpu) / max(served, 1) * 1000
            print(
                f"| {q} | {p50:.2f} ms | {rps:.0f} rps | {per:.2f} ms | {raw_ms(args.db, q):.2f} ms |  <!-- {QUERIES[q][0]} -->"
            )
        rss_end = rss_mib(workers_pids)
        print(
            "\nworker RSS at the start / end (MiB): "
            + ", ".join(f"{a:.0f} / {b:.0f}" for a, b in zip(rss_start, rss_end, strict=False))
        )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
