"""The list page's precompiled cell formatters give the HTML the per-cell path gave (issue 12).

``web/listcells.py`` renders list rows from per-column formatters built once per version.
These tests compare every field of every CRM table, on demo rows plus rows with edge values
(empty, hostile text, booleans, files), against ``display_html`` — the function the list
used cell by cell — and check that the page itself uses the formatters and caches them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from markupsafe import escape

from uchet import SYSTEM, Platform
from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Field
from uchet.sample_crm.demo import Demo
from uchet.web import create_app
from uchet.web.display import display_html
from uchet.web.listcells import MARKER_ID, FormatterCache, RowRenderer, UrlTemplate


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Platform, Flask]:
    path = tmp_path_factory.mktemp("cells") / "crm.db"
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{path}")
    platform.migrate()
    Demo(platform, 8, 3, lambda _text: None).run()
    platform.users.create("boss", "secret-pass-1", name="Босс", roles=["main"])
    return platform, create_app(platform, secret_key="k" * 32, idle_minutes=0)


def _file_url(record_id: Any, field: str) -> str:
    return f"/t/file/{record_id}/{field}?x=<&>"


def _edge_rows(fields: list[Field]) -> list[dict[str, Any]]:
    """Rows with values the demo may lack: empty, markup, booleans, a broken title."""
    hostile = '<script>alert("x")</script> & «ё»'
    rows: list[dict[str, Any]] = [{"id": 1}, {"id": 2}, {"id": 3}]
    for f in fields:
        rows[0][f.name] = None
        rows[1][f.name] = hostile
        rows[2][f.name] = True if f.type == "boolean" else "https://example.test/?a=1&b=<2>"
    rows[1]["missing_title__title"] = None
    return rows


def test_every_crm_column_renders_as_display_html(crm: tuple[Platform, Flask]) -> None:
    platform, _app = crm
    types: FieldTypeRegistry = platform.runtime.types
    cache = FormatterCache()
    checked = 0
    for locale in ("ru", "en"):
        for ct in platform.runtime.model:
            table = ct.table
            rows = platform.records(table.id, user=SYSTEM).query(limit=20, count=False).rows
            for f in table.fields:
                fmt = cache.get(table.id, f, types, locale, ("Да", "Нет"), _file_url)
                for row in [*rows]:
                    expected = display_html(f, row, types, locale, _file_url, ("Да", "Нет"))
                    assert fmt(row) == str(expected), (table.id, f.name, row.get(f.name))
                    checked += 1
                if f.type in ("string", "text", "email", "url", "phone", "boolean"):
                    for row in _edge_rows([f]):
                        expected = display_html(f, row, types, locale, _file_url, ("Да", "Нет"))
                        assert fmt(row) == str(expected), (table.id, f.name, row)
                        checked += 1
    assert checked > 2000  # every table, field and demo row, twice


def test_formatters_are_built_once_per_column_and_locale(crm: tuple[Platform, Flask]) -> None:
    platform, _app = crm
    types = platform.runtime.types
    field = platform.config.table("clients").field_by_name("name")
    cache = FormatterCache()
    first = cache.get("clients", field, types, "ru", ("Да", "Нет"), _file_url)
    assert cache.get("clients", field, types, "ru", ("Да", "Нет"), _file_url) is first
    assert cache.get("clients", field, types, "en", ("Yes", "No"), _file_url) is not first
    assert cache.get("clients", field, types, "ru", ("Да", "Нет"), _file_url, "/crm") is not first


def test_url_template_puts_the_id_where_url_for_would() -> None:
    template = UrlTemplate(lambda i: f"/crm/clients/edit/?id={i}")
    assert template.build(42) == "/crm/clients/edit/?id=42"
    # The marker twice (a prefix holding the same digits): every call builds the URL itself.
    calls: list[Any] = []

    def build(i: Any) -> str:
        calls.append(i)
        return f"/{MARKER_ID}/x/{i}"

    fallback = UrlTemplate(build)
    assert fallback.build(7) == f"/{MARKER_ID}/x/7"
    assert calls == [MARKER_ID, 7]


def test_row_renderer_links_the_first_column_and_marks_sized_columns(
    crm: tuple[Platform, Flask],
) -> None:
    platform, _app = crm
    table = platform.config.table("clients")
    name, city = table.field_by_name("name"), table.field_by_name("city")
    types = platform.runtime.types
    cache = FormatterCache()
    fmts = [cache.get("clients", f, types, "ru", ("Да", "Нет"), _file_url) for f in (name, city)]
    renderer = RowRenderer([name, city], fmts, [False, True],
                           UrlTemplate(lambda i: f"/clients/edit/?id={i}"))  # fmt: skip
    html = renderer.row({"id": 5, "name": None, "city": "<b>Тверь</b>"})
    assert html == (
        '<tr class="uchet-row" data-id="5"><td data-field="name">'
        '<a href="/clients/edit/?id=5">—</a></td><td data-field="city" class="uchet-sized">'
        f"{escape('<b>Тверь</b>')}</td></tr>"
    )


def test_the_list_page_shows_every_row_through_the_formatters(crm: tuple[Platform, Flask]) -> None:
    platform, app = crm
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    r = client.post("/login", data={"login": "boss", "password": "secret-pass-1",
                                    "csrf_token": token[1]})  # fmt: skip
    assert r.status_code == 302
    html = client.get("/clients/?page_size=50").text
    rows = platform.records("clients", user=SYSTEM).query(limit=50, count=False).rows
    # The row's selection box of the bulk bar (issue 21) comes first in the first cell.
    ids = re.findall(r'<tr class="uchet-row" data-id="(\d+)"><td data-field="name">'
                     r'(?:<input type="checkbox" class="uchet-pick"[^>]*> )?'
                     r'<a href="/clients/edit/\?id=(\d+)">', html)  # fmt: skip
    assert sorted(int(a) for a, b in ids if a == b) == sorted(r["id"] for r in rows)
    # The formatters were kept on the table's view and are reused by the next page.
    inner = app.extensions["uchet"].hotswap.current()  # this version's app (web/hotswap.py)
    view = next(v for v in inner.extensions["admin"][0]._views
                if getattr(v, "table", None) is not None and v.table.id == "clients")  # fmt: skip
    built = dict(view.cells._items)
    assert built, "the page did not use the cached formatters"
    client.get("/clients/?page_size=50")
    assert all(view.cells._items[k] is v for k, v in built.items())
