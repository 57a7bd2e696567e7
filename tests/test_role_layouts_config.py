"""Issue 15: a form's layouts per role (``role_layouts``) in the schema, the loader, the
configuration check and the database overlay (``set`` on a form)."""

from __future__ import annotations

import copy
import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from uchet.configurations.loader import load
from uchet.platform.model.errors import ConfigError

SAMPLE = Path(str(resources.files("uchet") / "sample_crm"))

#: The manager's client card: the legal details tab of the sample without «Реквизиты».
MANAGER_TABS = [
    {
        "id": "tab_main",
        "label": {"ru": "Основное", "en": "Main"},
        "sections": [{"id": "sec_main", "rows": [["clients.name"], ["clients.status"]]}],
    }
]


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    target = tmp_path / "crm"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _edit_form(bundle: Path, role_layouts: dict[str, Any]) -> None:
    path = bundle / "forms" / "client_card.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["role_layouts"] = role_layouts
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_role_layout_loads(bundle: Path) -> None:
    _edit_form(bundle, {"manager": MANAGER_TABS})
    config = load(bundle).config
    form = next(f for f in config.forms if f.id == "form_client")
    rows = form.data["role_layouts"]["manager"][0]["sections"][0]["rows"]
    assert [list(r) for r in rows] == [["clients.name"], ["clients.status"]]


def test_unknown_role_is_named(bundle: Path) -> None:
    _edit_form(bundle, {"director": MANAGER_TABS})
    with pytest.raises(ConfigError) as info:
        load(bundle)
    found = [(i.file, i.pointer, i.message) for i in info.value.issues]
    assert ("forms/client_card.json", "/role_layouts/director", "no role with id 'director'") in [
        (Path(f).as_posix().split("crm/")[-1], p, m) for f, p, m in found
    ]


def test_unknown_field_is_named_at_its_cell(bundle: Path) -> None:
    tabs = copy.deepcopy(MANAGER_TABS)
    tabs[0]["sections"][0]["rows"][1].append("clients.fax")
    _edit_form(bundle, {"manager": tabs})
    with pytest.raises(ConfigError) as info:
        load(bundle)
    pointers = {i.pointer: i.message for i in info.value.issues}
    assert pointers == {
        "/role_layouts/manager/0/sections/0/rows/1/1": "no field with id 'clients.fax' in "
        "table 'clients'"
    }


def test_bad_child_tab_in_role_layout(bundle: Path) -> None:
    tabs = [*MANAGER_TABS, {"id": "tab_x", "label": {"ru": "X"}, "children": "contacts.name"}]
    _edit_form(bundle, {"manager": tabs})
    with pytest.raises(ConfigError) as info:
        load(bundle)
    assert [i.pointer for i in info.value.issues] == ["/role_layouts/manager/1/children"]


def test_schema_refuses_a_malformed_role_layout(bundle: Path) -> None:
    _edit_form(bundle, {"manager": [{"id": "tab_main"}]})  # a tab needs a label
    with pytest.raises(ConfigError) as info:
        load(bundle)
    assert any(i.pointer.startswith("/role_layouts/manager/0") for i in info.value.issues)


def test_overlay_sets_a_role_layout(bundle: Path) -> None:
    """The designer saves a role layout as an overlay ``set`` on the form (one revision)."""
    overlay = bundle.parent / "overlays" / "o.json"
    overlay.parent.mkdir()
    overlay.write_text(
        json.dumps(
            {"overlay": "o", "set": {"form_client": {"role_layouts": {"manager": MANAGER_TABS}}}}
        ),
        encoding="utf-8",
    )
    config = load(bundle, [overlay]).config
    form = next(f for f in config.forms if f.id == "form_client")
    assert list(form.data["role_layouts"]) == ["manager"]
    assert form.data["layout"][0]["id"] == "tab_main"  # the default is kept


def test_overlay_role_layout_is_checked(bundle: Path) -> None:
    overlay = bundle.parent / "overlays" / "o.json"
    overlay.parent.mkdir()
    overlay.write_text(
        json.dumps(
            {"overlay": "o", "set": {"form_client": {"role_layouts": {"nobody": MANAGER_TABS}}}}
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load(bundle, [overlay])
    assert any("no role with id 'nobody'" in i.message for i in info.value.issues)


def test_purging_a_table_takes_its_child_tabs_out_of_role_layouts() -> None:
    from uchet.configurations.overlay_tables import without_table

    car_tab = {"id": "tab_cars", "label": {"ru": "Машины"}, "children": "cars.client"}
    doc = {
        "overlay": "db",
        "tables": [
            {
                "id": "cars",
                "name": "cars",
                "label": {"ru": "Машины"},
                "fields": [
                    {
                        "id": "cars.client",
                        "name": "client",
                        "type": "reference",
                        "target": "clients",
                    }
                ],
            }
        ],
        "forms": [
            {
                "id": "form_x",
                "table": "clients",
                "layout": [car_tab],
                "role_layouts": {"manager": [car_tab, MANAGER_TABS[0]]},
            }
        ],
        "set": {"form_client": {"role_layouts": {"manager": [*MANAGER_TABS, car_tab]}}},
    }
    out = without_table(doc, "cars")
    assert out["forms"][0]["layout"] == []
    assert out["forms"][0]["role_layouts"] == {"manager": MANAGER_TABS}
    assert out["set"]["form_client"]["role_layouts"] == {"manager": MANAGER_TABS}
    assert doc["set"]["form_client"]["role_layouts"]["manager"][-1] == car_tab  # unchanged
