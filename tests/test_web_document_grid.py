"""The invoice card's grid through the web layer (issue 21), SQLite and PostgreSQL: a new
invoice opens with its defaults and an empty grid, one POST saves header and lines, a bad
line is named and nothing is written, a stale invoice is refused, a viewer gets a read-only
grid, and ``live/`` computes the unsaved values."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from tests.web_support import WebClient, csrf

from uchet import SYSTEM


@pytest.fixture
def seeded(web_platform: Any) -> dict[str, Any]:
    rec = lambda table: web_platform.records(table, user=SYSTEM)  # noqa: E731
    anna = web_platform.test_users["anna"]
    return {
        "client": rec("clients").create({"kind": "company", "name": "ООО «Ромашка»",
                                         "manager": anna.id}),
        "bolt": rec("products").create({"name": "Болт", "kind": "good", "price": "12.50"}),
    }  # fmt: skip


def _grids(rows: list[dict[str, Any]], deleted: list[int] = ()) -> str:  # type: ignore[assignment]
    return json.dumps({"invoice_lines": {"rows": rows, "deleted": list(deleted)}})


def _card_form(html: str) -> dict[str, str]:
    """The hidden inputs of a card: CSRF token, version and snapshot."""
    out = {"csrf_token": csrf(html)}
    for name in ("uchet_version", "uchet_original"):
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
        if found:
            out[name] = found.group(1).replace("&#34;", '"').replace("&quot;", '"')
    return out


def _invoices(platform: Any) -> list[dict[str, Any]]:
    return platform.records("invoices", user=SYSTEM).query(count=False).rows


def test_a_new_invoice_opens_with_defaults_and_a_grid(client: WebClient, seeded: dict) -> None:
    client.login("anna")
    html = client.get("/invoices/new/").text
    assert re.search(rf'name="date"[^>]*value="{dt.date.today().isoformat()}"', html)
    assert re.search(r'name="responsible"[^>]*value="\d+"', html)  # Anna herself
    assert 'data-table="invoice_lines"' in html and 'data-can-create="1"' in html
    assert "Итого" in html and "Добавить строку" in html
    assert "«Строки» " not in html  # no separate lines tab to save first


def test_one_post_saves_the_invoice_and_its_lines(
    client: WebClient, web_platform: Any, seeded: dict
) -> None:
    client.login("anna")
    page = client.get("/invoices/new/").text
    bolt = seeded["bolt"]["id"]
    response = client.post("/invoices/new/", {
        **_card_form(page), "date": "2026-03-02", "client": str(seeded["client"]["id"]),
        "_grids": _grids([{"values": {"product": str(bolt), "quantity": "2"}},
                          {"values": {"product": str(bolt), "quantity": "1,5",
                                      "unit_price": "10"}}]),
    })  # fmt: skip
    assert response.status_code == 302, response.text
    (invoice,) = _invoices(web_platform)
    assert invoice["total"] == Decimal("40.00")  # 2 × 12,50 + 1,5 × 10
    html = client.get(f"/invoices/edit/?id={invoice['id']}").text
    rows = json.loads(re.search(r'data-rows="([^"]*)"', html).group(1).replace("&#34;", '"'))
    assert [r["values"]["quantity"] for r in rows] == ["2", "1,5"]  # not «2,000»
    assert rows[0]["titles"]["product"] == "Болт"


def test_a_bad_line_is_named_and_nothing_is_written(
    client: WebClient, web_platform: Any, seeded: dict
) -> None:
    client.login("anna")
    page = client.get("/invoices/new/").text
    bolt = str(seeded["bolt"]["id"])
    response = client.post("/invoices/new/", {
        **_card_form(page), "date": "2026-03-02", "client": str(seeded["client"]["id"]),
        "_grids": _grids([{"values": {"product": bolt, "quantity": "2"}},
                          {"values": {"product": bolt, "quantity": "-5"}}]),
    })  # fmt: skip
    assert response.status_code == 200
    assert "Строки счетов, строка 2, Количество" in response.text
    assert _invoices(web_platform) == []
    # The lines come back as typed, the bad cell marked.
    rows = json.loads(re.search(r'data-rows="([^"]*)"', response.text).group(1)
                      .replace("&#34;", '"'))  # fmt: skip
    assert [r["values"]["quantity"] for r in rows] == ["2", "-5"]
    assert rows[1]["errors"]["quantity"]


def test_a_stale_invoice_is_refused(client: WebClient, web_platform: Any, seeded: dict) -> None:
    rec = web_platform.records("invoices", user=SYSTEM)
    invoice = rec.create({"client": seeded["client"]["id"], "date": "2026-03-02"})
    client.login("anna")
    page = client.get(f"/invoices/edit/?id={invoice['id']}").text
    rec.update(invoice["id"], {"notes": "изменил бухгалтер"})  # saved by someone else
    response = client.post(f"/invoices/edit/?id={invoice['id']}", {
        **_card_form(page), "date": "2026-03-02", "client": str(seeded["client"]["id"]),
        "notes": "моё", "_grids": _grids([{"values": {"product": str(seeded["bolt"]["id"]),
                                                      "quantity": "1"}}]),
    })  # fmt: skip
    assert response.status_code == 409
    saved = rec.get(invoice["id"])
    assert saved["notes"] == "изменил бухгалтер" and saved["total"] == Decimal("0")


def test_a_viewer_sees_a_read_only_grid(client: WebClient, seeded: dict,
                                        web_platform: Any) -> None:  # fmt: skip
    invoice = web_platform.records("invoices", user=SYSTEM).create(
        {"client": seeded["client"]["id"], "date": "2026-03-02"}
    )
    client.login("vera")
    html = client.get(f"/invoices/edit/?id={invoice['id']}").text
    assert 'data-can-create="0"' in html and 'data-can-update="0"' in html
    assert 'data-can-delete="0"' in html and "uchet-grid-add" not in html


def test_live_values_of_the_unsaved_card(client: WebClient, seeded: dict) -> None:
    client.login("anna")
    token = csrf(client.get("/invoices/new/").text)
    body = {"values": {"client": str(seeded["client"]["id"])},
            "rows": {"invoice_lines": [{"product": str(seeded["bolt"]["id"]), "quantity": "3"},
                                       {"quantity": "2", "unit_price": "7"}]}}  # fmt: skip
    response = client.client.post("/invoices/live/", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    data = response.get_json()
    assert [r["amount"][1] for r in data["rows"]["invoice_lines"]] == [
        "37,50\u00a0₽", "14,00\u00a0₽"]  # fmt: skip
    assert data["filled"]["invoice_lines"][0]["unit_price"][0] == "12,5"
    assert data["totals"]["invoice_lines"]["amount"][1] == "51,50\u00a0₽"
    assert data["header"]["total"][1] == "51,50\u00a0₽"
    refused = client.client.post("/invoices/live/", json=body)  # no CSRF token
    assert refused.status_code in (400, 403)
    # A grid longer than one statement can carry: a named refusal, not a 500; the save
    # still computes everything.
    body["rows"]["invoice_lines"] = [{"quantity": "1"}] * 10_000
    huge = client.client.post("/invoices/live/", json=body, headers={"X-CSRFToken": token})
    assert huge.status_code == 413
    assert "Строк слишком много" in huge.get_json()["message"]


@pytest.mark.parametrize(
    "payload",
    [
        '{"invoice_lines": {"rows": [5, "x"]}}',
        '{"nope": {}}',
        '{"invoice_lines": {"rows": [], "deleted": ["abc"]}}',
    ],
)
def test_a_damaged_grid_payload_is_refused_in_russian(
    client: WebClient, web_platform: Any, seeded: dict, payload: str
) -> None:
    client.login("anna")
    page = client.get("/invoices/new/").text
    response = client.post("/invoices/new/", {
        **_card_form(page), "date": "2026-03-02", "client": str(seeded["client"]["id"]),
        "_grids": payload})  # fmt: skip
    assert response.status_code == 200
    assert "Строки документа пришли повреждёнными" in response.text or \
        "не редактируется в этом документе" in response.text  # fmt: skip
    assert _invoices(web_platform) == []
