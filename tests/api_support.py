"""The API tests' shared fixture: the sample CRM app with a token per test user (issue 18)."""

from __future__ import annotations

from typing import Any

import pytest

from uchet.platform.records.tokens import TokenStore


@pytest.fixture
def api(web_platform: Any) -> Any:
    """The sample CRM app, its token store and a token per test user."""
    from uchet.web import create_app

    app = create_app(web_platform, secret_key="api-secret-" + "a" * 21)
    store = TokenStore(web_platform.engine, web_platform.runtime.model.system["uchet_api_tokens"],
                       web_platform.users)  # fmt: skip
    secrets = {login: store.create(u.id, "test")[1] for login, u in web_platform.test_users.items()}

    class Api:
        platform, tokens, client = web_platform, store, app.test_client()
        users = web_platform.test_users

        def call(self, method: str, url: str, login: str = "admin", lang: str = "en",
                 **kw: Any) -> Any:  # fmt: skip
            headers = {"Authorization": f"Bearer {secrets[login]}", "Accept-Language": lang,
                       **kw.pop("headers", {})}  # fmt: skip
            return self.client.open(url, method=method, headers=headers, **kw)

    Api.secrets = secrets  # type: ignore[attr-defined]
    Api.app = app  # type: ignore[attr-defined]
    return Api()


def _client(api: Any, **values: Any) -> dict[str, Any]:
    r = api.call("POST", "/api/v1/clients", json={"name": "ООО Ромашка", **values})
    assert r.status_code == 201, r.text
    return r.json  # type: ignore[no-any-return]
