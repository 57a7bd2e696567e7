"""Embedding: ``UchetAdmin(platform).init_app(isv_app, url_prefix="/crm")`` (issue 3 §1).

The screens live under the prefix of an ISV's own Flask app: every link, redirect, static
file, the login, the session cookie's path and CSRF work there, and the ISV's own routes and
session keep working beside them. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, session
from tests.web_support import PASSWORD, csrf

from uchet import SYSTEM
from uchet.web import UchetAdmin

PREFIX = "/crm"


def isv_app(platform: Any) -> Flask:
    """An ISV's application with routes of its own, and the CRM mounted under /crm."""
    app = Flask("isv_shop")
    app.secret_key = "the-isv-own-secret-" + "q" * 16

    @app.route("/")
    def shop_home() -> str:
        session["basket"] = ["tea"]
        return "Shop home"

    @app.route("/basket")
    def basket() -> str:
        return ", ".join(session.get("basket", []))

    @app.route("/crm-info")  # shares the prefix's first letters, not its path segment
    def crm_info() -> str:
        return "About our CRM"

    UchetAdmin(platform, secret_key="embedded-secret-" + "w" * 20).init_app(app, PREFIX)
    return app


def links(html: str) -> set[str]:
    return set(re.findall(r'(?:href|src|action)="([^"#][^"]*)"', html))


def login(client: Any, next_url: str | None = None) -> Any:
    token = csrf(client.get(f"{PREFIX}/login").text)
    url = f"{PREFIX}/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"login": "admin", "password": PASSWORD, "csrf_token": token})


def test_isv_routes_and_session_keep_working(web_platform: Any) -> None:
    client = isv_app(web_platform).test_client()
    assert client.get("/").text == "Shop home"
    assert client.get("/crm-info").text == "About our CRM"
    assert client.get("/no-such-page").status_code == 404  # the ISV's 404, not ours
    assert login(client).status_code == 302
    # Two separate cookies: the ISV's session is untouched by logging in to the CRM.
    assert client.get("/basket").text == "tea"
    assert client.get(f"{PREFIX}/clients/").status_code == 200


def test_login_redirects_and_cookie_stay_under_the_prefix(web_platform: Any) -> None:
    client = isv_app(web_platform).test_client()
    r = client.get(f"{PREFIX}/clients/?q=ива")
    assert r.status_code == 302
    assert r.location.startswith(f"{PREFIX}/login?next=")
    assert "next=/crm/clients/" in r.location.replace("%2F", "/")
    assert client.get(f"{PREFIX}/").location == f"{PREFIX}/login"
    r = login(client, next_url=f"{PREFIX}/clients/")
    assert r.status_code == 302 and r.location == f"{PREFIX}/clients/"
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("uchet_session="))
    assert "Path=/crm;" in cookie and "HttpOnly" in cookie
    # Logging in without next= lands on the CRM's home under the prefix.
    other = isv_app(web_platform).test_client()
    assert login(other).location == f"{PREFIX}/"
    home = other.get(f"{PREFIX}/")
    assert home.status_code == 200
    # Logout is a POST with CSRF and lands on the prefixed login page.
    r = other.post(f"{PREFIX}/logout", data={"csrf_token": csrf(home.text)})
    assert r.status_code == 302 and r.location == f"{PREFIX}/login"
    assert other.get(f"{PREFIX}/clients/").status_code == 302


def test_every_link_and_static_file_is_under_the_prefix(web_platform: Any) -> None:
    client = isv_app(web_platform).test_client()
    login(client)
    page = client.get(f"{PREFIX}/clients/")
    assert page.status_code == 200
    found = links(page.text)
    absolute = {u for u in found if u.startswith("/")}
    assert absolute, "the list page has no links"
    assert not {u for u in absolute if not u.startswith(f"{PREFIX}/")}, absolute
    assert f"{PREFIX}/clients/new/" in found
    # Static files (uchet's and Flask-Admin's) are served through the prefix.
    statics = [u for u in absolute if "/_uchet/" in u or "/static/" in u]
    assert any("/_uchet/" in u for u in statics) and any("/static/admin/" in u for u in statics)
    for url in statics:
        r = client.get(url)
        assert r.status_code == 200, url
        r.close()


def test_forms_and_csrf_work_under_the_prefix(web_platform: Any) -> None:
    client = isv_app(web_platform).test_client()
    login(client)
    form = client.get(f"{PREFIX}/clients/new/")
    assert form.status_code == 200
    assert f'action="{PREFIX}/' in form.text or 'action=""' in form.text
    r = client.post(f"{PREFIX}/clients/new/", data={"name": "Без токена", "kind": "company"})
    assert r.status_code == 200 and "CSRF" in r.text
    assert web_platform.records("clients", user=SYSTEM).query().total == 0
    r = client.post(
        f"{PREFIX}/clients/new/",
        data={"name": "Встроенный клиент", "kind": "company", "csrf_token": csrf(form.text)},
    )
    assert r.status_code == 302 and r.location.startswith(f"{PREFIX}/clients/")
    rows = web_platform.records("clients", user=SYSTEM).query().rows
    assert [row["name"] for row in rows] == ["Встроенный клиент"]
    card = client.get(f"{PREFIX}/clients/edit/?id={rows[0]['id']}")
    assert card.status_code == 200 and "Встроенный клиент" in card.text
    assert not {u for u in links(card.text) if u.startswith("/") and not u.startswith(PREFIX)}
