"""The idle lock of the screen on the server (S48, issue 20 point 6), with an injected clock:
an idle session is locked, not logged out; while locked, its data requests are refused
(423 for the screens' AJAX calls, the lock page for a page opened anew, no write goes
through); the password unlocks it, checked on the server and throttled like the login; the
administrator sets the idle minutes for every process (0: never). The overlay itself, with a
half-typed card under it, is tests/test_web_screenlock_browser.py."""

from __future__ import annotations

from typing import Any

from tests.web_support import PASSWORD, WebClient

from uchet import SYSTEM
from uchet.web import create_app, screenlock
from uchet.web.auth import SEEN_KEY

SECRET = "lock-test-secret-" + "q" * 20
AJAX = {"X-Requested-With": "XMLHttpRequest"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def locked_client(web_platform: Any, clock: Clock, **settings: Any) -> WebClient:
    client = WebClient(create_app(web_platform, secret_key=SECRET, clock=clock, **settings))
    assert client.login("anna").status_code == 302
    return client


def test_idle_session_locks_refuses_data_and_unlocks_with_the_password(
    web_platform: Any,
) -> None:
    clock = Clock()
    client = locked_client(web_platform, clock, idle_minutes=10)
    assert client.get("/clients/").status_code == 200
    token = client.token()
    clock.now += 9 * 60  # within the idle time: the request renews the session
    assert client.get("/clients/").status_code == 200
    clock.now += 10 * 60 + 1  # now idle
    refused = client.get("/clients/?q=abc", headers=AJAX)
    assert refused.status_code == 423 and refused.json["locked"] is True
    assert "Экран заблокирован" in refused.json["error"]
    # A page opened anew goes to the lock page (with the way back), not to the login.
    page = client.get("/clients/?q=abc")
    assert page.status_code == 302 and "/session/locked?next=" in page.location
    lock_page = client.get(page.location)
    assert lock_page.status_code == 200 and "Экран заблокирован" in lock_page.text
    # No write passes while locked: the record is not created.
    svc = web_platform.records("clients", user=SYSTEM)
    before = svc.aggregate("count")
    r = client.post("/clients/new/", {"kind": "company", "name": "Пока заблокировано"},
                    token=False, headers={"X-CSRFToken": token})  # fmt: skip
    assert r.status_code == 423 and svc.aggregate("count") == before
    # Time passing does not unlock it.
    clock.now += 1
    assert client.get("/clients/", headers=AJAX).status_code == 423
    # A wrong password is refused; the right one lifts the lock, and the session goes on.
    wrong = client.post("/session/unlock", {"password": "nope"}, token=False,
                        headers={**AJAX, "X-CSRFToken": token})  # fmt: skip
    assert wrong.status_code == 401 and wrong.json["error"] == "Неверный пароль."
    assert client.get("/clients/", headers=AJAX).status_code == 423
    right = client.post("/session/unlock", {"password": PASSWORD}, token=False,
                        headers={**AJAX, "X-CSRFToken": token})  # fmt: skip
    assert right.status_code == 200 and right.json == {"locked": False}
    assert client.get("/clients/").status_code == 200


def test_the_page_locks_the_session_at_once_and_the_lock_page_unlocks(web_platform: Any) -> None:
    clock = Clock()
    client = locked_client(web_platform, clock, idle_minutes=10)
    token = client.token()
    # The page saw the user idle (its own clock): the server locks now, whatever its clock.
    assert client.post("/session/lock", {}, token=False,
                       headers={**AJAX, "X-CSRFToken": token}).status_code == 200  # fmt: skip
    assert client.get("/invoices/", headers=AJAX).status_code == 423
    # The lock needs the CSRF token like every write.
    assert client.post("/session/unlock", {"password": PASSWORD}, token=False).status_code == 400
    # The lock page's own form: a wrong password shows the page again, the right one goes on.
    bad = client.post("/session/unlock", {"password": "x", "next": "/invoices/"})
    assert bad.status_code == 401 and "Неверный пароль." in bad.text
    good = client.post("/session/unlock", {"password": PASSWORD, "next": "/invoices/"})
    assert good.status_code == 302 and good.location.endswith("/invoices/")
    assert client.get("/invoices/").status_code == 200


def test_unlocking_is_throttled_like_the_login(web_platform: Any) -> None:
    clock = Clock()
    client = locked_client(web_platform, clock, idle_minutes=5, max_login_failures=3)
    token = client.token()
    headers = {**AJAX, "X-CSRFToken": token}
    client.post("/session/lock", {}, token=False, headers=headers)
    for _ in range(3):
        r = client.post("/session/unlock", {"password": "guess"}, token=False, headers=headers)
        assert r.status_code == 401
    # The right password now waits too: not even checked.
    r = client.post("/session/unlock", {"password": PASSWORD}, token=False, headers=headers)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "Слишком много неудачных попыток" in r.json["error"]
    # The server's own clock decides when the wait is over (the failures table stores it).
    clock.now += 2
    r = client.post("/session/unlock", {"password": PASSWORD}, token=False, headers=headers)
    assert r.status_code == 200


def test_the_administrator_sets_the_idle_time_for_every_process(web_platform: Any) -> None:
    clock = Clock()
    anna = locked_client(web_platform, clock, idle_minutes=30)
    admin = WebClient(create_app(web_platform, secret_key=SECRET, clock=Clock(), idle_minutes=30))
    assert admin.login("admin").status_code == 302
    page = admin.get("/-/users/")
    assert 'name="idle_minutes" value="30"' in page.text  # the deployment's default
    # Not a number: refused with a message, nothing stored.
    r = admin.post("/-/users/screen-lock/", {"idle_minutes": "десять"})
    assert r.status_code == 302
    assert "целое число минут" in admin.get(r.location).text
    assert admin.post("/-/users/screen-lock/", {"idle_minutes": "2"}).status_code == 302
    # Not an administrator's page.
    assert anna.post("/-/users/screen-lock/", {"idle_minutes": "0"}).status_code in (302, 403)
    screenlock._cache.clear()  # another process reads it within IDLE_CACHE_SECONDS
    assert 'data-idle-minutes="2"' in anna.get("/clients/").text
    clock.now += 2 * 60 + 1
    assert anna.get("/clients/", headers=AJAX).status_code == 423
    # 0 turns the lock off.
    assert admin.post("/-/users/screen-lock/", {"idle_minutes": "0"}).status_code == 302
    fresh = locked_client(web_platform, clock, idle_minutes=30)
    with fresh.client.session_transaction() as s:
        s[SEEN_KEY] -= 7 * 24 * 3600
    screenlock._cache.clear()
    assert fresh.get("/clients/").status_code == 200
