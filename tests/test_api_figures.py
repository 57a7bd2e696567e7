"""Reports and the dashboard's figures as JSON (issue 18, point 1), on SQLite and PostgreSQL:
run as the caller, so a manager's figures count only the rows a manager may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api_support import _client

from uchet import SYSTEM

PROBLEM = "application/problem+json"


def test_reports_are_listed_with_parameters_and_run_as_the_caller(api: Any) -> None:
    anna, boris = api.users["anna"], api.users["boris"]
    for name, city, manager in (("А", "Тверь", anna), ("Б", "Тверь", boris), ("В", "Омск", boris)):
        _client(api, name=name, city=city, manager=manager.id)
    listed = api.call("GET", "/api/v1/-/reports", lang="ru").json["data"]
    by_id = {r["id"]: r for r in listed}
    sales = by_id["report_sales_by_month"]
    assert [p["name"] for p in sales["parameters"]] == ["date_from", "date_to"]
    assert by_id["report_clients_by_city"]["label"] == "Клиенты по городам"
    overdue = by_id["report_work_overdue"]["parameters"]
    assert overdue[0]["default"] == 7 and overdue[0]["required"] is True
    everyone = api.call("GET", "/api/v1/-/reports/report_clients_by_city").json
    counts = {row["city"]: row["count"] for row in everyone["rows"]}
    assert counts == {"Тверь": 2, "Омск": 1}
    assert [c["key"] for c in everyone["columns"]] == ["city", "count"]
    assert everyone["columns"][1]["aggregate"] == "count"
    # Anna counts only her own clients (the row rule of the manager role).
    mine = api.call("GET", "/api/v1/-/reports/clients_by_city", login="anna").json
    assert {row["city"]: row["count"] for row in mine["rows"]} == {"Тверь": 1}


def test_report_parameters_are_checked_and_named(api: Any) -> None:
    r = api.call("GET", "/api/v1/-/reports/report_work_overdue?stalled_days=abc", lang="ru")
    assert r.status_code == 400 and r.content_type == PROBLEM, r.text
    assert [p["name"] for p in r.json["invalid_params"]] == ["stalled_days"]
    r = api.call("GET", "/api/v1/-/reports/report_work_overdue?colour=red")
    assert r.status_code == 400 and r.json["invalid_params"][0]["name"] == "colour"
    ok = api.call("GET", "/api/v1/-/reports/report_sales_by_month?date_from=2025-01-01")
    assert ok.status_code == 200 and ok.json["params"]["date_from"] == "2025-01-01"
    missing = api.call("GET", "/api/v1/-/reports/no_such_report", lang="ru")
    assert missing.status_code == 404 and "no_such_report" in missing.json["detail"]
    assert api.client.get("/api/v1/-/reports/report_sales_by_month").status_code == 401


def test_dashboard_figures_count_what_the_caller_may_see(api: Any) -> None:
    anna, boris = api.users["anna"], api.users["boris"]
    work = api.platform.records("work", user=SYSTEM)
    past = dt.datetime.now().replace(microsecond=0) - dt.timedelta(days=3)
    for manager in (anna, boris, boris):
        client = _client(api, name=f"Клиент {manager.login}", manager=manager.id)
        work.create({"title": "Позвонить", "client": client["id"], "assignee": manager.id,
                     "author": manager.id, "due_at": past})  # fmt: skip
    admin = api.call("GET", "/api/v1/-/dashboard", lang="ru")
    assert admin.status_code == 200, admin.text
    figures = {w["id"]: w for w in admin.json["widgets"]}
    assert figures["dash.overdue_count"]["value"] == 3
    assert figures["dash.overdue_count"]["label"] == "Просроченная работа"
    overdue_list = figures["dash.overdue_work"]
    assert overdue_list["kind"] == "list" and len(overdue_list["rows"]) == 3
    anna_view = api.call("GET", "/api/v1/-/dashboard/dashboard_main", login="anna").json
    figures = {w["id"]: w for w in anna_view["widgets"]}
    assert figures["dash.overdue_count"]["value"] == 1
    assert api.call("GET", "/api/v1/-/dashboard/nope").status_code == 404
    assert api.call("GET", "/api/v1/-/dashboard?x=1").status_code == 400
    assert api.client.get("/api/v1/-/dashboard").status_code == 401
