"""`uchet config check` on the configuration properties of issues 19 and 21: ``derive``
rules, stamps with ``equals`` and ``default_from_single``. Each mistake is named with its
file and JSON pointer; the shipped CRM passes (tests/test_config_check.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.test_config_check import bundle, edit, load_issues  # noqa: F401 (a fixture)


def _orders(data: list[dict[str, Any]]) -> dict[str, Any]:
    return data[0]


def _field(table: dict[str, Any], field_id: str) -> dict[str, Any]:
    return next(f for f in table["fields"] if f["id"] == field_id)


def problems(bundle: Path) -> list[tuple[str, str, str]]:  # noqa: F811
    return [(i.file, i.pointer, i.message) for i in load_issues(bundle)]


def test_derive_rule_mistakes_are_named(bundle: Path) -> None:  # noqa: F811
    def change(data: list[dict[str, Any]]) -> None:
        rule = _orders(data)["derive"][0]
        rule["fields"]["invoices.total"] = "orders.total"  # computed: not writable
        rule["fields"]["invoices.due_date"] = "orders.client"  # a reference into a date
        rule["link"] = "invoices.client"  # not a reference to orders
        rule["children"][0]["fields"]["invoice_lines.nothing"] = "order_lines.product"

    edit(bundle, "tables/orders.json", change)
    found = problems(bundle)
    assert ("tables/orders.json", "/0/derive/0/fields/invoices.total",
            "'invoices.total' is computed and cannot be copied into") in found  # fmt: skip
    wrong_type = "'orders.client' (reference) does not fit 'invoices.due_date' (date)"
    assert ("tables/orders.json", "/0/derive/0/fields/invoices.due_date", wrong_type) in found
    assert ("tables/orders.json", "/0/derive/0/link",
            "'invoices.client' is not a reference to 'orders'") in found  # fmt: skip
    missing = "no field with id 'invoice_lines.nothing' in table 'invoice_lines'"
    pointer = "/0/derive/0/children/0/fields/invoice_lines.nothing"
    assert ("tables/orders.json", pointer, missing) in found


def test_derive_target_must_exist(bundle: Path) -> None:  # noqa: F811
    edit(bundle, "tables/orders.json",
         lambda data: _orders(data)["derive"][0].update(target="bills"))  # fmt: skip
    assert ("tables/orders.json", "/0/derive/0/target", "no table with id 'bills'") in problems(
        bundle
    )


def test_stamp_equals_must_be_a_choice_and_needs_when(bundle: Path) -> None:  # noqa: F811
    def change(data: list[dict[str, Any]]) -> None:
        table = _orders(data)
        _field(table, "orders.ready_on")["stamp"]["equals"] = "done"
        _field(table, "orders.new_on")["stamp"] = {"equals": "new"}

    edit(bundle, "tables/orders.json", change)
    found = problems(bundle)
    assert any(p.endswith("/stamp/equals") and m == "'done' is not a choice of 'orders.stage'"
               for _, p, m in found)  # fmt: skip
    assert any(p.endswith("/stamp/equals") and m.startswith("equals needs when")
               for _, p, m in found)  # fmt: skip


def test_default_from_single_names_a_field_of_the_same_type(bundle: Path) -> None:  # noqa: F811
    edit(bundle, "tables/invoices.json",
         lambda data: _field(data[1], "invoice_lines.vat_rate").update(
             default_from_single="our_company.vat_rate"))  # fmt: skip
    found = problems(bundle)
    assert any(p.endswith("/default_from_single") and "is a percent value, not choice" in m
               for _, p, m in found), found  # fmt: skip
