"""Profile the REST API's request path in-process (issue 18, point "speed").

Run:  PYTHONPATH=src python bench/profile_api.py /tmp/uchet_bench_api.db \
          [--url "/api/v1/clients?limit=25&fields=name,phone,email,city,category&count=false"] \
          [--requests 2000] [--top 35]

Opens the platform on a database made by ``bench/bench_api.py`` (its 100,000 clients), asks
``--url`` through the WSGI app with an administrator's API token (no HTTP, no gunicorn: the
request path alone), and prints

* the CPU time per request (``time.process_time`` over ``--requests`` requests), and the
  wall time, after a warm-up of 50;
* the process's resident memory after 100 requests and after all of them (a worker's memory
  must stay flat: no per-request cache that grows);
* the size of the engine's compiled-statement cache before and after (it must not grow);
* the top ``--top`` cProfile entries by own time over 300 further requests.

A benchmark helper, not a test: the figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from uchet import Platform
from uchet.platform.records.tokens import TokenStore
from uchet.web import create_app

DEFAULT_URL = "/api/v1/clients?limit=25&fields=name,phone,email,city,category&count=false"


def rss_mib() -> float:
    """The resident set size now, MiB (Linux /proc; the peak from getrusage elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def statement_cache_size(platform: Platform) -> int:
    """Entries of SQLAlchemy's compiled cache on the platform's engine."""
    cache = getattr(platform.engine, "_compiled_cache", None)
    return len(cache) if cache is not None else -1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db")
    ap.add_argument("--url", default=DEFAULT_URL)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--top", type=int, default=35)
    a = ap.parse_args()
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{a.db}")
    user = platform.users.find("prof_api") or platform.users.create(
        "prof_api", "secret-pass-1", name="Prof", roles=["main"]
    )
    store = TokenStore(
        platform.engine, platform.runtime.model.system["uchet_api_tokens"], platform.users
    )
    secret = store.create(user.id, "profile")[1]
    # No rate limit: the profile asks thousands of times a minute (bench_api.py does the same).
    app = create_app(platform, secret_key="profile-" + "p" * 30, api_rate_limit="")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "ru"}

    def ask() -> None:
        r = client.get(a.url, headers=headers)
        assert r.status_code == 200, r.text[:300]

    for _ in range(50):
        ask()
    cache_before = statement_cache_size(platform)
    for _ in range(50):
        ask()
    rss_100 = rss_mib()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(a.requests):
        ask()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    rss_end = rss_mib()
    print(f"{a.url}")
    per = 1000 / a.requests
    print(f"CPU per request: {cpu * per:.2f} ms; wall: {wall * per:.2f} ms")
    print(f"RSS after 100 requests: {rss_100:.1f} MiB; after {a.requests + 100}: {rss_end:.1f} MiB")
    print(f"compiled-statement cache: {cache_before} -> {statement_cache_size(platform)} entries")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(300):
        ask()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(a.top)
    print(out.getvalue())
    platform.close()


if __name__ == "__main__":
    main()
