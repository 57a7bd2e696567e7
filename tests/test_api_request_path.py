"""What the API's request path no longer redoes per request (issue 18, speed), and that
remembering it stays correct: the token memo (revocation, expiry, another process's
revoke within :data:`RECHECK_SECONDS`, on an injected clock), the row writer's per-shape
plans (same records, bounded), the record service's per-table parts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from uchet import SYSTEM
from uchet.platform.records import tokens as tokens_module
from uchet.platform.records.tokens import RECHECK_SECONDS, TokenStore
from uchet.web.api import rows as rows_module
from uchet.web.api.rows import RowWriter


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(web_platform: Any) -> Any:
    clock = FakeClock()
    table = web_platform.runtime.model.system["uchet_api_tokens"]
    s = TokenStore(web_platform.engine, table, web_platform.users, clock=clock)
    s.test_clock = clock  # type: ignore[attr-defined]
    return s


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_token_memo_respects_revoke_expiry_and_bounds_staleness(
    store: Any, web_platform: Any
) -> None:
    clock, admin = store.test_clock, web_platform.test_users["admin"]
    now = dt.datetime(2030, 1, 1)
    token, secret = store.create(admin.id, "memo", expires_at=now + dt.timedelta(hours=1), now=now)
    assert store.authenticate(secret, now=now).user.id == admin.id
    # Another process revokes it straight in the database: trusted at most RECHECK_SECONDS.
    table = store.table
    with web_platform.engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == token.id).values(revoked_at=now))
    clock.now += RECHECK_SECONDS / 2
    assert store.authenticate(secret, now=now) is not None  # the memo, as documented
    clock.now += RECHECK_SECONDS
    assert store.authenticate(secret, now=now) is None  # asked the database again
    # A revoke through any store of this process takes effect at once.
    other, other_secret = store.create(admin.id, "memo2", now=now)
    assert store.authenticate(other_secret, now=now) is not None
    TokenStore(web_platform.engine, table, web_platform.users).revoke(other.id)
    assert store.authenticate(other_secret, now=now) is None
    # Expiry is checked on every request, memo or not.
    _third, third_secret = store.create(admin.id, "memo3", expires_at=now + dt.timedelta(hours=1),
                                        now=now)  # fmt: skip
    assert store.authenticate(third_secret, now=now) is not None
    assert store.authenticate(third_secret, now=now + dt.timedelta(hours=2)) is None
    # The last use is still noted (at most once a minute), memo or not.
    later = now + dt.timedelta(minutes=5)
    fourth, fourth_secret = store.create(admin.id, "memo4", now=now)
    store.authenticate(fourth_secret, now=now)
    store.authenticate(fourth_secret, now=later)
    assert store.get(fourth.id).last_used_at == later


def test_token_memo_is_bounded(store: Any, web_platform: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(tokens_module, "MAX_REMEMBERED", 3)
    admin = web_platform.test_users["admin"]
    for i in range(7):
        secret = store.create(admin.id, f"t{i}")[1]
        assert store.authenticate(secret) is not None
        assert len(tokens_module._recent) <= 3


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_row_writer_plans_give_the_same_records_and_stay_bounded(
    web_platform: Any, monkeypatch: Any
) -> None:
    rt = web_platform.runtime
    cats = web_platform.records("client_categories", user=SYSTEM)
    opt = cats.create({"name": "Опт"})
    clients = web_platform.records("clients", user=SYSTEM)
    made = clients.create({"name": "Альфа", "category": opt["id"], "loyalty": 3,
                           "birthday": dt.date(1990, 5, 1)})  # fmt: skip
    rows = clients.query(filters=[], limit=5).rows
    writer = RowWriter(rt.table("clients").table, rt.types)
    plain = writer.records(rows)
    expanded = writer.records(rows, ["name", "category", "birthday"], {"category"})
    one = next(r for r in plain if r["id"] == made["id"])
    assert one["category"] == opt["id"] and one["birthday"] == "1990-05-01"
    assert "category__title" not in one
    e = next(r for r in expanded if r["id"] == made["id"])
    assert e == {"id": made["id"], "version": 1, "name": "Альфа", "birthday": "1990-05-01",
                 "category": {"id": opt["id"], "title": "Опт"}}  # fmt: skip
    assert writer.record(rows[0]) == plain[0]
    monkeypatch.setattr(rows_module, "MAX_PLANS", 4)
    for i in range(10):
        writer.records(rows, ["name"] * (i + 1))
        assert len(writer._plans) <= 4


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_record_services_share_their_tables_parts(web_platform: Any) -> None:
    admin = web_platform.test_users["admin"]
    a = web_platform.records("clients", user=admin)
    b = web_platform.records("clients", user=SYSTEM)
    assert a.stored_fields is b.stored_fields and a.file_fields is b.file_fields
    assert [f.name for f in a.file_fields] == ["photo"]
    assert "name" in {f.name for f, _ in a.stored_fields}


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_title_filter_by_ids_still_hides_what_the_caller_may_not_see(api: Any) -> None:
    """``filter[client]=<title>`` now selects the ids titled so (an index range): a client
    outside the caller's rows must still match nothing, as its title is hidden from them."""
    anna, boris = api.users["anna"], api.users["boris"]
    clients = api.platform.records("clients", user=SYSTEM)
    theirs = clients.create({"name": "Борин клиент", "manager": boris.id})
    mine = clients.create({"name": "Аннин клиент", "manager": anna.id})
    work = api.platform.records("work", user=SYSTEM)
    for client in (theirs, mine):  # both tasks are Anna's, so she sees both rows
        work.create({"title": "Позвонить", "client": client["id"], "assignee": anna.id})
    url = "/api/v1/work?fields=client&filter[client]="
    assert len(api.call("GET", url + "Борин клиент").json["data"]) == 1  # the admin
    assert api.call("GET", url + "Борин клиент", login="anna").json["data"] == []
    found = api.call("GET", url + "Аннин клиент", login="anna").json["data"]
    assert [d["client"] for d in found] == [mine["id"]]
    listed = api.call("GET", "/api/v1/work?fields=client&filter[client][in]=Аннин клиент,x",
                      login="anna").json["data"]  # fmt: skip
    assert [d["client"] for d in listed] == [mine["id"]]
