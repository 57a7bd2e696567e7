"""Reports declared in the configuration: figures match sums computed by hand on a fixed
dataset; parameters, date buckets, row rules, xlsx export and the CLI."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import contextmanager
from decimal import Decimal

import pytest
from click.testing import CliRunner

from uchet import SYSTEM, PermissionDenied, ValidationError
from uchet.platform.features.reports import export_xlsx

D = Decimal


@pytest.fixture
def dataset(platform, staff):
    """Three clients, four invoices with lines and payments, five tasks."""
    anna, boris = staff["anna"], staff["boris"]
    cats = {
        r["name"]: r["id"] for r in platform.records("client_categories", user=SYSTEM).query().rows
    }
    clients = platform.records("clients", user=SYSTEM)
    c1 = clients.create(
        {"name": "Альфа", "city": "Москва", "category": cats["VIP"], "manager": anna.id}
    )
    c2 = clients.create(
        {"name": "Бета", "city": "Москва", "category": cats["Обычный"], "manager": anna.id}
    )
    c3 = clients.create(
        {"name": "Гамма", "city": "Тверь", "category": cats["VIP"], "manager": boris.id}
    )
    products = platform.records("products", user=SYSTEM)
    p1 = products.create({"name": "Товар", "price": "100"})["id"]
    p2 = products.create({"name": "Услуга", "price": "250.50"})["id"]
    invoices, lines = (
        platform.records("invoices", user=SYSTEM),
        platform.records("invoice_lines", user=SYSTEM),
    )
    payments = platform.records("payments", user=SYSTEM)

    def invoice(client, date, items, paid=()):
        inv = invoices.create({"client": client["id"], "date": date})
        for product, qty in items:
            lines.create({"invoice": inv["id"], "product": product, "quantity": qty})
        for amount in paid:
            payments.create({"invoice": inv["id"], "amount": amount, "date": date})
        return inv

    invoice(c1, "2025-01-15", [(p1, 3), (p2, 2)], ["200"])  # 801.00, debt 601.00
    invoice(c1, "2025-02-03", [(p1, 1)], ["100"])  # 100.00, paid
    invoice(c2, "2025-02-20", [(p2, 4)], ["500", "100"])  # 1002.00, debt 402.00
    invoice(c3, "2025-03-01", [(p1, 10)])  # 1000.00, debt 1000.00
    now = dt.datetime.now().replace(second=0, microsecond=0)
    day = dt.datetime.combine(dt.date(2025, 5, 20), dt.time(10, 0))
    work = platform.records("work", user=SYSTEM)
    work.create_many(
        [
            {
                "client": c1["id"],
                "title": "План 1",
                "assignee": anna.id,
                "planned_start": day,
                "due_at": day + dt.timedelta(hours=2),
            },
            {
                "client": c2["id"],
                "title": "План 2",
                "assignee": boris.id,
                "planned_start": day,
                "due_at": day + dt.timedelta(hours=5),
            },
            {
                "client": c3["id"],
                "title": "Другой день",
                "assignee": anna.id,
                "planned_start": day,
                "due_at": day + dt.timedelta(days=1),
            },
            {
                "client": c1["id"],
                "title": "Просрочено",
                "assignee": anna.id,
                "percent": 20,
                "planned_start": now - dt.timedelta(days=10),
                "due_at": now - dt.timedelta(days=3),
            },
            {
                "client": c1["id"],
                "title": "Зависло",
                "assignee": boris.id,
                "percent": 10,
                "planned_start": now - dt.timedelta(days=8),
                "due_at": now + dt.timedelta(days=3),
            },
        ]
    )
    return {"c1": c1, "c2": c2, "c3": c3}


def test_receivables_match_hand_sums(platform, dataset):
    result = platform.report("report_receivables", SYSTEM)
    got = [
        (r["client__title"], r["sum_total"], r["sum_paid"], r["sum_debt"], r["count"])
        for r in result.rows
    ]
    assert got == [
        ("Гамма", D("1000.00"), D("0.00"), D("1000.00"), 1),
        ("Альфа", D("801.00"), D("200.00"), D("601.00"), 1),  # the paid invoice has no debt
        ("Бета", D("1002.00"), D("600.00"), D("402.00"), 1),
    ]
    assert result.chart == "bar"
    assert [c.label for c in result.columns] == [
        "Клиент",
        "Выставлено",
        "Оплачено",
        "Долг",
        "Счетов",
    ]


def test_sales_by_month_and_parameters(platform, dataset):
    result = platform.report("report_sales_by_month", SYSTEM)
    assert [(r["date__month"], r["sum_total"], r["sum_paid"], r["count"]) for r in result.rows] == [
        ("2025-01", D("801.00"), D("200.00"), 1),
        ("2025-02", D("1102.00"), D("700.00"), 2),
        ("2025-03", D("1000.00"), D("0.00"), 1),
    ]
    february = platform.report(
        "report_sales_by_month", SYSTEM, {"date_from": "01.02.2025", "date_to": "2025-02-28"}
    )
    assert [r["date__month"] for r in february.rows] == ["2025-02"]
    with pytest.raises(ValidationError):
        platform.report("report_sales_by_month", SYSTEM, {"date_from": "когда-то"})
    with pytest.raises(ValidationError):
        platform.report("report_sales_by_month", SYSTEM, {"colour": "red"})


def test_clients_by_category_and_city(platform, dataset):
    cats = platform.report("report_clients_by_category", SYSTEM)
    assert [(r["category__title"], r["count"]) for r in cats.rows] == [("VIP", 2), ("Обычный", 1)]
    cities = platform.report("report_clients_by_city", SYSTEM)
    assert [(r["city"], r["count"]) for r in cities.rows] == [("Москва", 2), ("Тверь", 1)]


def test_work_reports(platform, staff, dataset):
    plan = platform.report("report_work_plan", SYSTEM, {"date": "2025-05-20"})
    assert [(r["assignee__title"], r["title"]) for r in plan.rows] == [
        ("Анна", "План 1"),
        ("Борис", "План 2"),
    ]
    overdue = platform.report("report_work_overdue", SYSTEM)
    got = {r["title"]: (r["overdue_days"], r["days_in_work"], r["percent"]) for r in overdue.rows}
    assert got["Просрочено"] == (3, 10, D("20"))
    assert got["Зависло"] == (0, 8, D("10"))
    assert "План 1" in got  # long overdue since 2025
    assert next(iter(got)) == "План 1"  # most overdue first
    gantt = platform.report(
        "report_work_gantt", SYSTEM, {"date_from": "2025-05-20", "date_to": "2025-05-20"}
    )
    assert gantt.chart == "gantt" and gantt.gantt["start"] == "planned_start"
    assert [r["title"] for r in gantt.rows] == ["План 1", "План 2", "Другой день"]
    with pytest.raises(ValidationError) as e:
        platform.report("report_work_gantt", SYSTEM, {"date_from": " ", "date_to": "2025-05-20"})
    assert e.value.messages == {"date_from": ["Обязательное поле."]}  # required, emptied
    # Without values the defaults apply: from a week ago to two weeks ahead.
    default = platform.report("report_work_gantt", SYSTEM)
    today = dt.date.today()
    assert default.params == {
        "date_from": today - dt.timedelta(days=7),
        "date_to": today + dt.timedelta(days=14),
    }
    assert {"Просрочено", "Зависло"} <= {r["title"] for r in default.rows}


def test_row_rules_apply_to_reports(platform, staff, dataset):
    anna = staff["anna"]
    result = platform.report("report_receivables", anna)
    assert [r["client__title"] for r in result.rows] == ["Альфа", "Бета"]
    assert platform.report("report_clients_by_city", anna).rows == [{"city": "Москва", "count": 2}]
    viewer_plan = platform.report("report_work_plan", staff["vera"], {"date": "2025-05-20"})
    assert len(viewer_plan.rows) == 2


def test_export_to_xlsx_and_the_cli(platform, dataset, tmp_path):
    from openpyxl import load_workbook

    result = platform.report("report_receivables", SYSTEM)
    data = export_xlsx(result)
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Клиент", "Выставлено", "Оплачено", "Долг", "Счетов")
    assert rows[1] == ("Гамма", 1000, 0, 1000, 1)
    from uchet.cli import main

    url = platform.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "r.xlsx"
    cli = CliRunner().invoke(main, ["report", "receivables", "-d", url, "--output", str(out)])
    assert cli.exit_code == 0, cli.output
    assert load_workbook(out).active.cell(2, 1).value == "Гамма"
    printed = CliRunner().invoke(
        main,
        [
            "report",
            "report_sales_by_month",
            "-d",
            url,
            "-p",
            "date_from=2025-02-01",
            "--as",
            "anna",
        ],
    )
    assert printed.exit_code == 0, printed.output
    assert "2025-02" in printed.output and "2025-01" not in printed.output
    unknown = CliRunner().invoke(main, ["report", "nope", "-d", url])
    assert unknown.exit_code == 1 and "no report" in unknown.output


def test_a_user_without_rights_gets_no_report(platform):
    from uchet import User

    nobody = User(id=None, login="nobody", name="Nobody", roles=())
    with pytest.raises(PermissionDenied):
        platform.report("report_receivables", nobody)


def test_report_conditions_use_parameters_and_user(platform, staff, dataset):
    """$name in a report's condition is the parameter's value; $user the runner's id."""
    overdue = platform.report("report_work_overdue", SYSTEM)
    assert "Зависло" in {r["title"] for r in overdue.rows}  # 8 days in work, 10 %
    stricter = platform.report("report_work_overdue", SYSTEM, {"stalled_days": "9"})
    assert "Зависло" not in {r["title"] for r in stricter.rows}
    assert "Просрочено" in {r["title"] for r in stricter.rows}  # overdue anyway
    lower = platform.report("report_work_overdue", SYSTEM, {"stalled_percent": "10"})
    assert "Зависло" not in {r["title"] for r in lower.rows}  # 10 % is not below 10 %


@contextmanager
def with_reports(platform, tmp_path, *docs):
    """The sample CRM with extra report documents, applied to ``platform``'s database."""
    import json
    import shutil
    from pathlib import Path

    import uchet
    from uchet import Platform

    bundle = tmp_path / "crm"
    sample = Path(uchet.__file__).parent / "sample_crm"
    shutil.copytree(sample, bundle, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    (bundle / "reports" / "extra.json").write_text(json.dumps(list(docs)), encoding="utf-8")
    p = Platform.open(bundle, engine=platform.engine)
    try:
        p.migrate()  # new reports change no table: the plan is empty, the version is new
        yield p
    finally:
        p.close()


def test_a_condition_may_name_the_user_running_the_report(platform, staff, dataset, tmp_path):
    mine = {
        "id": "report_my_work", "name": "my_work", "table": "work",
        "label": {"en": "My work"}, "condition": "assignee = $user",
        "columns": ["title"], "sort": ["title"],
    }  # fmt: skip
    with with_reports(platform, tmp_path, mine) as p:
        got = [r["title"] for r in p.report("report_my_work", staff["anna"]).rows]
    assert got == ["Другой день", "План 1", "Просрочено"]


def test_a_report_naming_a_field_the_user_may_not_read_is_not_theirs(
    platform, staff, dataset, tmp_path
):
    from uchet.platform.features.reports import runnable_reports

    by_tax_id = {
        "id": "report_by_tax_id", "name": "by_tax_id", "table": "clients",
        "label": {"en": "By tax id"}, "group_by": ["tax_id"], "measures": [{"aggregate": "count"}],
    }  # fmt: skip
    accountants_only = {
        "id": "report_books", "name": "books", "table": "invoices", "roles": ["accountant"],
        "label": {"en": "Books"}, "group_by": ["client"], "measures": [{"aggregate": "count"}],
    }  # fmt: skip
    with with_reports(platform, tmp_path, by_tax_id, accountants_only) as p:
        vera, alla, anna = staff["vera"], staff["alla"], staff["anna"]  # viewer: no tax_id
        with pytest.raises(PermissionDenied, match="tax_id"):
            p.report("report_by_tax_id", vera)
        ids = {u: {s.id for s in runnable_reports(p.runtime, staff[u])} for u in staff}
        assert "report_by_tax_id" not in ids["vera"] and "report_by_tax_id" in ids["anna"]
        assert "report_books" in ids["alla"] and "report_books" in ids["admin"]  # superuser
        assert "report_books" not in ids["anna"]
        with pytest.raises(PermissionDenied):
            p.report("report_books", anna)
        assert p.report("report_books", alla).rows  # the accountant reads every invoice
        assert len(p.report("report_by_tax_id", staff["admin"]).rows) == 1  # all tax ids empty


def test_parameter_errors_name_the_parameter(platform, dataset):
    with pytest.raises(ValidationError) as e:
        platform.report(
            "report_sales_by_month", SYSTEM, {"date_from": "когда-то", "colour": "red"}, "en"
        )
    assert e.value.messages == {
        "date_from": ["Not a valid date. ('когда-то')"],
        "colour": ["unknown parameter; known: date_from, date_to"],
    }
    assert "date_from: Not a valid date." in str(e.value)
    with pytest.raises(ValidationError) as e:
        platform.report("report_work_overdue", SYSTEM, {"stalled_days": "семь"}, "ru")
    assert e.value.messages == {"stalled_days": ["Нужно целое число. ('семь')"]}
