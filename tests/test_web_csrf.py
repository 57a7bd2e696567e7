"""CSRF on every write (issue 3 §4): every POST route of the app refuses a request without a
token, and writes nothing. The routes are enumerated from the inner app's URL map, so a route
added later is covered without touching this file.

A new POST route passes when, without a token, it answers 400 (``auth.check_csrf()`` does
that) or re-renders its form with the CSRF error (a ``SecureForm`` does that). If it needs a
URL argument this file does not know, add a sample value to ``SAMPLE_ARGS``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, url_for
from tests.web_support import WebClient
from werkzeug.routing import IntegerConverter

from uchet import SYSTEM

#: Values for URL arguments by name; anything else gets a record id (int) or a field name.
SAMPLE_ARGS: dict[str, Any] = {
    "field": "name",
    "table": "clients",
    "export_type": "csv",
    "locale": "en",
    "filename": "x",
}
#: POST routes that need no CSRF token, and why. Each must still write nothing when probed.
EXEMPT = {
    # The public unsubscribe link (issue 19): a mail program's one-click POST (RFC 8058)
    # carries no session; the signed token in the URL is the authority.
    "/unsubscribe/<token>",
}
#: A form a careless route would happily accept.
PROBE_FORM = {
    "name": "CSRF probe",
    "kind": "company",
    "login": "probe",
    "email": "p@x.ru",
    "password": "probe-pass-1",
    "confirm": "probe-pass-1",
    "locale": "en",
    "roles": "main",
    "active": "y",
    "value": "probe",
    "state": "{}",
    "action": "delete",
    "rowid": "1",
}
#: What a refusal says: "CSRF" (WTForms, check_csrf), or the error page's words for it.
REFUSAL_MARKS = ("CSRF", "Форма устарела", "The form has expired")


def inner_app(app: Flask) -> Flask:
    return app.extensions["uchet"].hotswap.current()  # type: ignore[no-any-return]


def snapshot(platform: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (configuration and system tables)."""
    metadata = platform.runtime.model.metadata
    tables = {**{t.name: t for t in metadata.sorted_tables}, **platform._system}
    out = {}
    with platform.engine.connect() as conn:
        for name, table in sorted(tables.items()):
            rows = conn.execute(sa.select(table)).all()
            out[name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


def seed(platform: Any) -> dict[str, int]:
    """One record (at least) in each table, so id-taking routes reach their record: the
    CRM's own demo data, five clients' worth."""
    from uchet.sample_crm.demo import Demo

    Demo(platform, 5, 1, lambda _text: None).run()
    # The unsubscribe links' key is made on first use; made here, a probe of that route
    # does not count as a write.
    from uchet.platform.messaging import optout

    optout.site_secret(platform.engine, platform.runtime.model.system["uchet_state"])
    ids = {}
    for ct in platform.runtime.model:
        rows = platform.records(ct.table.id, user=SYSTEM).query(limit=1, count=False).rows
        if rows:
            ids[ct.table.id] = rows[0]["id"]
    return ids


def post_urls(app: Flask, ids: dict[str, int]) -> list[tuple[str, str]]:
    """(rule, URL) for every POST route of ``app``, with sample arguments filled in."""
    default_id = ids["clients"]
    out = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "POST" not in (rule.methods or ()):
                continue
            table = rule.endpoint.split(".")[0].removeprefix("t_")
            record_id = ids.get(table, default_id)
            values: dict[str, Any] = {"id": record_id}
            for arg in rule.arguments:
                if arg in SAMPLE_ARGS:
                    values[arg] = SAMPLE_ARGS[arg]
                elif isinstance(rule._converters.get(arg), IntegerConverter):
                    values[arg] = record_id
                else:
                    values[arg] = "name"
            out.append((rule.rule, url_for(rule.endpoint, **values)))
    return out


def unprotected_posts(
    client: WebClient, app: Flask, platform: Any, ids: dict[str, int]
) -> list[str]:
    """The POST routes that did not refuse a request without a CSRF token, or wrote."""
    problems = []
    before = snapshot(platform)
    for rule, url in post_urls(app, ids):
        r = client.client.post(url, data=PROBE_FORM)
        text = r.get_data(as_text=True)
        refused = (
            r.status_code == 400
            or (r.status_code == 200 and "csrf_token" in text)
            # The REST API (issue 18) refuses a session-cookie write without the token as a
            # 403 problem (token-authenticated calls need no CSRF token).
            or (r.status_code == 403 and r.mimetype == "application/problem+json")
        )
        if rule in EXEMPT:
            refused = True
            text = "CSRF"
        if not (refused and any(mark in text for mark in REFUSAL_MARKS)):
            problems.append(f"{rule} ({url}): {r.status_code} {text[:120]!r}")
        elif snapshot(platform) != before:
            problems.append(f"{rule} ({url}): refused, but the database changed")
            before = snapshot(platform)
    return problems


def test_every_post_route_refuses_a_request_without_csrf_token(
    client: WebClient, web_platform: Any
) -> None:
    ids = seed(web_platform)
    app = inner_app(client.app)
    client.login("admin")  # the superuser: nothing but the missing token stands in the way
    routes = post_urls(app, ids)
    assert len(routes) >= 8, routes  # login, logout, locale, and create/edit/delete per table
    assert unprotected_posts(client, app, web_platform, ids) == []
    # Still logged in: the logout without a token was refused too.
    assert client.get("/clients/").status_code == 200


def test_the_check_notices_an_unprotected_route(client: WebClient, web_platform: Any) -> None:
    """The check can fail: a route added without CSRF is reported (and its write seen)."""
    uchet = client.app.extensions["uchet"]
    app = uchet.build(web_platform.runtime)
    written: list[str] = []

    @app.post("/careless/<int:record_id>")
    def careless(record_id: int) -> str:
        web_platform.users.update(web_platform.test_users["vera"].id, name="changed")
        written.append("yes")
        return "ok"

    probe = WebClient(app)
    probe.login("admin")
    problems = unprotected_posts(probe, app, web_platform, seed(web_platform))
    assert [p.split(" ")[0] for p in problems] == ["/careless/<int:record_id>"]
    assert written == ["yes"]


def test_ajax_writes_take_the_token_from_a_header(client: WebClient, web_platform: Any) -> None:
    """``X-CSRFToken`` (what uchet.js sends with AJAX writes) is accepted like the form field."""
    client.login("anna")
    token = client.token()
    r = client.client.post("/locale", data={"locale": "en"}, headers={"X-CSRFToken": token})
    assert r.status_code == 302
    assert web_platform.users.find("anna").locale == "en"
    r = client.client.post("/locale", data={"locale": "ru"}, headers={"X-CSRFToken": "forged"})
    assert r.status_code == 400
    assert web_platform.users.find("anna").locale == "en"
