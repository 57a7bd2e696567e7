"""Report pages in the web UI (issue 4): the Reports menu, each page's parameters form, table,
chart data and xlsx download, on SQLite and PostgreSQL. Figures are checked against sums
computed by hand on a small fixed dataset; row rules, rights and bad parameters too."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from typing import Any

import pytest
from tests.web_support import PASSWORD, WebClient

from uchet import SYSTEM
from uchet.platform.features.reports import export_xlsx

NB = "\u00a0"


def rub(text: str) -> str:
    """``"1 000,00"`` as the pages print money: non-breaking spaces and the rouble sign."""
    return text.replace(" ", NB) + NB + "₽"


@pytest.fixture
def shop(web_platform: Any) -> dict[str, Any]:
    """Three clients (two of anna's, one of boris's), four invoices, three tasks.

    Invoices by hand: Альфа 801.00 (paid 200) and 100.00 (paid); Бета 1002.00 (paid 600);
    Гамма 1000.00 (unpaid). Debts: Гамма 1000, Альфа 601, Бета 402; total 2003.
    """
    p = web_platform
    anna, boris = p.test_users["anna"], p.test_users["boris"]
    cats = {r["name"]: r["id"] for r in p.records("client_categories", user=SYSTEM).query().rows}
    clients = p.records("clients", user=SYSTEM)
    c1 = clients.create({"name": "Альфа", "city": "Москва", "category": cats["VIP"],
                         "manager": anna.id})  # fmt: skip
    c2 = clients.create({"name": "Бета", "city": "Москва", "category": cats["Обычный"],
                         "manager": anna.id})  # fmt: skip
    c3 = clients.create({"name": "Гамма", "city": "Тверь", "category": cats["VIP"],
                         "manager": boris.id})  # fmt: skip
    products = p.records("products", user=SYSTEM)
    p1 = products.create({"name": "Товар", "price": "100"})["id"]
    p2 = products.create({"name": "Услуга", "price": "250.50"})["id"]
    invoices = p.records("invoices", user=SYSTEM)
    lines = p.records("invoice_lines", user=SYSTEM)
    payments = p.records("payments", user=SYSTEM)

    def invoice(client: Any, date: str, items: Any, paid: Any = ()) -> None:
        inv = invoices.create({"client": client["id"], "date": date})
        for product, qty in items:
            lines.create({"invoice": inv["id"], "product": product, "quantity": qty})
        for amount in paid:
            payments.create({"invoice": inv["id"], "amount": amount, "date": date})

    invoice(c1, "2025-01-15", [(p1, 3), (p2, 2)], ["200"])
    invoice(c1, "2025-02-03", [(p1, 1)], ["100"])
    invoice(c2, "2025-02-20", [(p2, 4)], ["500", "100"])
    invoice(c3, "2025-03-01", [(p1, 10)])
    now = dt.datetime.now().replace(second=0, microsecond=0)
    p.records("work", user=SYSTEM).create_many(
        [
            {"client": c1["id"], "title": "Просрочено", "assignee": anna.id, "percent": 20,
             "planned_start": now - dt.timedelta(days=10), "due_at": now - dt.timedelta(days=3)},
            {"client": c3["id"], "title": "Зависло", "assignee": boris.id, "percent": 10,
             "planned_start": now - dt.timedelta(days=8), "due_at": now + dt.timedelta(days=3)},
            {"client": c2["id"], "title": "В срок", "assignee": anna.id, "percent": 60,
             "planned_start": now - dt.timedelta(days=1), "due_at": now + dt.timedelta(days=2)},
        ]
    )  # fmt: skip
    return {"c1": c1, "c2": c2, "c3": c3}


def login(app: Any, who: str) -> WebClient:
    c = WebClient(app)
    assert c.login(who).status_code == 302
    return c


def table(page: str) -> list[list[str]]:
    """The body rows of the report table as cell texts."""
    body = re.search(r'id="uchet-report-table".*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, "no report table on the page"
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in
         re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in rows
    ]  # fmt: skip


def totals(page: str) -> list[str]:
    found = re.search(r'id="uchet-report-totals">(.*?)</tr>', page, re.S)
    assert found, "no totals row"
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)]  # fmt: skip


def chart(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="uchet-report-data">(.*?)</script>',
                      page, re.S)  # fmt: skip
    assert found, "no chart data on the page"
    return json.loads(found.group(1).replace("<\\/", "</"))


def test_the_reports_menu_lists_every_report_in_the_users_language(web_app, shop):
    admin = login(web_app, "admin")
    page = admin.get("/reports/").text
    labels = re.findall(r'data-report="(\w+)">\s*<span>([^<]+)</span>', page)
    assert [r for r, _ in labels] == [
        "report_receivables", "report_sales_by_month", "report_clients_by_category",
        "report_clients_by_city", "report_work_plan", "report_work_overdue", "report_work_gantt",
    ]  # fmt: skip
    assert dict(labels)["report_receivables"] == "Дебиторская задолженность по клиентам"
    home = admin.get("/").text
    assert "Отчёты" in home and "/reports/report_work_gantt/" in home  # the menu
    admin.post("/locale", {"locale": "en"})
    page = admin.get("/reports/").text
    assert "Receivables by client" in page and "Task execution by day" in page


def test_each_report_page_renders_its_form_table_and_chart(web_app, shop):
    admin = login(web_app, "admin")
    charts = {}
    for rid in re.findall(r'data-report="(\w+)"', admin.get("/reports/").text):
        r = admin.get(f"/reports/{rid}/")
        assert r.status_code == 200, (rid, r.status_code)
        assert 'id="uchet-report-table"' in r.text and 'id="uchet-report-xlsx"' in r.text
        if 'id="uchet-report-data"' in r.text:
            charts[rid] = chart(r.text)["kind"]
            assert "vendor/chartjs/chart.umd.min.js" in r.text  # vendored, no CDN
    assert charts == {
        "report_receivables": "bar", "report_sales_by_month": "line",
        "report_clients_by_category": "pie", "report_clients_by_city": "bar",
        "report_work_overdue": "bar", "report_work_gantt": "gantt",
    }  # fmt: skip
    assert "cdn" not in admin.get("/reports/report_work_gantt/").text.lower()
    vendored = admin.get("/_uchet/vendor/chartjs/chart.umd.min.js")
    assert vendored.status_code == 200 and b"Chart.js v4" in vendored.data[:200]


def test_receivables_match_hand_sums(web_app, shop):
    page = login(web_app, "admin").get("/reports/report_receivables/").text
    assert table(page) == [
        ["Гамма", rub("1 000,00"), rub("0,00"), rub("1 000,00"), "1"],
        ["Альфа", rub("801,00"), rub("200,00"), rub("601,00"), "1"],  # the paid one has no debt
        ["Бета", rub("1 002,00"), rub("600,00"), rub("402,00"), "1"],
    ]
    assert totals(page) == ["Итого", rub("2 803,00"), rub("800,00"), rub("2 003,00"), "3"]
    data = chart(page)
    assert data["labels"] == ["Гамма", "Альфа", "Бета"]
    assert [(s["label"], s["values"]) for s in data["series"]] == [("Долг", [1000.0, 601.0, 402.0])]
    assert data["series"][0]["format"] == {"kind": "money", "symbol": "₽"}


def test_sales_by_month_with_a_period_and_the_clients_reports(web_app, shop):
    admin = login(web_app, "admin")
    page = admin.get("/reports/report_sales_by_month/").text
    # Months read as people say them, in chronological (not alphabetical) order.
    assert table(page) == [
        ["январь 2025", rub("801,00"), rub("200,00"), "1"],
        ["февраль 2025", rub("1 102,00"), rub("700,00"), "2"],
        ["март 2025", rub("1 000,00"), rub("0,00"), "1"],
    ]
    data = chart(page)
    assert data["labels"] == ["январь 2025", "февраль 2025", "март 2025"]
    assert [s["values"] for s in data["series"]] == [[801.0, 1102.0, 1000.0], [200.0, 700.0, 0.0]]
    february = admin.get("/reports/report_sales_by_month/?date_from=2025-02-01&date_to=28.02.2025")
    assert table(february.text) == [["февраль 2025", rub("1 102,00"), rub("700,00"), "2"]]
    admin.post("/locale", {"locale": "en"})
    english = admin.get("/reports/report_sales_by_month/?date_from=2025-02-01").text
    assert [row[0] for row in table(english)] == ["February 2025", "March 2025"]
    admin.post("/locale", {"locale": "ru"})
    assert 'value="2025-02-28"' in february.text  # the date picker shows the value used
    cats = admin.get("/reports/report_clients_by_category/").text
    assert table(cats) == [["VIP", "2"], ["Обычный", "1"]]
    assert chart(cats)["series"][0]["values"] == [2.0, 1.0]
    cities = admin.get("/reports/report_clients_by_city/").text
    assert table(cities) == [["Москва", "2"], ["Тверь", "1"]]


def test_work_reports_use_their_parameters(web_app, shop):
    admin = login(web_app, "admin")
    overdue = admin.get("/reports/report_work_overdue/").text
    titles = [row[1] for row in table(overdue)]
    assert titles == ["Просрочено", "Зависло"]  # "В срок" is neither
    assert chart(overdue)["labels"] == titles
    stricter = admin.get("/reports/report_work_overdue/?stalled_days=9&stalled_percent=50")
    assert [row[1] for row in table(stricter.text)] == ["Просрочено"]  # $stalled_days = 9
    assert 'href="/work/edit/?id=' in overdue  # detail rows open their record
    today = dt.date.today()
    gantt = admin.get("/reports/report_work_gantt/").text  # default period: the last week on
    assert f'value="{(today - dt.timedelta(days=7)).isoformat()}"' in gantt
    bars = chart(gantt)["bars"]
    assert [(b["label"], b["progress"]) for b in bars] == [
        ("Просрочено", 20.0), ("Зависло", 10.0), ("В срок", 60.0)
    ]  # fmt: skip
    assert all(b["start"] < b["end"] for b in bars)


def test_a_manager_sees_only_their_own_rows(web_app, shop):
    anna = login(web_app, "anna")
    page = anna.get("/reports/report_receivables/").text
    assert [row[0] for row in table(page)] == ["Альфа", "Бета"]
    assert chart(page)["labels"] == ["Альфа", "Бета"]
    assert totals(page)[3] == rub("1 003,00")  # 601 + 402: Гамма is boris's
    cities = anna.get("/reports/report_clients_by_city/").text
    assert table(cities) == [["Москва", "2"]]
    gantt = chart(anna.get("/reports/report_work_gantt/").text)
    assert [b["label"] for b in gantt["bars"]] == ["Просрочено", "В срок"]
    sheet = _sheet(anna.get("/reports/report_receivables/xlsx"))
    assert [r[0] for r in sheet[1:]] == ["Альфа", "Бета"]


def _sheet(response: Any) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    return list(book.active.iter_rows(values_only=True))


def test_the_xlsx_download_is_the_engines_export(web_app, web_platform, shop):
    from openpyxl import load_workbook

    admin = login(web_app, "admin")
    got = _sheet(admin.get("/reports/report_sales_by_month/xlsx?date_from=2025-02-01"))
    result = web_platform.report("report_sales_by_month", web_platform.test_users["admin"],
                                 {"date_from": "2025-02-01"}, "ru")  # fmt: skip
    want = list(load_workbook(io.BytesIO(export_xlsx(result))).active.iter_rows(values_only=True))
    assert got == want
    # A month is a date cell (the month's first day) shown as "февраль 2025" in Russian.
    assert got == [("Месяц", "Выставлено", "Оплачено", "Счетов"),
                   (dt.datetime(2025, 2, 1), 1102, 700, 2),
                   (dt.datetime(2025, 3, 1), 1000, 0, 1)]  # fmt: skip
    sheet = load_workbook(io.BytesIO(export_xlsx(result))).active
    assert sheet["A2"].number_format == "[$-419]MMMM YYYY" and sheet["A2"].is_date
    page = admin.get("/reports/report_sales_by_month/?date_from=2025-02-01").text
    assert 'href="/reports/report_sales_by_month/xlsx?date_from=2025-02-01"' in page


@pytest.mark.parametrize(
    ("url", "field", "message"),
    [
        ("/reports/report_sales_by_month/?date_from=когда-то", "date_from",
         "Неверная дата. (&#39;когда-то&#39;)"),
        ("/reports/report_work_gantt/?date_from=&date_to=2025-05-20", "date_from",
         "Обязательное поле."),
        ("/reports/report_work_overdue/?stalled_days=семь&stalled_percent=50", "stalled_days",
         "Нужно целое число. (&#39;семь&#39;)"),
    ],
)  # fmt: skip
def test_bad_parameters_get_a_clear_message_at_the_field(web_app, shop, url, field, message):
    admin = login(web_app, "admin")
    r = admin.get(url)
    assert r.status_code == 400
    assert 'id="uchet-report-errors"' in r.text and 'id="uchet-report-table"' not in r.text
    found = re.search(rf'<div class="invalid-feedback d-block" id="error-{field}">(.*?)</div>',
                      r.text)  # fmt: skip
    assert found and found.group(1) == message, r.text[-3000:]
    typed = re.search(rf'<input[^>]*name="{field}"[^>]*>', r.text)
    assert typed and 'type="text"' in typed.group(0) and "is-invalid" in typed.group(0)
    xlsx = admin.get(url.replace("/?", "/xlsx?"))
    assert xlsx.status_code == 400


def test_every_missing_required_parameter_is_named(web_app, shop):
    admin = login(web_app, "admin")
    r = admin.get("/reports/report_work_gantt/?run=1&date_from=&date_to=")
    assert r.status_code == 400 and r.text.count("Обязательное поле.") == 2


def test_users_without_rights_get_403_and_unknown_reports_404(web_app, web_platform, shop):
    web_platform.users.create("nobody", PASSWORD, name="Nobody", roles=[])
    nobody = login(web_app, "nobody")
    assert nobody.get("/reports/report_receivables/").status_code == 403
    assert nobody.get("/reports/report_receivables/xlsx").status_code == 403
    page = nobody.get("/reports/").text
    assert "data-report=" not in page and "Вам не доступен ни один отчёт." in page
    assert "/reports/report_receivables/" not in nobody.get("/").text  # not in the menu
    admin = login(web_app, "admin")
    assert admin.get("/reports/report_nope/").status_code == 404
    anonymous = WebClient(web_app).get("/reports/report_receivables/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
