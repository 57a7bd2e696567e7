"""A document saved with its grid rows in one transaction, and its live computed values
(issue 21, points 1-2), on SQLite and PostgreSQL (the ``platform`` fixture runs both).

The CRM's invoice lines are declared ``"grid"`` in tables/invoices.json.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from uchet import SYSTEM
from uchet.platform.model.errors import ConflictError, NotFound, PermissionDenied
from uchet.platform.records import live
from uchet.platform.records.document import (
    DocumentInvalid,
    GridInput,
    Row,
    current_rows,
    grids_of,
    save_document,
)
from uchet.platform.records.users import User


@pytest.fixture
def crm(platform: Any) -> dict[str, Any]:
    """A manager, her client, a client of another manager, two products."""
    users = {login: platform.users.create(login, "secret-pass-1", name=login.title(),
                                          roles=roles)
             for login, roles in {"anna": ["manager"], "boris": ["manager"],
                                  "vera": ["viewer"]}.items()}  # fmt: skip
    rec = lambda table: platform.records(table, user=SYSTEM)  # noqa: E731
    return {
        **users,
        "client": rec("clients").create({"kind": "company", "name": "ООО «Ромашка»",
                                         "manager": users["anna"].id}),
        "other": rec("clients").create({"kind": "company", "name": "ООО «Лютик»",
                                        "manager": users["boris"].id}),
        "bolt": rec("products").create({"name": "Болт", "kind": "good", "price": Decimal("12.50")}),
        "work": rec("products").create({"name": "Монтаж", "kind": "service",
                                        "price": Decimal("1000")}),
    }  # fmt: skip


def _counts(platform: Any) -> tuple[int, int, int]:
    rt = platform.runtime
    with platform.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (rt.table("invoices").sql, rt.table("invoice_lines").sql, rt.audit)
        )


def _lines(crm: dict[str, Any], *quantities: str) -> GridInput:
    return GridInput([Row({"product": crm["bolt"]["id"], "quantity": q}) for q in quantities])


def test_the_crm_declares_invoice_lines_as_the_invoice_grid(platform: Any) -> None:
    assert [t.id for t in grids_of(platform.config, "invoices")] == ["invoice_lines"]


def test_a_new_invoice_and_its_lines_are_saved_at_once(platform: Any, crm: dict) -> None:
    anna, rt = crm["anna"], platform.runtime
    rid = save_document(rt, anna, "invoices", None, None, {"client": crm["client"]["id"]},
                        {"invoice_lines": GridInput([
                            Row({"product": crm["bolt"]["id"], "quantity": "3"}),
                            Row({"product": crm["work"]["id"], "quantity": "1,5",
                                 "unit_price": "900"})])})  # fmt: skip
    invoice = platform.records("invoices", user=anna).get(rid)
    # 3 × 12,50 (the product's price, default_from) + 1,5 × 900
    assert invoice["total"] == Decimal("1387.50")
    assert invoice["responsible"] == anna.id  # the stamp: the one who saved it
    child = platform.config.table("invoice_lines") if hasattr(platform.config, "table") else \
        next(t for t in platform.config.tables if t.id == "invoice_lines")  # fmt: skip
    rows = current_rows(rt, anna, child, rid)
    assert [(r["product"], r["quantity"], r["position"]) for r in rows] == [
        (crm["bolt"]["id"], Decimal("3"), 1), (crm["work"]["id"], Decimal("1.5"), 2)]  # fmt: skip


def test_a_bad_line_rolls_back_the_whole_document(platform: Any, crm: dict) -> None:
    before = _counts(platform)
    with pytest.raises(DocumentInvalid) as caught:
        save_document(platform.runtime, crm["anna"], "invoices", None, None,
                      {"client": crm["client"]["id"]},
                      {"invoice_lines": _lines(crm, "2", "-1", "4")})  # fmt: skip
    assert list(caught.value.rows["invoice_lines"]) == [1]  # the second line, named
    assert "quantity" in caught.value.rows["invoice_lines"][1]
    assert _counts(platform) == before  # no invoice, no line, no audit entry


def test_editing_lines_reorders_changes_and_deletes_in_one_save(platform: Any, crm: dict) -> None:
    anna, rt = crm["anna"], platform.runtime
    rid = save_document(rt, anna, "invoices", None, None, {"client": crm["client"]["id"]},
                        {"invoice_lines": _lines(crm, "1", "2", "3")})  # fmt: skip
    child = next(t for t in platform.config.tables if t.id == "invoice_lines")
    first, second, third = current_rows(rt, anna, child, rid)
    version = platform.records("invoices", user=anna).get(rid)["version"]
    save_document(rt, anna, "invoices", rid, version, {"notes": "переставлены"},
                  {"invoice_lines": GridInput(
                      [Row({"quantity": "5"}, third["id"], third["version"]),
                       Row({"quantity": "1"}, first["id"], first["version"]),
                       Row({"product": crm["work"]["id"], "quantity": "1"})],
                      deleted=[second["id"]])})  # fmt: skip
    rows = current_rows(rt, anna, child, rid)
    assert [(r["id"], r["quantity"]) for r in rows[:2]] == [
        (third["id"], Decimal("5")),
        (first["id"], Decimal("1")),
    ]
    assert len(rows) == 3 and rows[2]["product"] == crm["work"]["id"]
    invoice = platform.records("invoices", user=anna).get(rid)
    assert invoice["total"] == Decimal("1075.00")  # 6 × 12,50 + 1000
    assert invoice["notes"] == "переставлены" and invoice["version"] == version + 1


def test_a_stale_document_is_refused_and_nothing_is_written(platform: Any, crm: dict) -> None:
    anna, rt = crm["anna"], platform.runtime
    rid = save_document(rt, anna, "invoices", None, None, {"client": crm["client"]["id"]},
                        {"invoice_lines": _lines(crm, "1")})  # fmt: skip
    opened = platform.records("invoices", user=anna).get(rid)["version"]
    # Someone else saves the invoice (a line added) meanwhile.
    save_document(rt, SYSTEM, "invoices", rid, opened, {"notes": "бухгалтер"},
                  {"invoice_lines": _lines(crm, "7")})  # fmt: skip
    before = _counts(platform)
    with pytest.raises(ConflictError) as caught:
        save_document(rt, anna, "invoices", rid, opened, {"notes": "менеджер"},
                      {"invoice_lines": _lines(crm, "2")})  # fmt: skip
    assert caught.value.current is not None and caught.value.current["notes"] == "бухгалтер"
    assert _counts(platform) == before


def test_a_line_of_another_document_is_refused(platform: Any, crm: dict) -> None:
    anna, rt = crm["anna"], platform.runtime
    one = save_document(rt, anna, "invoices", None, None, {"client": crm["client"]["id"]},
                        {"invoice_lines": _lines(crm, "1")})  # fmt: skip
    two = save_document(rt, anna, "invoices", None, None, {"client": crm["client"]["id"]},
                        {"invoice_lines": _lines(crm, "1")})  # fmt: skip
    child = next(t for t in platform.config.tables if t.id == "invoice_lines")
    foreign = current_rows(rt, anna, child, one)[0]
    version = platform.records("invoices", user=anna).get(two)["version"]
    with pytest.raises(NotFound):
        save_document(rt, anna, "invoices", two, version, {},
                      {"invoice_lines": GridInput([Row({"quantity": "9"}, foreign["id"],
                                                       foreign["version"])])})  # fmt: skip
    assert current_rows(rt, anna, child, one)[0]["quantity"] == Decimal("1")


def test_rights_of_the_lines_apply_to_each_line(platform: Any, crm: dict) -> None:
    rt = platform.runtime
    # A manager may not write lines of another manager's client's invoice: the row rule
    # of invoice_lines (invoice.client.manager = $user) refuses, and nothing is written.
    before = _counts(platform)
    with pytest.raises((PermissionDenied, DocumentInvalid, NotFound)):
        save_document(rt, crm["anna"], "invoices", None, None, {"client": crm["other"]["id"]},
                      {"invoice_lines": _lines(crm, "1")})  # fmt: skip
    assert _counts(platform) == before
    # The viewer may read invoices but write nothing.
    with pytest.raises(PermissionDenied):
        save_document(rt, crm["vera"], "invoices", None, None, {"client": crm["client"]["id"]},
                      {"invoice_lines": _lines(crm, "1")})  # fmt: skip
    assert _counts(platform) == before


def test_live_values_come_from_the_engines_definitions(platform: Any, crm: dict) -> None:
    anna, rt = crm["anna"], platform.runtime
    result = live.compute(
        rt,
        anna,
        "invoices",
        {"client": str(crm["client"]["id"])},
        {
            "invoice_lines": [
                {"product": str(crm["bolt"]["id"]), "quantity": "3"},
                {"product": str(crm["work"]["id"]), "quantity": "2,5", "unit_price": "100"},
                {"quantity": "12,"},
            ]
        },
    )  # half-typed: counts as empty
    lines = result.rows["invoice_lines"]
    assert [line["amount"][0] for line in lines] == ["37.50", "250.00", "0.00"]
    assert result.filled["invoice_lines"][0]["unit_price"][2] == Decimal("12.50")
    assert result.header["total"][0] == "287.50"
    assert result.header["debt"][0] == "287.50"  # total - paid, paid 0 on a new invoice
    assert result.header["status"] == ("unpaid", "Не оплачен")
    assert result.totals["invoice_lines"]["amount"][1] == "287,50\u00a0₽"
    # The same numbers the save gives: nothing re-implemented.
    rid = save_document(rt, anna, "invoices", None, None, {"client": crm["client"]["id"]},
                        {"invoice_lines": GridInput([
                            Row({"product": crm["bolt"]["id"], "quantity": "3"}),
                            Row({"product": crm["work"]["id"], "quantity": "2,5",
                                 "unit_price": "100"})])})  # fmt: skip
    assert platform.records("invoices", user=anna).get(rid)["total"] == Decimal("287.50")
    # An existing invoice: its stored payments count, the lines sent replace its lines.
    rec = platform.records("payments", user=SYSTEM)
    rec.create({"invoice": rid, "date": "2026-03-01", "amount": "100", "method": "bank"})
    again = live.compute(rt, anna, "invoices", {}, {"invoice_lines": [
        {"product": str(crm["bolt"]["id"]), "quantity": "1"}]}, record_id=rid)  # fmt: skip
    assert again.header["total"][0] == "12.50" and again.header["debt"][0] == "-87.50"
    assert again.header["status"][0] == "paid"


def test_live_values_compile_each_definition_once_whatever_the_lines(
    platform: Any, crm: dict, monkeypatch: Any
) -> None:
    """Issue 21: a grid's rows are one relation (VALUES), so a 60-line card compiles its
    formulas and runs its statements as often as a 1-line card does."""
    import sqlalchemy as sa

    from uchet.platform.formula import sql as formulas

    compiled: list[int] = []
    real = formulas.compile_expr

    def counting(*args: Any, **kwargs: Any) -> Any:
        compiled.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(formulas, "compile_expr", counting)
    statements: list[str] = []
    engine = platform.runtime.engine
    listen = lambda *a: statements.append(a[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listen)

    def cost(n: int) -> tuple[int, int]:
        compiled.clear()
        statements.clear()
        lines = [{"product": str(crm["bolt"]["id"]), "quantity": str(i + 1)} for i in range(n)]
        header = {"client": str(crm["client"]["id"])}
        result = live.compute(platform.runtime, crm["anna"], "invoices", header,
                              {"invoice_lines": lines})  # fmt: skip
        # 12.50 a bolt: the sum of 1..n bolts.
        assert result.header["total"][0] == f"{Decimal('12.50') * n * (n + 1) / 2:.2f}"
        return len(compiled), len(statements)

    try:
        assert cost(1) == cost(60)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


def test_live_values_need_read_rights(platform: Any, crm: dict) -> None:
    nobody = User(id=None, login="nobody", name="Nobody", roles=())
    with pytest.raises(PermissionDenied):
        live.compute(platform.runtime, nobody, "invoices", {}, {})
    rid = save_document(platform.runtime, crm["boris"], "invoices", None, None,
                        {"client": crm["other"]["id"]}, {})  # fmt: skip
    with pytest.raises(NotFound):  # another manager's invoice: as if it did not exist
        live.compute(platform.runtime, crm["anna"], "invoices", {}, {}, record_id=rid)


@pytest.mark.parametrize(
    ("change", "pointer", "text"),
    [
        (lambda g: g.update(parent="invoice_lines.product"), "/parent", "cascade"),
        (lambda g: g.update(parent="invoice_lines.quantity"), "/parent", "not a reference"),
        (lambda g: g.update(parent="invoice_lines.nope"), "/parent", "no field"),
        (lambda g: g["columns"].append("invoice_lines.nope"), "/columns/6", "no field"),
        (lambda g: g.update(totals=["invoice_lines.product"]), "/totals/0", "not a number"),
        (lambda g: g.update(order="invoice_lines.quantity"), "/order", "stored integer"),
    ],
)
def test_grid_configuration_problems_are_named(
    tmp_path: Any, change: Any, pointer: str, text: str
) -> None:
    """A broken ``grid`` names the file, the JSON pointer and the problem (uchet config
    check), as every configuration check does."""
    import json
    import shutil
    from importlib import resources
    from pathlib import Path

    from uchet.configurations.loader import load
    from uchet.platform.model.errors import ConfigError

    bundle = tmp_path / "crm"
    shutil.copytree(Path(str(resources.files("uchet") / "sample_crm")), bundle,
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    path = bundle / "tables" / "invoices.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data[1]["grid"])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(bundle)
    found = [i for i in caught.value.issues if i.pointer.endswith("/grid" + pointer)]
    assert found and text in found[0].message, caught.value.issues
    assert found[0].file.endswith("invoices.json")
