"""Hot reload (issue 3 §1, ARCHITECTURE rule 7), on SQLite and PostgreSQL.

Another process migrates the database (here: a second :class:`Platform` on the same database
with a changed configuration); every web app notices the new version by itself, builds an
app for it and swaps it in, while requests already running finish on the old one.
"""

from __future__ import annotations

import gc
import json
import shutil
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import mapperlib
from tests.web_support import WebClient

import uchet
from uchet import Platform
from uchet.configurations.overlay import Overlay
from uchet.platform.schema.compiler import CompiledModel
from uchet.web import create_app
from uchet.web.hotswap import HotSwap
from uchet.web.urlcache import UchetFlask

SECRET = "hotswap-secret-" + "z" * 20
BONUS_COLUMN = 'data-field="bonus"'
#: The list URL asks for the new field's column: only an app that knows the field shows it.
LIST_URL = "/clients/?cols=name,bonus"


def bundle_with_bonus(tmp_path: Path) -> Path:
    """A copy of the sample CRM bundle whose clients table has one more field."""
    target = tmp_path / "crm_copy"
    shutil.copytree(Path(uchet.__file__).parent / "sample_crm", target)
    clients = target / "tables" / "clients.json"
    data = json.loads(clients.read_text(encoding="utf-8"))
    data["fields"].append({"id": "clients.bonus", "name": "bonus", "type": "integer",
                           "label": {"ru": "Бонус", "en": "Bonus"}})  # fmt: skip
    clients.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return target


class ClosingClient(FlaskClient):
    """A test client that reads and closes every response, as a WSGI server does: the
    hot-swap dispatcher counts a request as running until its response is closed."""

    def open(self, *args: Any, **kw: Any) -> Any:
        kw.setdefault("buffered", True)
        return super().open(*args, **kw)


def logged_in(app: Flask, login: str = "admin") -> WebClient:
    app.test_client_class = ClosingClient
    client = WebClient(app)
    assert client.login(login).status_code == 302
    return client


def hotswap_of(app: Flask) -> HotSwap:
    hs = app.extensions["uchet"].hotswap
    assert isinstance(hs, HotSwap)
    return hs


def wait_for(predicate: Any, timeout: float = 60.0, step: float = 0.02) -> None:
    """Poll ``predicate`` until true. ``timeout`` is only a generous bound so that a broken
    swap fails instead of hanging: how long it took is not asserted (a loaded machine is
    slow), it is measured by ``bench/bench_hotswap.py``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"not true after {timeout} s")
        time.sleep(step)


def test_two_app_instances_on_one_database(
    web_platform: Any, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("uchet.core.VERSION_CHECK_INTERVAL", 0.0)  # notice at once
    first = create_app(web_platform, secret_key=SECRET)
    other_platform = Platform.open(bundle_with_bonus(tmp_path), database_url=db_url)
    try:
        second = create_app(other_platform, secret_key=SECRET)
        c1, c2 = logged_in(first), logged_in(second)
        # Both serve the applied version: neither knows the field the second one declares.
        for c in (c1, c2):
            page = c.get(LIST_URL)
            assert page.status_code == 200 and BONUS_COLUMN not in page.text
        before = hotswap_of(first).version

        version = other_platform.migrate()  # "another process ran migrate"
        assert version == before + 1
        wait_for(lambda: BONUS_COLUMN in c1.get(LIST_URL).text)
        assert hotswap_of(first).version == version
        wait_for(lambda: BONUS_COLUMN in c2.get(LIST_URL).text)
        # The session survives the swap: same cookie, same user, new app.
        card = c1.get("/clients/new/")
        assert card.status_code == 200 and 'name="bonus"' in card.text
    finally:
        other_platform.close()


def test_in_flight_request_finishes_on_the_old_app(
    web_platform: Any, db_url: str, tmp_path: Path
) -> None:
    app = create_app(web_platform, secret_key=SECRET)
    hs = hotswap_of(app)
    entered, release = threading.Event(), threading.Event()
    build = hs.build

    def build_with_a_gate(runtime: Any) -> Flask:
        """Each inner app holds requests carrying ``X-Hold`` until the test releases them."""
        inner = build(runtime)
        wsgi = inner.wsgi_app

        def held(environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("HTTP_X_HOLD"):
                entered.set()
                assert release.wait(20)
            return wsgi(environ, start_response)

        inner.wsgi_app = held  # type: ignore[method-assign]
        return inner

    hs.build = build_with_a_gate
    slow, fast = logged_in(app), logged_in(app)
    old = hs.served
    assert old is not None
    result: dict[str, Any] = {}

    def slow_request() -> None:
        result["response"] = slow.get(LIST_URL, headers={"X-Hold": "1"})

    thread = threading.Thread(target=slow_request)
    thread.start()
    assert entered.wait(10)
    other = Platform.open(bundle_with_bonus(tmp_path), database_url=db_url)
    try:
        other.migrate()
    finally:
        other.close()
    # New requests get the new app while the slow one still holds the old one.
    wait_for(lambda: BONUS_COLUMN in fast.get(LIST_URL).text)
    assert hs.served is not old and old.retired and old.inflight == 1
    release.set()
    thread.join(20)
    response = result["response"]
    assert response.status_code == 200
    assert 'data-field="name"' in response.text and BONUS_COLUMN not in response.text
    assert old.inflight == 0


def bonus_overlay(count: int) -> Overlay:
    """An overlay adding ``count`` integer fields: a new configuration per count."""
    fields = [{"id": f"clients.extra{i}", "name": f"extra{i}", "type": "integer",
               "label": {"en": f"Extra {i}"}} for i in range(1, count + 1)]  # fmt: skip
    name = f"extra{count}"
    return Overlay(f"{name}.json", {"overlay": name, "fields": {"clients": fields}})


def live(kind: type, where: Any = None) -> int:
    """How many objects of exactly ``kind`` are alive (a weakproxy passes isinstance)."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is kind and (where is None or where(o)))


def test_twenty_swaps_release_old_apps_and_registries(
    web_platform: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("uchet.core.VERSION_CHECK_INTERVAL", 0.0)  # notice at once
    # Other tests may keep a platform alive for the session (shared data): count from here.
    before = live(CompiledModel, lambda m: m is not getattr(web_platform._runtime, "model", None))
    apps_before = live(UchetFlask, lambda a: a.name == "uchet.web")
    app = create_app(web_platform, secret_key=SECRET)
    hs = hotswap_of(app)
    client = logged_in(app)
    apps: list[weakref.ref[Flask]] = []
    counts = []
    for i in range(1, 21):
        other = Platform.open("sample_crm", database_url=db_url, overlays=[bonus_overlay(i)])
        try:
            version = other.migrate()
        finally:
            other.close()
        assert client.get("/clients/").status_code == 200  # starts the build
        assert hs.wait_idle(30)
        page = client.get(f"/clients/?cols=name,extra{i}")
        assert page.status_code == 200 and f'data-field="extra{i}"' in page.text
        assert hs.version == version
        assert hs.app is not None
        apps.append(weakref.ref(hs.app))
        if i in (2, 20):
            inner = live(UchetFlask, lambda a: a.name == "uchet.web")
            counts.append((live(CompiledModel), len(mapperlib._mapper_registries), inner))
    alive = [ref for ref in apps if ref() is not None]
    assert alive == apps[-1:], f"{len(alive)} of 20 built apps are still alive"
    # Nothing grows with the number of swaps: compiled models, SQLAlchemy registries and
    # inner apps stay at what one version needs.
    assert counts[1] == counts[0], f"after 2 swaps {counts[0]}, after 20 {counts[1]}"
    models, _, inner_apps = counts[1]
    assert models - before == 1 and inner_apps - apps_before == 1
    assert hs.builds == 21
    # How long each build took (``e.build_ms``) is measured by bench/bench_hotswap.py.


def test_synchronous_reload_builds_in_the_noticing_request(
    web_platform: Any, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("uchet.core.VERSION_CHECK_INTERVAL", 0.0)
    app = create_app(web_platform, secret_key=SECRET, reload_in_background=False)
    client = logged_in(app)
    other = Platform.open(bundle_with_bonus(tmp_path), database_url=db_url)
    try:
        other.migrate()
    finally:
        other.close()
    # No waiting: the very next request is served by the new version.
    assert BONUS_COLUMN in client.get(LIST_URL).text


def test_a_failed_build_keeps_the_old_app_serving(
    web_platform: Any, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("uchet.core.VERSION_CHECK_INTERVAL", 0.0)
    app = create_app(web_platform, secret_key=SECRET)
    hs = hotswap_of(app)
    client = logged_in(app)
    good = hs.build
    attempts = []

    def broken(runtime: Any) -> Flask:
        attempts.append(runtime.version)
        raise RuntimeError("a plugin failed while building views")

    hs.build = broken
    other = Platform.open(bundle_with_bonus(tmp_path), database_url=db_url)
    try:
        new_version = other.migrate()
    finally:
        other.close()
    assert client.get(LIST_URL).status_code == 200
    assert hs.wait_idle(10)
    page = client.get(LIST_URL)
    assert page.status_code == 200 and BONUS_COLUMN not in page.text  # still the old app
    assert attempts == [new_version]  # and no rebuild storm: retried only after a pause
    hs.build = good
    monkeypatch.setattr("uchet.web.hotswap.RETRY_SECONDS", 0.0)
    wait_for(lambda: BONUS_COLUMN in client.get(LIST_URL).text)
