"""Embedding in a real browser (issue 3 §1): ``UchetAdmin(platform).init_app(isv_app,
url_prefix="/crm")`` in an ISV's Flask app with routes of its own, driven by Playwright and
Debian's Chromium. Log in, list, open a card, save: every request the pages make stays under
/crm (links, redirects, forms, scripts, styles, AJAX), every static file loads, and the ISV's
own routes still answer beside the CRM. Screenshots land in artifacts/screenshots.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.test_web_embed import PREFIX, isv_app
from tests.web_support import PASSWORD, seed_users

from uchet import SYSTEM


class EmbeddedServer:
    """The ISV's app (the CRM under /crm) served over HTTP on a free loopback port."""

    def __init__(self, platform: Any):
        from werkzeug.serving import make_server

        self.platform = platform
        self.server = make_server("127.0.0.1", 0, isv_app(platform), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture
def isv_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    from uchet import Platform

    platform = Platform.open("sample_crm", database_url=f"sqlite:///{tmp_path}/isv.db")
    platform.migrate()
    platform.test_users = seed_users(platform)
    server = EmbeddedServer(platform)
    yield server
    server.server.shutdown()
    platform.close()


def test_embedded_crm_in_a_browser_stays_under_its_prefix(page: Any, isv_server: Any) -> None:
    base = isv_server.url
    client = isv_server.platform.records("clients", user=SYSTEM).create(
        {"name": "Иванов ИП", "city": "Москва"}
    )
    requested: list[str] = []
    failed: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: failed.append(f"{r.url} {r.status}") if r.status >= 400 else None)

    # The ISV's own page first: it is not the CRM's.
    page.goto(base + "/")
    assert page.inner_text("body") == "Shop home"
    isv_requests = len(requested)

    # The CRM's login, under the prefix; then its list.
    page.goto(base + PREFIX + "/clients/")
    page.wait_for_url(re.compile(re.escape(base + PREFIX) + r"/login\?next="))
    page.fill("#login", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + PREFIX + "/clients/")
    page.wait_for_selector("table >> text=Иванов ИП")
    assert page.locator("link[rel=stylesheet]").count() >= 2  # Flask-Admin's and uchet's

    # Open the card from the list, change the city, save.
    page.click("a >> text=Иванов ИП")
    page.wait_for_url(re.compile(re.escape(base + PREFIX) + r"/clients/edit/\?id="))
    page.wait_for_selector("#s2id_category")  # select2 came from a static file and ran
    page.fill("#city", "Тверь")
    page.click("#uchet-save")
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path.startswith(PREFIX + "/clients/")
    page.wait_for_selector(".alert-success")
    saved = isv_server.platform.records("clients", user=SYSTEM).get(client["id"])
    assert saved["city"] == "Тверь"

    # Everything the CRM's pages asked for was under /crm on this server.
    ours = [u for u in requested[isv_requests:] if u.startswith(base)]
    outside = [u for u in ours if not urlsplit(u).path.startswith(PREFIX + "/")]
    assert outside == []
    statics = [u for u in ours if "/static/" in u]
    assert any(u.endswith(".js") or ".js?" in u for u in statics), statics
    assert any(u.endswith(".css") or ".css?" in u for u in statics), statics
    assert failed == []  # no 404 for a static file, no failed request

    # The ISV's routes still answer, with its own session, beside the logged-in CRM.
    page.goto(base + "/crm-info")
    assert page.inner_text("body") == "About our CRM"
    page.goto(base + "/basket")
    assert page.inner_text("body") == "tea"
    page.goto(base + PREFIX + "/clients/")
    page.wait_for_selector("table >> text=Иванов ИП")  # still logged in to the CRM
