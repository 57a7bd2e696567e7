"""The import screens through the Flask test client, on SQLite and PostgreSQL (issue 17,
point 1 and the duplicate option of point 4): upload, detected encoding, mapping by hand,
saved mappings, dry-run report on the page and as xlsx with the bad cells marked, import as a
job with its progress, undo, and who may reach what.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from tests.import_support import csv_bytes
from tests.web_support import WebClient, csrf

from uchet import SYSTEM
from uchet.platform.features.importing import Importer, Options, read_sheet
from uchet.platform.features.importing.progress import read_progress, reporter

HEADERS = ["Наименование", "Вид клиента", "Город", "Лояльность", "Телефон рабочий"]
ROWS = [
    ["Альфа", "Организация", "Москва", "5", "8 (900) 111-22-33"],
    ["Бета", "частное лицо", "Тверь", "много", ""],  # a bad loyalty
    ["Гамма", "Организация", "Москва", "7", ""],
]


def login(web_app: Any, name: str) -> WebClient:
    c = WebClient(web_app)
    assert c.login(name).status_code == 302
    return c


def upload(c: WebClient, data: bytes, name: str = "old.csv") -> Any:
    page = c.get("/clients/import/")
    return c.post("/clients/import/", {"csrf_token": csrf(page.text),
                                       "file": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")  # fmt: skip


def map_form(html: str) -> dict[str, str]:
    """The mapping form's selected values, as the browser would send them."""
    form: dict[str, str] = {"csrf_token": csrf(html)}
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        first = re.search(r'<option value="([^"]*)"', body)
        form[name] = chosen.group(1) if chosen else (first.group(1) if first else "")
    return form


def client_names(platform: Any) -> list[str]:
    rows = platform.records("clients", user=SYSTEM).query(sort=["name"], limit=100).rows
    return [r["name"] for r in rows]


def test_import_button_only_for_roles_with_the_import_right(web_app: Any) -> None:
    assert 'id="uchet-import-btn"' in login(web_app, "anna").get("/clients/").text
    vera = login(web_app, "vera")
    assert 'id="uchet-import-btn"' not in vera.get("/clients/").text
    assert vera.get("/clients/import/").status_code == 403
    # Managers may not import contacts (no import right there), even though they create them.
    assert login(web_app, "anna").get("/contacts/import/").status_code == 403


def test_upload_map_by_hand_dry_run_import_and_undo(web_platform: Any, web_app: Any) -> None:
    anna = login(web_app, "admin")  # undo deletes what was created: managers may not
    r = upload(anna, csv_bytes([HEADERS, *ROWS], "cp1251", ";"))
    assert r.status_code == 302
    page = anna.get(r.headers["Location"])
    assert "cp1251" in page.text and "точка с запятой" in page.text
    # «Вид клиента» is no label of a field: not mapped automatically; mapped here by hand.
    form = map_form(page.text)
    assert form["field_0"] == "name" and form["field_1"] == ""
    form["field_1"] = "kind"
    form["action"] = "dry_run"
    dry = anna.post(r.headers["Location"], form)
    assert dry.status_code == 200
    assert "Проверено строк: 3, с ошибками: 1; ничего не записано." in dry.text
    assert re.search(r"<td>3</td><td>Лояльность</td><td>много</td>", dry.text)
    assert client_names(web_platform) == []
    # The report as xlsx: the bad cell is marked and carries the message.
    from openpyxl import load_workbook

    url = re.search(r'href="([^"]+report\.xlsx)"', dry.text).group(1)
    book = load_workbook(io.BytesIO(anna.get(url).data))
    sheet = book.worksheets[0]
    assert sheet["D3"].value == "много" and sheet["D3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["D3"].comment is not None and sheet["D2"].comment is None
    assert [c.value for c in book.worksheets[1][2]][:3] == [3, "Лояльность", "много"]
    # Good rows only: the import is queued as a job, nothing is written before it runs.
    form["action"], form["good_rows"] = "import", "1"
    queued = anna.post(r.headers["Location"], form)
    assert queued.status_code == 302 and "/clients/import/job/" in queued.headers["Location"]
    job_url = queued.headers["Location"]
    waiting = anna.get(job_url)
    assert 'id="uchet-import-bar"' in waiting.text and "Ожидание обработчика" in waiting.text
    assert anna.get(job_url + "state/").get_json()["status"] == "pending"
    # The upload is gone once queued.
    assert anna.get(r.headers["Location"]).status_code == 404
    assert web_platform.run_jobs() == 1
    done = anna.get(job_url)
    assert "создано 2, обновлено 0, пропущено строк: 1" in done.text
    assert client_names(web_platform) == ["Альфа", "Гамма"]
    undo = re.search(r'action="([^"]+/import/undo/\d+/)"', done.text).group(1)
    assert login(web_app, "boris").post(undo).status_code == 404  # not his import
    r = anna.post(undo, {"csrf_token": csrf(done.text)})
    assert r.status_code == 302
    assert client_names(web_platform) == []
    assert "Импорт отменён: возвращено записей: 2." in anna.get(r.headers["Location"]).text


def test_undo_names_records_edited_since(web_platform: Any, web_app: Any) -> None:
    anna = login(web_app, "admin")
    r = upload(anna, csv_bytes([["Наименование", "Вид"], ["Альфа", "Организация"]]))
    form = map_form(anna.get(r.headers["Location"]).text)
    form["action"] = "import"
    job_url = anna.post(r.headers["Location"], form).headers["Location"]
    web_platform.run_jobs()
    done = anna.get(job_url)
    service = web_platform.records("clients", user=SYSTEM)
    alpha = service.query(limit=1).rows[0]
    service.update(alpha["id"], {"city": "Казань"})
    undo = re.search(r'action="([^"]+/import/undo/\d+/)"', done.text).group(1)
    page = anna.get(anna.post(undo, {"csrf_token": csrf(done.text)}).headers["Location"])
    assert "Импорт не отменён" in page.text and "«Альфа»" in page.text
    assert client_names(web_platform) == ["Альфа"]


def test_saved_mapping_is_offered_and_applied(web_app: Any) -> None:
    anna = login(web_app, "anna")
    r = upload(anna, csv_bytes([HEADERS, *ROWS]))
    form = map_form(anna.get(r.headers["Location"]).text)
    form.update(field_1="kind", field_2="", action="save_mapping", mapping_name="Старая база")
    saved = anna.post(r.headers["Location"], form)
    assert "Сопоставление «Старая база» сохранено." in saved.text
    again = anna.get(r.headers["Location"] + "?mapping=Старая база")
    form = map_form(again.text)
    assert form["field_1"] == "kind" and form["field_2"] == ""
    assert map_form(anna.get(r.headers["Location"]).text)["field_2"] == "city"  # auto


def test_bad_files_and_other_users(web_app: Any) -> None:
    anna, boris = login(web_app, "anna"), login(web_app, "boris")
    r = upload(anna, b"\x00\x01", "photo.png")
    assert r.status_code == 200 and "загрузить можно только файлы xlsx" in r.text
    r = upload(anna, b"not a workbook", "book.xlsx")
    assert "Файл не читается как таблица." in r.text
    r = upload(anna, csv_bytes([HEADERS, *ROWS]))
    assert boris.get(r.headers["Location"]).status_code == 404  # anna's file
    form = map_form(anna.get(r.headers["Location"]).text)
    form["action"] = "import"
    job_url = anna.post(r.headers["Location"], form).headers["Location"]
    assert boris.get(job_url).status_code == 404
    assert boris.get(job_url + "state/").status_code == 404


def test_progress_is_readable_while_the_job_runs(web_platform: Any) -> None:
    """The progress a job writes outside its transaction, with rate and time left."""
    rt = web_platform.runtime
    ticks = iter(range(0, 1000, 10))
    progress = reporter(rt, 4242, clock=lambda: float(next(ticks)))
    progress("read", 500, 1000)
    found = read_progress(rt, 4242)
    assert found is not None
    assert (found["stage"], found["done"], found["total"]) == ("read", 500, 2000)
    later = read_progress(rt, 4242, now=found["started"] + 10)
    assert later is not None and later["rate"] == 50 and later["left"] == 30
    progress("write", 1000, 1000)
    assert read_progress(rt, 4242)["done"] == 2000  # type: ignore[index]


@pytest.mark.parametrize("warn", [True, False])
def test_duplicate_option_refuses_rows_the_card_would_warn_of(
    web_platform: Any, warn: bool
) -> None:
    anna = web_platform.test_users["anna"]
    service = web_platform.records("clients", user=anna)
    service.create(
        {"name": "ООО Ромашка", "kind": "company", "phone": "+7 900 111-22-33", "manager": anna.id}
    )
    data = csv_bytes([["Наименование", "Вид", "Телефон рабочий"],
                      ["ООО Лютик", "Организация", "8 (900) 111-22-33"],
                      ["ооо ромашка", "Организация", ""],
                      ["ООО Василёк", "Организация", "8 900 555 44 33"]])  # fmt: skip
    importer = Importer(web_platform.runtime, "clients", anna, "ru")
    report = importer.run(read_sheet(data, "x.csv", "ru"),
                          Options(all_or_nothing=False, duplicates=warn))  # fmt: skip
    if warn:
        assert [(p.row, p.column) for p in report.problems] == [(2, "Телефон рабочий"),
                                                               (3, "Наименование")]  # fmt: skip
        assert "Возможен дубликат" in report.problems[0].message
        assert report.created == 1
    else:
        assert report.problems == [] and report.created == 3


def test_a_manager_imports_own_clients_but_may_not_delete_them_by_undo(
    web_platform: Any, web_app: Any
) -> None:
    """A manager's imported clients are theirs (their row rule), and since managers may not
    delete clients, undoing the import is refused with the reason (nothing is taken back)."""
    anna = login(web_app, "anna")
    r = upload(anna, csv_bytes([["Наименование", "Вид"], ["Альфа", "Организация"]]))
    form = map_form(anna.get(r.headers["Location"]).text)
    form["action"] = "import"
    job_url = anna.post(r.headers["Location"], form).headers["Location"]
    web_platform.run_jobs()
    done = anna.get(job_url)
    assert "создано 1" in done.text
    alpha = web_platform.records("clients", user=SYSTEM).query(limit=1).rows[0]
    assert alpha["manager"] == web_platform.test_users["anna"].id
    undo = re.search(r'action="([^"]+/import/undo/\d+/)"', done.text).group(1)
    page = anna.get(anna.post(undo, {"csrf_token": csrf(done.text)}).headers["Location"])
    assert "Импорт не отменён" in page.text
    assert client_names(web_platform) == ["Альфа"]
