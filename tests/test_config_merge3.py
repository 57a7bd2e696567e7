"""The 3-way merge of ``uchet config upgrade`` as a pure function, table-driven (issue 16).

Each row: what the vendor changes from the old base to the new one, the customer's overlay,
and what the merge must decide: the rewritten overlay, the conflicts (keys) and the orphans.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from uchet.configurations.objects import flatten, unflatten
from uchet.configurations.overlay import Overlay
from uchet.configurations.semantic_diff import diff_trees
from uchet.configurations.upgrade import ResolutionError, upgrade
from uchet.configurations.upgrade_report import report_lines, resolution_template


def base_tree() -> dict[str, Any]:
    """A small configuration: one table with a choice field, a form with one tab."""
    return {
        "manifest": {"name": "t", "version": "1",
                     "sections": [{"id": "sec_a", "label": {"ru": "А", "en": "A"}}]},
        "tables": [{
            "id": "clients", "name": "clients", "label": {"ru": "Клиенты", "en": "Clients"},
            "fields": [
                {"id": "clients.name", "name": "name", "type": "string",
                 "label": {"ru": "Имя", "en": "Name"}, "help": "the name"},
                {"id": "clients.fax", "name": "fax", "type": "string",
                 "label": {"ru": "Факс", "en": "Fax"}},
                {"id": "clients.status", "name": "status", "type": "choice", "default": "a",
                 "label": {"ru": "Статус", "en": "Status"},
                 "choices": [{"value": "a", "label": {"ru": "А", "en": "A"}},
                             {"value": "b", "label": {"ru": "Б", "en": "B"}}]},
            ]}],
        "forms": [{
            "id": "form_client", "table": "clients", "label": {"ru": "Клиент", "en": "Client"},
            "layout": [{"id": "tab_main", "label": {"ru": "Основное", "en": "Main"},
                        "sections": [{"id": "sec_main",
                                      "rows": [["clients.name"], ["clients.status"]]}]}]}],
        "print_forms": [], "roles": [], "reports": [], "dashboards": [], "translations": [],
    }  # fmt: skip


def edit(tree: dict[str, Any], obj_id: str, **props: Any) -> dict[str, Any]:
    """``tree`` with properties of object ``obj_id`` set (None removes one)."""
    objects = flatten(copy.deepcopy(tree))
    for key, value in props.items():
        if value is None:
            objects[obj_id].props.pop(key, None)
        else:
            objects[obj_id].props[key] = value
    return unflatten(objects)


def drop(tree: dict[str, Any], obj_id: str) -> dict[str, Any]:
    objects = flatten(copy.deepcopy(tree))
    del objects[obj_id]
    return unflatten(objects)


def add_tab(tree: dict[str, Any]) -> dict[str, Any]:
    tree = copy.deepcopy(tree)
    tree["forms"][0]["layout"].append(
        {"id": "tab_more", "label": {"ru": "Ещё", "en": "More"}, "sections": []}
    )
    return tree


def customer_form(rows: list[list[str]], hide_tab: bool = False) -> dict[str, Any]:
    form = copy.deepcopy(base_tree()["forms"][0])
    form["layout"][0]["sections"][0]["rows"] = rows
    if hide_tab:
        form["layout"][0]["hidden"] = True
    return form


def same(t: dict[str, Any]) -> dict[str, Any]:
    return t


Vendor = Callable[[dict[str, Any]], dict[str, Any]]
CHOICES_ABC = [{"value": "a", "label": {"ru": "А", "en": "A"}},
               {"value": "b", "label": {"ru": "Б", "en": "B"}},
               {"value": "c", "label": {"ru": "В", "en": "C"}}]  # fmt: skip
CHOICES_ABD = [CHOICES_ABC[0], CHOICES_ABC[1], {"value": "d", "label": {"ru": "Г", "en": "D"}}]

#: (case, vendor's change, customer's overlay, expected overlay after the merge, conflict
#: keys, orphans (what))
CASES: list[tuple[str, Vendor, dict[str, Any], dict[str, Any], list[str], list[str]]] = [
    ("customer only: kept", same,
     {"set": {"clients.name": {"required": True}}},
     {"set": {"clients.name": {"required": True}}}, [], []),
    ("vendor only: taken, the customer's other property kept",
     lambda t: edit(t, "clients.name", max_length=100),
     {"set": {"clients.name": {"required": True}}},
     {"set": {"clients.name": {"required": True}}}, [], []),
    ("customer's value equals the old base: the vendor's change is taken, entry dropped",
     lambda t: edit(t, "clients.status", default="b"),
     {"set": {"clients.status": {"default": "a"}}}, {}, [], []),
    ("both changed the same way: agreed, nothing left to keep",
     lambda t: edit(t, "clients.name", required=True),
     {"set": {"clients.name": {"required": True}}}, {}, [], []),
    ("both changed differently: a conflict",
     lambda t: edit(t, "clients.status", default="b"),
     {"set": {"clients.status": {"default": "c"}}},
     {"set": {"clients.status": {"default": "c"}}}, ["o.json:clients.status:default"], []),
    ("labels per locale: the vendor's English and the customer's Russian both survive",
     lambda t: edit(t, "clients.name", label={"ru": "Имя", "en": "Full name"}),
     {"set": {"clients.name": {"label": {"ru": "ФИО"}}}},
     {"set": {"clients.name": {"label": {"ru": "ФИО"}}}}, [], []),
    ("labels per locale: both changed the Russian one",
     lambda t: edit(t, "clients.name", label={"ru": "Название", "en": "Name"}),
     {"set": {"clients.name": {"label": {"ru": "ФИО"}}}},
     {"set": {"clients.name": {"label": {"ru": "ФИО"}}}},
     ["o.json:clients.name:label.ru"], []),
    ("renamed by the vendor: the customer's settings follow the id",
     lambda t: edit(t, "clients.name", name="full_name"),
     {"set": {"clients.name": {"required": True}}, "hide": ["clients.name"]},
     {"set": {"clients.name": {"required": True}}, "hide": ["clients.name"]}, [], []),
    ("removed by the vendor: every entry on it is an orphan",
     lambda t: drop(t, "clients.fax"),
     {"set": {"clients.fax": {"label": {"ru": "Телефакс"}}}, "hide": ["clients.fax"],
      "unset": [{"target": "clients.fax", "properties": ["label"]}]},
     {}, [], ["set clients.fax", "unset clients.fax", "hide clients.fax"]),
    ("added by the customer: kept; an id the vendor now uses too: orphan",
     lambda t: _add_field(t, "clients.vip"),
     {"fields": {"clients": [{"id": "clients.kind", "name": "kind", "type": "string"},
                             {"id": "clients.vip", "name": "vip", "type": "boolean"}]}},
     {"fields": {"clients": [{"id": "clients.kind", "name": "kind", "type": "string"}]}},
     [], ["fields clients clients.vip"]),
    ("choice lists merge item by item: the vendor's c and the customer's d",
     lambda t: edit(t, "clients.status", choices=CHOICES_ABC),
     {"set": {"clients.status": {"choices": CHOICES_ABD}}},
     {"set": {"clients.status": {"choices": [*CHOICES_ABC, CHOICES_ABD[2]]}}}, [], []),
    ("choice lists: one item changed differently by both is a conflict",
     lambda t: edit(t, "clients.status", choices=[{"value": "a", "label": {"en": "X"}},
                                                   CHOICES_ABC[1]]),
     {"set": {"clients.status": {"choices": [{"value": "a", "label": {"en": "Y"}},
                                             CHOICES_ABC[1]]}}},
     {"set": {"clients.status": {"choices": [{"value": "a", "label": {"en": "Y"}},
                                             CHOICES_ABC[1]]}}},
     ["o.json:clients.status:choices"], []),
    ("a form replaced whole: the vendor's new tab and the customer's rows and hidden tab",
     add_tab,
     {"forms": [customer_form([["clients.status", "clients.name"]], hide_tab=True)]},
     {"forms": [add_tab({"forms": [customer_form([["clients.status", "clients.name"]],
                                                          hide_tab=True)]})["forms"][0]]},
     [], []),
    ("form rows are one value: both re-arranged the same section",
     lambda t: edit(t, "sec_main", rows=[["clients.name", "clients.status"]]),
     {"forms": [customer_form([["clients.status"], ["clients.name"]])]},
     {"forms": [customer_form([["clients.status"], ["clients.name"]])]},
     ["o.json:sec_main:rows"], []),
    ("a form the customer copied unchanged: the entry goes, the vendor's form stands",
     add_tab, {"forms": [customer_form([["clients.name"], ["clients.status"]])]}, {}, [], []),
    ("unset by the customer, changed by the vendor: a conflict",
     lambda t: edit(t, "clients.name", help="the full name"),
     {"unset": [{"target": "clients.name", "properties": ["help"]}]},
     {"unset": [{"target": "clients.name", "properties": ["help"]}]},
     ["o.json:clients.name:help"], []),
    ("unset by the customer, untouched by the vendor: kept",
     lambda t: edit(t, "clients.status", default="a"),
     {"unset": [{"target": "clients.name", "properties": ["help"]}]},
     {"unset": [{"target": "clients.name", "properties": ["help"]}]}, [], []),
    ("removed by the customer, changed by the vendor: a conflict",
     add_tab, {"remove": ["form_client"]}, {"remove": ["form_client"]},
     ["o.json:form_client:(object)"], []),
    ("removed by the customer and by the vendor: nothing left",
     lambda t: drop(t, "form_client"), {"remove": ["form_client"]}, {}, [], []),
    ("the customer's own table and entries on it: kept as they are", same,
     {"tables": [{"id": "tags", "name": "tags", "fields": [
         {"id": "tags.name", "name": "name", "type": "string"}]}],
      "set": {"tags.name": {"required": True}},
      "unset": [{"target": "tags", "properties": ["label"]}], "hide": ["tags.name"]},
     {"tables": [{"id": "tags", "name": "tags", "fields": [
         {"id": "tags.name", "name": "name", "type": "string"}]}],
      "set": {"tags.name": {"required": True}},
      "unset": [{"target": "tags", "properties": ["label"]}], "hide": ["tags.name"]}, [], []),
    ("a menu section replaced by the customer, relabelled in English by the vendor",
     lambda t: edit(t, "sec_a", label={"ru": "А", "en": "Alpha"}),
     {"sections": [{"id": "sec_a", "label": {"ru": "Альфа", "en": "A"}}]},
     {"sections": [{"id": "sec_a", "label": {"ru": "Альфа", "en": "Alpha"}}]}, [], []),
]  # fmt: skip


def _add_field(tree: dict[str, Any], field_id: str) -> dict[str, Any]:
    tree = copy.deepcopy(tree)
    tree["tables"][0]["fields"].append({"id": field_id, "name": "vip2", "type": "boolean"})
    return tree


@pytest.mark.parametrize(("case", "vendor", "customer", "expected", "conflicts", "orphans"),
                         CASES, ids=[c[0] for c in CASES])  # fmt: skip
def test_merge_rules(
    case: str, vendor: Vendor, customer: dict[str, Any], expected: dict[str, Any],
    conflicts: list[str], orphans: list[str],
) -> None:  # fmt: skip
    old = base_tree()
    new = vendor(base_tree())
    result = upgrade(old, new, [Overlay("overlays/o.json", {"overlay": "o", **customer})])
    merged = dict(result.layers[0].data)
    assert merged == {"overlay": "o", **expected}
    assert [c.key for c in result.conflicts] == conflicts
    assert [what for _, what, _, _ in result.outcome.orphans] == orphans
    assert old == base_tree()  # the inputs are not modified


def test_conflicts_of_every_layer_are_reported_at_once() -> None:
    new = edit(base_tree(), "clients.name", label={"ru": "Название", "en": "Title"},
               help="x", required=False)  # fmt: skip
    layers = [
        Overlay("a.json", {"set": {"clients.name": {"label": {"en": "N"}, "required": True}}}),
        Overlay(
            "database overlay, revision 3",
            {"overlay": "database", "set": {"clients.name": {"help": "y"}}},
        ),
    ]
    result = upgrade(base_tree(), new, layers)
    assert [c.key for c in result.conflicts] == [
        "a.json:clients.name:label.en", "a.json:clients.name:required",
        "database:clients.name:help",
    ]  # fmt: skip
    assert len(result.unresolved) == 3
    template = resolution_template(result, "t 1 -> 2")
    assert template["conflicts"]["database:clients.name:help"] == {
        "base": "the name",
        "vendor": "x",
        "customer": "y",
        "choose": None,
    }


def test_resolutions_choose_a_side_or_write_a_value() -> None:
    new = edit(base_tree(), "clients.name", label={"ru": "Название", "en": "Title"},
               help="x", required=False)  # fmt: skip
    layer = Overlay("a.json", {"set": {"clients.name": {
        "label": {"ru": "ФИО", "en": "N"}, "required": True, "help": "y"}}})  # fmt: skip
    resolutions = {
        "a.json:clients.name:label.ru": {"choose": "customer"},
        "a.json:clients.name:label.en": {"choose": "vendor"},
        "a.json:clients.name:required": {"value": True},
        "a.json:clients.name:help": {"choose": "base"},
        "a.json:clients.nope:help": {"choose": "vendor"},
    }
    result = upgrade(base_tree(), new, [layer], resolutions)
    assert result.unresolved == []
    assert result.layers[0].data == {"set": {"clients.name": {
        "label": {"ru": "ФИО"}, "required": True, "help": "the name"}}}  # fmt: skip
    assert result.unknown_resolutions == ["a.json:clients.nope:help"]
    text = "\n".join(report_lines(result, "t"))
    assert "resolved: value true" in text and "a.json:clients.nope:help" in text
    with pytest.raises(ResolutionError, match="choose must be one of"):
        upgrade(base_tree(), new, [layer], {"a.json:clients.name:help": {"choose": "mine"}})


def test_semantic_diff_by_id() -> None:
    new = edit(base_tree(), "clients.name", name="full_name", label={"ru": "ФИО", "en": "Name"})
    new = add_tab(drop(new, "clients.fax"))
    d = diff_trees(base_tree(), new)
    assert [(o.id, a, b) for o, a, b in d.renamed] == [("clients.name", "name", "full_name")]
    assert [o.id for o in d.added] == ["tab_more"]
    assert [o.id for o in d.removed] == ["clients.fax"]
    assert [(c.id, c.prop, c.old, c.new) for c in d.changed] == [
        ("clients.name", "label.ru", "Имя", "ФИО")
    ]
    assert d.lines() == [
        '+ tab tab_more "More" in form_client', '- field clients.fax "Fax" from clients',
        "~ field clients.name renamed: name -> full_name",
        '~ field clients.name label.ru: "Имя" -> "ФИО"',
    ]  # fmt: skip
    # A choice list item by item, by value.
    choices = edit(base_tree(), "clients.status", choices=CHOICES_ABC[1:])
    assert [(c.prop, c.old, c.new) for c in diff_trees(base_tree(), choices).changed] == [
        ("choices[a]", CHOICES_ABC[0], None),
        ("choices[c]", None, CHOICES_ABC[2]),
    ]
    # Reordering fields is not a change of anything.
    moved = copy.deepcopy(base_tree())
    moved["tables"][0]["fields"].reverse()
    assert diff_trees(base_tree(), moved).empty


def test_flatten_round_trips_the_shipped_bundle() -> None:
    from uchet.configurations.bundle import read_bundle
    from uchet.configurations.loader import parse_tree, resolve_bundle_path

    tree, _, issues = parse_tree(read_bundle(resolve_bundle_path("sample_crm")))
    assert not issues
    objects = flatten(tree)
    assert objects["clients.name"].parent == "clients"
    assert objects["sec_main"].kind == "form_section"
    rebuilt = unflatten(objects)
    assert {k: rebuilt[k] for k in tree} == tree
