"""Orders «Заявки» of the CRM (issue 19 point 0, S18/S20), the opt-out fields (issue 19
point 5) and VAT as configuration (issue 21 point 3), on SQLite and PostgreSQL.

* the date each stage was reached (``stamp`` with ``equals``);
* an invoice made from an order (``derive``): lines and totals copied, in one transaction,
  through the record service and its rights, from the card's button;
* the VAT rate of a line: the product's, else the company's default; its VAT amount and
  the invoice's VAT total (``number()`` in a formula, ``default_from_single``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from uchet import SYSTEM
from uchet.hookspecs import hookimpl
from uchet.platform.features.derive import derive
from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError

MAKE_INVOICE = "orders.make_invoice"


def rec(p: Any, table: str, user: Any = SYSTEM) -> Any:
    return p.records(table, user=user)


@pytest.fixture
def shop(platform: Any, staff: dict[str, Any]) -> dict[str, Any]:
    """A client of Anna's, a product at 10 % and one without a rate, an order with two
    lines (one at a discounted price)."""
    p = platform
    client = rec(p, "clients").create({"name": "ООО «Ромашка»", "manager": staff["anna"].id})
    contact = rec(p, "contacts").create({"client": client["id"], "name": "Козлова Анна"})
    book = rec(p, "products").create({"name": "Справочник", "price": Decimal("1100"),
                                      "vat_rate": "10"})  # fmt: skip
    setup = rec(p, "products").create(
        {"name": "Настройка", "kind": "service", "price": Decimal("6100")}
    )
    order = rec(p, "orders", staff["anna"]).create(
        {"client": client["id"], "contact": contact["id"], "subject": "Настроить кассу",
         "due_date": dt.date.today() + dt.timedelta(days=3)}
    )  # fmt: skip
    rec(p, "order_lines", staff["anna"]).create_many([
        {"sales_order": order["id"], "product": book["id"], "quantity": 2},
        {"sales_order": order["id"], "product": setup["id"], "quantity": Decimal("1.5"),
         "price": Decimal("6000")},
    ])  # fmt: skip
    return {"p": p, "client": client, "contact": contact, "book": book, "setup": setup,
            "order": rec(p, "orders").get(order["id"]), **staff}  # fmt: skip


def invoice_lines(p: Any, invoice_id: Any) -> list[dict[str, Any]]:
    rows = (
        rec(p, "invoice_lines")
        .query(filters=[{"field": "invoice", "op": "eq", "value": invoice_id}], sort=["id"])
        .rows
    )
    return rows


# -- the order and its stages ----------------------------------------------------------------
def test_new_order_is_numbered_dated_new_and_belongs_to_its_author(shop):
    order = shop["order"]
    assert order["number"] == f"ЗК-{dt.date.today().year}-00001"
    assert order["date"] == dt.date.today()
    assert order["stage"] == "new" and order["new_on"] == dt.date.today()
    assert order["in_work_on"] is None and order["ready_on"] is None
    assert order["responsible"] == shop["anna"].id  # the current user by default
    assert order["total"] == Decimal("11200.00")  # 2 × 1 100 + 1,5 × 6 000 (the line's price)


def test_each_stage_records_the_date_it_was_reached(shop):
    p, orders = shop["p"], rec(shop["p"], "orders", shop["anna"])
    oid = shop["order"]["id"]
    orders.update(oid, {"stage": "in_work"})
    orders.update(oid, {"stage": "ready", "notes": "Собрано"})
    order = orders.get(oid)
    today = dt.date.today()
    assert (order["new_on"], order["in_work_on"], order["ready_on"]) == (today, today, today)
    assert order["handed_over_on"] is None and order["cancelled_on"] is None
    # A stage's date stays when the order moves on; saving without a change keeps it too.
    rec(p, "orders").update(oid, {"ready_on": dt.date(2026, 1, 5)})  # the system may correct it
    orders.update(oid, {"stage": "ready", "notes": "Ещё раз"})
    assert orders.get(oid)["ready_on"] == dt.date(2026, 1, 5)
    orders.update(oid, {"stage": "handed_over"})
    order = orders.get(oid)
    assert order["ready_on"] == dt.date(2026, 1, 5) and order["handed_over_on"] == today


def test_stage_dates_are_read_only_for_users(shop):
    with pytest.raises((ValidationError, PermissionDenied)):
        rec(shop["p"], "orders", shop["anna"]).update(
            shop["order"]["id"], {"ready_on": dt.date(2020, 1, 1)}
        )


def test_managers_see_only_their_clients_orders(shop):
    boris = rec(shop["p"], "orders", shop["boris"])
    assert boris.query(count=True).total == 0
    with pytest.raises(NotFound):
        boris.get(shop["order"]["id"])
    assert rec(shop["p"], "orders", shop["alla"]).get(shop["order"]["id"])  # accountant reads


# -- the invoice made from an order ----------------------------------------------------------
def test_invoice_from_an_order_copies_the_lines_and_totals(shop):
    p, anna = shop["p"], shop["anna"]
    made = derive(p.runtime, anna, "orders", MAKE_INVOICE, shop["order"]["id"])
    assert made.table == "invoices" and made.children == 2
    invoice = rec(p, "invoices", anna).get(made.record_id)
    assert invoice["client"] == shop["client"]["id"]
    assert invoice["sales_order"] == shop["order"]["id"]  # the link back to the order
    assert invoice["responsible"] == anna.id
    assert invoice["date"] == dt.date.today()  # the invoice's own default
    assert invoice["number"].startswith("СЧ-")
    assert invoice["total"] == shop["order"]["total"] == Decimal("11200.00")
    lines = invoice_lines(p, made.record_id)
    assert [(r["product"], r["quantity"], r["unit_price"], r["amount"], r["vat_rate"])
            for r in lines] == [
        (shop["book"]["id"], Decimal("2.000"), Decimal("1100.00"), Decimal("2200.00"), "10"),
        (shop["setup"]["id"], Decimal("1.500"), Decimal("6000.00"), Decimal("9000.00"), "22"),
    ]  # fmt: skip
    # VAT is included in the prices: 2 200 × 10 / 110 and 9 000 × 22 / 122, rounded.
    assert [r["vat_amount"] for r in lines] == [Decimal("200.00"), Decimal("1622.95")]
    assert invoice["vat"] == Decimal("1822.95")
    # The order's card lists its invoice.
    assert [r["id"] for r in rec(p, "invoices").query(
        filters=[{"field": "sales_order", "op": "eq", "value": shop["order"]["id"]}]).rows
    ] == [made.record_id]  # fmt: skip


class _RefuseSecondLine:
    """A plug-in that refuses invoice lines of one product: the copy must fail half-way."""

    def __init__(self, product: Any):
        self.product = product

    @hookimpl
    def uchet_before_insert(self, batch: Any) -> None:
        if batch.table.id == "invoice_lines" and any(
            r.get("product") == self.product for r in batch.rows
        ):
            raise ValidationError({"product": ["снят с продажи"]})


def test_a_refused_line_leaves_no_invoice_behind(shop):
    p = shop["p"]
    before = rec(p, "invoices").query(count=True).total
    plugin = _RefuseSecondLine(shop["setup"]["id"])
    p.pm.register(plugin)
    try:
        with pytest.raises(ValidationError):
            derive(p.runtime, shop["anna"], "orders", MAKE_INVOICE, shop["order"]["id"])
    finally:
        p.pm.unregister(plugin)
    assert rec(p, "invoices").query(count=True).total == before  # one transaction
    assert rec(p, "invoice_lines").query(count=True).total == 0


def test_invoice_from_an_order_goes_through_rights(shop):
    p, oid = shop["p"], shop["order"]["id"]
    with pytest.raises(NotFound):  # Boris does not see Anna's client's order
        derive(p.runtime, shop["boris"], "orders", MAKE_INVOICE, oid)
    with pytest.raises(PermissionDenied):  # the viewer reads it but creates no invoices
        derive(p.runtime, shop["vera"], "orders", MAKE_INVOICE, oid)
    with pytest.raises(NotFound):
        derive(p.runtime, shop["anna"], "orders", "orders.no_such_rule", oid)
    assert rec(p, "invoices").query(count=True).total == 0


# -- VAT -------------------------------------------------------------------------------------
def test_line_rate_comes_from_the_product_else_from_our_company(shop):
    p = shop["p"]
    company = rec(p, "our_company")
    row = company.query(sort=["id"], limit=1).rows[0]
    assert row["vat_default"] == "22"  # the seed row takes the field's default
    invoice = rec(p, "invoices").create({"client": shop["client"]["id"]})
    lines = rec(p, "invoice_lines")
    book = lines.create({"invoice": invoice["id"], "product": shop["book"]["id"]})
    setup = lines.create({"invoice": invoice["id"], "product": shop["setup"]["id"]})
    assert (book["vat_rate"], setup["vat_rate"]) == ("10", "22")
    company.update(row["id"], {"vat_default": "none"})
    free = lines.create({"invoice": invoice["id"], "product": shop["setup"]["id"]})
    given = lines.create({"invoice": invoice["id"], "product": shop["setup"]["id"],
                          "vat_rate": "0"})  # fmt: skip
    assert (free["vat_rate"], free["vat_amount"]) == ("none", Decimal("0.00"))
    assert (given["vat_rate"], given["vat_amount"]) == ("0", Decimal("0.00"))
    # 1 100 × 10 / 110 + 6 100 × 22 / 122
    assert rec(p, "invoices").get(invoice["id"])["vat"] == Decimal("1200.00")


def test_opt_out_fields_on_clients_and_contacts(shop):
    p = shop["p"]
    for table, rid in (("clients", shop["client"]["id"]), ("contacts", shop["contact"]["id"])):
        row = rec(p, table).get(rid)
        assert (row["no_mailing_email"], row["no_mailing_sms"]) == (False, False)
        rec(p, table).update(rid, {"no_mailing_sms": True})
        assert (
            rec(p, table)
            .query(filters=[{"field": "no_mailing_sms", "op": "eq", "value": True}])
            .rows[0]["id"]
            == rid
        )


# -- the card's button -----------------------------------------------------------------------
def test_card_button_makes_the_invoice_and_opens_it(shop):
    from tests.web_support import PASSWORD, WebClient

    from uchet.web import create_app

    p = shop["p"]
    p.users.set_password(shop["anna"].id, PASSWORD)
    web = WebClient(create_app(p, secret_key="test-secret-" + "x" * 20))
    web.login("anna")
    oid = shop["order"]["id"]
    card = web.get(f"/orders/edit/?id={oid}").text
    assert "Выставить счёт" in card and "/orders/derive/orders.make_invoice/" in card
    # Without the CSRF token nothing is made.
    refused = web.post("/orders/derive/orders.make_invoice/", {"id": oid}, token=False)
    assert refused.status_code == 400
    assert rec(p, "invoices").query(count=True).total == 0
    answer = web.post("/orders/derive/orders.make_invoice/", {"id": oid})
    assert answer.status_code == 302
    invoice = rec(p, "invoices").query().rows[0]
    assert answer.headers["Location"].endswith(f"/invoices/edit/?id={invoice['id']}")
    page = web.get(answer.headers["Location"]).text
    assert "Создано на основании записи «Заявка: ЗК-" in page
    assert "Скопировано строк: 2." in page
    # The viewer sees no button (no right to create invoices) and a POST is refused.
    p.users.set_password(shop["vera"].id, PASSWORD)
    viewer = WebClient(web.app)
    viewer.login("vera")
    assert "Выставить счёт" not in viewer.get(f"/orders/edit/?id={oid}").text
    answer = viewer.post("/orders/derive/orders.make_invoice/", {"id": oid})
    assert answer.status_code == 302
    assert "Документ не создан" in viewer.get(answer.headers["Location"]).text
    assert rec(p, "invoices").query(count=True).total == 1
