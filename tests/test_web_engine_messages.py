"""Engine messages reach the web in the user's language (issue 3 §5): validation,
permission and conflict messages the platform raises, shown in a Russian session, hold no
English text; fields are named by their labels. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from tests.test_web_card import form_data
from tests.web_support import WebClient

from uchet import SYSTEM
from uchet.platform.model.i18n import MESSAGES, Text, localized

LATIN_WORD = re.compile(r"[A-Za-z_]{3,}")
#: What the requests below type themselves (a message may quote the user's input), and the
#: Latin that Russian texts use too ("адрес e-mail").
TYPED = {"nope", "bogus", "abc", "zzz", "mail"}


def _messages(html: str) -> list[str]:
    tree = lxml.html.fromstring(html)
    found = tree.xpath(
        "//*[contains(@class,'alert') or contains(@class,'uchet-error')"
        " or contains(@class,'uchet-loose')]"
    )
    return [t for t in (" ".join(el.text_content().split()) for el in found) if t]


def _english(texts: list[str]) -> list[str]:
    return [t for t in texts if set(LATIN_WORD.findall(t)) - TYPED]


def test_every_engine_message_has_a_russian_text() -> None:
    assert [k for k, texts in MESSAGES.items() if not texts.get("ru")] == []
    text = Text("invalid_cursor")
    assert str(text).startswith("invalid or outdated cursor")  # the API keeps English
    assert localized(text, "ru") == "Позиция в списке устарела; начните с первой страницы."
    assert localized("plain", "ru") == "plain"


def test_bad_list_requests_are_explained_in_russian(client: WebClient) -> None:
    client.login("admin")
    shown = {}
    for query in ("sort=nope", "f.loyalty=abc", "f.loyalty.between=abc", "after=zzz",
                  "f.created=31.31.2020", "f.nope=1", "group=nope", "f.name.bogus=1",
                  "f.loyalty.contains=1", "size=0"):  # fmt: skip
        r = client.get("/clients/?" + query, follow_redirects=True)
        assert r.status_code == 200
        shown[query] = _messages(r.text)
    assert all(shown[q] for q in shown if q != "size=0"), shown
    assert {q: _english(t) for q, t in shown.items() if _english(t)} == {}
    # Fields are named by their labels, not by their names.
    assert any("Лояльность" in t for t in shown["f.loyalty=abc"]), shown["f.loyalty=abc"]
    assert any("Сортировка" in t and "nope" in t for t in shown["sort=nope"])


def test_hidden_fields_are_refused_in_russian(client: WebClient) -> None:
    client.login("vera")  # a viewer: the tax id is hidden from her
    for query in ("sort=tax_id", "f.tax_id=1", "group=tax_id"):
        texts = _messages(client.get("/clients/?" + query, follow_redirects=True).text)
        assert texts and _english(texts) == [], (query, texts)
        assert any("ИНН" in t for t in texts), texts  # the field's label
    r = client.get("/clients/values/tax_id/")
    assert r.status_code == 403
    assert not _english([r.json["error"]]) and "ИНН" in r.json["error"]


def test_bad_card_input_and_a_stale_edit_in_russian(client: WebClient, web_platform: Any) -> None:
    rid = web_platform.records("clients", user=SYSTEM).create({"name": "Клиент"})["id"]
    client.login("admin")
    r = client.post("/clients/new/", {"name": "Плохой", "kind": "company", "loyalty": "abc",
                                      "email": "nope", "birthday": "31.31.2020",
                                      "tax_id": "1" * 40})  # fmt: skip
    texts = _messages(r.text)
    assert len(texts) >= 4 and _english(texts) == [], texts
    # A stale edit: someone saved the record after this card was opened.
    data = form_data(lxml.html.fromstring(client.get(f"/clients/edit/?id={rid}").text))
    web_platform.records("clients", user=SYSTEM).update(rid, {"city": "Тверь"})
    r = client.post(f"/clients/edit/?id={rid}", data | {"name": "Мой"})
    assert r.status_code == 409
    texts = _messages(r.text)
    assert texts and _english(texts) == [], texts
    # A manager giving her client away: refused, in Russian.
    anna = web_platform.test_users["anna"]
    mine = web_platform.records("clients", user=SYSTEM).create(
        {"name": "Аннин", "manager": anna.id}
    )
    client.login("anna")
    url = f"/clients/edit/?id={mine['id']}"
    data = form_data(lxml.html.fromstring(client.get(url).text))
    r = client.post(url, data | {"manager": str(web_platform.test_users["boris"].id)})
    texts = _messages(r.text)
    assert texts and _english(texts) == [], texts
