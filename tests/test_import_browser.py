"""Import and export in a real browser (Playwright + Chromium), in Russian (issue 17):
a cp1251 CSV "from an old program" with Russian headers and bad rows is uploaded, one column
mapped by hand, dry-run (report on the page and as xlsx with the bad cells marked), fixed by
choosing "good rows", imported as a job whose progress bar is seen (and survives a reload),
and undone; then the filtered clients list is exported to xlsx and opened with openpyxl.

The job runs when the test says so (``platform.run_jobs()``), and its progress is what the
worker's reporter writes: no wall clock is waited for. Screenshots go to docs/img/ (the
guide shows them) on a desktop (1366x850) and a phone (390x844).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.import_support import csv_bytes
from tests.web_support import ARTIFACTS, LiveServer, browser_login, seed_users

from uchet import SYSTEM
from uchet.platform.features.importing.progress import reporter

DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
DESKTOP, PHONE = {"width": 1366, "height": 850}, {"width": 390, "height": 844}

#: What an old accounting program exports: cp1251, semicolons, its own column names.
OLD_FILE = [
    ["Наименование", "Тип контрагента", "Город", "Лояльность", "Телефон рабочий", "ИНН"],
    ["ООО Ромашка", "Организация", "Москва", "8", "8 (495) 123-45-67", "7701234567"],
    ["ИП Петров", "частное лицо", "Тверь", "высокая", "", ""],  # a bad loyalty
    ["ЗАО Вектор", "Организация", "Москва", "5", "+7 900 555-44-33", "77012"],  # a bad tax id
    ["ООО Лютик", "Организация", "Казань", "3", "", "7702234567"],
]


@pytest.fixture
def server(tmp_path: Path, sqlite_crm_template: Path) -> Iterator[LiveServer]:
    from tests.conftest import copy_sqlite

    from uchet import Platform

    copy_sqlite(sqlite_crm_template, tmp_path / "live.db")
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{tmp_path}/live.db")
    platform.migrate()
    platform.test_users = seed_users(platform)
    live = LiveServer(platform, import_poll_ms=50)
    yield live
    live.stop()
    platform.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.screenshot(path=str(DOCS_IMG / name), full_page=True)


def names(platform: Any) -> list[str]:
    rows = platform.records("clients", user=SYSTEM).query(sort=["name"], limit=100).rows
    return [r["name"] for r in rows]


def test_import_an_old_programs_file_then_undo_and_export(
    page: Any, server: LiveServer, tmp_path: Path
) -> None:
    platform = server.platform
    page.set_viewport_size(DESKTOP)
    browser_login(page, server, "admin")
    page.goto(server.url + "/clients/")
    page.click("#uchet-import-btn")
    page.wait_for_selector("#uchet-import-upload")
    page.set_input_files("#uchet-import-file", files=[{
        "name": "клиенты_из_1с.csv", "mimeType": "text/csv",
        "buffer": csv_bytes(OLD_FILE, "cp1251", ";")}])  # fmt: skip
    shot(page, "import-upload.png")
    page.click("#uchet-import-send")
    page.wait_for_selector("#uchet-import-form")
    assert page.inner_text("#uchet-import-encoding") == "cp1251"
    assert page.inner_text("#uchet-import-delimiter") == "точка с запятой"
    # «Тип контрагента» names no field: auto-mapping leaves it out; the user maps it.
    assert page.input_value("#uchet-import-field-0") == "name"
    assert page.input_value("#uchet-import-field-1") == ""
    page.select_option("#uchet-import-field-1", "kind")
    page.click("#uchet-import-preview-btn")
    page.wait_for_selector("#uchet-import-preview")
    preview = page.inner_text("#uchet-import-preview")
    assert "ООО Ромашка" in preview and "Организация" in preview
    assert "ИП Петров" not in preview  # a bad row is not shown as stored
    shot(page, "import-map.png")

    page.click("#uchet-import-dry-run")
    page.wait_for_selector("#uchet-import-problems")
    assert "Проверено строк: 4, с ошибками: 2; ничего не записано." in page.inner_text(
        "#uchet-import-report")  # fmt: skip
    problems = page.inner_text("#uchet-import-problems")
    assert "высокая" in problems and "77012" in problems
    shot(page, "import-dry-run.png")
    with page.expect_download() as info:
        page.click("#uchet-import-report-xlsx")
    report = tmp_path / "report.xlsx"
    info.value.save_as(str(report))
    from openpyxl import load_workbook

    sheet = load_workbook(report).worksheets[0]
    assert sheet["D3"].value == "высокая" and sheet["D3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["F4"].comment is not None and sheet["A2"].comment is None
    assert names(platform) == []

    # The fix: import the good rows, report the bad ones.
    page.set_viewport_size(PHONE)
    shot(page, "import-map-phone.png")
    page.set_viewport_size(DESKTOP)
    page.check("#uchet-import-good-rows")
    page.click("#uchet-import-go")
    page.wait_for_selector("#uchet-import-bar")
    assert "Ожидание обработчика заданий" in page.inner_text("#uchet-import-stage")
    job = int(re.search(r"/import/job/(\d+)/", page.url).group(1))
    # The worker reports progress as it goes; here the test reports what it would.
    seconds = iter(range(0, 100, 2))  # the worker's clock: two seconds per report
    progress = reporter(platform.runtime, job, clock=iter(range(100)).__next__,
                        wall=lambda: float(next(seconds)))  # fmt: skip
    progress("read", 2, 4)
    page.wait_for_selector("#uchet-import-bar[data-pct='25']")
    assert "Проверка строк" in page.inner_text("#uchet-import-stage")
    page.reload()  # the bar survives a reload: its address is the job's
    page.wait_for_selector("#uchet-import-bar[data-pct='25']")
    # 2 of 8 row steps (4 read, 4 written) in 2 s: 1 row/s, 6 s left.
    assert page.inner_text("#uchet-import-numbers") == "2 / 4 · 1 строк/с · осталось около 6 с"
    shot(page, "import-progress.png")
    assert platform.run_jobs() == 1
    page.wait_for_selector("#uchet-import-result")
    result = page.inner_text("#uchet-import-result")
    assert "создано 2, обновлено 0, пропущено строк: 2" in result
    assert names(platform) == ["ООО Лютик", "ООО Ромашка"]
    shot(page, "import-done.png")

    page.click("#uchet-import-undo")
    page.wait_for_selector(".alert-success")
    assert "Импорт отменён: возвращено записей: 2." in page.inner_text(".alert-success")
    assert names(platform) == []
    shot(page, "import-undone.png")

    # Export the filtered list to xlsx.
    anna = platform.test_users["anna"]
    platform.records("clients", user=SYSTEM).create_many(
        [{"kind": "company", "name": n, "city": c, "manager": anna.id}
         for n, c in [("Альфа", "Москва"), ("Бета", "Тверь"), ("Гамма", "Москва")]]
    )  # fmt: skip
    page.goto(server.url + "/clients/?f.city=Москва&sort=name&cols=name,city")
    page.wait_for_selector("#uchet-export-btn")
    page.click("#uchet-export-btn")
    with page.expect_download() as info:
        page.click("#uchet-export-xlsx")
    exported = tmp_path / "clients.xlsx"
    info.value.save_as(str(exported))
    rows = [list(r) for r in load_workbook(exported).active.iter_rows(values_only=True)]
    assert rows == [["Наименование", "Город"], ["Альфа", "Москва"], ["Гамма", "Москва"]]
