"""Sessions that end (issue 13, point 2; S01, S48): a saved cookie is refused after logout,
a new password, new roles, deactivation and "log out everywhere" — in every process, since
the generation lives in the database — and after the absolute and idle lifetimes. On SQLite
and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from tests.web_support import PASSWORD, WebClient, csrf

from uchet.web import create_app
from uchet.web.auth import BORN_KEY

SECRET = "sessions-test-secret-" + "s" * 20


def _replay(app: Any, cookie: str) -> WebClient:
    """Another browser (or an attacker) holding a copy of a saved session cookie."""
    thief = WebClient(app)
    thief.client.set_cookie("uchet_session", cookie)
    return thief


def _saved(client: WebClient) -> str:
    cookie = client.client.get_cookie("uchet_session")
    assert cookie is not None
    return str(cookie.value)


def _refused(client: WebClient) -> bool:
    r = client.get("/clients/")
    return r.status_code == 302 and "/login" in r.location


def _two_workers(web_platform: Any) -> tuple[Any, Any]:
    """Two app instances on one database: two web processes behind one site."""
    return (create_app(web_platform, secret_key=SECRET),
            create_app(web_platform, secret_key=SECRET))  # fmt: skip


def test_saved_cookie_is_refused_after_logout_in_every_worker(web_platform: Any) -> None:
    one, two = _two_workers(web_platform)
    anna = WebClient(one)
    assert anna.login("anna").status_code == 302
    saved = _saved(anna)
    assert not _refused(_replay(two, saved))  # the other worker accepts the cookie...
    assert anna.post("/logout").status_code == 302
    assert _refused(_replay(one, saved))  # ...and refuses it right after the logout
    assert _refused(_replay(two, saved))
    assert WebClient(two).login("anna").status_code == 302  # a new login works


def test_saved_cookie_is_refused_after_the_admin_sets_a_password(web_platform: Any) -> None:
    one, two = _two_workers(web_platform)
    anna = WebClient(one)
    anna.login("anna")
    saved = _saved(anna)
    admin = WebClient(two)
    admin.login("admin")
    anna_id = web_platform.test_users["anna"].id
    page = admin.get(f"/-/users/edit/?id={anna_id}")
    r = admin.post(f"/-/users/password/?id={anna_id}",
                   {"password": "new-password-1", "confirm": "new-password-1",
                    "csrf_token": csrf(page.text)})  # fmt: skip
    assert r.status_code == 302
    assert _refused(_replay(one, saved)) and _refused(anna)
    assert not _refused(admin)  # the admin's own session is untouched
    assert WebClient(one).login("anna", "new-password-1").status_code == 302


def test_role_change_and_deactivation_end_sessions(web_platform: Any) -> None:
    one, two = _two_workers(web_platform)
    boris, vera = WebClient(one), WebClient(one)
    boris.login("boris")
    vera.login("vera")
    saved = _saved(boris)
    admin = WebClient(two)
    admin.login("admin")
    boris_id = web_platform.test_users["boris"].id
    page = admin.get(f"/-/users/edit/?id={boris_id}")
    r = admin.post(f"/-/users/edit/?id={boris_id}",
                   {"name": "Boris", "roles": "viewer", "locale": "", "active": "y",
                    "csrf_token": csrf(page.text)})  # fmt: skip
    assert r.status_code == 302
    assert _refused(_replay(two, saved))
    assert not _refused(vera)  # only boris's sessions
    # Saving the card again without a change of roles or state ends nothing.
    boris.login("boris")
    page = admin.get(f"/-/users/edit/?id={boris_id}")
    admin.post(f"/-/users/edit/?id={boris_id}",
               {"name": "Boris B", "roles": "viewer", "locale": "", "active": "y",
                "csrf_token": csrf(page.text)})  # fmt: skip
    assert not _refused(boris)
    web_platform.users.set_active(boris_id, False)
    assert _refused(boris)


def test_logout_everywhere_from_the_users_menu_and_by_the_admin(web_platform: Any) -> None:
    one, two = _two_workers(web_platform)
    phone, laptop = WebClient(one), WebClient(two)
    phone.login("anna")
    laptop.login("anna")
    home = laptop.get("/")
    assert "Выйти на всех устройствах" in home.text
    assert laptop.post("/logout-everywhere", {"csrf_token": csrf(home.text)}).status_code == 302
    assert _refused(phone) and _refused(laptop)
    # The administrator ends anna's sessions from her user card.
    phone.login("anna")
    admin = WebClient(one)
    admin.login("admin")
    anna_id = web_platform.test_users["anna"].id
    card = admin.get(f"/-/users/edit/?id={anna_id}")
    assert "Выйти на всех устройствах" in card.text
    assert admin.post(f"/-/users/logout-everywhere/?id={anna_id}", token=False).status_code == 400
    done = admin.post(f"/-/users/logout-everywhere/?id={anna_id}", {"csrf_token": csrf(card.text)})
    assert done.status_code == 302
    assert "Все сеансы пользователя завершены" in admin.get(done.location).text
    assert _refused(phone) and not _refused(admin)
    audit = web_platform._system["uchet_audit"]
    with web_platform.engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit.c.user_login, audit.c.changes).where(audit.c.action == "logout_all")
        ).all()
    assert [(r.user_login, r.changes["by"]) for r in rows] == [("anna", "anna"), ("anna", "admin")]


def test_manager_cannot_end_someone_elses_sessions(web_platform: Any) -> None:
    app = create_app(web_platform, secret_key=SECRET)
    anna, boris = WebClient(app), WebClient(app)
    anna.login("anna")
    boris.login("boris")
    boris_id = web_platform.test_users["boris"].id
    r = anna.post(f"/-/users/logout-everywhere/?id={boris_id}")
    assert r.status_code in (302, 403, 404)
    assert not _refused(boris)


def test_absolute_lifetime_with_an_injected_clock(web_platform: Any) -> None:
    now = [1_000_000.0]
    app = create_app(web_platform, secret_key=SECRET, session_hours=8, idle_minutes=60,
                     clock=lambda: now[0])  # fmt: skip
    anna = WebClient(app)
    anna.login("anna")
    with anna.client.session_transaction() as s:
        assert s[BORN_KEY] == now[0] and s.permanent
    for _ in range(15):  # active all day: a request every 30 minutes keeps it from idling
        now[0] += 30 * 60
        assert not _refused(anna)
    now[0] += 31 * 60  # 8 h 1 min after login
    r = anna.get("/clients/")
    assert r.status_code == 302 and "/login" in r.location
    assert "Сеанс завершён. Войдите снова." in anna.get(r.location).text
    assert _refused(anna)


def test_session_hours_from_the_environment_sets_the_cookie_lifetime(
    web_platform: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("UCHET_SESSION_HOURS", "2")
    app = create_app(web_platform, secret_key=SECRET)
    client = WebClient(app)
    r = client.login("anna")
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("uchet_session="))
    assert "Expires=" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 7200


def test_existing_database_gets_the_sessions_table_on_migrate(web_platform: Any) -> None:
    """A database migrated before uchet_sessions existed gets it from a plain migrate."""
    with web_platform.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE uchet_sessions"))
    web_platform.migrate()
    assert sa.inspect(web_platform.engine).has_table("uchet_sessions")
    client = WebClient(create_app(web_platform, secret_key=SECRET))
    assert client.login("anna", PASSWORD).status_code == 302
    assert not _refused(client)


def test_cookie_is_secure_when_served_over_https(web_platform: Any) -> None:
    """No setting needed behind HTTPS: a cookie sent over HTTPS carries Secure (issue 13)."""
    app = create_app(web_platform, secret_key=SECRET)
    over_https = WebClient(app)
    page = over_https.client.get("/login", base_url="https://crm.example")
    r = over_https.client.post("/login", base_url="https://crm.example",
                               data={"login": "anna", "password": PASSWORD,
                                     "csrf_token": csrf(page.text)})  # fmt: skip
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("uchet_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    plain = WebClient(app).login("anna")
    cookie = next(h for h in plain.headers.getlist("Set-Cookie")
                  if h.startswith("uchet_session="))  # fmt: skip
    assert "Secure" not in cookie


def test_pages_carry_the_content_security_policy(client: WebClient) -> None:
    client.login("anna")
    for path in ("/login", "/", "/clients/", "/reports/", "/print-forms/"):
        r = client.get(path)
        policy = r.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "frame-ancestors 'self'" in policy, path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert r.headers["Referrer-Policy"] == "same-origin"
    static = client.get("/_uchet/uchet/uchet.js")
    assert "Content-Security-Policy" not in static.headers  # documents only
