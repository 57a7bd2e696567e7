"""Calendar and kanban views (issue 21 point 6): their configuration checks, and their pages
and endpoints through the record service and rights, on SQLite and PostgreSQL.

The fixture: anna (manager) has client Альфа with two tasks; boris's client Гамма has one.
Managers see and change only their clients' work (roles.json row rules); vera (viewer)
reads everything and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.test_config_check import SAMPLE, edit, load_issues
from tests.web_support import WebClient

from uchet import SYSTEM
from uchet.platform.features import boards

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def desk(web_platform: Any) -> dict[str, Any]:
    p = web_platform
    anna, boris = p.test_users["anna"], p.test_users["boris"]
    clients = p.records("clients", user=SYSTEM)
    alpha = clients.create({"name": "Альфа", "manager": anna.id})
    gamma = clients.create({"name": "Гамма", "manager": boris.id})
    work = p.records("work", user=SYSTEM)
    at = dt.datetime.combine(MONDAY, dt.time(10, 0))
    w1 = work.create({"client": alpha["id"], "title": "Позвонить Альфе", "assignee": anna.id,
                      "author": anna.id, "due_at": at})  # fmt: skip
    w2 = work.create({"client": alpha["id"], "title": "Счёт Альфе", "assignee": anna.id,
                      "author": anna.id, "due_at": at + dt.timedelta(days=2),
                      "status": "in_progress"})  # fmt: skip
    w3 = work.create({"client": gamma["id"], "title": "Договор Гаммы", "assignee": boris.id,
                      "author": boris.id, "due_at": at + dt.timedelta(days=1)})  # fmt: skip
    event = p.records("events", user=SYSTEM).create(
        {"client": alpha["id"], "subject": "Встреча с Альфой", "responsible": anna.id,
         "happened_at": at + dt.timedelta(hours=4)}
    )  # fmt: skip
    return {"w1": w1, "w2": w2, "w3": w3, "event": event, "p": p}


def login(app: Any, who: str) -> WebClient:
    c = WebClient(app)
    assert c.login(who).status_code == 302
    return c


def post_json(c: WebClient, url: str, body: dict[str, Any]) -> Any:
    return c.client.post(url, data=json.dumps(body), content_type="application/json",
                         headers={"X-CSRFToken": c.token()})  # fmt: skip


def items(c: WebClient, table: str = "work", start: dt.date = MONDAY, days: int = 7) -> Any:
    end = start + dt.timedelta(days=days)
    return c.get(f"/-/boards/{table}/calendar/items?start={start}&end={end}")


# -- configuration ---------------------------------------------------------------------------
def test_the_crm_declares_calendars_and_a_board(web_platform):
    config = web_platform.runtime.config
    work, events = config.find_table("work"), config.find_table("events")
    assert boards.calendar_spec(work) == boards.CalendarSpec(
        "due_at", None, False, "month", work.views["calendar"]["label"]
    )
    assert boards.kanban_spec(work).field == "status"  # type: ignore[union-attr]
    assert boards.calendar_spec(events).start == "happened_at"  # type: ignore[union-attr]
    assert boards.kanban_spec(config.find_table("clients")) is None


DATE = "must be a date or datetime"
BROKEN_VIEWS = [
    ({"calendar": {"start": "work.nope"}}, "calendar/start", "no field with id 'work.nope'"),
    ({"calendar": {"start": "work.title"}}, "calendar/start", f"{DATE} field, not string"),
    ({"calendar": {"start": "work.due_at", "end": "work.percent"}}, "calendar/end", DATE),
    ({"kanban": {"field": "work.done"}}, "kanban/field", "must be a choice field, not boolean"),
    ({"kanban": {"field": "work.status", "card_fields": ["work.x"]}}, "kanban/card_fields/0",
     "no field with id 'work.x'"),
    ({"kanban": {"field": "work.status", "colour": "red"}}, "kanban", "colour"),
    ({"calendar": {"start": "work.due_at", "initial": "year"}}, "calendar/initial",
     "'year' is not one of"),
]  # fmt: skip


@pytest.mark.parametrize(("views", "pointer", "phrase"), BROKEN_VIEWS)
def test_views_are_checked(tmp_path: Path, views, pointer, phrase):
    import shutil

    bundle = tmp_path / "crm"
    shutil.copytree(SAMPLE, bundle, ignore=shutil.ignore_patterns("__pycache__"))
    edit(bundle, "tables/work.json", lambda t: t.update(views=views))
    issues = load_issues(bundle, [])
    assert any(
        i.file == "tables/work.json" and i.pointer == f"/views/{pointer}" and phrase in i.message
        for i in issues
    ), "\n".join(map(str, issues))


def test_views_name_fields_by_id_so_a_rename_keeps_them(web_platform):
    """The views hold field ids (rename guard, issue 14): the spec follows the new name."""
    from dataclasses import replace

    work = web_platform.runtime.config.find_table("work")
    renamed = replace(work, fields=tuple(
        replace(f, name="deadline") if f.id == "work.due_at" else f for f in work.fields
    ))  # fmt: skip
    assert boards.calendar_spec(renamed).start == "deadline"  # type: ignore[union-attr]


# -- calendar --------------------------------------------------------------------------------
def test_calendar_items_follow_row_rules(web_app, desk):
    anna = login(web_app, "anna")
    got = items(anna)
    assert got.status_code == 200 and got.headers["Cache-Control"] == "no-store"
    mine = {i["title"]: i for i in got.json}
    assert set(mine) == {"Позвонить Альфе", "Счёт Альфе"}  # not boris's client's task
    first = mine["Позвонить Альфе"]
    assert first["start"] == f"{MONDAY}T10:00:00" and first["allDay"] is False
    assert first["editable"] is True and first["version"] == 1
    admin = {i["title"] for i in items(login(web_app, "admin")).json}
    assert admin == {"Позвонить Альфе", "Счёт Альфе", "Договор Гаммы"}
    assert items(anna, start=MONDAY + dt.timedelta(days=7)).json == []  # another week
    events = items(anna, "events").json
    assert [e["title"] for e in events] == ["Встреча с Альфой"]


def test_calendar_rejects_a_bad_or_huge_period(web_app, desk):
    anna = login(web_app, "anna")
    assert anna.get("/-/boards/work/calendar/items?start=x&end=y").status_code == 400
    huge = items(anna, days=400)
    assert huge.status_code == 400 and "двух месяцев" in huge.json["error"]


def test_moving_an_item_changes_its_date_through_the_service(web_app, desk):
    anna = login(web_app, "anna")
    w1 = desk["w1"]
    moved = post_json(anna, "/-/boards/work/calendar/move",
                      {"id": w1["id"], "start": f"{MONDAY + dt.timedelta(days=3)}T15:30:00",
                       "version": 1})  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert moved.json == {"ok": True, "version": 2}
    record = desk["p"].records("work", user=SYSTEM).get(w1["id"])
    assert record["due_at"] == dt.datetime.combine(MONDAY + dt.timedelta(days=3), dt.time(15, 30))
    # The audit trail names anna as the author of the change.
    assert record["updated_by"] == desk["p"].test_users["anna"].id


def test_a_stale_move_is_refused_and_changes_nothing(web_app, desk):
    anna = login(web_app, "anna")
    w1 = desk["w1"]
    desk["p"].records("work", user=SYSTEM).update(w1["id"], {"title": "Позвонить снова"})
    stale = post_json(anna, "/-/boards/work/calendar/move",
                      {"id": w1["id"], "start": f"{MONDAY}T12:00:00", "version": 1})  # fmt: skip
    assert stale.status_code == 409 and stale.json["error"]
    record = desk["p"].records("work", user=SYSTEM).get(w1["id"])
    assert record["due_at"] == dt.datetime.combine(MONDAY, dt.time(10, 0))


def test_moves_are_refused_by_rights(web_app, desk):
    # boris's client's task is not anna's: not found for her, unchanged.
    anna = login(web_app, "anna")
    other = post_json(anna, "/-/boards/work/calendar/move",
                      {"id": desk["w3"]["id"], "start": f"{MONDAY}T09:00:00"})  # fmt: skip
    assert other.status_code == 404 and other.json["error"] == "Запись не найдена."
    # vera reads work but may not change it: nothing is draggable, a move is refused.
    vera = login(web_app, "vera")
    assert all(i["editable"] is False for i in items(vera).json)
    refused = post_json(vera, "/-/boards/work/calendar/move",
                        {"id": desk["w1"]["id"], "start": f"{MONDAY}T09:00:00"})  # fmt: skip
    assert refused.status_code == 403 and refused.json["error"]
    board = vera.get("/-/boards/work/kanban/").text
    assert 'data-editable="false"' in board and "Только просмотр" in board
    card = post_json(vera, "/-/boards/work/kanban/move", {"id": desk["w1"]["id"], "value": "done"})
    assert card.status_code == 403
    records = desk["p"].records("work", user=SYSTEM)
    assert records.get(desk["w3"]["id"])["due_at"].hour == 10
    assert records.get(desk["w1"]["id"])["status"] == "new"


def test_a_bad_date_is_a_russian_message(web_app, desk):
    anna = login(web_app, "anna")
    bad = post_json(anna, "/-/boards/work/calendar/move",
                    {"id": desk["w1"]["id"], "start": "32.13.2026"})  # fmt: skip
    assert bad.status_code == 422 and "Неверные дата и время" in bad.json["error"]
    assert post_json(anna, "/-/boards/work/calendar/move", {"start": "x"}).status_code == 400


def test_moves_need_the_csrf_token(web_app, desk):
    anna = login(web_app, "anna")
    body = json.dumps({"id": desk["w1"]["id"], "value": "done"})
    refused = anna.client.post("/-/boards/work/kanban/move", data=body,
                               content_type="application/json")  # fmt: skip
    assert refused.status_code == 400
    assert desk["p"].records("work", user=SYSTEM).get(desk["w1"]["id"])["status"] == "new"


def test_an_end_field_moves_by_as_much(web_platform):
    """A calendar with an end (planned start → due) keeps the item's length when moved."""
    p = web_platform
    work = p.runtime.config.find_table("work")
    spec = boards.CalendarSpec("planned_start", "due_at", False, "month", {})
    records = p.records("work", user=SYSTEM)
    start = dt.datetime(2026, 3, 2, 9, 0)
    row = records.create({"title": "Долгая", "assignee": p.test_users["anna"].id,
                          "planned_start": start,
                          "due_at": start + dt.timedelta(days=2)})  # fmt: skip
    assert work.has_field("planned_start")
    boards.move_item(records, spec, row["id"], "2026-03-05T11:00:00", row["version"])
    moved = records.get(row["id"])
    assert moved["planned_start"] == dt.datetime(2026, 3, 5, 11, 0)
    assert moved["due_at"] == dt.datetime(2026, 3, 7, 11, 0)


# -- kanban ----------------------------------------------------------------------------------
def columns(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for value, body in re.findall(
        r'<ol class="uchet-kanban-cards list-unstyled" data-value="([^"]+)">(.*?)</ol>', page, re.S
    ):
        found[value] = re.findall(r'class="uchet-kanban-title"[^>]*>([^<]+)<', body)
    return found


def test_the_board_shows_a_column_per_choice_with_the_users_cards(web_app, desk):
    anna = login(web_app, "anna")
    page = anna.get("/-/boards/work/kanban/")
    assert page.status_code == 200
    text = page.text
    assert columns(text) == {"new": ["Позвонить Альфе"], "in_progress": ["Счёт Альфе"],
                             "waiting": [], "done": []}  # fmt: skip
    for label in ("Новая", "В работе", "Ждёт ответа", "Сделано", "Доска работы"):
        assert label in text
    assert "Альфа" in text  # the card's client
    assert 'data-editable="true"' in text
    assert "Договор Гаммы" not in text
    admin = columns(login(web_app, "admin").get("/-/boards/work/kanban/").text)
    assert admin["new"] == ["Позвонить Альфе", "Договор Гаммы"]


def test_moving_a_card_changes_the_status(web_app, desk):
    anna = login(web_app, "anna")
    moved = post_json(anna, "/-/boards/work/kanban/move",
                      {"id": desk["w1"]["id"], "value": "waiting", "version": 1})  # fmt: skip
    assert moved.status_code == 200 and moved.json["version"] == 2
    assert columns(anna.get("/-/boards/work/kanban/").text)["waiting"] == ["Позвонить Альфе"]
    bad = post_json(anna, "/-/boards/work/kanban/move", {"id": desk["w1"]["id"], "value": "lost"})
    assert bad.status_code == 422 and "Допустимые значения" in bad.json["error"]
    other = post_json(anna, "/-/boards/work/kanban/move", {"id": desk["w3"]["id"], "value": "done"})
    assert other.status_code == 404
    assert desk["p"].records("work", user=SYSTEM).get(desk["w3"]["id"])["status"] == "new"


def test_menu_entries_and_pages(web_app, desk):
    anna = login(web_app, "anna")
    home = anna.get("/").text
    for href in ("/-/boards/work/calendar/", "/-/boards/work/kanban/",
                 "/-/boards/events/calendar/"):  # fmt: skip
        assert href in home
    for label in ("Календарь работы", "Доска работы", "Календарь событий"):
        assert label in home
    page = anna.get("/-/boards/work/calendar/").text
    assert "vendor/fullcalendar/index.global.min.js" in page and "ru.global.min.js" in page
    assert 'data-initial="dayGridMonth"' in page and "По полю «Срок»" in page
    assert anna.get("/-/boards/clients/kanban/").status_code == 404  # declares none
    assert anna.get("/-/boards/events/kanban/").status_code == 404
    anonymous = WebClient(web_app).get(
        "/-/boards/work/calendar/items?start=2026-03-02&end=2026-03-09"
    )
    assert anonymous.status_code == 403 and anonymous.json["error"]


def test_the_gantt_report_names_the_client(web_app, desk):
    admin = login(web_app, "admin")
    until = dt.date.today() + dt.timedelta(days=30)  # the tasks were planned to start today
    page = admin.get(f"/reports/report_work_gantt/?run=1&date_from=2026-02-20&date_to={until}").text
    data = json.loads(re.search(r'id="uchet-report-data">(.*?)</script>', page, re.S)
                      .group(1).replace("<\\/", "</"))  # fmt: skip
    details = {b["label"]: b["detail"] for b in data["bars"]}
    assert details["Позвонить Альфе"] == "Альфа" and details["Договор Гаммы"] == "Гамма"
    assert data["texts"]["today"] == "Сегодня" and data["texts"]["detail"] == "Клиент"
