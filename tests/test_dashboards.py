"""Dashboards (S42) in the engine, on SQLite and PostgreSQL: figures equal sums computed by
hand on a small fixed dataset, a manager's dashboard counts only their rows, relative
dates, rights on widgets, and the configuration checks."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from uchet import SYSTEM, NotFound, PermissionDenied, ValidationError
from uchet.configurations.loader import load
from uchet.configurations.overlay import Overlay
from uchet.platform.features.dashboards import Clock, WidgetContext, relative_date, run_widget
from uchet.platform.model.errors import ConfigError

#: The moment every dashboard of these tests is computed for.
CLOCK = Clock(dt.datetime(2025, 3, 14, 12, 0))
TODAY = CLOCK.today


def at(days: int, hour: int = 10) -> str:
    """A time ``days`` from the fixed today, as the web would send it."""
    return (dt.datetime.combine(TODAY, dt.time(hour)) + dt.timedelta(days=days)).isoformat()


def seed(platform: Any, staff: dict[str, Any]) -> dict[str, Any]:
    """Two managers' clients, tasks, invoices and payments; the expected figures per user
    are worked out by hand in the tests."""
    anna, boris, admin = staff["anna"], staff["boris"], staff["admin"]
    clients = platform.records("clients", user=SYSTEM)
    a1 = clients.create({"name": "Ромашка", "manager": anna.id})
    a2 = clients.create({"name": "Лютик", "manager": anna.id})
    b1 = clients.create({"name": "Василёк", "manager": boris.id})
    work = platform.records("work", user=admin)
    tasks = {
        # Anna's for today: two open (one on Boris's client), one done.
        "a_today_1": {"client": a1["id"], "assignee": anna.id, "due_at": at(0, 13)},
        "a_today_2": {"client": b1["id"], "assignee": anna.id, "due_at": at(0, 16)},
        "a_today_done": {"client": a1["id"], "assignee": anna.id, "due_at": at(0, 11),
                         "done": True},
        "a_tomorrow": {"client": a1["id"], "assignee": anna.id, "due_at": at(1)},
        # Overdue (due before the fixed now, 12:00): Anna's client's, Anna's, Boris's two.
        "a_overdue": {"client": a2["id"], "assignee": anna.id, "due_at": at(-2)},
        "a_client_overdue": {"client": a1["id"], "assignee": admin.id, "due_at": at(-1)},
        "a_overdue_done": {"client": a1["id"], "assignee": anna.id, "due_at": at(-3),
                           "done": True},
        "b_overdue": {"client": b1["id"], "assignee": boris.id, "due_at": at(-5)},
        "b_today": {"client": b1["id"], "assignee": boris.id, "due_at": at(0, 9)},
    }  # fmt: skip
    ids = {k: work.create({"title": k, **v})["id"] for k, v in tasks.items()}
    product = platform.records("products", user=SYSTEM).create({"name": "Услуга", "price": "100"})
    invoices = platform.records("invoices", user=SYSTEM)
    lines = platform.records("invoice_lines", user=SYSTEM)
    payments = platform.records("payments", user=SYSTEM)

    def invoice(client: dict[str, Any], total: str, paid: list[tuple[str, str]]) -> None:
        inv = invoices.create({"client": client["id"], "date": "2025-02-01"})
        lines.create({"invoice": inv["id"], "product": product["id"], "quantity": 1,
                      "unit_price": total})  # fmt: skip
        for day, amount in paid:
            payments.create({"invoice": inv["id"], "date": day, "amount": amount})

    invoice(a1, "3000", [("2025-03-01", "1000")])  # debt 2000, paid in March
    invoice(a2, "500", [("2025-02-20", "200"), ("2025-03-31", "300")])  # paid off
    invoice(a2, "250.50", [])  # debt 250.50
    invoice(b1, "700", [("2025-03-10", "100"), ("2025-04-01", "50")])  # debt 550
    return ids


def figures(platform: Any, user: Any) -> dict[str, Any]:
    result = platform.dashboard(user, clock=CLOCK)
    return {w.id: w for w in result.widgets}


def test_figures_equal_sums_computed_by_hand(platform: Any, staff: dict[str, Any]) -> None:
    seed(platform, staff)
    everyone = figures(platform, staff["admin"])
    assert everyone["dash.receivables"].value == Decimal("2000") + Decimal("250.50") + 550
    # Payments dated 2025-03-01 .. 2025-03-31: 1000 + 300 + 100 (not February, not April).
    assert everyone["dash.sales_month"].value == Decimal("1400")
    # Open tasks due before 12:00 on the 14th: a_overdue, a_client_overdue, b_overdue and
    # b_today (due at 9:00).
    assert everyone["dash.overdue_count"].value == 4
    assert not everyone["dash.overdue_count"].capped
    # The administrator's own tasks for today: none (the figure is about "me").
    assert everyone["dash.today_count"].value == 0
    anna = figures(platform, staff["anna"])
    assert anna["dash.today_count"].value == 2
    assert [r["title"] for r in anna["dash.today_tasks"].rows] == ["a_today_1", "a_today_2"]
    assert anna["dash.today_tasks"].total == 2
    # The task on Boris's client is hers, but his client's name is not hers to see.
    assert [r["client__title"] for r in anna["dash.today_tasks"].rows] == ["Ромашка", None]


def test_a_managers_dashboard_counts_only_her_rows(platform: Any, staff: dict[str, Any]) -> None:
    seed(platform, staff)
    anna = figures(platform, staff["anna"])
    # Her rows: her clients' invoices and payments; work on her clients or hers.
    assert anna["dash.receivables"].value == Decimal("2250.50")
    assert anna["dash.sales_month"].value == Decimal("1300")
    assert anna["dash.overdue_count"].value == 2  # not Boris's b_overdue
    assert {r["title"] for r in anna["dash.overdue_work"].rows} == {"a_overdue", "a_client_overdue"}
    assert [r["client__title"] for r in anna["dash.debtors"].rows] == ["Ромашка", "Лютик"]
    boris = figures(platform, staff["boris"])
    assert boris["dash.receivables"].value == Decimal("550")
    assert boris["dash.sales_month"].value == Decimal("100")
    assert boris["dash.overdue_count"].value == 2
    assert [r["title"] for r in boris["dash.today_tasks"].rows] == ["b_today"]
    assert [r["client__title"] for r in boris["dash.debtors"].rows] == ["Василёк"]


def test_filters_are_resolved_for_links(platform: Any, staff: dict[str, Any]) -> None:
    anna = figures(platform, staff["anna"])
    today = {(f.field, f.op): f.value for f in anna["dash.today_count"].filters}
    assert today == {
        ("assignee", "eq"): staff["anna"].id,
        ("done", "eq"): False,
        ("due_at", "ge"): TODAY,
        ("due_at", "lt"): TODAY + dt.timedelta(days=1),
    }
    sales = {(f.field, f.op): f.value for f in anna["dash.sales_month"].filters}
    assert sales == {("date", "ge"): dt.date(2025, 3, 1), ("date", "le"): dt.date(2025, 3, 31)}


def test_aggregate_through_the_record_service(platform: Any, staff: dict[str, Any]) -> None:
    seed(platform, staff)
    anna = platform.records("invoices", user=staff["anna"])
    assert anna.aggregate("sum", "total") == Decimal("3750.50")
    assert anna.aggregate("max", "debt") == Decimal("2000")
    assert anna.aggregate("count") == 3
    assert anna.aggregate("count", count_limit=2) == 3  # stops after limit + 1
    none = [{"field": "debt", "op": "gt", "value": 10**6}]
    assert anna.aggregate("sum", "debt", filters=none) == 0
    assert anna.aggregate("avg", "debt", filters=none) is None
    with pytest.raises(ValidationError, match="cannot sum"):
        anna.aggregate("sum", "number")
    with pytest.raises(ValidationError, match="unknown aggregate"):
        anna.aggregate("median", "total")
    viewer = platform.records("clients", user=staff["vera"])
    with pytest.raises(PermissionDenied):
        viewer.aggregate("count", filters=[{"field": "tax_id", "op": "is_null", "value": False}])
    with pytest.raises(PermissionDenied):
        platform.records("payments", user=staff["vera"]).aggregate(
            "count", filters=[{"field": "invoice.client.tax_id", "op": "is_null", "value": False}]
        )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"date": "today"}, dt.date(2025, 3, 14)),
        ({"date": "today", "add_days": 1}, dt.date(2025, 3, 15)),
        ({"date": "now"}, dt.datetime(2025, 3, 14, 12, 0)),
        ({"date": "week_start"}, dt.date(2025, 3, 10)),  # a Monday
        ({"date": "month_start"}, dt.date(2025, 3, 1)),
        ({"date": "month_end"}, dt.date(2025, 3, 31)),
        ({"date": "month_end", "add_months": -1}, dt.date(2025, 2, 28)),
        ({"date": "month_start", "add_months": -3}, dt.date(2024, 12, 1)),
        ({"date": "year_start", "add_days": -1}, dt.date(2024, 12, 31)),
    ],
)
def test_relative_dates(spec: dict[str, Any], expected: Any) -> None:
    assert relative_date(spec, CLOCK) == expected
    end_of_january = Clock(dt.datetime(2025, 1, 31, 8, 0))
    assert relative_date({"date": "today", "add_months": 1}, end_of_january) == dt.date(2025, 2, 28)


OVERLAY = {
    "overlay": "test dashboards",
    "dashboards": [
        {"id": "dash_extra", "name": "extra", "label": {"ru": "Ещё", "en": "More"},
         "roles": ["viewer", "manager"],
         "widgets": [
             {"id": "x.tax", "kind": "figure", "label": "С ИНН", "table": "clients",
              "filters": [{"field": "tax_id", "op": "is_null", "value": False}]},
             {"id": "x.clients", "kind": "figure", "label": "Клиенты", "table": "clients"},
             {"id": "x.managers", "kind": "figure", "label": "Только MAIN", "table": "clients",
              "roles": ["main"]},
         ]},
    ],
}  # fmt: skip


def test_widgets_the_user_may_not_see_are_left_out(db_url: str, staff_factory: Any) -> None:
    from uchet import Platform

    p = Platform.open("sample_crm", database_url=db_url, overlays=[Overlay("o.json", OVERLAY)])
    try:
        p.migrate()
        users = staff_factory(p)
        p.records("clients", user=SYSTEM).create({"name": "Ромашка", "tax_id": "7700000001"})
        vera = p.dashboard(users["vera"], "extra", clock=CLOCK)
        assert [w.id for w in vera.widgets] == ["x.clients"]  # tax_id is hidden from her
        assert vera.widgets[0].value == 1
        assert vera.others == [("dashboard_main", "Сводка")]
        admin = p.dashboard(users["admin"], "dash_extra", clock=CLOCK)
        assert [w.id for w in admin.widgets] == ["x.tax", "x.clients", "x.managers"]
        with pytest.raises(NotFound):
            p.dashboard(users["alla"], "extra")  # the accountant's roles are not listed
        with pytest.raises(ValueError):
            p.dashboard(SYSTEM)
    finally:
        p.close()


@pytest.fixture
def staff_factory() -> Any:
    def make(p: Any) -> dict[str, Any]:
        return {
            login: p.users.create(login, "secret-pass-1", name=login.title(), roles=[role])
            for login, role in (("vera", "viewer"), ("admin", "main"), ("alla", "accountant"))
        }

    return make


def test_a_widget_that_fails_at_run_time_shows_its_error(
    platform: Any, staff: dict[str, Any]
) -> None:
    ctx = WidgetContext(platform.runtime, staff["anna"], "en", CLOCK)
    widget = {"id": "w", "kind": "figure", "label": "x", "table": "work",
              "filters": [{"field": "due_at", "op": "lt", "value": "not a time"}]}  # fmt: skip
    result = run_widget(ctx, widget)
    assert result is not None and result.value is None
    assert "due_at" in result.error and "date" in result.error


# -- configuration checks ----------------------------------------------------------------------
def _bundle(tmp_path: Path, change: Any) -> Path:
    root = tmp_path / "crm"
    shutil.copytree(str(resources.files("uchet") / "sample_crm"), root)
    path = root / "dashboards" / "main.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return root


def _problems(tmp_path: Path, change: Any) -> list[str]:
    with pytest.raises(ConfigError) as e:
        load(_bundle(tmp_path, change))
    return [str(i) for i in e.value.issues]


def test_the_sample_dashboard_is_valid() -> None:
    config = load("sample_crm").config
    [doc] = config.dashboards
    assert doc.id == "dashboard_main" and len(doc.data["widgets"]) == 7


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["widgets"][0]["filters"][0].update(field="asignee"),
         "dashboards/main.json:/widgets/0/filters/0/field: no field 'asignee' in table 'work'"),
        (lambda d: d["widgets"][0]["filters"][0].update(value={"date": "today"}),
         "dashboards/main.json:/widgets/0/filters/0/value: a relative date cannot be compared "
         "with the user field 'assignee'"),
        (lambda d: d["widgets"][1]["filters"][0].update(value="maybe"),
         "dashboards/main.json:/widgets/1/filters/0/value: 'maybe' is not a valid boolean"),
        (lambda d: d["widgets"][2].update(field="client"),
         "dashboards/main.json:/widgets/2/field: cannot sum the reference field 'client'"),
        (lambda d: d["widgets"][2].update(columns=["x"]),
         "dashboards/main.json:/widgets/2/columns: 'columns' is for list widgets, not figure"),
        (lambda d: d["widgets"][4].update(columns=["title", "nope"]),
         "dashboards/main.json:/widgets/4/columns/1: no field 'nope' in table 'work'"),
        (lambda d: d["widgets"][6].update(report="nope"),
         "dashboards/main.json:/widgets/6/report: no report 'nope'"),
        (lambda d: d["widgets"][6].update(params={"date": "1.1"}),
         "dashboards/main.json:/widgets/6/params/date: the report 'report_receivables' has no "
         "parameter 'date'"),
        (lambda d: d["widgets"][1].update(id="dash.today_count"),
         "dashboards/main.json:/widgets/1/id: duplicate id 'dash.today_count'"),
        (lambda d: d["widgets"][1].update(id="clients"),
         "dashboards/main.json:/widgets/1/id: duplicate id 'clients'"),
        (lambda d: d.update(roles=["boss"]),
         "dashboards/main.json:/roles/0: no role with id 'boss'"),
        (lambda d: d["widgets"][3].pop("table"),
         "dashboards/main.json:/widgets/3: 'table' is required"),
        (lambda d: d["widgets"][3].update(kind="chart"),
         "dashboards/main.json:/widgets/3/kind: 'chart' is not one of"),
    ],
)  # fmt: skip
def test_check_names_the_file_and_pointer(tmp_path: Path, change: Any, expected: str) -> None:
    problems = _problems(tmp_path, change)
    assert any(p.startswith(expected) for p in problems), problems


def test_report_params_are_checked(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["widgets"][6].update(report="work_plan", params={"date": "14.13.2025"})

    problems = _problems(tmp_path, change)
    assert any(
        p.startswith(
            "dashboards/main.json:/widgets/6/params/date: '14.13.2025' is not a valid date"
        )
        for p in problems
    ), problems
