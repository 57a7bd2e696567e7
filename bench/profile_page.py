"""Profile one list page of the sample CRM through the WSGI app (issue 12).

Run:  python bench/profile_page.py /tmp/demo.db [--role main] [--url /clients/] [--top 40]

Opens the platform on an existing database (``bench/bench_demo.py`` makes one), logs a user
of ``--role`` in, warms up 20 requests, then prints the CPU time per page
(``time.process_time`` over 30 requests), the size of the engine's compiled-statement cache
before and after those requests (it must not grow), and the top cProfile entries.
A benchmark helper, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from uchet import Platform
from uchet.web import create_app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db")
    ap.add_argument("--role", default="main")
    ap.add_argument("--url", default="/clients/")
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--top", type=int, default=40)
    a = ap.parse_args()
    p = Platform.open("sample_crm", database_url=f"sqlite:///{a.db}")
    login = f"prof_{a.role}"
    if p.users.find(login) is None:
        p.users.create(login, "secret-pass-1", name="Prof", roles=[a.role])
    client = create_app(p, secret_key="x" * 32, idle_minutes=0).test_client()
    html = client.get("/login").text
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert m is not None
    r = client.post(
        "/login", data={"login": login, "password": "secret-pass-1", "csrf_token": m[1]}
    )
    assert r.status_code == 302, r.status_code
    r = client.get(a.url)
    assert r.status_code == 200, r.status_code
    print(f"{a.url}: {len(r.data)} bytes of HTML, {r.text.count('<tr')} <tr>")
    for _ in range(20):
        client.get(a.url)
    cache = p.engine._compiled_cache
    before = len(cache) if cache is not None else None
    t = time.process_time()
    for _ in range(a.pages):
        client.get(a.url)
    cpu = (time.process_time() - t) / a.pages * 1000
    after = len(cache) if cache is not None else None
    print(f"CPU {cpu:.1f} ms/page; statement cache {before} -> {after} after {a.pages} pages")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        client.get(a.url)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(
        r"uchet/(web|platform|printeditor)", a.top
    )
    print(out.getvalue())


if __name__ == "__main__":
    main()
