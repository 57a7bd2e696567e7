"""Webhooks (issue 18, point 6; S42) on SQLite and PostgreSQL, against a local HTTP receiver
on 127.0.0.1: the outbox is written in the record's transaction (a rolled-back change sends
nothing), ``uchet worker`` sends each delivery signed with HMAC-SHA256, a failing receiver
is retried with backoff and every attempt is logged. Time is controlled: the worker is run
at chosen moments (``run_once(at=...)``), never waited for."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from uchet import SYSTEM
from uchet.hookspecs import hookimpl
from uchet.platform.features import jobs
from uchet.platform.features.webhooks import SIGNATURE_HEADER, WebhookStore, signature
from uchet.platform.model.errors import ValidationError


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it gets and answers ``status``."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.received.append((dict(self.headers), body))
                self.send_response(owner.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def _store(platform: Any) -> WebhookStore:
    return WebhookStore(platform.engine, platform.runtime.model.system)


def test_committed_changes_are_sent_signed_and_rolled_back_ones_never(
    platform: Any, receiver: Receiver
) -> None:
    store = _store(platform)
    hook, secret = store.create("clients", ["create", "update", "delete"], receiver.url)
    clients = platform.records("clients", user=SYSTEM)
    record = clients.create({"name": "ООО Вебхук"})
    clients.update(record["id"], {"city": "Тверь"}, version=1)

    class Refuse:
        @hookimpl
        def uchet_after_update(self, change: Any) -> None:
            raise RuntimeError("rolled back")

    refuse = Refuse()
    platform.pm.register(refuse)
    try:
        with pytest.raises(RuntimeError):
            clients.update(record["id"], {"city": "Омск"}, version=2)
    finally:
        platform.pm.unregister(refuse)
    clients.delete(record["id"])
    assert receiver.received == []  # nothing is sent by the write itself
    assert platform.run_jobs() == 3
    events = [json.loads(body) for _, body in receiver.received]
    assert [(e["event"], e["id"]) for e in events] == [
        ("create", record["id"]), ("update", record["id"]), ("delete", record["id"])]  # fmt: skip
    assert events[1]["record"]["city"] == "Тверь" and events[0]["table"] == "clients"
    assert "Омск" not in str(events)  # the rolled-back change was never queued
    for headers, body in receiver.received:
        assert headers[SIGNATURE_HEADER] == signature(secret, body)
    assert {d["status"] for d in store.log(hook.id)} == {"sent"}
    assert platform.run_jobs() == 0  # each once


def test_failures_are_retried_with_backoff_and_logged(platform: Any, receiver: Receiver) -> None:
    store = _store(platform)
    hook, _ = store.create("clients", ["create"], receiver.url)
    receiver.status = 500
    platform.records("clients", user=SYSTEM).create({"name": "Повтор"})
    start = jobs.now()
    worker = platform.worker()
    assert worker.run_once(at=start) == 0
    (entry,) = store.log(hook.id)
    assert entry["status"] == "pending" and entry["response_status"] == 500
    assert entry["attempts"] == 1
    # Not again before the backoff (30 s after the first attempt) has passed.
    assert worker.run_once(at=start + dt.timedelta(seconds=5)) == 0
    assert len(receiver.received) == 1
    receiver.status = 204
    assert worker.run_once(at=start + dt.timedelta(seconds=60)) == 1
    (entry,) = store.log(hook.id)
    assert entry["status"] == "sent" and entry["attempts"] == 2 and entry["response_status"] == 204
    assert len(receiver.received) == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_events_filter_and_registration_checks(platform: Any, receiver: Receiver) -> None:
    store = _store(platform)
    store.create("clients", ["delete"], receiver.url)
    platform.records("clients", user=SYSTEM).create({"name": "Только удаление"})
    assert platform.run_jobs() == 0 and receiver.received == []
    with pytest.raises(ValidationError) as bad:
        store.create("clients", [], "ftp://example")
    assert set(bad.value.messages) == {"events", "url"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_administrator_registers_webhooks_on_the_screen(
    web_app: Any, web_platform: Any, receiver: Receiver
) -> None:
    from tests.web_support import WebClient

    admin = WebClient(web_app)
    admin.login("admin")
    page = admin.post("/-/webhooks/", {"table": "clients", "events": ["create", "delete"],
                                       "url": receiver.url})  # fmt: skip
    assert page.status_code == 200 and 'id="uchet-webhook-secret"' in page.text
    (hook,) = _store(web_platform).all()
    assert hook.events == ("create", "delete") and hook.table_id == "clients"
    web_platform.records("clients", user=SYSTEM).create({"name": "С экрана"})
    assert web_platform.run_jobs() == 1
    log = admin.get("/-/webhooks/").text
    assert "Отправлено" in log and "uchet-delivery-sent" in log
    bad = admin.post("/-/webhooks/", {"table": "clients", "events": ["create"], "url": "ftp://x"})
    assert "http://" in bad.text and len(_store(web_platform).all()) == 1
    manager = WebClient(web_app)
    manager.login("anna")
    assert manager.get("/-/webhooks/").status_code == 403
    assert manager.post(f"/-/webhooks/{hook.id}/remove/").status_code == 403
    assert admin.post(f"/-/webhooks/{hook.id}/remove/").status_code == 302
    assert _store(web_platform).all() == []


def test_migrate_gives_an_existing_database_the_new_tables(platform: Any) -> None:
    """A database made before these tables existed gets them from ``migrate`` even though
    its configuration did not change (the normal migration path)."""
    import sqlalchemy as sa

    names = ("uchet_webhook_deliveries", "uchet_webhooks", "uchet_api_tokens")
    with platform.engine.begin() as conn:
        for name in names:
            conn.execute(sa.text(f'DROP TABLE "{name}"'))  # fixed names, no input
    assert not any(sa.inspect(platform.engine).has_table(n) for n in names)
    platform.migrate()
    inspector = sa.inspect(platform.engine)
    assert all(inspector.has_table(n) for n in names)
