"""Login, logout, idle lock, throttling, session fixation, safe redirects, cookies and headers
(issue 3 §4; S01, S46, S48), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from tests.web_support import PASSWORD, WebClient, csrf

from uchet.web import create_app

SECRET = "auth-test-secret-" + "z" * 20


def _set_cookie(response: Any, name: str = "uchet_session") -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header
    raise AssertionError(f"no {name} cookie set: {response.headers.getlist('Set-Cookie')}")


def test_login_page_logs_in_and_logout_needs_post_with_csrf(client: Any) -> None:
    page = client.get("/login")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    assert client.login("admin").status_code == 302
    assert client.get("/clients/").status_code == 200
    assert client.get("/logout").status_code == 405  # a link or an <img> cannot log anyone out
    refused = client.post("/logout", token=False)
    assert refused.status_code == 400
    assert client.get("/clients/").status_code == 200  # still logged in
    done = client.post("/logout")
    assert done.status_code == 302 and done.location.endswith("/login")
    again = client.get("/clients/")
    assert again.status_code == 302 and "/login" in again.location


def test_wrong_password_unknown_login_and_disabled_user_are_refused(
    client: Any, web_platform: Any
) -> None:
    wrong = client.login("admin", "not-the-password")
    assert wrong.status_code == 401 and "Неверный логин или пароль" in wrong.text
    unknown = client.login("nobody", PASSWORD)
    assert unknown.status_code == 401 and "Неверный логин или пароль" in unknown.text
    web_platform.users.set_active(web_platform.test_users["vera"].id, False)
    assert client.login("vera").status_code == 401


def test_disabling_a_user_ends_their_session(client: Any, web_platform: Any) -> None:
    client.login("anna")
    assert client.get("/clients/").status_code == 200
    web_platform.users.set_active(web_platform.test_users["anna"].id, False)
    r = client.get("/clients/")
    assert r.status_code == 302 and "/login" in r.location


# The idle lock (which locks the screen rather than logging out, issue 20) is tested in
# tests/test_web_screenlock.py and tests/test_web_screenlock_browser.py.


def test_throttling_slows_the_address_even_with_the_right_password_then_lets_go(
    web_platform: Any,
) -> None:
    """Issue 13 turned the hard lock of a login into a growing delay for the (login, address)
    that failed; tests/test_web_throttle.py has the rest."""
    client = WebClient(
        create_app(web_platform, secret_key=SECRET, max_login_failures=3, throttle_minutes=10)
    )
    for _ in range(3):
        assert client.login("boris", "wrong-password").status_code == 401
    throttled = client.login("boris")  # the right password, from the same address
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert "Слишком много неудачных попыток. Повторите через 1 с." in throttled.text
    assert client.get("/clients/").status_code == 302  # not logged in
    # Other logins are not affected.
    other = WebClient(client.app)
    assert other.login("anna").status_code == 302
    # The failures age out of the window: the right password works again, and clears them.
    failures = web_platform._system["uchet_login_failures"]
    with web_platform.engine.begin() as conn:
        conn.execute(failures.update().values(at=failures.c.at - dt.timedelta(minutes=11)))
    assert client.login("boris").status_code == 302
    with web_platform.engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).select_from(failures).where(failures.c.login == "boris")
        ).scalar_one()
    assert count == 0


def test_throttle_message_in_english(web_platform: Any) -> None:
    client = WebClient(create_app(web_platform, secret_key=SECRET, max_login_failures=1))
    client.login("boris", "wrong-password")
    r = client.client.post(
        "/login",
        data={"login": "boris", "password": PASSWORD, "csrf_token": client.token()},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 429
    assert "Too many failed attempts. Try again in 1 s." in r.text


def test_login_starts_a_fresh_session(client: Any) -> None:
    """Session fixation: nothing planted in the session before login survives it."""
    before = client.token()
    with client.client.session_transaction() as s:
        s["planted"] = "by an attacker"
    r = client.login("anna")
    assert r.status_code == 302
    with client.client.session_transaction() as s:
        assert "planted" not in s
        assert s.get("_user_id") == str(
            client.app.extensions["uchet"].platform.users.find("anna").id
        )
    assert client.token() != before  # the CSRF secret was renewed too


UNSAFE_TARGETS = [
    "//evil.example/x",
    "https://evil.example/",
    "/\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "evil.example",
]


def test_next_never_leaves_the_site(client: Any) -> None:
    for target in UNSAFE_TARGETS:
        r = client.client.post(
            "/login",
            query_string={"next": target},
            data={"login": "anna", "password": PASSWORD, "csrf_token": client.token()},
        )
        assert r.status_code == 302
        assert r.location == "/", (target, r.location)


def test_next_keeps_a_local_page(client: Any) -> None:
    r = client.client.post(
        "/login",
        query_string={"next": "/clients/?q=abc"},
        data={"login": "anna", "password": PASSWORD, "csrf_token": client.token()},
    )
    assert r.status_code == 302 and r.location == "/clients/?q=abc"


def test_cookie_flags(client: Any) -> None:
    r = client.login("anna")
    cookie = _set_cookie(r)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP in development


def test_secure_cookie_flag_from_the_environment(web_platform: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("UCHET_SECURE_COOKIES", "1")
    client = WebClient(create_app(web_platform, secret_key=SECRET))
    # Over HTTPS, as behind a TLS-terminating proxy.
    page = client.client.get("/login", base_url="https://localhost")
    token = csrf(page.text)
    r = client.client.post(
        "/login",
        base_url="https://localhost",
        data={"login": "anna", "password": PASSWORD, "csrf_token": token},
    )
    assert r.status_code == 302
    cookie = _set_cookie(r)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers(client: Any) -> None:
    anonymous = client.get("/login")
    for r in (anonymous, client.get("/nowhere")):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert r.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    client.login("anna")
    page = client.get("/clients/")
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert page.headers["Cache-Control"] == "no-store"  # no paging back into a locked session


def test_error_pages_speak_the_users_language(client: Any) -> None:
    client.login("anna")
    missing = client.get("/clients/edit/?id=999999")
    assert missing.status_code == 404
    assert "Не найдено" in missing.text and "<html" in missing.text
    as_json = client.get("/clients/edit/?id=999999", headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and as_json.json["status"] == 404
    bad = client.post("/logout", token=False)
    assert bad.status_code == 400 and "Форма устарела" in bad.text


def test_language_switch_is_remembered_for_the_user(client: Any, web_platform: Any) -> None:
    client.login("anna")
    assert "Выйти" in client.get("/").text
    r = client.post("/locale", {"locale": "en", "next": "/clients/"})
    assert r.status_code == 302 and r.location == "/clients/"
    assert "Log out" in client.get("/").text
    assert web_platform.users.find("anna").locale == "en"
    # A new session of the same user (another browser) starts in English.
    other = WebClient(client.app)
    other.login("anna")
    assert "Log out" in other.get("/").text
    # An unknown locale changes nothing; a foreign next is not followed.
    r = client.post("/locale", {"locale": "xx", "next": "https://evil.example/"})
    assert r.location == "/" and web_platform.users.find("anna").locale == "en"
    assert client.post("/locale", {"locale": "ru"}, token=False).status_code == 400


def test_anonymous_language_choice_on_the_login_page(client: Any) -> None:
    assert "Войти" in client.get("/login").text
    r = client.post("/locale", {"locale": "en", "next": "/login"})
    assert r.status_code == 302
    assert "Log in" in client.get("/login").text
