"""The REST API's batch update, child records and files (issue 18, point 1; S42, S37), on
SQLite and PostgreSQL (the ``db_url`` fixture runs each test on both).

* ``PATCH /api/v1/<table>``: many records in one transaction; one stale version refuses the
  batch (409 naming every stale record) and nothing is written;
* ``/api/v1/<parent>/<id>/<child table>``: the child tabs of the parent's card, listed and
  created under the parent's *and* the child's rights;
* ``/api/v1/<table>/<id>/<file field>``: download and upload with the card's checks.
"""

from __future__ import annotations

import base64
from typing import Any

import sqlalchemy as sa
from tests.api_support import _client

from uchet import SYSTEM

PROBLEM = "application/problem+json"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _audit_count(api: Any, table: str) -> int:
    audit = api.platform.runtime.audit
    with api.platform.engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(audit).where(audit.c.table_id == table)
            ).scalar_one()
        )


# -- batch update ---------------------------------------------------------------------------
def test_bulk_update_changes_every_record_in_one_call(api: Any) -> None:
    a, b = _client(api, name="Первый"), _client(api, name="Второй")
    r = api.call("PATCH", "/api/v1/clients", json=[
        {"id": a["id"], "version": 1, "city": "Тверь"},
        {"id": b["id"], "version": 1, "city": "Омск", "loyalty": 4},
    ])  # fmt: skip
    assert r.status_code == 200, r.text
    assert [(d["id"], d["city"], d["version"]) for d in r.json["data"]] == [
        (a["id"], "Тверь", 2), (b["id"], "Омск", 2)
    ]  # fmt: skip
    # The alias on the batch path, and the audit trail names the token's user.
    r = api.call("PATCH", "/api/v1/clients/-/bulk", json=[{"id": a["id"], "version": 2,
                                                          "city": "Псков"}])  # fmt: skip
    assert r.status_code == 200 and r.json["data"][0]["version"] == 3
    audit = api.platform.runtime.audit
    with api.platform.engine.connect() as conn:
        actions = conn.execute(
            sa.select(audit.c.action, audit.c.user_login)
            .where(audit.c.table_id == "clients", audit.c.record_id == a["id"])
            .order_by(audit.c.id)
        ).all()
    assert [tuple(x) for x in actions] == [("create", "admin"), ("update", "admin"),
                                           ("update", "admin")]  # fmt: skip


def test_one_stale_version_refuses_the_whole_batch_and_writes_nothing(api: Any) -> None:
    a, b, c = (_client(api, name=n) for n in ("А", "Б", "В"))
    # Someone else changes b and c meanwhile.
    for rec in (b, c):
        api.platform.records("clients", user=SYSTEM).update(rec["id"], {"city": "Чужой"}, 1)
    before = _audit_count(api, "clients")
    r = api.call("PATCH", "/api/v1/clients", lang="ru", json=[
        {"id": a["id"], "version": 1, "city": "Моё"},
        {"id": b["id"], "version": 1, "city": "Моё"},
        {"id": c["id"], "version": 1, "city": "Моё"},
    ])  # fmt: skip
    assert r.status_code == 409 and r.content_type == PROBLEM, r.text
    assert [(x["id"], x["version"], x["current"]["version"]) for x in r.json["conflicts"]] == [
        (b["id"], 1, 2), (c["id"], 1, 2)
    ]  # fmt: skip
    assert f"#{b['id']}" in r.json["detail"] and f"#{c['id']}" in r.json["detail"]
    assert r.json["title"] == "Конфликт версий"
    system = api.platform.records("clients", user=SYSTEM)
    assert system.get(a["id"])["city"] is None and system.get(a["id"])["version"] == 1
    assert system.get(b["id"])["city"] == "Чужой"
    assert _audit_count(api, "clients") == before


def test_bulk_update_refuses_invalid_rows_bad_bodies_and_foreign_rows(api: Any) -> None:
    anna, boris = api.users["anna"], api.users["boris"]
    own = _client(api, name="Аннин", manager=anna.id)
    other = _client(api, name="Борин", manager=boris.id)
    r = api.call("PATCH", "/api/v1/clients", json=[
        {"id": own["id"], "version": 1, "city": "Тверь"},
        {"id": other["id"], "version": 1, "loyalty": "много"},
    ])  # fmt: skip
    assert r.status_code == 422 and [row["row"] for row in r.json["rows"]] == [2]
    assert r.json["rows"][0]["errors"][0]["field"] == "loyalty"
    repeated = api.call(
        "PATCH",
        "/api/v1/clients",
        json=[{"id": own["id"], "version": 1}, {"id": own["id"], "version": 1}],
    )
    assert repeated.status_code == 422 and repeated.json["rows"][0]["row"] == 2
    bad = api.call("PATCH", "/api/v1/clients", json=[{"id": own["id"], "city": "x"}])
    assert bad.status_code == 400 and bad.json["invalid_params"][0]["name"] == "[0].version"
    assert api.call("PATCH", "/api/v1/clients", json={"id": 1}).status_code == 400
    # Anna may not touch Boris's client: 404 as for one record, and her own is not changed.
    r = api.call("PATCH", "/api/v1/clients", login="anna", json=[
        {"id": own["id"], "version": 1, "city": "Тверь"},
        {"id": other["id"], "version": 1, "city": "Тверь"},
    ])  # fmt: skip
    assert r.status_code == 404 and "Борин" not in r.text
    system = api.platform.records("clients", user=SYSTEM)
    assert system.get(own["id"])["city"] is None and system.get(other["id"])["version"] == 1
    # The viewer may update nothing; a read-only token neither.
    r = api.call("PATCH", "/api/v1/clients", login="vera",
                 json=[{"id": own["id"], "version": 1, "city": "x"}])  # fmt: skip
    assert r.status_code == 403


# -- child records ---------------------------------------------------------------------------
def test_children_under_the_parent_and_the_childs_rights(api: Any) -> None:
    anna, boris = api.users["anna"], api.users["boris"]
    own = _client(api, name="Аннин", manager=anna.id)
    other = _client(api, name="Борин", manager=boris.id)
    contacts = api.platform.records("contacts", user=SYSTEM)
    contacts.create({"name": "Иван", "client": own["id"]})
    secret = contacts.create({"name": "Тайный", "client": other["id"]})
    r = api.call("GET", f"/api/v1/clients/{own['id']}/contacts?fields=name", login="anna")
    assert r.status_code == 200, r.text
    assert [d["name"] for d in r.json["data"]] == ["Иван"] and r.json["meta"]["total"] == 1
    # Another manager's client: the parent is not visible, so neither are its children.
    for method, body in (("GET", None), ("POST", {"name": "Чужой"})):
        r = api.call(method, f"/api/v1/clients/{other['id']}/contacts", login="anna", json=body)
        assert r.status_code == 404 and r.content_type == PROBLEM, (method, r.text)
        assert "Тайный" not in r.text
    assert contacts.query(filters=[], count=True).total == 2  # nothing was created
    # Created under the parent: the reference is set from the URL.
    r = api.call("POST", f"/api/v1/clients/{own['id']}/contacts", login="anna",
                 json={"name": "Пётр"})  # fmt: skip
    assert r.status_code == 201 and r.json["client"] == own["id"], r.text
    assert r.headers["Location"].endswith(f"/api/v1/contacts/{r.json['id']}")
    # A body naming another parent is refused, naming the field.
    r = api.call("POST", f"/api/v1/clients/{own['id']}/contacts", lang="ru",
                 json={"name": "Пётр", "client": other["id"]})  # fmt: skip
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "client"
    # Field errors are labelled with the child table's fields.
    r = api.call("POST", f"/api/v1/clients/{own['id']}/contacts", json={"email": "nope"})
    assert r.status_code == 422 and {e.get("field") for e in r.json["errors"]} >= {"email"}
    # The admin sees Boris's contact under Boris's client; paging and filters work.
    r = api.call("GET", f"/api/v1/clients/{other['id']}/contacts?filter[name]=Тайный")
    assert [d["id"] for d in r.json["data"]] == [secret["id"]]
    assert api.call("GET", f"/api/v1/clients/{own['id']}/nothing").status_code == 404
    assert api.call("GET", f"/api/v1/clients/{own['id']}/contacts?bad=1").status_code == 400


def test_invoice_lines_are_reachable_under_their_invoice(api: Any) -> None:
    anna, boris = api.users["anna"], api.users["boris"]
    system = SYSTEM
    product = api.platform.records("products", user=system).create({"name": "Болт", "price": 10})
    own = _client(api, name="Аннин", manager=anna.id)
    other = _client(api, name="Борин", manager=boris.id)
    invoices = api.platform.records("invoices", user=system)
    mine, theirs = (invoices.create({"client": c["id"]}) for c in (own, other))
    r = api.call("POST", f"/api/v1/invoices/{mine['id']}/invoice_lines", login="anna",
                 json={"product": product["id"], "quantity": 3})  # fmt: skip
    assert r.status_code == 201, r.text
    listed = api.call("GET", f"/api/v1/invoices/{mine['id']}/invoice_lines", login="anna")
    assert [d["invoice"] for d in listed.json["data"]] == [mine["id"]]
    api.platform.records("invoice_lines", user=system).create(
        {"invoice": theirs["id"], "product": product["id"]}
    )
    r = api.call("GET", f"/api/v1/invoices/{theirs['id']}/invoice_lines", login="anna")
    assert r.status_code == 404
    # Payments: a manager reads them but may not create one (the child's rights).
    r = api.call("POST", f"/api/v1/invoices/{mine['id']}/payments", login="anna",
                 json={"amount": "5"})  # fmt: skip
    assert r.status_code == 403


# -- files ------------------------------------------------------------------------------------
def test_files_upload_download_and_the_cards_checks(api: Any) -> None:
    anna, boris = api.users["anna"], api.users["boris"]
    own = _client(api, name="Аннин", manager=anna.id)
    other = _client(api, name="Борин", manager=boris.id)
    url = f"/api/v1/clients/{own['id']}/photo"
    assert api.call("GET", url, login="anna").status_code == 404  # no file yet
    missing = api.call("PUT", url + "?name=me.png", login="anna", data=PNG,
                       content_type="image/png")  # fmt: skip
    assert missing.status_code == 428  # the record's version is required, as for PATCH
    r = api.call("PUT", url + "?name=me.png", login="anna", data=PNG, content_type="image/png",
                 headers={"If-Match": '"1"'})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json["version"] == 2 and isinstance(r.json["photo"]["id"], int)
    got = api.call("GET", url, login="anna")
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    # An image field refuses what is not an image (the card's type check), in Russian too.
    r = api.call("PUT", url + "?name=x.png", login="anna", lang="ru", data=b"not an image",
                 content_type="image/png", headers={"If-Match": '"2"'})  # fmt: skip
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "photo"
    # Another manager's client: neither download nor upload.
    api.platform.records("clients", user=SYSTEM).update(
        other["id"], {"photo": {"name": "b.png", "data": base64.b64encode(PNG).decode()}}, 1
    )
    assert api.call("GET", f"/api/v1/clients/{other['id']}/photo", login="anna").status_code == 404
    r = api.call("PUT", f"/api/v1/clients/{other['id']}/photo?name=a.png", login="anna",
                 data=PNG, content_type="image/png", headers={"If-Match": '"2"'})  # fmt: skip
    assert r.status_code == 404
    assert api.call("GET", f"/api/v1/clients/{other['id']}/photo").data == PNG
    # A multipart upload to a file field; SVG and other files download as attachments.
    contract = api.platform.records("contracts", user=SYSTEM).create(
        {"client": own["id"], "number": "Д-1"}
    )
    curl = f"/api/v1/contracts/{contract['id']}/scan"
    r = api.call("PUT", curl, login="anna", headers={"If-Match": '"1"'},
                 data={"file": (__import__("io").BytesIO(b"%PDF-1.4"), "scan.pdf")},
                 content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 200, r.text
    got = api.call("GET", curl, login="anna")
    assert got.data == b"%PDF-1.4" and got.headers["Content-Disposition"].startswith("attachment")
    # DELETE clears the field.
    r = api.call("DELETE", curl, login="anna", headers={"If-Match": '"2"'})
    assert r.status_code == 200 and r.json["scan"] is None
    assert api.call("GET", curl, login="anna").status_code == 404


def test_a_file_over_the_limit_is_refused_and_nothing_is_written(api: Any) -> None:
    own = _client(api, name="Большой")
    limit = api.platform.runtime.max_file_size
    url = f"/api/v1/clients/{own['id']}/photo?name=big.png"
    big = PNG + b"\0" * limit
    r = api.call("PUT", url, data=big, content_type="image/png", headers={"If-Match": '"1"'})
    assert r.status_code in (413, 422) and r.content_type == PROBLEM, r.text
    files = api.platform.runtime.files
    with api.platform.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(files)).scalar_one() == 0
    assert api.platform.records("clients", user=SYSTEM).get(own["id"])["version"] == 1
