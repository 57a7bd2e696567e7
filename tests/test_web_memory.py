"""Serving pages does not grow memory (issue 12).

2,000 list, card and report requests go through the WSGI app after a warm-up. The real
guards are exact counts, which do not depend on timing or the machine's load:

* the engine's compiled-statement cache holds no more entries after the 2,000 requests than
  after the warm-up, and no more than the pages have query shapes. A ``Table`` or alias
  built per request is part of its statement's cache key by identity, so it adds an entry
  per request (that was the print menu's fresh system tables: +1 per page, each pinning a
  whole MetaData);
* the compiled model's memo and its plan/statement LRUs keep their size.

Resident memory is the backstop, with a generous bound, measured between two points after
warm-up and after ``gc.collect()``: before the fix it grew about 32 MB per 100 pages.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import copy_sqlite
from tests.web_support import WebClient, seed_users

from uchet import SYSTEM, Platform
from uchet.platform.query.cache import LRU
from uchet.sample_crm.demo import Demo
from uchet.web import create_app
from uchet.web.context import CTX_KEY

pytestmark = pytest.mark.slow  # ~40 s of CPU: 2,000 pages and a demo load

#: Requests measured after the warm-up, and how many of them open the RSS window.
REQUESTS = 2000
SETTLE = 500
#: Allowed RSS growth over the last 1,500 requests, in MB. Before the fix the same window
#: grew by hundreds of MB (about 32 MB per 100 pages); the growth is printed (``-s``).
RSS_MB = 8.0


def rss_mb() -> float:
    """Resident memory of this process, in MB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memo_sizes(model: Any) -> dict[str, int]:
    """The compiled model's memo and the size of each LRU in it."""
    memo = dict(model._memo)
    sizes = {"memo": len(memo)}
    for key, value in memo.items():
        if isinstance(value, LRU):
            sizes[repr(key)] = len(value._items)
    return sizes


@pytest.fixture
def crm(tmp_path: Path, sqlite_crm_template: Path) -> Any:
    path = tmp_path / "memory.db"
    copy_sqlite(sqlite_crm_template, path)
    p = Platform.open("sample_crm", database_url=f"sqlite:///{path}")
    p.migrate()
    Demo(p, 120, 7, lambda _text: None).run()
    seed_users(p)
    yield p
    p.close()


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc (Linux)")
def test_memory_stays_flat(crm: Any) -> None:
    app = create_app(crm, secret_key="memory-" + "x" * 25, idle_minutes=0)
    web = WebClient(app)
    assert web.login("admin").status_code == 302
    clients = crm.records("clients", user=SYSTEM)
    ids = [r["id"] for r in clients.query(limit=6, sort=["id"]).rows]
    vip = crm.records("client_categories", user=SYSTEM).query(limit=1).rows[0]["id"]
    urls = [
        "/clients/",
        "/clients/?sort=name&page=3",
        "/clients/?sort=-name&page=2",
        f"/clients/?f.category={vip}",
        "/clients/?q=ива",
        "/clients/?f.name.startswith=Сев",
        "/invoices/",
        "/contracts/",
        *[f"/clients/edit/?id={i}" for i in ids],
        "/reports/",
        "/reports/report_clients_by_category/",
        "/reports/report_sales_by_month/",
    ]

    def serve(n: int) -> None:
        for i in range(n):
            r = web.get(urls[i % len(urls)])
            assert r.status_code == 200, (urls[i % len(urls)], r.status_code)
            r.close()

    serve(len(urls) * 3)  # every shape seen, lazy imports done
    model = app.wsgi_app.current().extensions[CTX_KEY].runtime.model  # type: ignore[attr-defined]
    cache = crm.engine._compiled_cache
    gc.collect()
    cached0, memo0 = len(cache), memo_sizes(model)
    serve(SETTLE)
    gc.collect()
    rss1 = rss_mb()
    serve(REQUESTS - SETTLE)
    gc.collect()
    rss2 = rss_mb()
    print(f"statement cache {cached0} -> {len(cache)}, RSS {rss1:.1f} -> {rss2:.1f} MB")
    assert len(cache) == cached0, (
        f"the statement cache grew from {cached0} to {len(cache)}: a Table or alias built "
        "per request?"
    )
    # Each page runs a handful of statements (page, count, saved views, prefs, print forms,
    # bell...): far fewer than SQLAlchemy's LRU of 500, which would hide a leak by pruning.
    assert cached0 <= 25 * len(urls) < 500
    assert memo_sizes(model) == memo0
    assert rss2 - rss1 < RSS_MB, f"RSS grew {rss2 - rss1:.1f} MB over the last requests"
