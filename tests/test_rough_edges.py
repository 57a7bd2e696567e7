"""Rough edges a new user met in the Russian CRM (issue 21, point 9), on SQLite and PostgreSQL.

Each test names the symptom it guards against: an id where a title is hidden, English words
(«system», «Administrator», «No matches found»), raw colour codes, the work list's order.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from tests.web_support import WebClient

from uchet import SYSTEM, Platform, ValidationError
from uchet.cli import main
from uchet.platform.fieldtypes.scalar import ColorType
from uchet.platform.model.config import Field


def login(app: Any, who: str) -> WebClient:
    c = WebClient(app)
    assert c.login(who).status_code == 302
    return c


def text(html: str) -> str:
    return lxml.html.fromstring(html).text_content()


def test_a_hidden_reference_shows_no_access_not_its_id(web_platform: Any, web_app: Any) -> None:
    users = web_platform.test_users
    anna, boris = users["anna"], users["boris"]
    secret = web_platform.records("clients", user=SYSTEM).create(
        {"name": "Тайный клиент Бориса", "manager": boris.id}
    )
    # Boris assigns Anna a task on his own client: she sees the task, not the client.
    task = web_platform.records("work", user=boris).create(
        {"client": secret["id"], "title": "Помочь Борису", "assignee": anna.id}
    )
    as_anna = login(web_app, "anna")
    listed = as_anna.get("/work/").text
    row = re.search(rf'<tr class="uchet-row" data-id="{task["id"]}">(.*?)</tr>', listed, re.S)
    assert row is not None
    cell = re.search(r'<td data-field="client">(.*?)</td>', row[1])
    assert cell is not None and cell[1] == "нет доступа"
    card = as_anna.get(f"/work/edit/?id={task['id']}").text
    assert 'data-title="нет доступа"' in card
    assert f'data-title="{secret["id"]}"' not in card
    assert "Тайный клиент" not in card and "Тайный клиент" not in listed


def test_history_names_the_system_in_russian(web_platform: Any, web_app: Any) -> None:
    client = web_platform.records("clients", user=SYSTEM).create({"name": "ООО «Вектор»"})
    web_platform.records("clients", user=SYSTEM).update(client["id"], {"city": "Тверь"})
    page = login(web_app, "admin").get(f"/clients/edit/?id={client['id']}").text
    users = lxml.html.fromstring(page).xpath("//span[contains(@class,'uchet-history-user')]")
    assert [u.text_content() for u in users] == ["Система", "Система"]


def test_init_names_the_administrator_in_the_configurations_language(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    result = CliRunner().invoke(main, ["init", "--database", url, "--admin-password",
                                       "secret-pass-9"])  # fmt: skip
    assert result.exit_code == 0, result.output
    platform = Platform.open("sample_crm", database_url=url)
    try:
        admin = platform.users.find("admin")
        assert admin is not None and admin.name == "Администратор"
    finally:
        platform.close()


def test_lookups_get_their_texts_in_the_users_language(web_platform: Any, web_app: Any) -> None:
    page = login(web_app, "anna").get("/clients/new/").text
    script = lxml.html.fromstring(page).xpath("//script[contains(@src,'select2-texts.js')]")
    assert len(script) == 1
    texts = json.loads(script[0].get("data-texts"))
    assert texts["no_matches"] == "Ничего не найдено" and texts["searching"] == "Поиск…"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("#ABC", "#aabbcc"), (" #6C757D ", "#6c757d"), ("#d4a017", "#d4a017")],
)
def test_colour_values_are_normalised(typed: str, stored: str) -> None:
    field = Field("t.c", "c", "color", {})
    assert ColorType().parse(field, typed) == stored


def test_colours_that_are_not_colours_are_refused_and_shown_as_swatches(
    web_platform: Any, web_app: Any
) -> None:
    cats = web_platform.records("client_categories", user=SYSTEM, locale="ru")
    with pytest.raises(ValidationError) as refused:
        cats.create({"name": "Красные", "color": "red"})
    assert refused.value.messages == {"color": ["Нужен цвет вида #1a2b3c."]}
    listed = login(web_app, "admin").get("/client_categories/").text
    swatches = lxml.html.fromstring(listed).xpath("//td[@data-field='color']/svg/rect")
    assert {s.get("fill") for s in swatches} >= {"#6c757d", "#d4a017", "#dc3545"}
    assert "#6c757d</td>" not in listed  # no raw code as the cell's text


def test_the_work_list_shows_open_work_soonest_first(web_platform: Any, web_app: Any) -> None:
    work = web_platform.records("work", user=SYSTEM)
    me = web_platform.test_users["admin"].id
    now = dt.datetime.now().replace(microsecond=0)
    titles = {
        "далёкая (2027)": now + dt.timedelta(days=400),
        "просроченная": now - dt.timedelta(days=2),
        "завтра": now + dt.timedelta(days=1),
    }
    for title, due in titles.items():
        work.create({"title": title, "due_at": due, "assignee": me})
    done = work.create({"title": "сделанная", "due_at": now - dt.timedelta(days=5), "assignee": me})
    work.update(done["id"], {"done": True})
    page = lxml.html.fromstring(login(web_app, "admin").get("/work/").text)
    order = [
        t.text_content() for t in page.xpath("//tr[@class='uchet-row']/td[@data-field='title']")
    ]
    mine = [t for t in order if t in {*titles, "сделанная"}]
    assert mine == ["просроченная", "завтра", "далёкая (2027)", "сделанная"]
