"""Mass print to one PDF as a background job in a real Chromium, in Russian, at 1366×850 and
390×844 (issue 21, point 8): a manager ticks three invoices on the list, picks «Печать: Счёт
на оплату» in the bulk bar, chooses «Печать в один PDF», watches «N из M» on the job page
while a worker prints, and downloads one PDF with a page per invoice.

Screenshots go to artifacts/screenshots (good ones copied to docs/img/).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from tests.test_web_print_invoice_browser import seed_invoice
from tests.web_support import ARTIFACTS, browser_login, skip_or_fail

from uchet import SYSTEM
from uchet.printeditor.output import soffice

SIZES = {"desktop": (1366, 850), "phone": (390, 844)}


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(ARTIFACTS) / f"{name}.png"), full_page=False)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_select_invoices_print_to_one_pdf_and_download(
    browser: Any, live_server: Any, size: str, monkeypatch: Any
) -> None:
    from pypdf import PdfReader

    from uchet.printeditor.views import printout

    if soffice() is None:
        skip_or_fail("LibreOffice (soffice) is not installed")
    # Three invoices would print in the request; the job is what is shown here.
    monkeypatch.setattr(printout, "SYNC_PRINT", 1)
    platform = live_server.platform
    first = seed_invoice(platform, platform.test_users["anna"])
    invoices = platform.records("invoices", user=SYSTEM)
    for day in (17, 18):
        invoices.create({"client": first["client"], "date": dt.date(2026, 3, day),
                         "due_date": dt.date(2026, 3, 28)})  # fmt: skip
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ru-RU",
                                  has_touch=size == "phone", is_mobile=size == "phone",
                                  accept_downloads=True)  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        browser_login(page, live_server, "anna")
        page.goto(f"{live_server.url}/invoices/?sort=date")
        boxes = page.locator("input.uchet-pick")
        assert boxes.count() == 3
        for i in range(3):
            boxes.nth(i).check()
        assert page.inner_text("#uchet-bulk-count") == "Выбрано: 3"
        value = page.eval_on_selector(
            "#uchet-bulk-action",
            "s => [...s.options].find(o => o.text.startsWith('Печать: Счёт')).value",
        )
        page.select_option("#uchet-bulk-action", value)
        page.click("#uchet-bulk-go")
        page.wait_for_selector("#uchet-bulk-pdf")
        assert "Выбрано записей: 3." in page.inner_text("#uchet-bulk-total")
        shot(page, f"print_job_confirm_{size}")
        page.click("#uchet-bulk-pdf")
        page.wait_for_selector("#uchet-print-job-waiting")
        assert "Документы печатаются в фоне: 0 из 3." in page.inner_text("#uchet-print-job")
        assert page.is_visible("#uchet-print-job-cancel")
        shot(page, f"print_job_progress_{size}")
        assert platform.run_jobs() == 1  # the worker (`uchet worker`) would do this
        page.wait_for_selector("#uchet-print-job-download")  # the page reloads itself
        assert "Файл готов: документов — 3. Пропущено: 0." in page.inner_text("#uchet-print-job")
        shot(page, f"print_job_ready_{size}")
        with page.expect_download() as info:
            page.click("#uchet-print-job-download")
        download = info.value
        assert download.suggested_filename.endswith(".pdf")
        data = Path(download.path()).read_bytes()
        texts = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
        assert len(texts) == 3 and first["number"] in texts[0]
    finally:
        context.close()
