"""The REST API's records (issue 18, points 1, 2, 5 and 7; S42, S36), on SQLite and PostgreSQL.

CRUD through ``/api/v1/<table>`` as a token's user, stale versions (409 with the current
record), row rights (404 like the card), problem+json errors in Russian and English, bad
query parameters (400 naming the parameter), bulk create in one transaction, the phone
lookup in several formats, and the token's rules (hashing, revoke, expiry, read-only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from tests.api_support import _client
from tests.web_support import WebClient

from uchet import SYSTEM
from uchet.platform.records.tokens import token_hash

PROBLEM = "application/problem+json"


def test_crud_round_trip_is_audited_as_the_tokens_user(api: Any) -> None:
    r = api.call("POST", "/api/v1/clients", json={"name": "ООО Ромашка", "city": "Тверь",
                                                   "loyalty": 3})  # fmt: skip
    assert r.status_code == 201 and r.headers["ETag"] == '"1"'
    record = r.json
    assert r.headers["Location"].endswith(f"/api/v1/clients/{record['id']}")
    assert record["city"] == "Тверь" and record["created_by"] == api.users["admin"].id
    got = api.call("GET", f"/api/v1/clients/{record['id']}?expand=created_by").json
    assert got["created_by"] == {"id": api.users["admin"].id, "title": "Admin"}
    r = api.call("PATCH", f"/api/v1/clients/{record['id']}", json={"city": "Омск"},
                 headers={"If-Match": '"1"'})  # fmt: skip
    assert r.status_code == 200 and r.json["city"] == "Омск" and r.json["version"] == 2
    audit = api.platform.runtime.audit
    with api.platform.engine.connect() as conn:
        rows = conn.execute(sa.select(audit.c.action, audit.c.user_login)
                            .where(audit.c.record_id == record["id"],
                                   audit.c.table_id == "clients")
                            .order_by(audit.c.id)).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [("create", "admin"), ("update", "admin")]
    assert api.call("DELETE", f"/api/v1/clients/{record['id']}",
                    headers={"If-Match": '"2"'}).status_code == 204  # fmt: skip
    gone = api.call("GET", f"/api/v1/clients/{record['id']}")
    assert gone.status_code == 404 and gone.content_type == PROBLEM


def test_stale_version_gives_409_with_the_current_record(api: Any) -> None:
    record = _client(api)
    url = f"/api/v1/clients/{record['id']}"
    assert api.call("PATCH", url, json={"city": "Тверь", "version": 1}).status_code == 200
    r = api.call("PATCH", url, json={"city": "Омск", "version": 1}, lang="ru")
    assert r.status_code == 409 and r.content_type == PROBLEM
    assert r.json["current"]["version"] == 2 and r.json["current"]["city"] == "Тверь"
    assert "client__title" not in str(r.json) and r.json["title"] == "Конфликт версий"
    missing = api.call("PATCH", url, json={"city": "Омск"})
    assert missing.status_code == 428
    assert api.platform.records("clients", user=SYSTEM).get(record["id"])["city"] == "Тверь"


def test_list_filters_search_sort_fields_expand_and_cursor(api: Any) -> None:
    cats = api.platform.records("client_categories", user=SYSTEM)
    opt = cats.create({"name": "Опт"})
    for i in range(5):
        _client(api, name=f"Клиент {i}", city="Тверь" if i % 2 else "Омск", category=opt["id"],
                loyalty=i)  # fmt: skip
    r = api.call("GET", "/api/v1/clients?filter[city]=Тверь&sort=-loyalty&fields=name,category"
                        "&expand=category&limit=1")  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json
    assert body["meta"]["total"] == 2 and body["meta"]["total_capped"] is False
    assert body["data"] == [{"id": body["data"][0]["id"], "version": 1, "name": "Клиент 3",
                             "category": {"id": opt["id"], "title": "Опт"}}]  # fmt: skip
    nxt = api.call("GET", "/api/v1/clients?filter[city]=Тверь&sort=-loyalty&fields=name"
                          f"&limit=1&cursor={body['meta']['next_cursor']}")  # fmt: skip
    assert [d["name"] for d in nxt.json["data"]] == ["Клиент 1"]
    assert nxt.json["meta"]["next_cursor"] is None
    ops = api.call("GET", "/api/v1/clients?filter[loyalty][between]=1,3&filter[name][startswith]=Кл"
                          "&count=false&sort=loyalty&fields=loyalty")  # fmt: skip
    assert [d["loyalty"] for d in ops.json["data"]] == [1, 2, 3] and "total" not in ops.json["meta"]
    searched = api.call("GET", "/api/v1/clients?q=клиент 4&fields=name")
    assert [d["name"] for d in searched.json["data"]] == ["Клиент 4"]
    unexpanded = api.call("GET", "/api/v1/clients?fields=category&limit=1").json["data"][0]
    assert unexpanded["category"] == opt["id"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("filter[nope]=1", "filter[nope]"),
        ("filter[loyalty]=abc", "filter[loyalty]"),
        ("filter[name][like]=x", "filter[name][like]"),
        ("sort=zzz", "sort"),
        ("fields=zzz", "fields"),
        ("cursor=garbage", "cursor"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("expand=name", "expand"),
        ("count=maybe", "count"),
        ("colour=red", "colour"),
    ],
)
def test_bad_query_parameters_give_400_naming_them(api: Any, query: str, param: str) -> None:
    r = api.call("GET", f"/api/v1/clients?{query}", lang="ru")
    assert r.status_code == 400 and r.content_type == PROBLEM, r.text
    assert [p["name"] for p in r.json["invalid_params"]] == [param]
    assert r.json["title"] == "Неверный запрос" and "Traceback" not in r.text


def test_field_errors_in_russian_and_english_and_nothing_written(api: Any) -> None:
    before = api.platform.records("clients", user=SYSTEM).query(count=True).total
    for lang, required, email in (("ru", "Обязательное поле.", "Неверный адрес e-mail."),
                                  ("en", "This field is required.",
                                   "Not a valid e-mail address.")):  # fmt: skip
        r = api.call("POST", "/api/v1/clients", json={"name": "", "email": "bad"}, lang=lang)
        assert r.status_code == 422 and r.content_type == PROBLEM
        errors = {e["field"]: e["messages"] for e in r.json["errors"]}
        assert errors == {"name": [required], "email": [email]}
    assert api.platform.records("clients", user=SYSTEM).query(count=True).total == before
    assert api.call("POST", "/api/v1/clients", data="[1", lang="en").status_code == 400


def test_bulk_create_is_one_transaction(api: Any) -> None:
    r = api.call("POST", "/api/v1/clients/-/bulk", json=[{"name": "А"}, {"name": "Б"}])
    assert r.status_code == 201 and len(r.json["ids"]) == 2
    bad = api.call("POST", "/api/v1/clients/-/bulk", json=[{"name": "В"}, {"loyalty": "x"}])
    assert bad.status_code == 422 and [row["row"] for row in bad.json["rows"]] == [2]
    names = {c["name"] for c in api.platform.records("clients", user=SYSTEM).query().rows}
    assert {"А", "Б"} <= names and "В" not in names


def test_rows_rights_and_table_rights_as_on_the_screens(api: Any) -> None:
    anna, boris = api.users["anna"], api.users["boris"]
    own = _client(api, name="Аннин", manager=anna.id)
    other = _client(api, name="Борин", manager=boris.id)
    listed = api.call("GET", "/api/v1/clients?fields=name", login="anna").json["data"]
    assert [d["name"] for d in listed] == ["Аннин"]
    assert api.call("GET", f"/api/v1/clients/{own['id']}", login="anna").status_code == 200
    for method in ("GET", "PATCH"):
        r = api.call(method, f"/api/v1/clients/{other['id']}", login="anna", json={"version": 1})
        assert r.status_code == 404, (method, r.text)
        assert "Борин" not in r.text
    # A manager may not delete clients (the screens refuse it too: test_web_permissions).
    r = api.call("DELETE", f"/api/v1/clients/{own['id']}", login="anna")
    assert r.status_code == 403 and r.content_type == PROBLEM
    # The viewer writes nothing.
    r = api.call("POST", "/api/v1/clients", login="vera", json={"name": "x"})
    assert r.status_code == 403


def test_tokens_are_hashed_revocable_expiring_and_read_only(api: Any) -> None:
    store, admin = api.tokens, api.users["admin"]
    table = api.platform.runtime.model.system["uchet_api_tokens"]
    with api.platform.engine.connect() as conn:
        hashes = set(conn.execute(sa.select(table.c.token_hash)).scalars())
    assert token_hash(api.secrets["admin"]) in hashes and api.secrets["admin"] not in hashes
    token, secret = store.create(admin.id, "ro", read_only=True)
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.client.get("/api/v1/clients", headers=headers).status_code == 200
    r = api.client.post("/api/v1/clients", json={"name": "x"}, headers=headers)
    assert r.status_code == 403 and r.content_type == PROBLEM
    assert store.get(token.id).last_used_at is not None  # shown on the token screens
    store.revoke(token.id)
    assert api.client.get("/api/v1/clients", headers=headers).status_code == 401
    now = dt.datetime(2030, 1, 1)
    _short, short_secret = store.create(admin.id, "short", expires_at=now + dt.timedelta(hours=1),
                                       now=now)  # fmt: skip
    assert store.authenticate(short_secret, now=now + dt.timedelta(minutes=59)) is not None
    assert store.authenticate(short_secret, now=now + dt.timedelta(hours=1)) is None
    assert store.authenticate("uchet_not-a-token") is None
    r = api.client.get("/api/v1/clients", headers={"Authorization": "Bearer nonsense",
                                                   "Accept-Language": "ru"})  # fmt: skip
    assert r.status_code == 401 and r.json["title"] == "Нужна аутентификация"


def test_session_cookie_works_and_writes_need_csrf(api: Any) -> None:
    web = WebClient(api.app)
    assert web.login("admin").status_code == 302
    assert web.get("/api/v1/clients").status_code == 200
    r = web.client.post("/api/v1/clients", json={"name": "Из сессии"})
    assert r.status_code == 403 and r.content_type == PROBLEM
    r = web.client.post("/api/v1/clients", json={"name": "Из сессии"},
                        headers={"X-CSRFToken": web.token()})  # fmt: skip
    assert r.status_code == 201, r.text
    assert WebClient(api.app).get("/api/v1/clients").status_code == 401


@pytest.mark.parametrize("number", ["+7 (912) 345-67-89", "89123456789", "9123456789",
                                    "+7-912-345-67-89"])  # fmt: skip
def test_phone_lookup_in_several_formats(api: Any, number: str) -> None:
    client = _client(api, name="Звонящий", phone="+7 912 345-67-89", manager=api.users["anna"].id)
    contacts = api.platform.records("contacts", user=SYSTEM)
    other = _client(api, name="Другой")
    contacts.create({"name": "Контакт", "client": other["id"], "phone_mobile": "8 912 345 67 89"})
    r = api.call("GET", "/api/v1/-/lookup/phone", query_string={"number": number})
    assert r.status_code == 200, r.text
    found = {(d["table"], d["id"]): d for d in r.json["data"]}
    assert found[("clients", client["id"])]["url"].endswith(f"/clients/edit/?id={client['id']}")
    assert found[("clients", other["id"])]["matched"] == ["contacts.phone_mobile"]
    # Boris sees neither client's card: Anna's client is outside his rows.
    seen = api.call("GET", "/api/v1/-/lookup/phone", login="boris",
                    query_string={"number": number}).json["data"]  # fmt: skip
    assert all(d["url"] is None for d in seen)
    assert api.call("GET", "/api/v1/-/lookup/phone").status_code == 400


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_ids_beyond_a_database_integer_are_not_found(api: Any) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        r = api.call(method, "/api/v1/clients/99999999999999999999999", json={"version": 1})
        assert r.status_code == 404 and r.content_type == PROBLEM, (method, r.text)
