"""The administrator's screens: users and roles (issue 3 §4; S01, S02), on SQLite and
PostgreSQL. Only holders of a superuser role (MAIN) see or use them."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from tests.web_support import PASSWORD, WebClient

NEW_PASSWORD = "another-pass-2"


def _error_of(html: str, field: str) -> str:
    """The error text shown next to ``field`` of a form ('' when none)."""
    block = re.search(
        rf'data-field="{field}".*?</div>\s*(?:<div class="form-group|<button|$)', html, re.S
    )
    assert block, f"no field {field} on the page"
    found = re.findall(r'uchet-error">([^<]+)<', block.group(0))
    return " ".join(found)


def test_only_superusers_see_and_use_the_administration(
    client: WebClient, web_platform: Any
) -> None:
    client.login("admin")
    home = client.get("/").text
    assert "Администрирование" in home and "/-/users/" in home and "/-/roles/" in home
    assert client.get("/-/users/").status_code == 200
    assert client.get("/-/roles/").status_code == 200
    for login in ("anna", "vera"):
        other = WebClient(client.app)
        other.login(login)
        assert "Администрирование" not in other.get("/").text
        for url in (
            "/-/users/",
            "/-/roles/",
            "/-/users/new/",
            f"/-/users/edit/?id={web_platform.test_users['admin'].id}",
        ):
            assert other.get(url).status_code == 403, (login, url)
        r = other.post(
            "/-/users/new/",
            {"login": "intruder", "name": "I", "password": "intruder-pass", "roles": "main"},
        )
        assert r.status_code == 403
        r = other.post(
            f"/-/users/password/?id={web_platform.test_users['admin'].id}",
            {"password": "hijacked-pass", "confirm": "hijacked-pass"},
        )
        assert r.status_code == 403
        r = other.post(
            f"/-/users/edit/?id={web_platform.test_users[login].id}",
            {"name": login, "roles": "main", "active": "y"},
        )
        assert r.status_code == 403
    assert web_platform.users.find("intruder") is None
    assert web_platform.users.find("anna").roles == ("manager",)
    assert WebClient(client.app).login("admin").status_code == 302  # password unchanged


def test_users_list(client: WebClient) -> None:
    client.login("admin")
    html = client.get("/-/users/").text
    for login in ("admin", "anna", "boris", "vera"):
        assert f'data-login="{login}"' in html
    assert "Менеджер" in html and "Наблюдатель" in html and "Администратор (MAIN)" in html


def test_create_a_user_with_roles(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    assert 'name="csrf_token"' in client.get("/-/users/new/").text
    r = client.post(
        "/-/users/new/",
        {
            "login": "gleb",
            "name": "Глеб",
            "email": "gleb@example.ru",
            "password": "gleb-pass-1",
            "roles": "manager",
            "locale": "en",
            "active": "y",
        },
    )
    assert r.status_code == 302
    gleb = web_platform.users.find("gleb")
    assert gleb.name == "Глеб" and gleb.roles == ("manager",) and gleb.locale == "en"
    assert gleb.email == "gleb@example.ru" and gleb.active
    users = web_platform._system["uchet_users"]
    with web_platform.engine.connect() as conn:
        stored = conn.execute(
            sa.select(users.c.password_hash).where(users.c.login == "gleb")
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    new = WebClient(client.app)
    assert new.login("gleb", "gleb-pass-1").status_code == 302
    assert "Log out" in new.get("/").text  # his language
    assert "Пользователь gleb создан." in client.get("/-/users/").text


def test_create_errors_are_shown_next_to_the_fields_and_input_kept(
    client: WebClient, web_platform: Any
) -> None:
    client.login("admin")
    r = client.post(
        "/-/users/new/",
        {
            "login": "anna",
            "name": "Другая Анна",
            "email": "no-at-sign",
            "password": "short",
            "roles": "viewer",
        },
    )
    assert r.status_code == 200
    html = r.text
    assert "Этот логин уже занят." in _error_of(html, "login")
    assert "не короче 8 символов" in _error_of(html, "password")
    assert 'value="Другая Анна"' in html  # the input is kept
    assert web_platform.users.find("anna").name == "Anna"
    r = client.post("/-/users/new/", {"login": "", "name": "X", "password": "long-enough-1"})
    assert "Укажите логин." in _error_of(r.text, "login")
    r = client.post(
        "/-/users/new/",
        {"login": "zoe", "name": "Zoe", "email": "bad", "password": "long-enough-1"},
    )
    assert "bad" in _error_of(r.text, "email") and web_platform.users.find("zoe") is None


def test_edit_a_user(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    vera = web_platform.test_users["vera"]
    page = client.get(f"/-/users/edit/?id={vera.id}").text
    assert 'value="Vera"' in page
    checked = re.findall(r'<input checked[^>]*name="roles"[^>]*value="(\w+)"', page)
    assert checked == ["viewer"]
    r = client.post(
        f"/-/users/edit/?id={vera.id}",
        {
            "name": "Вера Петровна",
            "email": "vera@example.ru",
            "roles": ["viewer", "manager"],
            "locale": "en",
            "active": "y",
        },
    )
    assert r.status_code == 302
    found = web_platform.users.find("vera")
    assert found.name == "Вера Петровна" and found.email == "vera@example.ru"
    assert set(found.roles) == {"viewer", "manager"} and found.locale == "en"
    r = client.post(f"/-/users/edit/?id={vera.id}", {"name": "", "email": "x@", "roles": "viewer"})
    assert r.status_code == 200
    assert _error_of(r.text, "name") and _error_of(r.text, "email")
    assert web_platform.users.find("vera").name == "Вера Петровна"
    # Disabling: the login stops working.
    r = client.post(f"/-/users/edit/?id={vera.id}", {"name": "Вера", "roles": "viewer"})
    assert r.status_code == 302 and not web_platform.users.find("vera").active
    assert WebClient(client.app).login("vera").status_code == 401
    assert client.get("/-/users/edit/?id=987654").status_code == 404


def test_the_last_administrator_cannot_lock_the_site_out(
    client: WebClient, web_platform: Any
) -> None:
    client.login("admin")
    admin = web_platform.test_users["admin"]
    r = client.post(
        f"/-/users/edit/?id={admin.id}", {"name": "Admin", "roles": "manager", "active": "y"}
    )
    assert "хотя бы один активный администратор" in _error_of(r.text, "roles")
    r = client.post(f"/-/users/edit/?id={admin.id}", {"name": "Admin", "roles": "main"})
    assert "хотя бы один активный администратор" in _error_of(r.text, "active")
    assert web_platform.users.find("admin").roles == ("main",)
    assert web_platform.users.find("admin").active
    # With a second administrator, the first may step down.
    web_platform.users.update(web_platform.test_users["boris"].id, roles=["main"])
    r = client.post(
        f"/-/users/edit/?id={admin.id}", {"name": "Admin", "roles": "viewer", "active": "y"}
    )
    assert r.status_code == 302
    # New roles end the sessions issued under the old ones (issue 13), this one included.
    ended = client.get("/-/users/")
    assert ended.status_code == 302 and "/login" in ended.location
    client.login("admin")
    assert client.get("/-/users/").status_code == 403  # no longer an administrator


def test_reset_a_password(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    anna = web_platform.test_users["anna"]
    url = f"/-/users/password/?id={anna.id}"
    r = client.post(url, {"password": NEW_PASSWORD, "confirm": "something-else"})
    assert r.status_code == 400 and "Пароли не совпадают." in _error_of(r.text, "confirm")
    r = client.post(url, {"password": "short", "confirm": "short"})
    assert "не короче 8 символов" in _error_of(r.text, "password")
    assert WebClient(client.app).login("anna").status_code == 302  # unchanged so far
    r = client.post(url, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 302
    assert WebClient(client.app).login("anna", PASSWORD).status_code == 401
    assert WebClient(client.app).login("anna", NEW_PASSWORD).status_code == 302


def test_roles_screen_shows_rights_in_words_and_holders(client: WebClient) -> None:
    client.login("admin")
    html = client.get("/-/roles/").text
    manager = html[html.index('data-role="manager"') : html.index('data-role="viewer"')]
    assert "Anna (anna)" in manager and "Boris (boris)" in manager
    assert "Менеджер = текущий пользователь" in manager
    assert "Клиент → Менеджер = текущий пользователь" in manager  # contacts: via the client
    viewer = html[html.index('data-role="viewer"') :]
    assert "ИНН: скрыто" in viewer and "Vera (vera)" in viewer
    main = html[html.index('data-role="main"') : html.index('data-role="manager"')]
    assert "Полный доступ" in main and "Admin (admin)" in main
    # The clients row of the manager: may create, read, update; not delete; may send
    # messages (the mail right, issue 19).
    row = re.search(r"<tr>\s*<td>Клиенты</td>(.*?)</tr>", manager, re.S).group(1)
    marks = re.findall(r'data-action="(\w+)">(.)<', row)
    assert marks == [("create", "✓"), ("read", "✓"), ("update", "✓"), ("delete", "—"),
                     ("mail", "✓")]  # fmt: skip


def test_administration_in_english(client: WebClient) -> None:
    client.login("admin")
    client.post("/locale", {"locale": "en"})
    home = client.get("/").text
    assert "Administration" in home and "Users" in home and "Roles" in home
    html = client.get("/-/roles/").text
    assert "Manager = the current user" in html and "Tax ID: hidden" in html
