"""Issue 15: which layout of a form a user sees (``formdesigner.model``), without a browser."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from uchet.configurations.loader import load
from uchet.formdesigner.model import (
    card_layout,
    child_tab_ref,
    form_document,
    form_tabs,
    layout_role,
    user_roles,
)


class _Texts:
    def label(self, labels: Any, default: str = "") -> str:
        return str(labels.get("en", default)) if labels else default

    def gettext(self, msgid: str, **params: Any) -> str:
        return msgid


@dataclass
class _Doc:
    """A form document as the model reads it (``.data``)."""

    data: dict[str, Any]


@pytest.fixture(scope="module")
def config() -> Any:
    return load("sample_crm").config


def _thaw(value: Any) -> Any:
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


def _form(config: Any, role_layouts: dict[str, Any]) -> _Doc:
    data = _thaw(form_document(config.forms, config.table("clients")).data)
    data["role_layouts"] = role_layouts
    return _Doc(data)


def _without_legal(config: Any) -> list[Any]:
    """The default layout without the «Реквизиты» section (what a manager sees)."""
    tabs = copy.deepcopy(_form(config, {}).data["layout"])
    tabs[0]["sections"] = [s for s in tabs[0]["sections"] if s["id"] != "sec_legal"]
    return tabs


def _names(tabs: Any) -> set[str]:
    return {f.name for t in tabs for s in t.sections for r in s.rows for f in r}


def _other(tabs: Any) -> set[str]:
    """The fields of the "Other" section (the sample's form places all but two fields)."""
    return {f.name for t in tabs for s in t.sections if s.id == "other" for r in s.rows
            for f in r}  # fmt: skip


def test_the_configuration_role_order_decides(config: Any) -> None:
    # The sample's roles are main, manager, accountant, viewer, in that order.
    assert user_roles(config, ("viewer", "manager", "gone")) == ["manager", "viewer"]
    doc = _form(config, {"viewer": [], "accountant": []})
    assert layout_role(doc, user_roles(config, ("viewer", "accountant"))) == "accountant"
    assert layout_role(doc, user_roles(config, ("manager",))) is None
    assert layout_role(None, ["manager"]) is None
    assert form_tabs(doc, "viewer") == []
    assert form_tabs(doc, "manager") is doc.data["layout"]


def test_a_role_layout_hides_a_section_and_others_see_the_default(config: Any) -> None:
    table = config.table("clients")
    doc = _form(config, {"manager": _without_legal(config)})
    shown = {f.name for f in table.fields}
    manager = card_layout(_Texts(), table, doc, shown, existing=False, role="manager")
    director = card_layout(_Texts(), table, doc, shown, existing=False, role=None)
    assert "sec_legal" not in [s.id for s in manager[0].sections]
    assert "sec_legal" in [s.id for s in director[0].sections]
    # What the role layout leaves out is hidden, not moved to "Other".
    assert not {"tax_id", "bank_name", "bank_account"} & _names(manager)
    assert _other(manager) == _other(director) == {"contact_count", "open_work"}
    assert {"tax_id", "bank_name"} <= _names(director)


def test_a_field_no_layout_places_still_goes_to_other(config: Any) -> None:
    table = config.table("clients")
    tabs = _without_legal(config)
    default = copy.deepcopy(tabs)  # the default no longer places the legal fields either
    doc = _form(config, {"manager": tabs})
    doc.data["layout"] = default
    shown = {f.name for f in table.fields}
    manager = card_layout(_Texts(), table, doc, shown, existing=False, role="manager")
    other = next(s for s in manager[0].sections if s.id == "other")
    assert "tax_id" in {f.name for r in other.rows for f in r}


def test_a_field_the_role_cannot_read_is_just_not_shown(config: Any) -> None:
    table = config.table("clients")
    tabs = [{"id": "t", "label": {"en": "T"}, "sections": [
        {"id": "s", "rows": [["clients.name", "clients.debt"], ["clients.tax_id"]]}]}]  # fmt: skip
    doc = _form(config, {"manager": tabs})
    shown = {f.name for f in table.fields} - {"debt", "tax_id"}
    manager = card_layout(_Texts(), table, doc, shown, existing=False, role="manager")
    assert manager[0].id == "t"
    assert [[f.name for f in r] for r in manager[0].sections[0].rows] == [["name"]]


def test_hidden_tab_in_a_role_layout_and_its_child_tabs(config: Any) -> None:
    table = config.table("clients")
    tabs = _form(config, {}).data["layout"]
    tabs = copy.deepcopy(tabs)
    tabs[0]["hidden"] = True
    tabs.append({"id": "tab_extra", "label": {"en": "Extra"}, "children": "contacts.client"})
    doc = _form(config, {"manager": tabs})
    shown = {f.name for f in table.fields}
    asked: list[str] = []

    def children(tab_id: str, ref: str) -> Any:
        asked.append(tab_id)
        return None

    manager = card_layout(_Texts(), table, doc, shown, existing=True, children=children,
                          role="manager")  # fmt: skip
    # The main tab is hidden; only the fields no layout places are left, in "main".
    assert [t.id for t in manager] == ["main", "history"]
    assert _other(manager) == {"contact_count", "open_work"}
    assert "tab_extra" in asked
    assert child_tab_ref(doc, "tab_extra") == "contacts.client"
    assert child_tab_ref(doc, "tab_contacts") == "contacts.client"
    assert child_tab_ref(doc, "nope") is None
