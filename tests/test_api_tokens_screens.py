"""The token screens (issue 18, point 4): a user makes and revokes their own tokens on
``/-/tokens/``; the administrator sees everyone's and makes one for any user. The secret
is shown once and works against the API; revoking stops it. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.web_support import WebClient

from uchet.platform.records.tokens import TokenStore


def _secret(html: str) -> str:
    found = re.search(r'id="uchet-token-secret">([^<]+)<', html)
    assert found, "no secret on the page"
    return found.group(1)


def test_user_makes_uses_and_revokes_a_token(web_app: Any, web_platform: Any) -> None:
    anna = WebClient(web_app)
    anna.login("anna")
    page = anna.post("/-/tokens/", {"name": "Сайт", "read_only": "1", "expires": "2099-12-31"})
    assert page.status_code == 200 and "Токен создан" in page.text
    secret = _secret(page.text)
    api = web_app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/clients", headers=headers).status_code == 200
    listing = anna.get("/-/tokens/").text
    assert "Сайт" in listing and "Только чтение" in listing and "2100-01-01" in listing
    assert secret not in listing  # shown once only
    token_id = int(re.search(r'<tr data-id="(\d+)"', listing).group(1))  # type: ignore[union-attr]
    # Boris may not revoke Anna's token, nor see it.
    boris = WebClient(web_app)
    boris.login("boris")
    assert "Сайт" not in boris.get("/-/tokens/").text
    assert boris.post(f"/-/tokens/{token_id}/revoke/").status_code == 404
    assert api.get("/api/v1/clients", headers=headers).status_code == 200
    assert anna.post(f"/-/tokens/{token_id}/revoke/").status_code == 302
    assert api.get("/api/v1/clients", headers=headers).status_code == 401
    assert "Отозван" in anna.get("/-/tokens/").text
    # Without the CSRF token nothing is made.
    assert anna.post("/-/tokens/", {"name": "x"}, token=False).status_code == 400


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_administrator_makes_a_token_for_another_user(web_app: Any, web_platform: Any) -> None:
    admin = WebClient(web_app)
    admin.login("admin")
    vera = web_platform.test_users["vera"]
    page = admin.post("/-/tokens/", {"name": "Телефония", "user_id": str(vera.id)})
    secret = _secret(page.text)
    store = TokenStore(web_platform.engine, web_platform.runtime.model.system["uchet_api_tokens"],
                       web_platform.users)  # fmt: skip
    caller = store.authenticate(secret)
    assert caller is not None and caller.user.login == "vera"
    assert "Телефония" in admin.get("/-/tokens/").text
    # A user who is not an administrator cannot make one for somebody else: it is theirs.
    anna = WebClient(web_app)
    anna.login("anna")
    made = _secret(anna.post("/-/tokens/", {"name": "Чужой", "user_id": str(vera.id)}).text)
    assert store.authenticate(made).user.login == "anna"  # type: ignore[union-attr]
    empty = admin.post("/-/tokens/", {"name": " "})
    assert "uchet-token-secret" not in empty.text and "Обязательное поле" in empty.text
