"""Issue 15, point 2: the list layout designer. The model (``formdesigner.listdesign``)
without a browser; the page through Flask's test client on SQLite and PostgreSQL: one
overlay revision with its comment, the list as a manager sees it afterwards, users' own
columns kept on top, a stale base refused with what changed, errors shown on the element.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from tests.conftest import unseed
from werkzeug.datastructures import MultiDict

from uchet import SYSTEM
from uchet.configurations.loader import load
from uchet.formdesigner import listdesign
from uchet.platform.model.config import thaw

CLIENT_COLUMNS = ["clients.name", "clients.category", "clients.city", "clients.phone",
                  "clients.manager", "clients.status"]  # fmt: skip


# -- the model -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clients() -> Any:
    return load("sample_crm").config.table("clients")


def _form(table: Any, **changes: Any) -> MultiDict[str, str]:
    """The designer's form as the page posts it untouched, with ``changes`` replacing keys."""
    design = listdesign.current(table)
    data: dict[str, Any] = {
        "col": design.order,
        "show": design.columns,
        # Every box shown is checked while the table names no header filters.
        "filter": [f.id for f in table.fields]
        if design.header_filters is None
        else design.header_filters,
        "search": design.search_fields,
        "sort_field": [k.field for k in design.sort],
        "sort_dir": ["desc" if k.descending else "asc" for k in design.sort],
    }
    data.update(changes)
    return MultiDict([(k, v) for k, values in data.items() for v in
                      (values if isinstance(values, list) else [values])])  # fmt: skip


def _filterable(table: Any) -> set[str]:
    return {f.id for f in table.fields if f.type not in ("image", "file", "rollup")}


def test_the_current_design_is_the_configuration(clients: Any) -> None:
    design = listdesign.current(clients)
    assert design.columns == CLIENT_COLUMNS
    assert design.order[:6] == CLIENT_COLUMNS and len(design.order) == len(clients.fields)
    assert design.header_filters is None and design.widths == {}
    assert [k.token() for k in design.sort] == ["clients.name"]
    assert "clients.tax_id" in design.search_fields


def test_an_untouched_form_changes_nothing(clients: Any) -> None:
    design, problems = listdesign.read_form(clients, _form(clients), _filterable(clients))
    assert not problems
    assert listdesign.table_properties(thaw(listdesign.table_data(clients)), design) == {}
    assert listdesign.overlay_with({"overlay": "db"}, "clients", {}) == {"overlay": "db"}


def test_reorder_hide_widths_filters_search_and_sort(clients: Any) -> None:
    order = ["clients.city", "clients.name", "clients.status", *CLIENT_COLUMNS[1:2]]
    form = _form(
        clients,
        col=order,
        show=["clients.city", "clients.name", "clients.status"],
        **{"width.clients.city": "180", "width.clients.name": " "},
        filter=["clients.city", "clients.status"],
        search=["clients.name", "clients.city"],
        sort_field=["clients.city", "", "clients.name"],
        sort_dir=["desc", "asc", "asc"],
    )
    design, problems = listdesign.read_form(clients, form, _filterable(clients))
    assert not problems
    props = listdesign.table_properties(thaw(listdesign.table_data(clients)), design)
    assert props["list"]["columns"] == ["clients.city", "clients.name", "clients.status"]
    assert props["list"]["widths"] == {"clients.city": 180}
    assert props["list"]["header_filters"] == ["clients.city", "clients.status"]
    assert props["list"]["filters"] == ["clients.category", "clients.city", "clients.status",
                                        "clients.manager"]  # fmt: skip  # kept (indexes)
    assert props["search_fields"] == ["clients.name", "clients.city"]
    assert props["default_sort"] == ["-clients.city", "clients.name"]
    # The order of every field is kept, the unposted ones after the posted.
    assert design.order[:4] == order and len(design.order) == len(clients.fields)


def test_problems_are_named_on_their_element(clients: Any) -> None:
    form = _form(clients, show=[], **{"width.clients.city": "20", "width.clients.name": "x"},
                 sort_field=["clients.city", "clients.city", "clients.nope"],
                 sort_dir=["asc", "desc", "asc"])  # fmt: skip
    _, problems = listdesign.read_form(clients, form, _filterable(clients))
    where = [(p.where, p.msgid) for p in problems]
    assert ("columns", "Keep at least one column in the list.") in where
    assert ("clients.city", listdesign.WIDTH_PROBLEM) in where
    assert ("clients.name", listdesign.WIDTH_PROBLEM) in where
    assert ("sort", "A field is sorted by only once.") in where
    assert ("sort", "No such field to sort by.") in where


def test_a_removed_width_stays_removed(clients: Any) -> None:
    lst = {"columns": ["clients.name"], "widths": {"clients.name": 99}}
    doc = {"overlay": "db", "set": {"clients": {"list": lst}}}
    out = listdesign.overlay_with(doc, "clients", {"list": {"columns": ["clients.city"]}})
    assert out["set"]["clients"]["list"] == {"columns": ["clients.city"]}
    assert doc["set"]["clients"]["list"]["widths"] == {"clients.name": 99}  # not modified


def test_the_written_overlay_passes_the_configuration_check(clients: Any, tmp_path: Path) -> None:
    form = _form(clients, col=["clients.city", *CLIENT_COLUMNS],
                 show=["clients.city", "clients.name"], **{"width.clients.city": "150"},
                 filter=["clients.city"], sort_field=["clients.city"],
                 sort_dir=["desc"])  # fmt: skip
    design, _ = listdesign.read_form(clients, form, _filterable(clients))
    props = listdesign.table_properties(thaw(listdesign.table_data(clients)), design)
    doc = listdesign.overlay_with({"overlay": "db"}, "clients", props)
    path = tmp_path / "db.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    table = load("sample_crm", [path]).config.table("clients")
    assert table.list_columns == ("clients.city", "clients.name")
    assert dict(table.list_widths) == {"clients.city": 150}
    assert table.list_header_filters == ("clients.city",)
    assert [(k.field, k.descending) for k in table.default_sort] == [("clients.city", True)]
    again, _ = listdesign.read_form(table, _form(table), _filterable(table))
    assert again.header_filters == ["clients.city"]  # an explicit list stays explicit


# -- the page --------------------------------------------------------------------------------
def _tree(r: Any) -> Any:
    return lxml.html.fromstring(r.text)


def _page_form(tree: Any) -> list[tuple[str, str]]:
    """What the designer's form posts as shown (in document order)."""
    out: list[tuple[str, str]] = []
    for el in tree.xpath("//form[@id='uchet-ld-form']//input|//form[@id='uchet-ld-form']//select"):
        name = el.get("name")
        if not name or name == "csrf_token":
            continue
        if el.get("type") == "checkbox":
            if el.get("checked") is not None:
                out.append((name, el.get("value")))
        elif el.tag == "select":
            chosen = el.xpath(".//option[@selected]")
            out.append((name, chosen[0].get("value") if chosen else ""))
        else:
            out.append((name, el.get("value") or ""))
    return out


def _post(client: Any, pairs: list[tuple[str, str]]) -> Any:
    data = MultiDict(pairs)
    data["csrf_token"] = client.token()
    return client.client.post("/-/list-designer/clients", data=data)


def _headers(tree: Any) -> list[str]:
    return [th.get("data-field") for th in tree.xpath("//table[@id='uchet-list']/thead//th")]


@pytest.fixture
def client(web_platform: Any) -> Any:
    """A test client that swaps to a saved version on the next request (no background
    build), as the structure editor's tests do."""
    from tests.web_support import WebClient

    from uchet.web import create_app

    return WebClient(create_app(web_platform, secret_key="test-secret-" + "x" * 20,
                                reload_in_background=False))  # fmt: skip


@pytest.fixture
def crm(web_platform: Any) -> Any:
    p, users = web_platform, web_platform.test_users
    unseed(p)
    clients = p.records("clients", user=SYSTEM)
    for name, city in (("Альфа", "Тверь"), ("Бета", "Москва"), ("Гамма", "Омск")):
        clients.create({"name": name, "city": city, "manager": users["anna"].id})
    return p


def test_only_configurers_reach_the_designer(client: Any, crm: Any) -> None:
    client.login("anna")
    assert 'id="uchet-list-design"' not in client.get("/clients/").text
    assert client.get("/-/list-designer/clients").status_code == 403
    client.login("admin")
    page = client.get("/clients/")
    assert "Настроить список" in page.text
    assert client.get("/-/list-designer/clients").status_code == 200
    assert client.get("/-/list-designer/nope").status_code == 404


def test_save_makes_one_revision_and_the_manager_sees_it(client: Any, crm: Any) -> None:
    client.login("admin")
    pairs = _page_form(_tree(client.get("/-/list-designer/clients")))
    cols = [v for k, v in pairs if k == "col"]
    cols.remove("clients.city")
    cols.insert(0, "clients.city")  # city dragged to the top
    rest = [(k, v) for k, v in pairs if k not in ("col", "sort_field", "sort_dir", "comment")]
    rest = [(k, v) for k, v in rest if not (k == "filter" and v == "clients.status")]
    rest = [(k, v) for k, v in rest if k != "width.clients.city"]
    before = len(crm.overlay.revisions())
    r = _post(client, [*(("col", c) for c in cols), *rest, ("width.clients.city", "160"),
                       ("sort_field", "clients.name"), ("sort_dir", "desc"),
                       ("comment", "Город первым")])  # fmt: skip
    assert r.status_code == 302, r.text
    revisions = crm.overlay.revisions()
    assert len(revisions) == before + 1 and revisions[0].comment == "Город первым"
    assert "Сохранено как версия" in client.get(r.headers["Location"]).text

    client.login("anna")
    tree = _tree(client.get("/clients/"))
    assert _headers(tree)[:3] == ["city", "name", "category"]
    city = tree.xpath("//th[@data-field='city']")[0]
    assert city.get("data-width") == "160"
    status = tree.xpath("//th[@data-field='status']")[0]
    assert not status.xpath(".//button[contains(@class,'uchet-filter-btn')]")
    assert tree.xpath("//th[@data-field='city']//button[contains(@class,'uchet-filter-btn')]")
    names = [td.text_content().strip() for td in tree.xpath("//tbody//td[@data-field='name']")]
    assert names[:3] == ["Гамма", "Бета", "Альфа"]  # the new default sort, descending


def test_users_own_columns_stay_on_top(client: Any, crm: Any) -> None:
    client.login("anna")
    r = client.client.post("/clients/prefs/", json={"columns": ["status", "name"]},
                           headers={"X-CSRFToken": client.token()})  # fmt: skip
    assert r.status_code in (200, 204), r.text
    client.login("admin")
    pairs = _page_form(_tree(client.get("/-/list-designer/clients")))
    pairs = [(k, v) for k, v in pairs if not (k == "show" and v == "clients.phone")]
    assert _post(client, pairs).status_code == 302
    client.login("anna")
    assert _headers(_tree(client.get("/clients/"))) == ["status", "name"]
    client.login("boris")  # no choice of his own: the new default
    assert "phone" not in _headers(_tree(client.get("/clients/")))


def test_stale_base_is_refused_with_what_changed(client: Any, crm: Any) -> None:
    client.login("admin")
    pairs = _page_form(_tree(client.get("/-/list-designer/clients")))
    first = [(k, v) for k, v in pairs if not (k == "show" and v == "clients.phone")]
    assert _post(client, first).status_code == 302
    revisions = len(crm.overlay.revisions())
    second = [(k, v) for k, v in pairs if not (k == "show" and v == "clients.manager")]
    r = _post(client, second)  # still on the old base
    assert r.status_code == 200
    error = _tree(r).xpath("//div[@id='uchet-ld-error']")[0].text_content()
    assert "Структуру тем временем изменил другой пользователь" in error
    assert "«Клиенты»" in error and "columns" in error  # what changed, named
    assert len(crm.overlay.revisions()) == revisions


def test_a_bad_width_is_shown_on_its_row_and_nothing_saved(client: Any, crm: Any) -> None:
    client.login("admin")
    pairs = _page_form(_tree(client.get("/-/list-designer/clients")))
    pairs = [(k, "5" if k == "width.clients.city" else v) for k, v in pairs]
    r = _post(client, pairs)
    assert r.status_code == 200
    tree = _tree(r)
    row = tree.xpath("//li[@data-field='clients.city']")[0]
    assert "uchet-ld-invalid" in row.get("class")
    assert "Ширина — целое число" in row.text_content()
    assert crm.overlay.revisions() == []


def test_a_table_without_list_settings_is_untouched_by_an_untouched_form() -> None:
    table = load("sample_crm").config.table("client_categories")  # no "list" in its file
    design, problems = listdesign.read_form(table, _form(table), _filterable(table))
    assert not problems
    implicit = listdesign.default_columns(table)
    assert listdesign.table_properties(thaw(listdesign.table_data(table)), design, implicit) == {}
