"""The list's bulk bar (issue 21, point 4) in the web app, on SQLite and PostgreSQL: who is
offered what, the confirmation with the count and a value box of the field's type, the run
and its skipped records, "all matching the filter" under the user's rights, the job page,
print and export of the selection."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.web_support import WebClient

from uchet import SYSTEM


@pytest.fixture
def clients(web_platform: Any) -> dict[str, Any]:
    users = web_platform.test_users
    anna, boris = users["anna"], users["boris"]
    made = {}
    for name, city, owner in (("Альфа", "Москва", anna), ("Бета", "Москва", anna),
                              ("Гамма", "Тверь", anna), ("Дельта", "Москва", boris)):  # fmt: skip
        made[name] = web_platform.records("clients", user=SYSTEM).create(
            {"name": name, "city": city, "manager": owner.id}
        )
    return made


def login(web_app: Any, name: str) -> WebClient:
    c = WebClient(web_app)
    assert c.login(name).status_code == 302
    return c


def test_the_bar_offers_what_the_role_may_do(web_app: Any, clients: Any) -> None:
    anna = login(web_app, "anna").get("/clients/").text
    assert 'id="uchet-bulk"' in anna and 'class="uchet-pick"' in anna
    assert ">Изменить поле…<" in anna and ">Удалить…<" not in anna  # managers do not delete
    assert "Выгрузить: xlsx" in anna
    admin = login(web_app, "admin").get("/clients/").text
    assert ">Удалить…<" in admin and "Печать: " in admin
    # A viewer may change nothing, but may export: the bar offers only that.
    vera = login(web_app, "vera").get("/clients/").text
    assert ">Изменить поле…<" not in vera and "Выгрузить: xlsx" in vera


def test_confirm_then_run_reports_the_skipped(web_app: Any, web_platform: Any,
                                              clients: Any) -> None:  # fmt: skip
    anna = login(web_app, "anna")
    a, d = clients["Альфа"], clients["Дельта"]  # Дельта is Boris's
    ids = f"{a['id']}:{a['version']},{d['id']}:{d['version']}"
    form = {"action": "set_field", "ids": ids, "state": "", "field": "city"}
    page = anna.post("/clients/bulk/", form)
    assert page.status_code == 200
    assert "Выбрано записей: 2." in page.text
    assert 'name="value" id="uchet-bulk-value"' in page.text  # a text box for a city
    # The field box offers only fields she may write (no computed debt).
    fields = re.findall(r'<option value="(\w+)"', page.text.split('id="uchet-bulk-field"')[1]
                        .split("</select>")[0])  # fmt: skip
    assert "city" in fields and "debt" not in fields and "contact_count" not in fields
    done = anna.post("/clients/bulk/", {**form, "value": "Казань", "confirm": "1"})
    assert done.status_code == 200
    assert "Выполнено: 1 из 2. Пропущено: 1." in done.text
    assert f'<tr data-id="{d["id"]}">' in done.text and "не найдена или недоступна" in done.text
    assert "Дельта" not in done.text  # never a title she may not read
    rows = web_platform.records("clients", user=SYSTEM)
    assert rows.get(a["id"])["city"] == "Казань" and rows.get(d["id"])["city"] == "Москва"


def test_a_choice_field_gets_a_list_and_a_bad_value_changes_nothing(
    web_app: Any, web_platform: Any, clients: Any
) -> None:
    admin = login(web_app, "admin")
    a = clients["Альфа"]
    form = {"action": "set_field", "ids": str(a["id"]), "state": "", "field": "status"}
    page = admin.post("/clients/bulk/", form).text
    assert '<select class="form-control" name="value"' in page and ">Потенциальный<" in page
    bad = admin.post("/clients/bulk/", {**form, "field": "loyalty", "value": "много",
                                        "confirm": "1"})  # fmt: skip
    assert bad.status_code == 200 and 'id="uchet-bulk-error"' in bad.text
    assert "Нужно целое число" in bad.text
    assert web_platform.records("clients", user=SYSTEM).get(a["id"])["loyalty"] is None


def test_all_matching_the_filter_is_the_users_rows_only(web_app: Any, web_platform: Any,
                                                        clients: Any) -> None:  # fmt: skip
    anna = login(web_app, "anna")
    form = {"action": "set_field", "all": "1", "state": "f.city=Москва", "field": "status"}
    page = anna.post("/clients/bulk/", form).text
    assert "Записей по фильтру: 2." in page  # Альфа, Бета; not Boris's Дельта
    done = anna.post("/clients/bulk/", {**form, "value": "lead", "confirm": "1"}).text
    assert "Выполнено: 2 из 2. Пропущено: 0." in done
    statuses = {r["name"]: r["status"]
                for r in web_platform.records("clients", user=SYSTEM).query().rows}  # fmt: skip
    assert statuses == {"Альфа": "lead", "Бета": "lead", "Гамма": "active", "Дельта": "active"}


def test_beyond_the_threshold_it_runs_as_a_job(web_platform: Any, clients: Any) -> None:
    from uchet.web import create_app

    app = create_app(web_platform, secret_key="test-secret-" + "x" * 20, bulk_job_rows=2)
    admin = login(app, "admin")
    ids = ",".join(str(c["id"]) for c in clients.values())
    form = {"action": "set_field", "ids": ids, "state": "", "field": "city", "value": "Омск",
            "confirm": "1"}  # fmt: skip
    queued = admin.post("/clients/bulk/", form)
    assert queued.status_code == 302 and "/clients/bulk/job/" in queued.headers["Location"]
    waiting = admin.get(queued.headers["Location"]).text
    assert 'data-status="pending"' in waiting and 'http-equiv="refresh"' in waiting
    web_platform.worker().run_once()
    done = admin.get(queued.headers["Location"]).text
    assert "Выполнено: 4 из 4. Пропущено: 0." in done
    assert {r["city"] for r in web_platform.records("clients", user=SYSTEM).query().rows} == {
        "Омск"
    }
    # Another user cannot look at it.
    job_url = queued.headers["Location"].split("?")[0]
    assert login(app, "anna").get(job_url).status_code == 404


def test_export_and_print_take_the_selection(web_app: Any, clients: Any) -> None:
    admin = login(web_app, "admin")
    a, b = clients["Альфа"], clients["Бета"]
    ids = f"{a['id']},{b['id']}"
    form = {"action": "export:csv", "ids": ids, "state": "f.city=Тверь"}
    asked = admin.post("/clients/bulk/", form).text  # the count first
    assert "Выбрано записей: 2." in asked and "Выгрузить записи: 2" in asked
    r = admin.post("/clients/bulk/", {**form, "confirm": "1"})
    assert r.status_code == 302
    assert f"f.id={a['id']}" in r.headers["Location"] and "f.city" not in r.headers["Location"]
    exported = admin.get(r.headers["Location"]).data.decode("utf-8-sig")
    assert "Альфа" in exported and "Бета" in exported and "Гамма" not in exported
    form = {"action": "print:client_card", "all": "1", "state": "f.city=Москва"}
    asked = admin.post("/clients/bulk/", form).text
    assert "Записей по фильтру: 3." in asked and "Напечатать записи: 3" in asked
    r = admin.post("/clients/bulk/", {**form, "confirm": "1"})
    assert r.status_code == 302 and "/many" in r.headers["Location"]
    assert "f.city=" in r.headers["Location"] and "f.id" not in r.headers["Location"]


def test_without_a_token_or_a_right_nothing_happens(web_app: Any, web_platform: Any,
                                                    clients: Any) -> None:  # fmt: skip
    anna = login(web_app, "anna")
    a = clients["Альфа"]
    form = {"action": "delete", "ids": str(a["id"]), "state": "", "confirm": "1"}
    assert anna.post("/clients/bulk/", form).status_code == 403  # managers may not delete
    assert anna.post("/clients/bulk/", form, token=False).status_code in (400, 403)
    damaged = anna.post("/clients/bulk/", {**form, "action": "set_field", "ids": "x;drop"})
    assert damaged.status_code == 302
    assert web_platform.records("clients", user=SYSTEM).get(a["id"])["name"] == "Альфа"
