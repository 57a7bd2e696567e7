"""The card designer's layout model (issue 15) without a browser: moves, spans, blocks,
sections and tabs, keyboard moves, role limits and role layouts, the check that names the
element at fault, and the JSON written round-tripping through the configuration check."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from uchet.formdesigner import designops
from uchet.formdesigner import layout as L
from uchet.formdesigner.layout import LayoutError
from uchet.formdesigner.model import Block, card_layout
from uchet.platform.model.errors import ConfigError

BASE: list[dict[str, Any]] = [
    {"id": "tab_main", "label": {"ru": "Основное"}, "sections": [
        {"id": "sec_a", "rows": [["t.a", "t.b"], ["t.c"]]},
        {"id": "sec_b", "label": {"ru": "Банк"}, "rows": [["t.d"], ["t.e", "t.f"]]},
    ]},
    {"id": "tab_kids", "label": {"ru": "Дети"}, "children": "kids.parent"},
]  # fmt: skip


def rows(tabs: list[dict[str, Any]], section: str) -> Any:
    return L.find_section(tabs, section)[1]["rows"]


def test_move_a_field_into_a_row_and_as_a_row_of_its_own() -> None:
    before = copy.deepcopy(BASE)
    tabs = L.move_cell(BASE, "t.d", "sec_a", 1, 1)
    assert rows(tabs, "sec_a") == [["t.a", "t.b"], ["t.c", "t.d"]]
    assert rows(tabs, "sec_b") == [["t.e", "t.f"]]  # the emptied row is gone
    assert before == BASE  # operations never change their argument
    tabs = L.move_cell(tabs, "t.a", "sec_a", 0)  # a row of its own before row 0
    assert rows(tabs, "sec_a") == [["t.a"], ["t.b"], ["t.c", "t.d"]]
    tabs = L.move_cell(tabs, "t.new", "sec_b", 99)  # from the palette, at the end
    assert rows(tabs, "sec_b")[-1] == ["t.new"]
    assert L.placed_fields(tabs) == ["t.a", "t.b", "t.c", "t.d", "t.e", "t.f", "t.new"]


def test_a_row_holds_one_to_four_cells_and_four_columns() -> None:
    tabs = L.move_cell(BASE, "t.c", "sec_a", 0, 2)
    tabs = L.move_cell(tabs, "t.d", "sec_a", 0, 3)
    assert rows(tabs, "sec_a")[0] == ["t.a", "t.b", "t.c", "t.d"]
    with pytest.raises(LayoutError) as exc:
        L.move_cell(tabs, "t.e", "sec_a", 0, 0)
    assert exc.value.element == "sec_a" and exc.value.msgid == "A row holds at most %(n)s fields."
    # Moving within the full row itself is fine: the cell leaves its place first.
    again = L.move_cell(tabs, "t.d", "sec_a", 0, 0)
    assert rows(again, "sec_a")[0] == ["t.d", "t.a", "t.b", "t.c"]


def test_spans_take_columns_and_are_checked() -> None:
    tabs = L.set_span(BASE, "t.a", 3)
    assert rows(tabs, "sec_a")[0] == [{"field": "t.a", "span": 3}, "t.b"]
    with pytest.raises(LayoutError) as exc:
        L.set_span(tabs, "t.b", 2)  # 3 + 2 > 4
    assert exc.value.element == "t.b"
    with pytest.raises(LayoutError):
        L.move_cell(tabs, "t.c", "sec_a", 0, 2)  # no column left for one more
    assert L.cell_field(rows(tabs, "sec_a")[0][0]) == "t.a"
    back = L.set_span(tabs, "t.a", 1)
    assert rows(back, "sec_a")[0] == ["t.a", "t.b"]  # a plain id again
    with pytest.raises(LayoutError):
        L.set_span(BASE, "t.a", 5)


def test_sections_tabs_blocks_and_parts() -> None:
    tabs, tab_id = L.add_tab(BASE, {"ru": "Реквизиты"})
    assert tab_id == "tab_1" and tabs[-1] == {"id": "tab_1", "label": {"ru": "Реквизиты"},
                                              "sections": []}  # fmt: skip
    tabs = L.move_section(tabs, "sec_b", "tab_1", 0)
    assert [s["id"] for s in tabs[0]["sections"]] == ["sec_a"]
    assert [s["id"] for s in tabs[-1]["sections"]] == ["sec_b"]
    tabs, sec_id = L.add_section(tabs, "tab_main", {"ru": "Новый"})
    tabs = L.add_block(tabs, sec_id, {"ru": "Для частных лиц"}, heading=True)
    assert rows(tabs, sec_id) == [[{"text": {"ru": "Для частных лиц"}, "heading": True}]]
    tabs = L.move_cell(tabs, "block:1", "sec_a", 0, 0)  # blocks move as cells
    assert rows(tabs, "sec_a")[0][0]["heading"] is True
    tabs = L.set_part(tabs, "sec_a", collapsed=True, roles=["manager"], label={"ru": "Главное"})
    sec = L.find_section(tabs, "sec_a")[1]
    assert sec["collapsed"] and sec["collapsible"] and sec["roles"] == ["manager"]
    assert sec["label"] == {"ru": "Главное"}
    with pytest.raises(LayoutError):
        L.set_part(tabs, "tab_main", collapsible=True)  # only sections fold
    with pytest.raises(LayoutError):
        L.add_section(tabs, "tab_kids")  # a child tab has no sections
    with pytest.raises(LayoutError):
        L.add_tab(tabs, {"ru": " "})
    with pytest.raises(LayoutError):
        L.add_tab(tabs, {"ru": "Ещё дети"}, children="kids.parent")  # listed already
    tabs = L.move_tab(tabs, "tab_1", 0)
    assert tabs[0]["id"] == "tab_1"
    tabs = L.remove_part(tabs, "sec_b")
    assert "t.d" not in L.placed_fields(tabs)  # back to the palette


def test_keyboard_moves() -> None:
    tabs = L.nudge_cell(BASE, "t.a", "right")
    assert rows(tabs, "sec_a")[0] == ["t.b", "t.a"]
    tabs = L.nudge_cell(tabs, "t.a", "down")  # out of the shared row, below it
    assert rows(tabs, "sec_a") == [["t.b"], ["t.a"], ["t.c"]]
    tabs = L.nudge_cell(tabs, "t.a", "down")  # alone: swaps with the next row
    assert rows(tabs, "sec_a") == [["t.b"], ["t.c"], ["t.a"]]
    tabs = L.nudge_cell(tabs, "t.a", "down")  # past the end: the next section
    assert rows(tabs, "sec_b")[0] == ["t.a"]
    tabs = L.nudge_cell(tabs, "t.a", "previous_section")
    assert rows(tabs, "sec_a")[-1] == ["t.a"]
    with pytest.raises(LayoutError) as exc:
        L.nudge_cell(tabs, "t.a", "right")
    assert exc.value.msgid == "It is the last column." and exc.value.element == "t.a"
    tabs = L.nudge_section(BASE, "sec_b", "up")
    assert [s["id"] for s in tabs[0]["sections"]] == ["sec_b", "sec_a"]
    with pytest.raises(LayoutError):
        L.nudge_section(tabs, "sec_b", "next_tab")  # the other tab lists children


def test_operations_by_neighbours_as_the_page_sends_them() -> None:
    tabs = designops.apply(BASE, "place", {"key": "t.f", "section": "sec_a", "row_with": "t.c"})
    assert rows(tabs, "sec_a")[1] == ["t.c", "t.f"]
    tabs = designops.apply(tabs, "place", {"key": "t.f", "section": "sec_a", "row_with": "t.a",
                                           "before": "t.b"})  # fmt: skip
    assert rows(tabs, "sec_a")[0] == ["t.a", "t.f", "t.b"]
    tabs = designops.apply(tabs, "move_section", {"section": "sec_b", "tab": "tab_main",
                                                  "before": "sec_a"})  # fmt: skip
    assert [s["id"] for s in tabs[0]["sections"]] == ["sec_b", "sec_a"]
    with pytest.raises(LayoutError) as exc:
        designops.apply(tabs, "explode", {})
    assert exc.value.params == {"name": "explode"}
    with pytest.raises(LayoutError):
        designops.apply(tabs, "place", {"section": "sec_a"})  # no key: refused, not a crash


def test_palette_drops_name_where_the_new_part_goes() -> None:
    """Issue 15 point 1: a new section, tab, child tab or block dragged from the palette
    lands where it was dropped; the buttons (no position) still add at the end."""
    tabs = designops.apply(BASE, "add_section", {"tab": "tab_main", "label": "Новая",
                                                 "before": "sec_b"})  # fmt: skip
    ids = [s["id"] for s in tabs[0]["sections"]]
    assert ids[0] == "sec_a" and ids[2] == "sec_b" and tabs[0]["sections"][1]["label"]
    tabs = designops.apply(tabs, "add_section", {"tab": "tab_main"})
    assert tabs[0]["sections"][-1]["rows"] == []
    tabs = designops.apply(tabs, "add_tab", {"label": "Вкладка", "before": "tab_kids"})
    assert tabs[0]["id"] == "tab_main" and tabs[1]["label"] == {"ru": "Вкладка"}
    tabs = designops.apply(tabs, "add_child_tab", {"label": "Ещё", "children": "other.parent",
                                                   "before": "tab_main"})  # fmt: skip
    assert tabs[0]["children"] == "other.parent"
    tabs = designops.apply(tabs, "add_block", {"section": "sec_a", "text": "Заметка",
                                               "heading": True, "row": 1})  # fmt: skip
    assert rows(tabs, "sec_a")[1] == [{"text": {"ru": "Заметка"}, "heading": True}]
    assert rows(tabs, "sec_a")[0] == ["t.a", "t.b"] and rows(tabs, "sec_a")[2] == ["t.c"]


def test_check_names_the_element() -> None:
    bad = copy.deepcopy(BASE)
    bad[0]["sections"][0]["rows"].append(["t.zz", "t.a"])
    bad[0]["sections"][1]["roles"] = ["nobody"]
    bad[0]["sections"][1]["rows"].append([{"field": "t.x", "span": 4}, "t.y"])
    found = {(p.element, p.msgid) for p in L.check(bad, ["t.a", "t.b", "t.c", "t.d", "t.e",
                                                          "t.f", "t.x", "t.y"],
                                                   ["manager"], ["kids.parent"])}  # fmt: skip
    assert found == {
        ("t.zz", "The table has no field %(id)s."),
        ("t.a", "The field %(id)s is placed twice."),
        ("sec_b", "There is no role %(role)s."),
        ("sec_b", "A row is wider than %(n)s columns."),
    }


class Texts:
    def label(self, labels: Any, default: str = "") -> str:
        if isinstance(labels, str):
            return labels
        return str(labels.get("ru") or default) if labels else default

    def gettext(self, msgid: str, **params: Any) -> str:
        return msgid % params if params else msgid


def test_runtime_spans_blocks_folding_and_roles(web_platform: Any) -> None:
    table = web_platform.config.table("clients")
    tabs = copy.deepcopy([dict(t) for t in _client_form(web_platform)["layout"]])
    tabs = L.set_span(tabs, "clients.name", 2)
    tabs = L.add_block(tabs, "sec_main", {"ru": "Главное"}, heading=True, row=0)
    tabs = L.set_part(tabs, "sec_legal", collapsed=True, roles=["accountant"])
    shown = {f.name for f in table.fields}
    mine = card_layout(Texts(), table, None, shown, existing=False, draft=tabs,
                       roles={"manager"})  # fmt: skip
    main = mine[0].sections[0]
    assert isinstance(main.rows[0][0], Block) and main.rows[0][0].heading
    assert main.spans == {"clients.name": 2}
    ids = [s.id for s in mine[0].sections]
    assert "sec_legal" not in ids  # the manager has not the role
    anywhere = {f.id for s in mine[0].sections for row in s.rows for f in row}
    assert "clients.tax_id" not in anywhere  # nor do its fields go to "Other"
    theirs = card_layout(Texts(), table, None, shown, existing=False, draft=tabs,
                         roles={"accountant"})  # fmt: skip
    legal = next(s for s in theirs[0].sections if s.id == "sec_legal")
    assert legal.collapsible and legal.collapsed


def _client_form(platform: Any) -> dict[str, Any]:
    from uchet.platform.model.config import thaw

    return dict(thaw(next(f for f in platform.config.forms if f.id == "form_client").data))


def test_the_json_written_round_trips_through_the_configuration_check(web_platform: Any) -> None:
    """What the designer saves is an overlay form: the configuration check takes it, and
    the effective configuration gives the same layout back (also as a role's layout)."""
    form = _client_form(web_platform)
    tabs, tab_id = L.add_tab(form["layout"], {"ru": "Реквизиты"})
    tabs = L.move_section(tabs, "sec_legal", tab_id, 0)
    tabs = L.set_span(tabs, "clients.address", 2)
    tabs = L.add_block(tabs, "sec_main", {"ru": "Проверьте ИНН"})
    tabs = L.set_part(tabs, "sec_contact", collapsible=True, roles=["manager"])
    form["layout"] = tabs
    form["role_layouts"] = {"manager": L.remove_part(tabs, tab_id)}
    overlay = web_platform.overlay
    doc = {**overlay.document(), "forms": [form]}
    config = overlay.effective(json.loads(json.dumps(doc)))
    saved = next(f for f in config.forms if f.id == "form_client")
    from uchet.platform.model.config import thaw

    assert thaw(saved.data)["layout"] == tabs
    assert thaw(saved.data)["role_layouts"]["manager"] == form["role_layouts"]["manager"]
    # A cell naming no field is refused by the same check, naming the place.
    broken = copy.deepcopy(form)
    broken["layout"][0]["sections"][0]["rows"].append([{"field": "clients.nope"}])
    with pytest.raises(ConfigError) as exc:
        overlay.effective({**overlay.document(), "forms": [broken]})
    assert "clients.nope" in str(exc.value)
    # A wrong width is a meta-schema error.
    wide = copy.deepcopy(form)
    wide["layout"][0]["sections"][0]["rows"][0] = [{"field": "clients.kind", "span": 5}]
    with pytest.raises(ConfigError):
        overlay.effective({**overlay.document(), "forms": [wide]})
