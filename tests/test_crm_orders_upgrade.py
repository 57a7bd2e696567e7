"""An existing CRM database takes the orders, opt-out and VAT changes with a plain
``uchet migrate`` (issues 19 and 21): only new tables and nullable columns, no consent
needed, and the invoices made before keep printing the rate they printed then.

The "before" bundle is the shipped one with this change taken out (its tables, fields and
the forms and role entries that name them), so the test follows the bundle as it grows.
"""

from __future__ import annotations

import io
import json
import shutil
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from docx import Document

from uchet import SYSTEM, Platform
from uchet.cli import main
from uchet.printeditor import PrintForms

NEW_TABLES = {"orders", "order_lines"}
NEW_FIELDS = {
    "invoices.order", "invoices.vat", "invoice_lines.vat_rate", "invoice_lines.vat_amount",
    "products.vat_rate", "our_company.vat_default", "clients.no_mailing_email",
    "clients.no_mailing_sms", "contacts.no_mailing_email", "contacts.no_mailing_sms",
}  # fmt: skip


def _gone(value: Any) -> bool:
    return isinstance(value, str) and (value in NEW_FIELDS or value.split(".")[0] in NEW_TABLES)


def _prune(node: Any) -> Any:
    """The form layout without the new fields, tables and the tabs of their children."""
    if isinstance(node, list):
        kept = [_prune(x) for x in node if not _gone(x)]
        return [x for x in kept if x != [] and not (isinstance(x, dict) and x.get("_drop"))]
    if isinstance(node, dict):
        if _gone(node.get("children")) or _gone(node.get("table")):
            return {"_drop": True}
        out = {k: _prune(v) for k, v in node.items()}
        if "rows" in out and not out["rows"]:
            return {"_drop": True}
        return out
    return node


def old_bundle(target: Path) -> Path:
    """The shipped sample CRM as it was before orders, opt-out fields and per-line VAT."""
    shutil.copytree(Path(str(resources.files("uchet") / "sample_crm")), target)
    (target / "tables" / "orders.json").unlink()
    for path in (target / "tables").glob("*.json"):
        tables = json.loads(path.read_text("utf-8"))
        for table in tables if isinstance(tables, list) else [tables]:
            table["fields"] = [f for f in table["fields"] if f["id"] not in NEW_FIELDS]
            for key in ("list", "grid"):  # the invoice grid's VAT columns (issue 21)
                if key in table:
                    table[key] = _prune(table[key])
        path.write_text(json.dumps(tables, ensure_ascii=False), "utf-8")
    for path in (target / "forms").glob("*.json"):
        path.write_text(json.dumps(_prune(json.loads(path.read_text("utf-8"))),
                                   ensure_ascii=False), "utf-8")  # fmt: skip
    # The messages of issue 19 name the orders and the opt-out fields: not there before.
    shutil.rmtree(target / "message_templates", ignore_errors=True)
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest.get("settings", {}).pop("message_rules", None)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    roles_path = target / "roles" / "roles.json"
    roles = json.loads(roles_path.read_text("utf-8"))
    for role in roles:
        for name in NEW_TABLES:
            role.get("tables", {}).pop(name, None)
    roles_path.write_text(json.dumps(roles, ensure_ascii=False), "utf-8")
    return target


@pytest.fixture
def before(db_url: str, tmp_path: Path) -> dict[str, Any]:
    """A database of the old CRM with a company at 20 % and an invoice of one line."""
    p = Platform.open(str(old_bundle(tmp_path / "crm_before")), database_url=db_url)
    p.migrate()
    company = p.records("our_company", user=SYSTEM)
    company.update(company.query(limit=1).rows[0]["id"], {"vat_rate": 20})
    client = p.records("clients", user=SYSTEM).create({"name": "ООО «Старый клиент»"})
    product = p.records("products", user=SYSTEM).create({"name": "Услуга", "price": 1200})
    invoice = p.records("invoices", user=SYSTEM).create({"client": client["id"]})
    p.records("invoice_lines", user=SYSTEM).create(
        {"invoice": invoice["id"], "product": product["id"], "quantity": 1}
    )
    p.close()
    return {"url": db_url, "invoice": invoice["id"], "client": client["id"]}


def test_migrate_adds_orders_opt_out_and_vat_without_consent(before):
    result = CliRunner().invoke(main, ["migrate", "-c", "sample_crm", "-d", before["url"]])
    assert result.exit_code == 0, result.output
    p = Platform.open("sample_crm", database_url=before["url"])
    try:
        client = p.records("clients", user=SYSTEM).get(before["client"])
        assert client["no_mailing_email"] in (None, False)  # a new nullable column
        # The old line has no rate: no VAT in the database, and the printed invoice keeps
        # the company's rate of that time (20 %).
        (line,) = p.records("invoice_lines", user=SYSTEM).query().rows
        assert line["vat_rate"] is None and line["vat_amount"] == Decimal("0.00")
        data = PrintForms(p, SYSTEM).render("invoice", before["invoice"]).data
        cells = [c.text.replace("\u00a0", " ") for t in Document(io.BytesIO(data)).tables
                 for row in t.rows for c in row.cells]  # fmt: skip
        assert "В том числе НДС (20 %):" in cells and "200,00" in cells  # 1 200 × 20 / 120
        # New work goes on as usual: an order, and an invoice made from it.
        order = p.records("orders", user=SYSTEM).create(
            {"client": before["client"], "subject": "Повторить заказ"}
        )
        assert order["stage"] == "new" and order["number"].startswith("ЗК-")
    finally:
        p.close()
