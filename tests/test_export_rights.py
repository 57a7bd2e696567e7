"""The ``export`` right on every export path, and grouped lists exported as sections
(issue 17, point 7), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from tests.test_export_formats import rows_of
from tests.web_support import WebClient

from uchet import SYSTEM
from uchet.web.export import EXPORTERS

CITIES = {"Москва": 3, "Тверь": 2}


@pytest.fixture
def clients(web_platform: Any) -> None:
    anna = web_platform.test_users["anna"]
    web_platform.records("clients", user=SYSTEM).create_many(
        [{"kind": "company", "name": f"{city} {i}", "city": city, "manager": anna.id}
         for city, n in CITIES.items() for i in range(n)]
    )  # fmt: skip


def login(web_app: Any, name: str) -> WebClient:
    c = WebClient(web_app)
    assert c.login(name).status_code == 302
    return c


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_every_format_needs_the_export_right(web_app: Any, clients: None, fmt: str) -> None:
    anna, vera = login(web_app, "anna"), login(web_app, "vera")
    assert anna.get(f"/clients/export/{fmt}/").status_code == 200
    # Vera may read contracts (her role's default) but not export them; clients she may.
    assert vera.get(f"/clients/export/{fmt}/").status_code == 200
    refused = vera.get(f"/contracts/export/{fmt}/")
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "У вас нет права выгружать этот список."


def test_the_list_offers_export_only_with_the_right(web_app: Any) -> None:
    vera = login(web_app, "vera")
    assert 'id="uchet-export-btn"' in vera.get("/clients/").text
    page = vera.get("/contracts/")
    assert page.status_code == 200 and 'id="uchet-export-btn"' not in page.text


def test_a_role_without_the_right_in_its_default(web_platform: Any) -> None:
    access = web_platform.runtime.permissions.access
    users = web_platform.test_users
    assert access(users["anna"], "contacts").can("export")  # the manager's default grants it
    assert not access(users["vera"], "contacts").can("export")
    assert access(users["admin"], "contacts").can("export")  # superuser


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "html", "docx"])
def test_a_grouped_list_exports_a_header_row_per_group(
    web_app: Any, clients: None, fmt: str
) -> None:
    admin = login(web_app, "admin")
    r = admin.get(f"/clients/export/{fmt}/?group=city&sort=name&cols=name,city")
    assert r.status_code == 200
    if fmt == "html":  # group rows are <tr class="group-0"><th colspan=…>
        html = r.data.decode()
        titles = re.findall(r'<tr class="group-0"><th colspan="2">(.*?)</th></tr>', html)
        assert titles == ["Город: Москва", "Город: Тверь"]
        assert html.index("Город: Тверь") > html.index("Москва 2")
        return
    # (python-docx lists a cell spanning the table once per grid column: dict.fromkeys.)
    rows = [[c for c in dict.fromkeys(row) if c not in ("", "None")]
            for row in rows_of(fmt, r.data)]  # fmt: skip
    assert rows == [
        ["Наименование", "Город"],
        ["Город: Москва"], ["Москва 0", "Москва"], ["Москва 1", "Москва"], ["Москва 2", "Москва"],
        ["Город: Тверь"], ["Тверь 0", "Тверь"], ["Тверь 1", "Тверь"],
    ]  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_data_formats_keep_one_record_per_row_when_grouped(
    web_app: Any, clients: None, fmt: str
) -> None:
    r = login(web_app, "admin").get(f"/clients/export/{fmt}/?group=city&sort=name&cols=name")
    if fmt == "csv":
        import csv

        rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    else:
        rows = rows_of(fmt, r.data)
    assert len(rows) == 1 + sum(CITIES.values())
    assert not any("Город:" in " ".join(map(str, row)) for row in rows)


@pytest.fixture
def job_app(web_platform: Any) -> Any:
    """The app with a low job threshold: lists above 3 rows export as jobs."""
    from uchet.web import create_app

    return create_app(web_platform, secret_key="test-secret-" + "x" * 20, export_job_rows=3)


def test_a_large_export_runs_as_a_job_with_a_download_link(
    web_platform: Any, job_app: Any, clients: None
) -> None:
    from openpyxl import load_workbook

    admin = login(job_app, "admin")
    # Two rows stay a streamed download; five are queued.
    small = admin.get("/clients/export/csv/?f.city=Тверь")
    assert small.status_code == 200 and small.mimetype.startswith("text/csv")
    # Read the stream to its end: an unread streamed response keeps its request context.
    assert len(small.data.decode("utf-8-sig").splitlines()) == 3
    r = admin.get("/clients/export/xlsx/?group=city&sort=name&cols=name")
    assert r.status_code == 302 and "/clients/export/job/" in r.headers["Location"]
    page = admin.get(r.headers["Location"])
    assert "файл готовится в фоне" in page.text and 'http-equiv="refresh"' in page.text
    assert web_platform.run_jobs() == 1
    page = admin.get(r.headers["Location"])
    assert "Файл готов (строк: 5)." in page.text
    link = re.search(r'id="uchet-export-download" href="([^"]+)"', page.text).group(1)
    book = load_workbook(io.BytesIO(admin.get(link).data))
    rows = [[c for c in row if c is not None] for row in book.active.iter_rows(values_only=True)]
    assert rows == [["Наименование"], ["Город: Москва"], ["Москва 0"], ["Москва 1"],
                    ["Москва 2"], ["Город: Тверь"], ["Тверь 0"], ["Тверь 1"]]  # fmt: skip
    # Another user learns nothing of it, whatever their rights.
    anna = login(job_app, "anna")
    assert anna.get(r.headers["Location"]).status_code == 404
    assert anna.get(link).status_code == 404


def test_an_export_job_holds_only_what_its_user_may_read(
    web_platform: Any, job_app: Any, clients: None
) -> None:
    """The job reads as the user who asked: vera's file has no tax ids; and with the
    right taken away the job's routes answer 403."""
    vera = login(job_app, "vera")
    r = vera.get("/clients/export/csv/?cols=name,tax_id")
    assert r.status_code == 302
    web_platform.run_jobs()
    page = vera.get(r.headers["Location"])
    link = re.search(r'id="uchet-export-download" href="([^"]+)"', page.text).group(1)
    text = vera.get(link).data.decode("utf-8-sig")
    assert text.splitlines()[0] == "Наименование" and len(text.splitlines()) == 6
    assert vera.get("/contracts/export/job/1/").status_code == 403
    assert vera.get("/contracts/export/file/1/").status_code == 403
