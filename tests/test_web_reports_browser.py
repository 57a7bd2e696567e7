"""Report pages in a real browser (Playwright + Debian's Chromium) over demo data: every report
draws its chart with the vendored Chart.js, at desktop width and at 375 px; the xlsx download
works. Screenshots of each report land in artifacts/screenshots/reports/ (docs/img/ holds
copies for docs/crm.md).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from tests.web_support import ARTIFACTS, browser_login

from uchet import SYSTEM
from uchet.platform.features.periods import period_label

SHOTS = ARTIFACTS / "reports"
#: Share of the canvas's pixels a drawn chart covers at least (an empty one has axes only).
MIN_INK = 0.03

INK = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { inked++; } }
  return inked / (canvas.width * canvas.height);
}"""
POINTS = """canvas => Chart.getChart(canvas).data.datasets
  .map(d => d.data.filter(v => v !== null).length).reduce((a, b) => a + b, 0)"""


def load_demo(server: Any) -> None:
    """Demo data (managers, clients, months of work and invoices) on the live server."""
    from uchet.sample_crm.demo import Demo

    Demo(server.platform, 300, 1, lambda _text: None).run()


def busiest_day(server: Any) -> str:
    """The due date (ISO) with the most tasks of the demo data."""
    from collections import Counter

    from uchet import SYSTEM

    rows = server.platform.records("work", user=SYSTEM).query(limit=1000, columns=["due_at"]).rows
    days = Counter(r["due_at"].date().isoformat() for r in rows if r["due_at"])
    return days.most_common(1)[0][0]


def open_reports(page: Any) -> list[str]:
    page.click("a.dropdown-toggle:has-text('Отчёты')")
    page.click(".dropdown-menu a:has-text('Все отчёты')")
    page.wait_for_selector("#uchet-reports")
    return page.eval_on_selector_all(
        "#uchet-reports a", "links => links.map(a => a.dataset.report)"
    )


def check_drawn(page: Any, report: str) -> None:
    """The report's chart is drawn and not empty; a Gantt chart has a bar per table row."""
    if page.locator("#uchet-report-data").count() == 0:
        assert page.locator("#uchet-report-table tbody tr").count() >= 1, report
        return
    canvas = page.wait_for_selector("#uchet-report-canvas[data-drawn='1']")
    assert canvas.evaluate(POINTS) > 0, f"{report}: the chart has no data"
    ink = canvas.evaluate(INK)
    assert ink > MIN_INK, f"{report}: the chart looks empty ({ink:.3f} of the canvas drawn)"
    box = canvas.bounding_box()
    assert box["width"] > 200 and box["height"] > 150, (report, box)
    if "uchet-chart-gantt" in page.inner_html(".uchet-report-chart"):
        rows = page.locator("#uchet-report-table tbody tr").count()
        bars = canvas.evaluate("c => Chart.getChart(c).data.labels.length")
        assert bars == rows, (bars, rows)


def test_every_report_draws_its_chart(page: Any, live_server: Any) -> None:
    load_demo(live_server)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} {m.location.get('url')}") if m.type == "error" else None,
    )
    browser_login(page, live_server, "admin")
    reports = open_reports(page)
    assert len(reports) == len(live_server.platform.config.reports) == 7
    SHOTS.mkdir(parents=True, exist_ok=True)
    for report in reports:
        page.goto(f"{live_server.url}/reports/")
        page.click(f"#uchet-reports a[data-report={report}]")
        page.wait_for_selector("#uchet-report-table")
        if report == "report_work_plan":  # today may be a day off: pick the busiest day
            page.fill("#param-date", busiest_day(live_server))
            page.click("#uchet-report-run")
            page.wait_for_url(re.compile(r".*date=.*"))
        assert page.locator("#uchet-report-empty").count() == 0, f"{report} has no rows"
        check_drawn(page, report)
        page.screenshot(path=str(SHOTS / f"{report.removeprefix('report_')}.png"), full_page=True)
    assert [e for e in errors if "favicon" not in e] == []


def test_parameters_form_and_download_in_the_browser(page: Any, live_server: Any) -> None:
    from openpyxl import load_workbook

    load_demo(live_server)
    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/reports/report_sales_by_month/")
    months = page.locator("#uchet-report-table tbody tr").count()
    assert months >= 6
    # Months read "март 2025"; the second one's first day is the new "from" date.
    rows = live_server.platform.report("report_sales_by_month", SYSTEM).rows
    first = rows[1]["date__month"]
    label = page.inner_text("#uchet-report-table tbody tr:nth-child(2) td:first-child")
    assert label == period_label("month", first, "ru") and re.fullmatch(r"[а-я]+ \d{4}", label)
    page.fill("#param-date_from", f"{first}-01")  # from the second month on
    page.click("#uchet-report-run")
    page.wait_for_url(re.compile(rf".*date_from={first}-01.*"))
    page.wait_for_selector("#uchet-report-canvas[data-drawn='1']")
    assert page.locator("#uchet-report-table tbody tr").count() == months - 1
    with page.expect_download() as download:
        page.click("#uchet-report-xlsx")
    with open(download.value.path(), "rb") as saved:  # a temporary name without ".xlsx"
        sheet = load_workbook(io.BytesIO(saved.read())).active
    assert download.value.suggested_filename.startswith("sales_by_month-")
    assert sheet.cell(1, 1).value == "Месяц"
    assert sheet.cell(2, 1).value == dt.datetime.strptime(first, "%Y-%m")  # a date cell
    assert sheet.cell(2, 1).number_format == "[$-419]MMMM YYYY"
    assert sheet.max_row == months  # a header and the months shown


def test_reports_at_375_pixels(browser: Any, live_server: Any) -> None:
    """A manager on a phone: the charts fit the screen, the page does not scroll sideways."""
    load_demo(live_server)
    context = browser.new_context(viewport={"width": 375, "height": 700}, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(10_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        browser_login(page, live_server, "manager1", "demo-pass-1")
        for report in ("report_receivables", "report_work_gantt", "report_clients_by_category"):
            page.goto(f"{live_server.url}/reports/{report}/")
            check_drawn(page, report)
            assert page.locator("#uchet-report-canvas").count() == 1, report
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{report}: the page is {width}px wide"
            box = page.locator("#uchet-report-canvas").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 375, (report, box)
            name = report.removeprefix("report_")
            page.screenshot(path=str(SHOTS / f"{name}-375.png"), full_page=True)
    finally:
        context.close()
