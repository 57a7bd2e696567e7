"""Many gunicorn workers on one PostgreSQL: throughput, p95 and how it scales (issue 20).

Run:  PYTHONPATH=src python bench/bench_multiworker.py [--seconds 30] [--workers 1,2,4]

A throwaway PostgreSQL (tests/pg_server.py's cluster) gets the sample CRM with a small demo
load once; each run clones it (``CREATE DATABASE … TEMPLATE``), starts gunicorn with N sync
workers (tests/multiworker_app.py) and lets the eight simulated users of
tests/multiworker_users.py work through the real forms for ``--seconds``. It reports the
requests served per second, the median and p95 of the answer times, the stale saves refused,
and the scaling against one worker.

In the run with the most workers, half-way through, a database overlay revision adds a field;
the script then asks (one session, as fast as answers come) until every gunicorn worker — by
the ``X-Worker-Pid`` of its answers — has served a page with the new field, and reports the
time from the commit to the first and to the last worker serving it. This is the figure
tests/test_multiworker_pg.py only observes. Nothing is asserted here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import sqlalchemy as sa  # noqa: E402
from tests.multiworker import Session, Site, p95  # noqa: E402
from tests.multiworker_users import USERS, Shared, SimUser  # noqa: E402
from tests.pg_server import (  # noqa: E402
    _admin_execute,
    _Cluster,
    _find_bindir,
    _run_as_prefix,
    _url,
    pg_database,
)
from tests.test_multiworker_pg import change_configuration, prepare  # noqa: E402

from uchet import Platform  # noqa: E402

TEMPLATE = "uchet_bench_mw"


def propagation(site: Site, platform: Platform) -> tuple[float, float]:
    """Seconds from the overlay's commit until the first and the last worker serve it."""
    watcher = Session(site.base)
    watcher.login("viewer")
    pids, first, seen = site.web_pids(), None, set()
    change_configuration(platform)
    committed = time.perf_counter()
    for _ in range(50_000):
        answer = watcher.request("/clients/?cols=name,mw_mark")
        if 'data-field="mw_mark"' in answer.text:
            seen.add(int(answer.headers["X-Worker-Pid"]))
            first = first or time.perf_counter() - committed
        if seen >= pids:
            return first or 0.0, time.perf_counter() - committed
    raise RuntimeError("not every worker served the new version")


WARM_PAGES = ("/clients/", "/clients/new/", "/invoices/new/", "/invoice_lines/new/", "/invoices/")


def warm_up(site: Site) -> None:
    """Until every worker has served each page the users open: the first page of a worker
    builds its app and compiles templates, which is start-up, not throughput."""
    session = Session(site.base)
    session.login("director")
    pids, served = site.web_pids(), set()
    for _ in range(2000):
        for page in WARM_PAGES:
            served.add((int(session.request(page).headers["X-Worker-Pid"]), page))
        if len(served) >= len(pids) * len(WARM_PAGES):
            return


def run(port: int, workers: int, seconds: float, folder: Path, measure: bool,
        logins: list[str]) -> dict[str, float]:  # fmt: skip
    with pg_database(port, template=TEMPLATE) as url:
        platform = Platform.open("sample_crm", database_url=url)
        site = Site(url, folder, web_workers=workers, job_workers=0)
        try:
            site.start_web()
            warm_up(site)
            with platform.engine.connect() as conn:
                products = list(conn.execute(sa.text("SELECT id FROM products")).scalars())
                rows = conn.execute(sa.text(
                    "SELECT u.login, c.id FROM clients c JOIN uchet_users u ON u.id = c.manager"
                )).all()  # fmt: skip
            shared = Shared(products=products)
            for login, rid in rows:
                shared.clients.setdefault(login, []).append(rid)
            users = [SimUser(site.base, login, shared, float("inf"), seed=i)
                     for i, login in enumerate(logins)]  # fmt: skip
            for u in users:  # log everyone in first: argon2 is not what is measured
                u.session.login(u.login)
                u.session.answers.clear()
            started = time.perf_counter()
            deadline = time.monotonic() + seconds
            for u in users:
                u.deadline = deadline
                u.start()
            result: dict[str, float] = {}
            if measure:
                time.sleep(seconds / 2)
                result["first_s"], result["all_s"] = propagation(site, platform)
            for u in users:
                u.join(seconds + 120)
            elapsed = max(u.finished for u in users) - started  # not the watcher's tail
            times = [a.seconds for u in users for a in u.session.answers]
            result |= {
                "requests": len(times),
                "rps": len(times) / elapsed,
                "median_ms": statistics.median(times) * 1000,
                "p95_ms": p95(times) * 1000,
                "errors": sum(a.status >= 500 for u in users for a in u.session.answers),
                "stale": sum(s.status == 409 for s in shared.saves),
                "saves": len(shared.saves),
            }
            failed = [f"{u.login}: {u.error!r}" for u in users if u.error]
            if failed:
                raise RuntimeError("; ".join(failed))
            return result
        finally:
            site.stop()
            platform.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="load per run")
    parser.add_argument("--workers", default="1,2,4", help="gunicorn worker counts")
    parser.add_argument("--users", type=int, default=len(USERS),
                        help="how many of the eight simulated users work (1-8)")  # fmt: skip
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="bench-mw-"))
    prefix, user = _run_as_prefix()
    cluster = _Cluster(_find_bindir(), prefix, user)
    cluster.initdb()
    port = cluster.start()
    try:
        from psycopg import sql

        _admin_execute(port, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        prepare(_url(port, TEMPLATE)).close()
        load = os.getloadavg()[0]
        print(f"{os.cpu_count()} CPUs, load average {load:.1f}; {args.users} simulated users; "
              f"{args.seconds:g} s per run")  # fmt: skip
        print("| workers | requests | req/s | median ms | p95 ms | 5xx | stale/saves | scaling |")
        print("|---|---|---|---|---|---|---|---|")
        base = None
        for n in counts:
            r = run(port, n, args.seconds, folder, measure=n == max(counts),
                    logins=USERS[: args.users])  # fmt: skip
            base = base or r["rps"]
            print(f"| {n} | {r['requests']:.0f} | {r['rps']:.1f} | {r['median_ms']:.0f} | "
                  f"{r['p95_ms']:.0f} | {r['errors']:.0f} | {r['stale']:.0f}/{r['saves']:.0f} "
                  f"| {r['rps'] / base:.2f}× |", flush=True)  # fmt: skip
            if "all_s" in r:
                print(f"config change with {n} workers: first worker {r['first_s'] * 1000:.0f} ms"
                      f", every worker {r['all_s'] * 1000:.0f} ms after the commit")  # fmt: skip
    finally:
        cluster.stop()
        cluster.remove()


if __name__ == "__main__":
    main()
