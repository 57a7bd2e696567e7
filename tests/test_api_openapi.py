"""The OpenAPI 3.1 document per configuration version and per caller (issue 18, point 3).

It validates against the OpenAPI 3.1 meta-schema (openapi-spec-validator); a caller's
document holds only the tables and fields they may read and the operations they may do;
types, formats, required fields and choices come from the field-type registry.
"""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate
from tests.web_support import WebClient

from uchet.platform.records.tokens import TokenStore


@pytest.fixture
def docs(web_platform: Any) -> Any:
    from uchet.web import create_app

    app = create_app(web_platform, secret_key="api-secret-" + "d" * 21)
    store = TokenStore(web_platform.engine, web_platform.runtime.model.system["uchet_api_tokens"],
                       web_platform.users)  # fmt: skip
    nobody = web_platform.users.create("nobody", "secret-pass-1", name="Nobody", roles=[])
    users = {**web_platform.test_users, "nobody": nobody}
    secrets = {login: store.create(u.id, "docs")[1] for login, u in users.items()}
    client = app.test_client()

    def document(login: str, lang: str = "en") -> dict[str, Any]:
        r = client.get("/api/v1/openapi.json", headers={
            "Authorization": f"Bearer {secrets[login]}", "Accept-Language": lang})  # fmt: skip
        assert r.status_code == 200, r.text
        return r.json  # type: ignore[no-any-return]

    document.app = app  # type: ignore[attr-defined]
    return document


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_document_validates_and_follows_the_registry(docs: Any) -> None:
    doc = docs("admin")
    validate(doc)  # the OpenAPI 3.1 meta-schema
    assert doc["openapi"] == "3.1.0"
    schemas = doc["components"]["schemas"]
    clients = schemas["clients"]["properties"]
    assert clients["email"]["format"] == "email" and clients["birthday"]["format"] == "date"
    assert clients["status"]["enum"][:-1] and clients["status"]["enum"][-1] is None
    assert clients["debt"]["format"] == "decimal"  # a rollup: its result type
    create = schemas["clientsCreate"]
    assert "name" in create["required"] and create["properties"]["name"]["maxLength"] > 0
    assert "contact_count" not in create["properties"]  # computed: never written
    assert {"get", "post"} <= set(doc["paths"]["/clients"])
    assert {"get", "patch", "delete"} <= set(doc["paths"]["/clients/{record_id}"])
    assert "/-/lookup/phone" in doc["paths"]
    assert docs("admin", "ru")["components"]["schemas"]["clients"]["properties"]["name"][
        "title"] != clients["name"]["title"]  # fmt: skip


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_document_per_caller(docs: Any) -> None:
    admin, manager, viewer, nobody = (docs(u) for u in ("admin", "anna", "vera", "nobody"))
    for doc in (manager, viewer, nobody):
        validate(doc)
    # A user without roles reads no table: the document has no table at all.
    assert set(nobody["paths"]) == {"/-/lookup/phone", "/-/reports", "/-/dashboard",
                                    "/-/dashboard/{dashboard_id}"}  # fmt: skip
    assert "clients" not in nobody["components"]["schemas"]
    # The viewer may not read the clients' tax id and writes nothing.
    assert "tax_id" in admin["components"]["schemas"]["clients"]["properties"]
    assert "tax_id" not in viewer["components"]["schemas"]["clients"]["properties"]
    assert set(viewer["paths"]["/clients"]) == {"get"}
    assert "clientsCreate" not in viewer["components"]["schemas"]
    # The manager creates and edits clients but may not delete them.
    assert "post" in manager["paths"]["/clients"]
    assert "delete" not in manager["paths"]["/clients/{record_id}"]
    assert "delete" in admin["paths"]["/clients/{record_id}"]
    # Batch update, children, files and reports follow the same rights (issue 18).
    assert "patch" in manager["paths"]["/clients"] and "patch" not in viewer["paths"]["/clients"]
    assert set(manager["paths"]["/clients/{record_id}/contacts"]) >= {"get", "post"}
    assert set(viewer["paths"]["/clients/{record_id}/photo"]) == {"get", "parameters"}
    assert {"get", "put", "delete"} <= set(manager["paths"]["/clients/{record_id}/photo"])
    # The manager reads an invoice's payments but may not create one.
    assert set(manager["paths"]["/invoices/{record_id}/payments"]) == {"get", "parameters"}
    assert "post" in admin["paths"]["/invoices/{record_id}/payments"]
    sales = admin["paths"]["/-/reports/report_sales_by_month"]["get"]
    assert [p["name"] for p in sales["parameters"]] == ["date_from", "date_to"]
    assert sales["parameters"][0]["schema"]["format"] == "date"
    assert not [p for p in nobody["paths"] if p.startswith("/-/reports/")]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_interactive_page_for_a_logged_in_user(docs: Any) -> None:
    web = WebClient(docs.app)
    assert web.get("/api/v1/docs").status_code == 302
    web.login("anna")
    page = web.get("/api/v1/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert web.get("/_uchet/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert web.get("/api/v1/openapi.json").json["openapi"] == "3.1.0"
