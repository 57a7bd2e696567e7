"""Every list export format follows the list as the user sees it (issue 17, point 7: S32,
S39): filters, sort, visible columns and the user's row rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from typing import Any
from xml.etree import ElementTree

import pytest
from tests.web_support import WebClient

from uchet import SYSTEM

QUERY = "?f.loyalty.ge=5&sort=loyalty&cols=name,loyalty"


@pytest.fixture
def clients(web_platform: Any) -> None:
    users = web_platform.test_users
    web_platform.records("clients", user=SYSTEM).create_many(
        [
            {
                "kind": "company",
                "name": f"Клиент {i}",
                "loyalty": i,
                "manager": users["anna" if i % 2 else "boris"].id,
            }
            for i in range(10)
        ]
    )


def rows_of(fmt: str, data: bytes) -> list[list[Any]]:
    """The table in an export, header first, as text."""
    if fmt == "json":
        objects = json.loads(data)
        return [list(objects[0])] + [[str(v) for v in o.values()] for o in objects]
    if fmt == "xml":
        root = ElementTree.fromstring(data)
        rows = [[c.text or "" for c in row] for row in root]
        return [[c.get("name") for c in root[0]], *rows]
    if fmt == "html":
        import re

        return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr)
                for tr in re.findall(r"<tr>(.*?)</tr>", data.decode())]  # fmt: skip
    if fmt == "docx":
        import docx

        table = docx.Document(io.BytesIO(data)).tables[0]
        return [[c.text for c in row.cells] for row in table.rows]
    from python_calamine import CalamineWorkbook  # ods, xlsx

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    return [[str(int(c)) if isinstance(c, float) else str(c) for c in row]
            for row in sheet.to_python()]  # fmt: skip


@pytest.mark.parametrize("fmt", ["ods", "docx", "json", "xml", "html", "xlsx"])
def test_the_filtered_list_in_each_format(web_app: Any, clients: Any, fmt: str) -> None:
    admin = WebClient(web_app)
    assert admin.login("admin").status_code == 302
    r = admin.get(f"/clients/export/{fmt}/{QUERY}")
    assert r.status_code == 200, r.text
    assert f".{fmt}" in r.headers["Content-Disposition"]
    rows = rows_of(fmt, r.data)
    assert rows[0] == ["Наименование", "Лояльность (0–10)"]
    assert [row[1] for row in rows[1:]] == ["5", "6", "7", "8", "9"]
    anna = WebClient(web_app)
    assert anna.login("anna").status_code == 302
    rows = rows_of(fmt, anna.get(f"/clients/export/{fmt}/{QUERY}").data)
    assert [row[1] for row in rows[1:]] == ["5", "7", "9"]  # her row rules
