"""Configuration checks of the engine features: every mistake is reported as
FILE:JSON-POINTER: message, before anything touches a database."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from uchet import ConfigError
from uchet.configurations.loader import load

SAMPLE = Path(str(resources.files("uchet") / "sample_crm"))


def _field(doc: Any, name: str) -> dict[str, Any]:
    table = doc if isinstance(doc, dict) else doc[0]
    return next(f for f in table["fields"] if f["name"] == name)


def _index(file: str, table: str, name: str) -> int:
    doc = json.loads((SAMPLE / file).read_text(encoding="utf-8"))
    t = doc if isinstance(doc, dict) else next(x for x in doc if x["id"] == table)
    return next(i for i, f in enumerate(t["fields"]) if f["name"] == name)


CASES: list[tuple[str, str, Callable[[Any], Any], str, str]] = [
    (
        "numbering pattern",
        "tables/invoices.json",
        lambda d: _field(d, "number")["numbering"].update(pattern="СЧ-{year}"),
        f"/0/fields/{_index('tables/invoices.json', 'invoices', 'number')}/numbering/pattern",
        "exactly one {seq}",
    ),
    (
        "numbering date field",
        "tables/contracts.json",
        lambda d: _field(d, "number")["numbering"].update(date_field="contracts.subject"),
        f"/fields/{_index('tables/contracts.json', 'contracts', 'number')}/numbering/date_field",
        "not a date",
    ),
    (
        "default_from path",
        "tables/invoices.json",
        lambda d: _field(d[1], "unit_price").update(default_from="product.cost"),
        f"/1/fields/{_index('tables/invoices.json', 'invoice_lines', 'unit_price')}/default_from",
        "no field 'product.cost'",
    ),
    (
        "default_from type",
        "tables/invoices.json",
        lambda d: _field(d[1], "unit_price").update(default_from="product.name"),
        f"/1/fields/{_index('tables/invoices.json', 'invoice_lines', 'unit_price')}/default_from",
        "is a string value, not money",
    ),
    (
        "stamp type",
        "tables/work.json",
        lambda d: _field(d, "title").update(stamp={}),
        f"/fields/{_index('tables/work.json', 'work', 'title')}/stamp",
        "stamp applies to",
    ),
    (
        "duplicates field",
        "tables/clients.json",
        lambda d: d["duplicates"]["fields"].append("clients.fax"),
        "/duplicates/fields/5",
        "no field with id 'clients.fax'",
    ),
    (
        "lookup table unknown",
        "manifest.json",
        lambda d: d["settings"]["lookup_tables"].append("clientz"),
        "/settings/lookup_tables/1",
        "no table with id 'clientz'",
    ),
    (
        "lookup table without search fields",
        "manifest.json",
        lambda d: d["settings"]["lookup_tables"].insert(0, "links"),
        "/settings/lookup_tables/0",
        "has no search_fields",
    ),
    (
        "seed value",
        "tables/client_categories.json",
        lambda d: d["seed"][1].update(sort_order="many"),
        "/seed/1/sort_order",
        "sort_order",
    ),
    (
        "seed unknown field",
        "tables/client_categories.json",
        lambda d: d["seed"][0].update(colour="red"),
        "/seed/0/colour",
        "Unknown field",
    ),
    (
        "rule recipient",
        "tables/work.json",
        lambda d: d["notifications"][0].update(recipient="title"),
        "/notifications/0/recipient",
        "not a user field",
    ),
    (
        "rule field type",
        "tables/work.json",
        lambda d: d["notifications"][0].update(field="work.title"),
        "/notifications/0/field",
        "not a date or datetime",
    ),
    (
        "rule condition",
        "tables/work.json",
        lambda d: d["notifications"][0].update(condition="dne = false"),
        "/notifications/0/condition",
        "no field 'dne'",
    ),
    (
        "rule template",
        "tables/work.json",
        lambda d: d["notifications"][0]["title"].update(ru="{{ record.title "),
        "/notifications/0/title/ru",
        "template error",
    ),
    (
        "rule option",
        "tables/work.json",
        lambda d: d["notifications"][1].update(days_before=2),
        "/notifications/1/days_before",
        "time_reached rules only",
    ),
    (
        "lookup field",
        "roles/roles.json",
        lambda d: d[1]["tables"]["clients"]["lookup"].append("clients.fax"),
        "/1/tables/clients/lookup/5",
        "no field with id 'clients.fax'",
    ),
    (
        "any condition",
        "roles/roles.json",
        lambda d: d[1]["tables"]["work"]["rows"][0]["any"][1].update(field="asignee"),
        "/1/tables/work/rows/0/any/1/field",
        "no field 'asignee'",
    ),
    (
        "report bucket",
        "reports/sales.json",
        lambda d: d[1]["group_by"][0].update(field="client"),
        "/1/group_by/0/field",
        "is not a date",
    ),
    (
        "report parameter",
        "reports/work.json",
        lambda d: d[0]["filters"][0]["value"].update(param="day"),
        "/0/filters/0/value",
        "no parameter 'day'",
    ),
    (
        "report sort",
        "reports/sales.json",
        lambda d: d[0]["sort"].append("-sum_amount"),
        "/0/sort/1",
        "not a column",
    ),
    (
        "report measure",
        "reports/sales.json",
        lambda d: d[0]["measures"][0].update(field="client"),
        "/0/measures/0/field",
        "cannot sum",
    ),
    (
        "report condition parameter",
        "reports/work.json",
        lambda d: d[1].update(condition="days_in_work >= $stall_days"),
        "/1/condition",
        "no parameter $stall_days in this report; known: $stalled_days, $stalled_percent, $user",
    ),
    (
        "report reserved parameter",
        "reports/work.json",
        lambda d: d[0]["parameters"].append({"name": "user", "type": "integer"}),
        "/0/parameters/1/name",
        "'user' is reserved",
    ),
    (
        "report chart series",
        "reports/work.json",
        lambda d: d[1].update(series=["overdue_days", "days_late"]),
        "/1/series/1",
        "'days_late' is not a column of the report",
    ),
    (
        "report chart categories",
        "reports/work.json",
        lambda d: d[1].update(categories="name"),
        "/1/categories",
        "'name' is not a column",
    ),
    (
        "parameter in a formula field",
        "tables/work.json",
        lambda d: _field(d, "days_in_work").update(formula="days(now(), planned_start) + $x"),
        f"/fields/{_index('tables/work.json', 'work', 'days_in_work')}/formula",
        "$x: parameters are for report conditions only",
    ),
    (
        "parameter in a rule condition",
        "tables/work.json",
        lambda d: d["notifications"][0].update(condition="done = $done"),
        "/notifications/0/condition",
        "$done: parameters are for report conditions only",
    ),
    (
        "report gantt",
        "reports/work.json",
        lambda d: d[2]["gantt"].update(end="finish"),
        "/2/gantt/end",
        "not a column",
    ),
]


@pytest.mark.parametrize(
    ("what", "file", "change", "pointer", "text"), CASES, ids=[c[0] for c in CASES]
)
def test_feature_mistakes_are_reported_with_their_pointer(
    tmp_path: Path, what: str, file: str, change: Callable[[Any], Any], pointer: str, text: str
) -> None:
    bundle = tmp_path / "crm"
    shutil.copytree(SAMPLE, bundle, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    path = bundle / file
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load(bundle)
    found = [str(i) for i in e.value.issues]
    assert any(i.startswith(f"{file}:{pointer}:") and text in i for i in found), found


def test_the_sample_crm_is_valid() -> None:
    config = load("sample_crm").config
    assert {r.id for r in config.reports} >= {"report_receivables", "report_work_gantt"}
    assert config.table("clients").duplicates
    assert config.table("invoices").attachments
