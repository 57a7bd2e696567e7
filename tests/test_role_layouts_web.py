"""Issue 15: a form's layout per role through the web card, on SQLite and PostgreSQL.

A manager's layout of the client card leaves out the «Реквизиты» section and hides the
«Ссылки» tab; a director (a role added by an overlay, without a layout of its own) sees the
default card; a user holding both roles sees the manager's, the first in the
configuration's role order.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from tests.web_support import PASSWORD, WebClient, seed_users

from uchet import SYSTEM
from uchet.configurations.overlay import Overlay

FORM = json.loads(
    (Path(__file__).resolve().parents[1] / "src/uchet/sample_crm/forms/client_card.json").read_text(
        encoding="utf-8"
    )
)


def _manager_tabs() -> list[Any]:
    tabs = copy.deepcopy(FORM["layout"])
    tabs[0]["sections"] = [s for s in tabs[0]["sections"] if s["id"] != "sec_legal"]
    for tab in tabs:
        if tab["id"] == "tab_links":
            tab["hidden"] = True
    # A field the manager may not read (the sample hides nothing from managers, so the
    # overlay below takes «Долг» away): named here, simply not shown.
    tabs[0]["sections"][0]["rows"].append(["clients.debt"])
    return tabs


OVERLAY = Overlay(
    "layouts.json",
    {
        "overlay": "layouts",
        "roles": [
            {
                "id": "director",
                "name": "director",
                "label": {"ru": "Директор", "en": "Director"},
                "default": {"read": True, "create": True, "update": True},
            }
        ],
        "set": {
            "form_client": {"role_layouts": {"manager": _manager_tabs()}},
        },
    },
)


@pytest.fixture
def crm(db_url: str) -> Iterator[Any]:
    from uchet import Platform
    from uchet.web import create_app

    p = Platform.open("sample_crm", database_url=db_url, overlays=[OVERLAY])
    p.migrate()
    p.test_users = seed_users(p)
    p.users.create("dina", PASSWORD, name="Dina", roles=["director"])
    p.users.create("both", PASSWORD, name="Both", roles=["director", "manager"])
    p.client = p.records("clients", user=SYSTEM).create(
        {
            "name": "Иванов ИП",
            "tax_id": "7701234567",
            "manager": p.test_users["anna"].id,
        }
    )
    p.web = WebClient(create_app(p, secret_key="test-secret-" + "x" * 20))
    yield p
    p.close()


def _card(crm: Any, login: str) -> Any:
    crm.web.login(login)
    r = crm.web.get(f"/clients/edit/?id={crm.client['id']}")
    assert r.status_code == 200, r.text
    return lxml.html.fromstring(r.text)


def _tabs(tree: Any) -> list[str]:
    return [a.get("data-tab") for a in tree.xpath("//ul[contains(@class,'uchet-tabs')]//a")]


def _sections(tree: Any) -> list[str]:
    return [s.get("data-section") for s in tree.xpath("//div[@id='tab-tab_main']//fieldset")]


def _fields(tree: Any) -> set[str]:
    return {d.get("data-field") for d in tree.xpath("//div[@data-field]")}


def test_manager_sees_the_role_layout(crm: Any) -> None:
    tree = _card(crm, "anna")
    assert "sec_legal" not in _sections(tree)
    assert "tab_links" not in _tabs(tree) and "tab_contacts" in _tabs(tree)
    assert not {"tax_id", "bank_name", "bank_account"} & _fields(tree)
    assert "debt" in _fields(tree)  # the layout's extra row, readable by a manager here


def test_director_sees_the_default(crm: Any) -> None:
    tree = _card(crm, "dina")
    assert "sec_legal" in _sections(tree)
    assert "tab_links" in _tabs(tree)
    assert {"tax_id", "bank_name"} <= _fields(tree)


def test_several_roles_take_the_first_in_the_configuration_order(crm: Any) -> None:
    tree = _card(crm, "both")  # director (added last) and manager: the manager's layout
    assert "sec_legal" not in _sections(tree)


def test_a_field_the_role_cannot_read_is_left_out_not_an_error(db_url: str) -> None:
    from uchet import Platform
    from uchet.web import create_app

    rights = {"read": True, "update": True, "fields": {"clients.debt": "none"}}
    hide_debt = Overlay(
        "debt.json",
        {"overlay": "debt", "set": {"manager": {"tables": {"clients": rights}}}},
    )
    p = Platform.open("sample_crm", database_url=db_url, overlays=[OVERLAY, hide_debt])
    try:
        p.migrate()
        users = seed_users(p)
        p.client = p.records("clients", user=SYSTEM).create(
            {"name": "Петров", "manager": users["anna"].id}
        )
        p.web = WebClient(create_app(p, secret_key="test-secret-" + "x" * 20))
        tree = _card(p, "anna")
        assert "debt" not in _fields(tree) and "name" in _fields(tree)
        tree = _card(p, "admin")
        assert "debt" in _fields(tree)
    finally:
        p.close()
