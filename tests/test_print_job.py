"""Mass print to ONE PDF (or one merged .docx) as a background job (issue 21, point 8), on
SQLite and PostgreSQL: the list's mass print and the bulk bar queue it, the job prints as
the user who asked (form roles, row rules: records skipped with why), its page shows N of M,
it can be cancelled, its file is the owner's, and old job files are purged."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from typing import Any

import pytest
import sqlalchemy as sa
from tests.test_web_print import docx, text_of
from tests.web_support import WebClient

from uchet import SYSTEM
from uchet.printeditor import PrintForms, printjob
from uchet.printeditor.output import soffice

needs_soffice = pytest.mark.skipif(
    soffice() is None and not os.environ.get("CI"), reason="LibreOffice is not installed"
)


@pytest.fixture
def crm(web_platform: Any, web_app: Any) -> dict[str, Any]:
    """Three clients of anna in Тверь, one of boris; a form only managers may use."""
    users = web_platform.test_users
    svc = web_platform.records("clients", user=SYSTEM)
    made = {name: svc.create({"name": name, "city": "Тверь", "manager": users[who].id})
            for name, who in (("Альфа", "anna"), ("Бета", "anna"), ("Гамма", "anna"),
                              ("Борин", "boris"))}  # fmt: skip
    PrintForms(web_platform, users["admin"], isolate=False).create(
        "managers_note", "Записка менеджера", "clients",
        template=docx("Записка: {{ name }}"), roles=["manager"],
    )  # fmt: skip
    return made


def login(web_app: Any, name: str) -> WebClient:
    c = WebClient(web_app)
    assert c.login(name).status_code == 302
    return c


def job_id(response: Any) -> int:
    assert response.status_code == 302, response.text[:300]
    found = re.search(r"/print-out/job/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


@needs_soffice
def test_the_list_prints_to_one_pdf_in_the_background(web_app: Any, web_platform: Any,
                                                      crm: Any) -> None:  # fmt: skip
    from pypdf import PdfReader

    anna = login(web_app, "anna")
    job = job_id(anna.get("/print-out/pf_client_card/many?mode=pdf&f.city=Тверь&sort=name"
                          "&background=1"))  # fmt: skip
    page = anna.get(f"/print-out/job/{job}").text
    assert "Документы печатаются в фоне: 0 из 3." in page and 'http-equiv="refresh"' in page
    assert web_platform.run_jobs() == 1
    page = anna.get(f"/print-out/job/{job}").text
    assert "Файл готов: документов — 3. Пропущено: 0." in page
    assert 'href="/clients/" id="uchet-print-job-back"' in page
    assert 'http-equiv="refresh"' not in page
    href = re.search(r'id="uchet-print-job-download" href="([^"]+)"', page)
    assert href
    r = anna.get(href.group(1))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(r.data))
    # One page per client card, in the list's order; Boris's client is not in her list.
    texts = [p.extract_text() for p in reader.pages]
    assert len(texts) == 3
    assert [next(n for n in ("Альфа", "Бета", "Гамма") if n in t) for t in texts] == [
        "Альфа", "Бета", "Гамма"]  # fmt: skip
    assert not any("Борин" in t for t in texts)
    # The file and the job are hers: Boris gets 404 for both.
    boris = login(web_app, "boris")
    assert boris.get(f"/print-out/job/{job}").status_code == 404
    assert boris.get(href.group(1)).status_code == 404


@needs_soffice
def test_a_small_pdf_print_stays_in_the_request(web_app: Any, crm: Any) -> None:
    anna = login(web_app, "anna")
    assert "mode=pdf" in anna.get("/clients/").text and "Один файл (PDF)" in anna.get(
        "/clients/").text  # fmt: skip
    r = anna.get("/print-out/pf_client_card/many?mode=pdf&q=Альфа")
    assert r.status_code == 200 and r.mimetype == "application/pdf"


def test_skipped_records_are_listed_with_why(web_app: Any, web_platform: Any, crm: Any) -> None:
    anna = web_platform.test_users["anna"]
    ids = [crm["Альфа"]["id"], crm["Борин"]["id"], 999_999, crm["Гамма"]["id"]]
    job = printjob.enqueue_print(web_platform.runtime, "pf_client_card", anna, ids, "docx", "ru")
    assert web_platform.run_jobs() == 1
    state = printjob.print_job(web_platform.runtime, job, anna)
    assert state is not None and state["status"] == "done"
    assert state["done"] == 4 and state["documents"] == 2 and state["skipped_count"] == 2
    assert [(s["id"], s["reason"]) for s in state["skipped"]] == [
        (crm["Борин"]["id"], "not_found"), (999_999, "not_found")]  # fmt: skip
    found = printjob.print_file(web_platform.runtime, state["file_id"], anna)
    text = text_of(bytes(found.data))
    assert "Альфа" in text and "Гамма" in text and "Борин" not in text
    page = login(web_app, "anna").get(f"/print-out/job/{job}").text
    assert "Пропущено: 2." in page and "не найдена или недоступна" in page


def test_the_form_right_is_checked_when_the_job_runs(web_app: Any, web_platform: Any,
                                                     crm: Any) -> None:  # fmt: skip
    vera = web_platform.test_users["vera"]  # a viewer: the managers' form is not hers
    job = printjob.enqueue_print(web_platform.runtime, "pf.managers_note", vera,
                                 [crm["Альфа"]["id"]], "pdf", "ru")  # fmt: skip
    web_platform.run_jobs()
    state = printjob.print_job(web_platform.runtime, job, vera)
    assert state is not None and state["error"] == "no_form" and "file_id" not in state
    page = login(web_app, "vera").get(f"/print-out/job/{job}").text
    assert "Вам недоступна эта печатная форма." in page
    # Through the web she is refused before anything is queued.
    r = login(web_app, "vera").get("/print-out/pf.managers_note/many?mode=pdf&background=1")
    assert r.status_code == 403


def test_cancel_before_and_during_the_job(web_app: Any, web_platform: Any, crm: Any,
                                          monkeypatch: Any) -> None:  # fmt: skip
    rt, anna = web_platform.runtime, web_platform.test_users["anna"]
    client = login(web_app, "anna")
    ids = [crm[n]["id"] for n in ("Альфа", "Бета", "Гамма")]
    # Before: the pending job never starts.
    job = job_id(client.get("/print-out/pf_client_card/many?mode=merge&f.city=Тверь"
                            "&background=1"))  # fmt: skip
    assert client.post(f"/print-out/job/{job}/cancel", {}, token=False).status_code == 400
    assert client.post(f"/print-out/job/{job}/cancel", {}).status_code == 302
    assert web_platform.run_jobs() == 0
    state = printjob.print_job(rt, job, anna)
    assert state is not None and state["cancelled"] and state["status"] == "done"
    assert "Печать отменена: сделано документов — 0 из 3." in client.get(
        f"/print-out/job/{job}").text  # fmt: skip
    # During: the job stops before its next document.
    job = printjob.enqueue_print(rt, "pf_client_card", anna, ids, "docx", "ru")
    original = PrintForms.context

    def context(self: PrintForms, form: Any, record_id: Any) -> Any:
        printjob.cancel_print(rt, job, anna)  # the user clicks «Отмена» meanwhile
        return original(self, form, record_id)

    monkeypatch.setattr(PrintForms, "context", context)
    web_platform.run_jobs()
    state = printjob.print_job(rt, job, anna)
    assert state is not None and state["cancelled"] and state["done"] == 1
    assert "file_id" not in state
    # Someone else's job cannot be cancelled.
    boris = login(web_app, "boris")
    assert boris.post(f"/print-out/job/{job}/cancel", {}).status_code == 404


def test_old_job_files_are_purged(web_app: Any, web_platform: Any, crm: Any) -> None:
    rt, anna = web_platform.runtime, web_platform.test_users["anna"]
    files = rt.model.system["uchet_files"]
    old = dt.datetime.now().replace(microsecond=0) - dt.timedelta(days=30)
    with web_platform.engine.begin() as conn:
        for table in ("uchet_exports", "uchet_prints"):
            conn.execute(files.insert().values(
                table_id=table, field_id="old", name="old.bin", content_type="x", size=1,
                data=b"x", created_at=old, created_by=anna.id))  # fmt: skip
    job = printjob.enqueue_print(rt, "pf_client_card", anna, [crm["Альфа"]["id"]], "docx", "ru")
    web_platform.run_jobs()
    with web_platform.engine.connect() as conn:
        names = list(conn.execute(sa.select(files.c.name).where(
            files.c.table_id.in_(printjob.JOB_FILE_TABLES))).scalars())  # fmt: skip
    state = printjob.print_job(rt, job, anna)
    assert state is not None and names == [state["name"]]


def test_the_bulk_bar_offers_one_pdf(web_app: Any, crm: Any) -> None:
    anna = login(web_app, "anna")
    a, b = crm["Альфа"], crm["Бета"]
    page = anna.post("/clients/bulk/", {"action": "print:pf_client_card", "state": "",
                                        "ids": f"{a['id']}:1,{b['id']}:1"})  # fmt: skip
    assert page.status_code == 200, page.text[:500]
    pdf = re.search(r'id="uchet-bulk-pdf"|href="([^"]+)" id="uchet-bulk-pdf"', page.text)
    assert pdf and "Печать в один PDF" in page.text
    url = re.search(r'href="([^"]+)" id="uchet-bulk-pdf"', page.text)
    assert url and "mode=pdf" in url.group(1).replace("&amp;", "&")
