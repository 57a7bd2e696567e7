"""A busy database (issue 13, point 7): SQLite waits its busy timeout and retries a write that
met another process's lock; if it still cannot write, the card comes back with everything
typed and «База занята, попробуйте ещё раз» (503), never a 500, and nothing is written.
PostgreSQL's serialization failures and deadlocks are retried the same way (the classifier
and the retry are unit-tested; the lock test needs SQLite's file lock)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import lxml.html
import pytest
import sqlalchemy as sa
from tests.test_web_card import form_data

from uchet import SYSTEM
from uchet.platform.model.errors import DatabaseBusy
from uchet.platform.schema import database
from uchet.platform.schema.database import is_transient, retrying


class _PgError(Exception):
    def __init__(self, sqlstate: str | None, text: str = "error") -> None:
        super().__init__(text)
        self.sqlstate = sqlstate


def _dbapi(orig: Exception, kind: type = sa.exc.OperationalError) -> sa.exc.DBAPIError:
    return kind("UPDATE clients ...", {}, orig)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (_dbapi(_PgError("40001")), True),  # serialization_failure
        (_dbapi(_PgError("40P01"), sa.exc.DBAPIError), True),  # deadlock_detected
        (_dbapi(_PgError("23505"), sa.exc.IntegrityError), False),  # unique_violation
        (_dbapi(_PgError("42P01"), sa.exc.ProgrammingError), False),  # undefined_table
        (_dbapi(sqlite3.OperationalError("database is locked")), True),
        (_dbapi(sqlite3.OperationalError("database table is locked")), True),
        (_dbapi(sqlite3.OperationalError("no such table: clients")), False),
        (_dbapi(sqlite3.IntegrityError("UNIQUE constraint failed"), sa.exc.IntegrityError), False),
        (ValueError("locked"), False),
    ],
)
def test_the_retry_classifier(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


def test_retrying_runs_the_write_again_then_gives_up_as_busy() -> None:
    calls, pauses = [], []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _dbapi(_PgError("40001"))
        return "written"

    assert retrying(flaky, sleep=pauses.append) == "written"
    assert len(calls) == 3 and pauses == [database.RETRY_PAUSE, database.RETRY_PAUSE * 2]

    def always_deadlocked() -> None:
        raise _dbapi(_PgError("40P01"), sa.exc.DBAPIError)

    with pytest.raises(DatabaseBusy):
        retrying(always_deadlocked, sleep=pauses.append)

    def broken() -> None:
        calls.append(1)
        raise _dbapi(_PgError("23505"), sa.exc.IntegrityError)

    calls.clear()
    with pytest.raises(sa.exc.IntegrityError):
        retrying(broken, sleep=pauses.append)
    assert len(calls) == 1  # not transient: no second try


@pytest.fixture
def sqlite_file(web_platform: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The SQLite file, with a tiny busy timeout and retry pause injected."""
    if web_platform.engine.dialect.name != "sqlite":
        pytest.skip("holds SQLite's file write lock")
    monkeypatch.setenv("UCHET_SQLITE_BUSY_MS", "20")
    monkeypatch.setattr(database, "RETRY_PAUSE", 0.01)
    web_platform.engine.dispose()  # new connections read the timeout
    yield str(web_platform.engine.url.database)
    web_platform.engine.dispose()


class HeldLock:
    """Another process's write transaction on the same file (BEGIN IMMEDIATE)."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def test_record_write_waits_then_succeeds_when_the_lock_goes(
    web_platform: Any, sqlite_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "RETRY_PAUSE", 0.3)  # the lock goes during the first pause
    lock = HeldLock(sqlite_file)
    timer = threading.Timer(0.05, lock.release)
    timer.start()
    try:
        made = web_platform.records("clients", user=SYSTEM).create({"name": "Позже ООО"})
    finally:
        timer.join()
    assert made["name"] == "Позже ООО"


def test_locked_database_shows_the_card_again_with_the_input(
    client: Any, web_platform: Any, sqlite_file: str
) -> None:
    anna = web_platform.test_users["anna"]
    clients = web_platform.records("clients", user=SYSTEM)
    mine = clients.create({"name": "Старое имя", "city": "Тула", "manager": anna.id})
    client.login("anna")
    page = client.get(f"/clients/edit/?id={mine['id']}")
    data = form_data(lxml.html.fromstring(page.text))
    data.update(name="Новое имя", city="Калуга")
    lock = HeldLock(sqlite_file)
    try:
        busy = client.post(f"/clients/edit/?id={mine['id']}", data)
        created = client.post("/clients/new/", {"kind": "company", "name": "Новый ООО",
                                                "city": "Орёл"})  # fmt: skip
    finally:
        lock.release()
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    tree = lxml.html.fromstring(busy.text)
    assert "База занята, попробуйте ещё раз." in busy.text
    assert tree.xpath("//input[@name='name']/@value") == ["Новое имя"]
    assert tree.xpath("//input[@name='city']/@value") == ["Калуга"]
    assert clients.get(mine["id"])["name"] == "Старое имя"  # nothing was written
    assert created.status_code == 503 and "База занята" in created.text
    assert lxml.html.fromstring(created.text).xpath("//input[@name='name']/@value") == ["Новый ООО"]
    # The lock is gone: the same form saves.
    saved = client.post(f"/clients/edit/?id={mine['id']}", data)
    assert saved.status_code == 302
    assert clients.get(mine["id"])["name"] == "Новое имя"
