"""Renaming a field rewrites every reference by name (issue 14, S23): the pure function
over a configuration tree, against every place a field name can appear. The guard that
every such place has a rule is tests/test_rename_guard.py."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from uchet.configurations.rename import RenameError, as_overlay, rename_field


def _tree() -> dict[str, Any]:
    clients = {
        "id": "clients", "name": "clients", "label": "Clients",
        "fields": [
            {"id": "clients.name", "name": "name", "type": "string", "label": "Name"},
            {"id": "clients.city", "name": "city", "type": "string", "label": "City",
             "default_from": "region.city"},
            {"id": "clients.region", "name": "region", "type": "reference", "target": "regions",
             "label": "Region"},
            {"id": "clients.manager", "name": "manager", "type": "user", "label": "Manager"},
            {"id": "clients.greeting", "name": "greeting", "type": "formula", "label": "G",
             "formula": "concat('city: ', city, upper( city ), region.city)"},
        ],
        "seed": [{"name": "Тула", "city": "Тула"}],
        "notifications": [{
            "id": "n1", "trigger": "changed", "field": "clients.city", "recipient": "manager",
            "condition": "city != ''", "title": {"ru": "Город {{ record.city }}"},
            "body": "{{ record.name }}: {{ record.city }} ('city')",
        }],
        "list": {"columns": ["clients.city"], "filters": ["clients.city"]},
    }  # fmt: skip
    regions = {"id": "regions", "name": "regions", "label": "Regions", "fields": [
        {"id": "regions.city", "name": "city", "type": "string", "label": "Capital"},
    ]}  # fmt: skip
    contacts = {"id": "contacts", "name": "contacts", "label": "Contacts", "fields": [
        {"id": "contacts.client", "name": "client", "type": "reference", "target": "clients",
         "label": "Client"},
        {"id": "contacts.city", "name": "city", "type": "string", "label": "City"},
        {"id": "contacts.client_city", "name": "client_city", "type": "formula", "label": "CC",
         "formula": "client.city"},
        {"id": "contacts.copied", "name": "copied", "type": "string", "label": "Copied",
         "default_from": "client.city"},
    ], "notifications": [{"id": "n2", "trigger": "created", "recipient": "client.manager",
                          "title": "{{ record.client.city }} / {{ record.city }}"}]}  # fmt: skip
    return {
        "manifest": {"name": "t", "sections": []},
        "tables": [clients, regions, contacts],
        "forms": [{"id": "f", "table": "clients", "layout": [
            {"id": "t1", "label": "T", "sections": [{"id": "s", "rows": [["clients.city"]]}]}]}],
        "print_forms": [
            {"id": "p1", "name": "p1", "label": "P", "table": "clients", "template": "a.docx",
             "output_name": "Клиент {{ name }} из {{ city }} {{ 'city' }} {{ region.city }}"},
            {"id": "p2", "name": "p2", "label": "P", "table": "contacts", "template": "b.docx",
             "output_name": "{{ city }} {{ client.city }}"},
        ],
        "roles": [{"id": "r", "name": "r", "label": "R", "tables": {
            "clients": {"rows": [{"field": "city", "op": "eq", "value": "city"},
                                 {"any": [{"field": "city", "op": "is_null"},
                                          {"field": "region.city", "op": "eq", "value": 1}]}],
                        "fields": {"clients.city": "read"}},
            "contacts": {"rows": [{"field": "client.city", "op": "eq", "value": "Тула"},
                                  {"field": "city", "op": "eq", "value": "x"}]},
        }}],
        "reports": [{
            "id": "rep", "name": "rep", "label": "R", "table": "contacts",
            "group_by": ["client.city", {"field": "city"}],
            "measures": [{"aggregate": "count"}, {"aggregate": "max", "field": "client.city"}],
            "condition": "client.city != $city and city != 'city'",
            "filters": [{"field": "client.city", "op": "eq", "value": "Тула"}],
            "sort": ["-client.city", "max_client.city", "city"],
            "series": ["max_client.city"], "categories": "client.city",
        }, {
            "id": "rep2", "name": "rep2", "label": "R", "table": "clients",
            "group_by": [{"field": "city", "bucket": "month"}], "columns": ["city", "name"],
            "gantt": {"start": "city__month", "end": "city", "label": "name"},
        }],
        "dashboards": [{"id": "d", "name": "d", "label": "D", "widgets": [
            {"id": "w1", "kind": "list", "label": "W", "table": "contacts",
             "columns": ["client.city", "city"], "sort": ["-client.city"],
             "filters": [{"field": "client.city", "op": "eq", "value": "Тула"}]},
            {"id": "w2", "kind": "figure", "label": "W", "table": "clients", "field": "city"},
            {"id": "w3", "kind": "report", "label": "W", "report": "rep", "params": {"city": "x"}},
        ]}],
    }  # fmt: skip


def test_rename_rewrites_every_place_that_names_the_field() -> None:
    tree = _tree()
    original = copy.deepcopy(tree)
    result = rename_field(tree, "clients.city", "town")
    assert tree == original  # pure: the argument is untouched
    t = result.tree
    clients, regions, contacts = t["tables"]
    assert clients["fields"][1]["name"] == "town"
    # The same name in another table (contacts.city, regions.city) stays.
    assert contacts["fields"][1]["name"] == "city" and regions["fields"][0]["name"] == "city"
    # default_from through another table's field is not ours; through the reference it is.
    assert clients["fields"][1]["default_from"] == "region.city"
    assert contacts["fields"][3]["default_from"] == "client.town"
    # Formulas: own field and through a reference; text literals and spacing kept.
    assert clients["fields"][4]["formula"] == "concat('city: ', town, upper( town ), region.city)"
    assert contacts["fields"][2]["formula"] == "client.town"
    assert clients["seed"] == [{"name": "Тула", "town": "Тула"}]
    n1 = clients["notifications"][0]
    assert n1["condition"] == "town != ''" and n1["title"] == {"ru": "Город {{ record.town }}"}
    assert n1["body"] == "{{ record.name }}: {{ record.town }} ('city')"
    assert contacts["notifications"][0]["title"] == "{{ record.client.town }} / {{ record.city }}"
    # Ids never change: list columns, form rows and field rights need no rewrite.
    assert clients["list"] == original["tables"][0]["list"]
    assert t["forms"] == original["forms"]
    assert t["print_forms"][0]["output_name"] == (
        "Клиент {{ name }} из {{ town }} {{ 'city' }} {{ region.city }}"
    )
    assert t["print_forms"][1]["output_name"] == "{{ city }} {{ client.town }}"
    rows = t["roles"][0]["tables"]["clients"]["rows"]
    assert rows == [{"field": "town", "op": "eq", "value": "city"},
                    {"any": [{"field": "town", "op": "is_null"},
                             {"field": "region.city", "op": "eq", "value": 1}]}]  # fmt: skip
    assert t["roles"][0]["tables"]["contacts"]["rows"] == [
        {"field": "client.town", "op": "eq", "value": "Тула"},
        {"field": "city", "op": "eq", "value": "x"}]  # fmt: skip
    rep, rep2 = t["reports"]
    assert rep["group_by"] == ["client.town", {"field": "city"}]
    assert rep["measures"] == [{"aggregate": "count"}, {"aggregate": "max", "field": "client.town"}]
    assert rep["condition"] == "client.town != $city and city != 'city'"
    assert rep["filters"] == [{"field": "client.town", "op": "eq", "value": "Тула"}]
    assert rep["sort"] == ["-client.town", "max_client.town", "city"]
    assert rep["series"] == ["max_client.town"] and rep["categories"] == "client.town"
    assert rep2["group_by"] == [{"field": "town", "bucket": "month"}]
    assert rep2["columns"] == ["town", "name"]
    assert rep2["gantt"] == {"start": "town__month", "end": "town", "label": "name"}
    w1, w2, w3 = t["dashboards"][0]["widgets"]
    assert w1["columns"] == ["client.town", "city"] and w1["sort"] == ["-client.town"]
    assert w1["filters"] == [{"field": "client.town", "op": "eq", "value": "Тула"}]
    assert w2["field"] == "town"
    assert w3 == original["dashboards"][0]["widgets"][2]  # report parameters are not fields
    kinds = {c.kind for c in result.changes}
    assert kinds == {"field", "table", "print_form", "role", "report", "dashboard"}


def test_as_overlay_sets_changed_properties_and_replaces_documents() -> None:
    tree = _tree()
    result = rename_field(tree, "clients.city", "town")
    doc = as_overlay({"overlay": "database"}, tree, result.tree)
    assert doc["set"]["clients.city"] == {"name": "town"}
    assert doc["set"]["contacts.client_city"] == {"formula": "client.town"}
    assert doc["set"]["clients"]["seed"] == [{"name": "Тула", "town": "Тула"}]
    assert sorted(d["id"] for d in doc["reports"]) == ["rep", "rep2"]
    assert [d["id"] for d in doc["dashboards"]] == ["d"]
    assert "forms" not in doc  # unchanged documents are not carried


def test_rename_refuses_bad_names() -> None:
    tree = _tree()
    with pytest.raises(RenameError, match="already has a field 'name'"):
        rename_field(tree, "clients.city", "name")
    with pytest.raises(RenameError, match="not a valid name"):
        rename_field(tree, "clients.city", "Город")
    with pytest.raises(RenameError, match="no field"):
        rename_field(tree, "clients.nope", "x")
    assert rename_field(tree, "clients.city", "city").changes == []


def test_xlsx_template_rewritten_and_text_outside_blocks_kept() -> None:
    import io

    from openpyxl import Workbook, load_workbook

    from uchet.configurations.rename import template_rewriter
    from uchet.printeditor.rename_templates import rewritten

    book = Workbook()
    sheet = book.active
    sheet["A1"] = "Город: {{ city }}"
    sheet["A2"] = "{% for c in contacts %}{{ c.city }}{% endfor %}"
    sheet["A3"] = "city"
    out = io.BytesIO()
    book.save(out)
    ctx = template_rewriter(_tree(), "clients.city", "town")
    data = rewritten("xlsx", out.getvalue(), lambda t: ctx.template("clients", t))
    cells = load_workbook(io.BytesIO(data)).active
    assert cells["A1"].value == "Город: {{ town }}"
    # A loop variable is not the record: its paths are not the renamed field.
    assert cells["A2"].value == "{% for c in contacts %}{{ c.city }}{% endfor %}"
    assert cells["A3"].value == "city"


def test_rename_rewrites_the_automatic_message_rules() -> None:
    """Issue 19: a message rule names its date or watched field by name in its own table;
    a rule of another table naming a field of the same name keeps it."""
    tree = _tree()
    tree["manifest"]["settings"] = {"message_rules": [
        {"id": "r1", "table": "clients", "template": "t", "channel": "email",
         "when": {"changed": "city", "to": "Тула"}},
        {"id": "r2", "table": "clients", "template": "t", "channel": "sms",
         "when": {"before": "city", "hours": 2}},
        {"id": "r3", "table": "contacts", "template": "t", "channel": "email",
         "when": {"yearly": "city"}},
    ]}  # fmt: skip
    rules = rename_field(tree, "clients.city", "town").tree["manifest"]["settings"]["message_rules"]
    assert rules[0]["when"] == {"changed": "town", "to": "Тула"}
    assert rules[1]["when"] == {"before": "town", "hours": 2}
    assert rules[2]["when"] == {"yearly": "city"}
