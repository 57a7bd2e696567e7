"""Role × table × verb: the API refuses exactly what the screens refuse (issue 18, point 2;
S02), for every table of the sample CRM and every test role (main, manager, viewer, none),
on SQLite and PostgreSQL.

Each verb is asked of both on a record id that does not exist, so nothing is changed and
the answer is the rights check itself: refused (403) or let through to the record (404, or
a validation answer on create).
"""

from __future__ import annotations

from typing import Any

from tests.web_support import WebClient

from uchet.platform.records.tokens import TokenStore

MISSING = 987654


def _screen(web: WebClient, token: str, table: str, verb: str) -> int:
    if verb == "list":
        return int(web.get(f"/{table}/").status_code)
    if verb == "create":
        return int(web.get(f"/{table}/new/").status_code)
    if verb == "update":
        r = web.client.post(f"/{table}/edit/?id={MISSING}", data={"csrf_token": token})
        return int(r.status_code)
    r = web.client.post(f"/{table}/delete/", data={"csrf_token": token, "id": MISSING})
    return int(r.status_code)


def _api(client: Any, secret: str, table: str, verb: str) -> int:
    headers = {"Authorization": f"Bearer {secret}"}
    if verb == "list":
        return int(client.get(f"/api/v1/{table}?limit=1", headers=headers).status_code)
    if verb == "create":
        return int(client.post(f"/api/v1/{table}", json={}, headers=headers).status_code)
    if verb == "update":
        r = client.patch(f"/api/v1/{table}/{MISSING}", json={"version": 1}, headers=headers)
        return int(r.status_code)
    return int(client.delete(f"/api/v1/{table}/{MISSING}", headers=headers).status_code)


def test_api_refuses_exactly_what_the_screens_refuse(web_app: Any, web_platform: Any) -> None:
    platform = web_platform
    nobody = platform.users.create("nobody", "secret-pass-1", name="Nobody", roles=[])
    users = {**platform.test_users, "nobody": nobody}
    store = TokenStore(platform.engine, platform.runtime.model.system["uchet_api_tokens"],
                       platform.users)  # fmt: skip
    api = web_app.test_client()
    tables = [t.name for t in platform.runtime.config.tables]
    mismatches, refused = [], 0
    for login, user in users.items():
        secret = store.create(user.id, "matrix")[1]
        web = WebClient(web_app)
        assert web.login(login).status_code == 302
        token = web.token()
        for table in tables:
            for verb in ("list", "create", "update", "delete"):
                screen, through_api = (
                    _screen(web, token, table, verb),
                    _api(api, secret, table, verb),
                )
                if (screen == 403) != (through_api == 403):
                    mismatches.append((login, table, verb, screen, through_api))
                refused += through_api == 403
    assert mismatches == []
    # The matrix is not trivially "everything allowed" or "everything refused".
    assert 0 < refused < len(users) * len(tables) * 4
