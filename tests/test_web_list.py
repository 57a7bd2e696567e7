"""The list screen through Flask's test client, on SQLite and PostgreSQL (issue 3 §2: S03,
S05–S09): sort, header filters, quick search, layout preferences, saved views, grouping,
export, the capped count and the SQL statements per page."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from typing import Any

import pytest
from tests.conftest import unseed
from tests.web_support import WebClient
from werkzeug.datastructures import MultiDict

from uchet import SYSTEM
from uchet.web.liststate import ListState

CITIES = ["Москва", "Тверь", "Казань"]


@pytest.fixture
def crm(web_platform: Any) -> dict[str, Any]:
    """Three categories and twelve clients: anna manages the even ones, boris the odd."""
    users = web_platform.test_users
    unseed(web_platform)  # its own categories, counted from zero
    cats = web_platform.records("client_categories", user=SYSTEM)
    ids = {
        n: cats.create({"name": n, "sort_order": i})["id"]
        for i, n in enumerate(["VIP", "Постоянный", "Проблемный"])
    }
    names = [
        "Иванов",
        "Ивашкин",
        "Петров",
        "Сидоров",
        "Смирнова",
        "Иванова",
        "Кузнецов",
        "Попов",
        "Васильев",
        "Соколов",
        "Михайлов",
        "Новиков",
    ]
    rows = []
    for i, name in enumerate(names):
        rows.append(
            {
                "name": name,
                "city": CITIES[i % 3],
                "loyalty": i % 10,
                "category": list(ids.values())[i % 3],
                "tax_id": f"77{i:08d}",
                "manager": users["anna" if i % 2 == 0 else "boris"].id,
            }
        )
    web_platform.records("clients", user=SYSTEM).create_many(rows)
    return {"categories": ids, "users": users, "names": names}


def as_user(web_app: Any, login: str) -> WebClient:
    c = WebClient(web_app)
    assert c.login(login).status_code == 302
    return c


def row_names(html: str) -> list[str]:
    """The first cell's text of each list row (after the row's bulk selection box)."""
    return re.findall(
        r'<tr class="uchet-row"[^>]*>\s*<td[^>]*>(?:<input [^>]*> )?<a [^>]*>([^<]*)</a>', html
    )


def headers(html: str) -> list[str]:
    return re.findall(r'<th data-field="([^"]+)"', html)


# -- sort, search, filters ----------------------------------------------------------
def test_sort_by_header_and_second_sort_key(client: Any, crm: Any) -> None:
    client.login("admin")
    names = row_names(client.get("/clients/?sort=-name").text)
    assert names == sorted(crm["names"], reverse=True)
    html = client.get("/clients/?sort=city,-loyalty&cols=name,city,loyalty").text
    got = row_names(html)
    by_city = sorted(range(12), key=lambda i: (CITIES[i % 3], -(i % 10)))
    assert got == [crm["names"][i] for i in by_city]
    # The marks number the keys; the header links toggle and shift-add.
    assert "▲1" in html and "▼2" in html
    assert 'data-add-href="?sort=city%2C-loyalty%2Cname&amp;cols=name%2Ccity%2Cloyalty"' in html
    assert 'href="?sort=-city&amp;cols=name%2Ccity%2Cloyalty"' in html


def test_quick_search_cyrillic_prefix_case_insensitive(client: Any, crm: Any) -> None:
    client.login("admin")
    for q in ("ива", "ИВА", "Ива"):
        names = row_names(client.get("/clients/", query_string={"q": q}).text)
        assert sorted(names) == ["Иванов", "Иванова", "Ивашкин"]
    assert row_names(client.get("/clients/", query_string={"q": "ванов"}).text) == []


def test_filter_url_parsing() -> None:
    args = MultiDict(
        [
            ("f.category", "3"),
            ("f.category", "5"),
            ("f.category", ""),
            ("f.loyalty.between", "3..7"),
            ("f.name.startswith", "Ив"),
            ("sort", "city,-name"),
            ("group", "category,city"),
            ("view", "4"),
            ("cols", "name,city"),
            ("page", "x"),
            ("size", "9999"),
            ("zz", "1"),
        ]
    )
    state = ListState.from_args(args)
    assert state.filters == (
        ("category", "in", ("3", "5", "")),
        ("loyalty", "between", "3..7"),
        ("name", "startswith", "Ив"),
    )
    assert state.sort == ("city", "-name") and state.group == ("category", "city")
    assert state.view == 4 and state.columns == ("name", "city")
    assert state.page == 1 and state.page_size is None and state.extra == {"zz": "1"}
    engine = state.query_filters({"category"})
    assert [(f.field, f.op, f.value) for f in engine] == [
        ("category", "in", [3, 5, None]),
        ("loyalty", "between", ["3", "7"]),
        ("name", "startswith", "Ив"),
    ]
    # The URL round-trips; a saved view keeps everything but its position and id.
    assert ListState.from_args(MultiDict(state.args())) == replace(state, extra={})
    assert ("view", "4") not in state.saved_args() and ("cols", "name,city") in state.saved_args()
    assert ListState.from_args(MultiDict([("view", "4"), ("page", "2")])).is_empty()


def test_header_filter_values_titles_counts_and_other_filters(client: Any, crm: Any) -> None:
    client.login("admin")
    items = client.get("/clients/values/category/").json["items"]
    assert [(i["title"], i["count"]) for i in items] == [
        ("VIP", 4),
        ("Постоянный", 4),
        ("Проблемный", 4),
    ]
    assert items[0]["value"] == str(crm["categories"]["VIP"])
    # Values among the rows the other filters leave (the column's own filter is ignored).
    vip = crm["categories"]["VIP"]
    r = client.get(f"/clients/values/city/?f.category={vip}&f.city=Тверь").json
    assert [(i["title"], i["count"]) for i in r["items"]] == [("Москва", 4)]
    assert r["chosen"] == ["Тверь"]
    status = client.get("/clients/values/status/").json["items"]
    assert [(i["value"], i["title"]) for i in status] == [("active", "Активный")]
    managers = client.get("/clients/values/manager/").json["items"]
    assert [(i["title"], i["count"]) for i in managers] == [("Anna", 6), ("Boris", 6)]
    anna_id = crm["users"]["anna"].id
    assert managers[0]["value"] == str(anna_id)
    html = client.get(f"/clients/?f.manager={anna_id}").text
    assert "Менеджер: Anna" in html and len(row_names(html)) == 6
    found = client.get("/clients/values/name/?q=ИВА").json["items"]
    assert sorted(i["title"] for i in found) == ["Иванов", "Иванова", "Ивашкин"]
    assert client.get("/clients/values/nope/").status_code == 404


def test_header_filter_values_respect_rows_and_fields(web_app: Any, crm: Any) -> None:
    anna = as_user(web_app, "anna")
    items = anna.get("/clients/values/category/").json["items"]
    assert sum(i["count"] for i in items) == 6  # her six clients only
    vera = as_user(web_app, "vera")
    assert vera.get("/clients/values/tax_id/").status_code == 403
    # A filter on a hidden field is refused too, not used as an oracle.
    assert vera.get("/clients/values/city/?f.tax_id=7700000000").status_code == 403


def test_filter_by_values_and_conditions_with_chips(client: Any, crm: Any) -> None:
    client.login("admin")
    vip, regular = crm["categories"]["VIP"], crm["categories"]["Постоянный"]
    html = client.get(f"/clients/?f.category={vip}&f.category={regular}").text
    assert len(row_names(html)) == 8
    assert "Категория: VIP, Постоянный" in html
    html = client.get("/clients/?f.loyalty.between=3..5&sort=loyalty").text
    assert row_names(html) == ["Сидоров", "Смирнова", "Иванова"]
    assert "от 3 до 5" in html
    assert len(row_names(client.get("/clients/?f.loyalty.ge=8").text)) == 2
    names = row_names(client.get("/clients/?f.loyalty.le=0&sort=name").text)
    assert names == ["Иванов", "Михайлов"]  # i = 0 and i = 10
    html = client.get("/clients/?f.name.contains=ОВА&sort=name").text
    assert row_names(html) == ["Иванова", "Смирнова"]
    assert "содержит «ОВА»" in html
    assert row_names(client.get("/clients/?f.name.startswith=пет").text) == ["Петров"]
    # Dates: a range open at one end, shown as the column shows dates.
    html = client.get("/clients/?f.birthday.between=2000-01-31..&cols=name,birthday").text
    assert "от 31.01.2000 до …" in html and row_names(html) == []
    # The chip's × removes just that filter.
    html = client.get(f"/clients/?f.category={vip}&f.city=Москва").text
    removes = re.findall(r'uchet-filter-remove" href="\?([^"]+)"', html)
    assert any("f.city" not in r and "f.category" in r for r in removes)
    # A bad condition is reported and the plain list shown.
    r = client.get("/clients/?f.loyalty.between=abc..5")
    assert r.status_code == 302
    assert "loyalty" in client.get(r.location).text


# -- grouping ----------------------------------------------------------
def test_group_by_category_then_city_with_counts(client: Any, crm: Any) -> None:
    client.login("admin")
    html = client.get("/clients/?group=category,city").text
    level0 = re.findall(
        r'data-level="0".*?uchet-group-title">([^<]+)</strong>\s*'
        r'<span class="badge badge-light uchet-group-count">(\d+)',
        html,
        re.S,
    )
    assert level0 == [("VIP", "4"), ("Постоянный", "4"), ("Проблемный", "4")]
    level1 = re.findall(r'data-level="1"', html)
    assert len(level1) == 3  # each category holds one city (i % 3 drives both)
    assert 'data-group="category,city"' in html and "uchet-group-chip" in html


# -- preferences ----------------------------------------------------------
def post_prefs(c: WebClient, data: dict[str, Any], token: bool = True) -> Any:
    heads = {"X-CSRFToken": c.token()} if token else {}
    return c.client.post("/clients/prefs/", json=data, headers=heads)


def test_layout_precedence_user_then_role_then_config(web_app: Any, crm: Any) -> None:
    anna, boris = as_user(web_app, "anna"), as_user(web_app, "boris")
    admin, vera = as_user(web_app, "admin"), as_user(web_app, "vera")
    config = ["name", "category", "city", "phone", "manager", "status"]
    assert headers(anna.get("/clients/").text) == config
    # The administrator saves a default for the manager role.
    r = post_prefs(
        admin,
        {"scope": "role:manager", "columns": ["name", "city", "loyalty"], "widths": {"name": 250}},
    )
    assert r.status_code == 200, r.text
    assert headers(boris.get("/clients/").text) == ["name", "city", "loyalty"]
    assert 'data-width="250"' in boris.get("/clients/").text  # applied by uchet.js (CSP)
    assert headers(vera.get("/clients/").text) == config  # another role: unchanged
    assert headers(admin.get("/clients/").text) == config
    # Anna's own choice wins over the role's; order is hers.
    assert post_prefs(anna, {"columns": ["city", "name"]}).status_code == 200
    assert headers(anna.get("/clients/").text) == ["city", "name"]
    assert headers(boris.get("/clients/").text) == ["name", "city", "loyalty"]
    # The URL overrides for the moment, without saving.
    assert headers(anna.get("/clients/?cols=status,name").text) == ["status", "name"]
    assert headers(anna.get("/clients/").text) == ["city", "name"]
    # Widths: her own layer has none, so the role's width applies to her too.
    assert 'data-width="250"' in anna.get("/clients/").text
    # Reset: back to the role's default.
    assert post_prefs(anna, {"reset": True}).status_code == 200
    assert headers(anna.get("/clients/").text) == ["name", "city", "loyalty"]


def test_prefs_writes_are_checked(web_app: Any, crm: Any) -> None:
    anna, vera = as_user(web_app, "anna"), as_user(web_app, "vera")
    assert post_prefs(anna, {"columns": ["city"]}, token=False).status_code == 400
    assert headers(anna.get("/clients/").text)[0] == "name"  # nothing was saved
    assert post_prefs(anna, {"scope": "role:manager", "columns": ["city"]}).status_code == 403
    r = post_prefs(anna, {"columns": ["city", "nope"]})
    assert r.status_code == 400 and "nope" in r.json["error"]
    r = post_prefs(vera, {"columns": ["name", "tax_id"]})
    assert r.status_code == 400 and "tax_id" in r.json["error"]
    assert post_prefs(anna, {"columns": []}).status_code == 400
    assert post_prefs(anna, {"widths": {"name": 5}}).status_code == 400
    assert post_prefs(anna, {"scope": "role:ghost", "columns": ["name"]}).status_code == 400
    # The chooser lists every readable field (vera: all but the tax id).
    html = vera.get("/clients/").text
    chooser = re.findall(r'data-column="([^"]+)"', html)
    assert "tax_id" not in chooser and "notes" in chooser and "birthday" in chooser


# -- saved views ----------------------------------------------------------
def save_view(c: WebClient, name: str, state: str, shared: str = "", token: bool = True) -> Any:
    return c.post(
        "/clients/views/save/", {"name": name, "state": state, "shared_with": shared}, token=token
    )


def view_names(c: WebClient) -> list[str]:
    return re.findall(r'href="\?[^"]*" data-view="\d+">([^<\n]+)', c.get("/clients/").text)


def test_saved_views_private_role_and_everyone(web_app: Any, crm: Any) -> None:
    anna, boris = as_user(web_app, "anna"), as_user(web_app, "boris")
    vera, admin = as_user(web_app, "vera"), as_user(web_app, "admin")
    assert save_view(anna, "Мои", "sort=-name", token=False).status_code == 400
    r = save_view(anna, "Мои", "sort=-name&group=city&cols=name,city&page=3")
    assert r.status_code == 302 and "view=" in r.location and "page" not in r.location
    view_id = int(re.search(r"view=(\d+)", r.location).group(1))
    assert view_names(anna) == ["Мои"] and view_names(boris) == [] and view_names(vera) == []
    # Shared with the manager role: boris sees it, vera does not.
    assert save_view(anna, "Мои", "sort=-name&group=city", "manager").status_code == 302
    assert view_names(boris) == ["Мои"] and view_names(vera) == []
    # A manager cannot push a view onto another role.
    r = save_view(anna, "Чужим", "sort=name", "viewer")
    assert r.status_code == 302 and "view=" not in r.location
    assert view_names(vera) == []
    # Shared with everyone.
    assert save_view(anna, "Всем", "f.city=Тверь", "*").status_code == 302
    assert "Всем" in view_names(vera)
    # Editing a view by id: the owner renames it; another manager may not; MAIN may, and
    # the view stays its owner's.
    edit = {"view_id": str(view_id), "state": "sort=-name&group=city", "shared_with": "manager"}
    assert boris.post("/clients/views/save/", {**edit, "name": "Чужое"}).status_code == 403
    assert vera.post("/clients/views/save/", {**edit, "name": "Чужое"}).status_code == 404
    assert anna.post("/clients/views/save/", {**edit, "name": "Мои города"}).status_code == 302
    assert admin.post("/clients/views/save/", {**edit, "name": "Города"}).status_code == 302
    assert view_names(anna) == ["Всем", "Города"] and view_names(boris) == ["Всем", "Города"]
    assert "Города" not in view_names(admin)  # shared with managers, not with MAIN
    # "Save as a new view" leaves the edited one alone.
    r = anna.post("/clients/views/save/", {**edit, "name": "Копия", "as_new": "1"})
    assert r.status_code == 302 and f"view={view_id}" not in r.location
    assert view_names(anna) == ["Всем", "Города", "Копия"]
    # Opening a view by id goes to its state; someone who cannot see it gets a message.
    r = boris.get(f"/clients/?view={view_id}")
    assert r.status_code == 302 and "sort=-name" in r.location and "group=city" in r.location
    assert vera.get(f"/clients/?view={view_id}").location.endswith("/clients/")
    # Only the owner (or MAIN) deletes.
    assert boris.post(f"/clients/views/{view_id}/delete/").status_code == 403
    assert vera.post(f"/clients/views/{view_id}/delete/").status_code == 404
    assert anna.post(f"/clients/views/{view_id}/delete/", token=False).status_code == 400
    assert admin.post(f"/clients/views/{view_id}/delete/").status_code == 302
    assert view_names(boris) == ["Всем", "Копия"]
    assert save_view(anna, "", "sort=name").status_code == 302  # refused with a message
    assert "Всем" in view_names(anna) and "" not in view_names(anna)


# -- export ----------------------------------------------------------
def read_csv(r: Any) -> list[list[str]]:
    assert r.status_code == 200, r.text
    return list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))


def test_export_csv_and_xlsx_follow_the_list(web_app: Any, crm: Any) -> None:
    admin, anna, vera = (as_user(web_app, u) for u in ("admin", "anna", "vera"))
    rows = read_csv(admin.get("/clients/export/csv/?sort=-name&cols=name,category,tax_id&q=ива"))
    assert rows[0] == ["Наименование", "Категория", "ИНН"]
    assert [r[0] for r in rows[1:]] == ["Ивашкин", "Иванова", "Иванов"]
    assert rows[1][1] == "Постоянный"
    # Row rules: anna gets her six clients; field rights: vera gets no tax id column.
    assert len(read_csv(anna.get("/clients/export/csv/"))) == 1 + 6
    rows = read_csv(vera.get("/clients/export/csv/?cols=name,tax_id"))
    assert rows[0] == ["Наименование"] and len(rows) == 13
    from openpyxl import load_workbook

    r = admin.get("/clients/export/xlsx/?f.loyalty.ge=5&sort=loyalty&cols=name,loyalty")
    assert r.status_code == 200 and r.mimetype.endswith("sheet")
    sheet = load_workbook(io.BytesIO(r.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Наименование", "Лояльность (0–10)"]
    assert [v[1] for v in values[1:]] == [5, 6, 7, 8, 9]
    assert admin.get("/clients/export/pdf/").status_code == 404
    assert admin.get("/clients/export/csv/?f.loyalty.between=x..1").status_code == 400


def test_export_row_cap_and_keyset_batches(web_platform: Any, crm: Any, monkeypatch: Any) -> None:
    from uchet.web import create_app, export

    monkeypatch.setattr(export, "BATCH", 5)  # several keyset pages for 12 rows
    app = create_app(web_platform, secret_key="k" * 32, export_max_rows=7)
    admin = as_user(app, "admin")
    rows = read_csv(admin.get("/clients/export/csv/?sort=name&cols=name"))
    assert [r[0] for r in rows[1:]] == sorted(crm["names"])[:7]
    app = create_app(web_platform, secret_key="k" * 32)
    rows = read_csv(as_user(app, "admin").get("/clients/export/csv/?sort=-loyalty,name"))
    assert len(rows) == 13 and len({r[0] for r in rows[1:]}) == 12  # no row twice across pages


# -- scale: capped count, statements per page ------------------------------------------------------
def test_count_is_capped(web_platform: Any, client: Any) -> None:
    rows = [{"name": f"Клиент {i:05d}"} for i in range(10_005)]
    web_platform.records("clients", user=SYSTEM).create_many(rows)
    client.login("admin")
    html = client.get("/clients/").text
    assert "1–50 из 10\u00a0000+" in html


def test_statements_per_page_do_not_grow_with_page_size(
    web_platform: Any, client: Any, crm: Any, monkeypatch: Any
) -> None:
    import sqlalchemy as sa

    import uchet.core

    monkeypatch.setattr(uchet.core, "VERSION_CHECK_INTERVAL", 1e9)  # no version polls
    more = [
        {
            "name": f"Клиент {i}",
            "category": crm["categories"]["VIP"],
            "manager": crm["users"]["anna"].id,
        }
        for i in range(60)
    ]
    web_platform.records("clients", user=SYSTEM).create_many(more)
    client.login("anna")
    vip = crm["categories"]["VIP"]
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper() != "BEGIN":  # SQLite's explicit transaction start
            statements.append(statement)

    def run(size: int) -> int:
        client.get(f"/clients/?size={size}")  # warm: the app and runtime exist already
        statements.clear()
        sa.event.listen(web_platform.engine, "before_cursor_execute", count)
        try:
            html = client.get(f"/clients/?size={size}&f.category={vip}&sort=category").text
        finally:
            sa.event.remove(web_platform.engine, "before_cursor_execute", count)
        assert len(row_names(html)) == size
        return len(statements)

    small, large = run(5), run(50)
    assert small == large, (small, large)
    # The user, the layout, the saved views, the page, the capped count, the chip's titles,
    # the print forms the Print menu offers, the bell's capped unread count.
    assert small <= 8, "\n".join(statements)
