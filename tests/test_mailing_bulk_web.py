"""The list's bulk bar offers «Рассылка…» (issue 19 with issue 21's bar): to users with the
``mail`` right on a table that has message templates; it opens the new-mailing page with
the ticked rows, or with the list's filter for "all matching"."""

from __future__ import annotations

import urllib.parse
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
            {"name": name, "city": city, "manager": owner.id, "email": f"{city}@example.test"}
        )
    return made


def login(web_app: Any, name: str) -> WebClient:
    c = WebClient(web_app)
    assert c.login(name).status_code == 302
    return c


def test_the_bar_offers_a_mailing_to_who_may_mail(web_app: Any, clients: Any) -> None:
    assert ">Рассылка…<" in login(web_app, "anna").get("/clients/").text
    # A viewer has no ``mail`` right: no entry.
    assert ">Рассылка…<" not in login(web_app, "vera").get("/clients/").text


def test_the_selection_opens_the_mailing_page(web_app: Any, clients: Any) -> None:
    anna = login(web_app, "anna")
    a, b = clients["Альфа"], clients["Бета"]
    form = {"action": "mail:", "ids": f"{a['id']},{b['id']}", "state": ""}
    asked = anna.post("/clients/bulk/", form).text  # the count first
    assert "Выбрано записей: 2." in asked and "Написать по записям: 2" in asked
    r = anna.post("/clients/bulk/", {**form, "confirm": "1"})
    assert r.status_code == 302
    location = r.headers["Location"]
    assert "/-/mailings/new" in location
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["table"] == ["clients"] and query["ids"] == [f"{a['id']},{b['id']}"]
    page = anna.get(location).text
    assert "Отправить получателям: 2" in page and "С днём рождения, Альфа!" in page


def test_all_matching_takes_the_filter_under_the_users_rights(web_app: Any, clients: Any) -> None:
    anna = login(web_app, "anna")
    form = {"action": "mail:", "all": "1", "state": "f.city=Москва"}
    asked = anna.post("/clients/bulk/", form).text
    assert "Записей по фильтру: 2." in asked  # Дельта is Борис's client
    r = anna.post("/clients/bulk/", {**form, "confirm": "1"})
    location = r.headers["Location"]
    assert "f.city=" in location and "ids=" not in location
    page = anna.get(location).text
    assert "Отправить получателям: 2" in page  # not Дельта
