"""Rate limits per token and CORS per origin (issue 18, point 5), on SQLite and PostgreSQL.

No clock is read by the assertions: the limit is a count per hour, far longer than a test."""

from __future__ import annotations

from typing import Any

import pytest

from uchet.platform.records.tokens import TokenStore


@pytest.fixture
def limited(web_platform: Any) -> Any:
    from uchet.web import create_app

    app = create_app(
        web_platform,
        secret_key="api-secret-" + "l" * 21,
        api_rate_limit="3/hour",
        api_cors_origins=["https://shop.example"],
    )
    store = TokenStore(
        web_platform.engine,
        web_platform.runtime.model.system["uchet_api_tokens"],
        web_platform.users,
    )
    users = web_platform.test_users
    app.test_secrets = {n: store.create(users[n].id, n)[1] for n in ("anna", "boris")}
    return app


def test_each_token_has_its_own_limit(limited: Any) -> None:
    client = limited.test_client()
    anna = {"Authorization": f"Bearer {limited.test_secrets['anna']}", "Accept-Language": "ru"}
    boris = {"Authorization": f"Bearer {limited.test_secrets['boris']}"}
    assert [client.get("/api/v1/clients", headers=anna).status_code for _ in range(3)] == [200] * 3
    refused = client.get("/api/v1/clients", headers=anna)
    assert refused.status_code == 429 and refused.content_type == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json["title"] == "Слишком много запросов"
    assert client.get("/api/v1/clients", headers=boris).status_code == 200


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cors_only_for_listed_origins(limited: Any, web_platform: Any) -> None:
    from uchet.web import create_app

    client = limited.test_client()
    anna = {"Authorization": f"Bearer {limited.test_secrets['anna']}"}
    allowed = client.get("/api/v1/clients", headers={**anna, "Origin": "https://shop.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "Access-Control-Allow-Credentials" not in allowed.headers  # never the session
    other = client.get("/api/v1/clients", headers={**anna, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/api/v1/clients",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    # Off by default.
    plain = create_app(web_platform, secret_key="api-secret-" + "p" * 21).test_client()
    r = plain.options("/api/v1/clients", headers={"Origin": "https://shop.example"})
    assert "Access-Control-Allow-Origin" not in r.headers
