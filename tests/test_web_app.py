"""The web app end to end through Flask's test client, on SQLite and PostgreSQL (issue 3)."""

from __future__ import annotations

from typing import Any

from uchet import SYSTEM


def test_login_required_and_login_works(client: Any) -> None:
    r = client.get("/clients/")
    assert r.status_code == 302 and "/login" in r.location
    assert client.login("admin", "wrong").status_code == 401
    r = client.login("admin")
    assert r.status_code == 302
    assert client.get("/clients/").status_code == 200


def test_post_without_csrf_token_is_refused(client: Any, web_platform: Any) -> None:
    client.login("admin")
    r = client.post("/clients/new/", {"name": "No token", "kind": "company"}, token=False)
    assert r.status_code == 200 and "CSRF" in r.text
    assert web_platform.records("clients", user=SYSTEM).query().total == 0
    r = client.post("/clients/new/", {"name": "With token", "kind": "company"})
    assert r.status_code == 302
    assert web_platform.records("clients", user=SYSTEM).query().total == 1


def test_server_side_errors_are_shown_next_to_the_field_and_input_kept(client: Any) -> None:
    client.login("admin")
    r = client.post("/clients/new/", {"name": "", "city": "Тверь", "loyalty": "42"})
    assert r.status_code == 200
    html = r.text
    assert 'data-field="name"' in html and "uchet-error" in html
    assert 'value="Тверь"' in html  # the input is kept
    assert 'value="42"' in html


def test_manager_sees_only_own_clients_and_gets_404_for_others(
    client: Any, web_platform: Any
) -> None:
    users = web_platform.test_users
    svc = web_platform.records("clients", user=SYSTEM)
    mine = svc.create({"name": "Аннин клиент", "manager": users["anna"].id})
    other = svc.create({"name": "Борин клиент", "manager": users["boris"].id})
    client.login("anna")
    listing = client.get("/clients/").text
    assert "Аннин клиент" in listing and "Борин клиент" not in listing
    assert client.get(f"/clients/edit/?id={mine['id']}").status_code == 200
    assert client.get(f"/clients/edit/?id={other['id']}").status_code == 404
    found = client.get("/clients/values/name/").json["items"]
    assert [i["title"] for i in found] == ["Аннин клиент"]
