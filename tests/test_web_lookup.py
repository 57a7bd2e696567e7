"""The duplicate warning, the Find box (phone lookup) and the lookup right in the web
(S25, S36), on SQLite and PostgreSQL.

Anna and Boris are managers: each works with their own clients. Boris may learn that
Anna's client exists and who owns it (the role's ``lookup`` fields: name, kind, city,
manager, status), never its phones, tax id, notes or contacts, and never through a link
he could open.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from tests.web_support import csrf

#: What Boris must never see of Anna's client, on any route.
SECRETS = ("7701234567", "123-45-67", "1234567", "секрет Анны", "Иван Иванов", "555 44 33")


@pytest.fixture
def crm(web_platform: Any) -> dict[str, Any]:
    """Anna's client (with a contact) and Boris's client."""
    users = web_platform.test_users
    anna, boris = users["anna"], users["boris"]
    a = web_platform.records("clients", user=anna).create(
        {
            "name": "ООО «Ромашка»",
            "manager": anna.id,
            "phone": "+7 (495) 123-45-67",
            "tax_id": "7701234567",
            "city": "Москва",
            "notes": "секрет Анны",
        }
    )
    b = web_platform.records("clients", user=boris).create(
        {"name": "ИП Петров", "manager": boris.id, "phone_mobile": "8-912-000-11-22"}
    )
    web_platform.records("contacts", user=anna).create(
        {"client": a["id"], "name": "Иван Иванов", "phone_mobile": "+7 903 555 44 33"}
    )
    return {"anna": a, "boris": b, "platform": web_platform}


def _count(platform: Any) -> int:
    from uchet import SYSTEM

    return len(platform.records("clients", user=SYSTEM).query(limit=1000).rows)


def _clean(text: str, crm: dict[str, Any]) -> None:
    """Nothing of Anna's client beyond its lookup fields, and no link to its card."""
    for secret in SECRETS:
        assert secret not in text, secret
    assert f"/clients/edit/?id={crm['anna']['id']}" not in text
    assert f"/clients/edit/?id%3D{crm['anna']['id']}" not in text


# -- 1. the duplicate warning -----------------------------------------------------------------
def test_live_duplicate_check_shows_other_managers_client_without_details(client, crm):
    """Issue 13, point 8: by default a manager learns only «есть у другого менеджера» and
    which field matched: no title, city, status or manager of another manager's client."""
    b = crm["boris"]
    client.login("boris")
    r = client.get("/clients/duplicates/", query_string={"name": "ооо «ромашка»"})
    assert r.status_code == 200
    data = r.get_json()
    assert data["count"] == 1
    [item] = data["items"]
    assert item == {"title": "есть у другого менеджера", "fields": [], "visible": False,
                    "url": None, "matched": ["Наименование"]}  # fmt: skip
    assert "есть у другого менеджера" in data["html"] and "uchet-save-anyway" in data["html"]
    for detail in ("Ромашка", "Москва", "Anna"):
        assert detail not in data["html"], detail
    _clean(r.text, crm)
    # A phone in another format, in another phone field; the tax id: found, never shown.
    for args, label in (({"phone_home": "8 495 1234567"}, "Телефон домашний"),
                        ({"tax_id": "7701234567"}, "ИНН")):  # fmt: skip
        r = client.get("/clients/duplicates/", query_string=args)
        [item] = r.get_json()["items"]
        assert item["matched"] == [label] and not item["visible"]
        assert item["title"] == "есть у другого менеджера" and item["fields"] == []
        body = r.text.replace(json.dumps(args[next(iter(args))])[1:-1], "")
        _clean(body.replace("7701234567", "") if "tax_id" in args else body, crm)
        assert "1234567" not in json.dumps(item, ensure_ascii=False)
        assert "Москва" not in body and "Ромашка" not in body
    # His own client: visible, with a link to its card.
    [own] = client.get("/clients/duplicates/", query_string={"name": "ип петров"}).get_json()[
        "items"
    ]
    assert own["visible"] and own["url"].endswith(f"/clients/edit/?id={b['id']}")
    assert own["title"] == "ИП Петров"
    # Nothing alike, nothing to say.
    empty = client.get("/clients/duplicates/", query_string={"name": "Совсем другая"})
    assert empty.get_json() == {"count": 0, "html": "", "items": []}


def test_duplicate_check_as_the_administrator_shows_the_record(client, crm):
    """Someone who may read every client (the administrator, a director) sees the match in
    full with a link: the exposure setting is about records outside one's rows."""
    client.login("admin")
    [item] = client.get("/clients/duplicates/", query_string={"tax_id": "7701234567"}).get_json()[
        "items"
    ]
    assert item["title"] == "ООО «Ромашка»" and item["visible"]
    assert item["url"].endswith(f"/clients/edit/?id={crm['anna']['id']}")


def test_duplicates_lookup_setting_reveals_the_lookup_fields(db_url):
    """A role configured with ``"duplicates": "lookup"`` (docs/configuration.md) sees the
    title and its lookup fields of another manager's match, still without a link."""
    from pathlib import Path

    from tests.web_support import WebClient, seed_users

    from uchet import SYSTEM, Platform
    from uchet.configurations.overlay import Overlay
    from uchet.web import create_app

    roles = Path(__file__).resolve().parents[1] / "src/uchet/sample_crm/roles/roles.json"
    manager = next(r for r in json.loads(roles.read_text("utf-8")) if r["id"] == "manager")
    tables = {**manager["tables"], "clients": {**manager["tables"]["clients"],
                                               "duplicates": "lookup"}}  # fmt: skip
    reveal = Overlay("reveal.json", {"overlay": "reveal", "set": {"manager": {"tables": tables}}})
    p = Platform.open("sample_crm", database_url=db_url, overlays=[reveal])
    try:
        p.migrate()
        users = seed_users(p)
        p.records("clients", user=SYSTEM).create(
            {"name": "ООО «Ромашка»", "manager": users["anna"].id, "city": "Москва",
             "tax_id": "7701234567"})  # fmt: skip
        web = WebClient(create_app(p, secret_key="test-secret-" + "x" * 20))
        web.login("boris")
        data = web.get("/clients/duplicates/", query_string={"tax_id": "7701234567"}).get_json()
        [item] = data["items"]
        assert item["title"] == "ООО «Ромашка»" and not item["visible"] and item["url"] is None
        assert dict(item["fields"])["Город"] == "Москва"
        assert "7701234567" not in json.dumps(item, ensure_ascii=False)
    finally:
        p.close()


def test_live_duplicate_check_is_rights_checked(client, crm):
    a, b = crm["anna"], crm["boris"]
    anonymous = client.get("/clients/duplicates/?name=x")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    client.login("boris")
    # Editing: the id must be a record he may open (else 404, like its card).
    assert client.get(f"/clients/duplicates/?id={a['id']}&name=x").status_code == 404
    assert client.get(f"/clients/duplicates/?id={b['id']}&name=x").status_code == 200
    # Contacts declare no duplicate check.
    assert client.get("/contacts/duplicates/?name=x").status_code == 404
    # The viewer may neither create nor change clients: no probing tax ids through it.
    client.post("/logout")
    client.login("vera")
    assert client.get("/clients/duplicates/?tax_id=7701234567").status_code == 403


def test_save_with_a_duplicate_asks_to_confirm_and_keeps_the_input(client, crm):
    platform = crm["platform"]
    client.login("boris")
    before = _count(platform)
    page = client.get("/clients/new/")
    form = {"csrf_token": csrf(page.text), "kind": "company", "name": "ООО «Ромашка»",
            "city": "Тверь", "phone": "8 (495) 123-45-67",
            "manager": str(platform.test_users["boris"].id)}  # fmt: skip
    r = client.post("/clients/new/", form)
    assert r.status_code == 200 and _count(platform) == before
    assert "uchet-duplicates-warning" in r.text and "Всё равно сохранить" in r.text
    assert 'value="Тверь"' in r.text  # the input is kept
    _clean(r.text.replace("8 (495) 123-45-67", ""), crm)
    digest = re.search(r'name="uchet_duplicates_ok" value="([0-9a-f]+)"', r.text).group(1)
    # A confirmation of another set of records does not count...
    wrong = client.post("/clients/new/", {**form, "uchet_duplicates_ok": "0" * 32})
    assert "uchet-duplicates-warning" in wrong.text and _count(platform) == before
    # ...nor one without the CSRF token (nothing is saved)...
    no_token = dict(form, uchet_duplicates_ok=digest)
    no_token.pop("csrf_token")
    refused = client.post("/clients/new/", no_token, token=False)
    assert _count(platform) == before and refused.status_code in (200, 400)
    # ...this one does.
    saved = client.post("/clients/new/", {**form, "uchet_duplicates_ok": digest})
    assert saved.status_code == 302 and _count(platform) == before + 1


def test_editing_warns_only_about_changed_values(client, crm):
    b = crm["boris"]
    platform = crm["platform"]
    client.login("boris")
    url = f"/clients/edit/?id={b['id']}"

    def post(**changes: str) -> Any:
        page = client.get(url).text
        version = re.search(r'name="uchet_version"[^>]*value="(\d+)"', page)
        original = re.search(r'name="uchet_original"[^>]*value="([^"]*)"', page)
        form = {"csrf_token": csrf(page), "kind": "company", "name": "ИП Петров",
                "phone_mobile": "8-912-000-11-22", "uchet_version": version.group(1),
                "manager": str(platform.test_users["boris"].id),
                "uchet_original": original.group(1).replace("&#34;", '"').replace("&quot;", '"'),
                **changes}  # fmt: skip
        return client.post(url, form)

    # Give his client Anna's client's name (he may), confirm, then edit another field.
    first = post(name="ООО «Ромашка»")
    assert "uchet-duplicates-warning" in first.text
    digest = re.search(r'name="uchet_duplicates_ok" value="([0-9a-f]+)"', first.text).group(1)
    assert post(name="ООО «Ромашка»", uchet_duplicates_ok=digest).status_code == 302
    again = post(name="ООО «Ромашка»", city="Тверь")
    assert again.status_code == 302, "an unchanged duplicate value does not ask again"
    assert (
        platform.records("clients", user=platform.test_users["boris"]).get(b["id"])["city"]
        == "Тверь"
    )
    # A changed phone that another client has asks again.
    assert (
        "uchet-duplicates-warning"
        in post(name="ООО «Ромашка»", phone_mobile="+7 495 123 45 67").text
    )


# -- 2. the Find box: phone lookup --------------------------------------------------------------
def test_find_box_phone_in_any_format_opens_the_card(client, crm):
    a = crm["anna"]
    client.login("anna")
    home = client.get("/")
    assert 'id="uchet-find"' in home.text  # the box is in the top bar
    for typed in ("8 (495) 123-45-67", "+7495 1234567", "4951234567"):
        r = client.get("/-/find/", query_string={"q": typed})
        assert r.status_code == 302, typed
        assert r.headers["Location"].endswith(f"/clients/edit/?id={a['id']}")
    # By a contact person's mobile.
    r = client.get("/-/find/", query_string={"q": "8 903 555-44-33"})
    assert r.headers["Location"].endswith(f"/clients/edit/?id={a['id']}")
    nothing = client.get("/-/find/", query_string={"q": "+7 999 000 00 00"})
    assert nothing.status_code == 200 and "Ничего не найдено" in nothing.text


def test_find_box_shows_other_managers_client_as_exists_and_owner(client, crm):
    client.login("boris")
    for typed in ("+7 495 123-45-67", "8 903 555 4433"):  # its phone, its contact's mobile
        r = client.get("/-/find/", query_string={"q": typed})
        assert r.status_code == 200, typed
        assert "ООО «Ромашка»" in r.text and "Anna" in r.text and "Москва" in r.text
        assert "uchet-found-hidden" in r.text
        _clean(r.text.replace(typed, ""), crm)
    # By name: his own client is a link, Anna's is not.
    r = client.get("/-/find/", query_string={"q": "ромашка"})
    assert "ООО «Ромашка»" in r.text and "Anna" in r.text
    _clean(r.text, crm)
    r = client.get("/-/find/", query_string={"q": "петров"})
    assert f"/clients/edit/?id={crm['boris']['id']}" in r.text
    # Two hits (his client and Anna's share a phone now): a list, not a card.
    crm["platform"].records("clients", user=crm["platform"].test_users["boris"]).update(
        crm["boris"]["id"], {"phone_home": "84951234567"}
    )
    r = client.get("/-/find/", query_string={"q": "84951234567"})
    assert r.status_code == 200 and r.text.count('<li class="uchet-found') == 2
    _clean(r.text.replace("84951234567", ""), crm)


# -- 2b. the Find box's suggestions as one types ------------------------------------------------
def suggest(client: Any, typed: str) -> Any:
    r = client.get("/-/find/suggest", query_string={"q": typed})
    assert r.status_code == 200, (typed, r.status_code)
    assert r.mimetype == "application/json" and r.headers["Cache-Control"] == "no-store"
    return r


def test_suggestions_need_a_login(client, crm):
    r = client.get("/-/find/suggest", query_string={"q": "ромашка"})
    assert r.status_code == 401 and r.json == {"error": "login required"}
    assert "Ромашка" not in r.text


def test_suggestions_find_own_client_by_phone_in_any_format(client, crm):
    client.login("anna")
    for typed in ("8 (495) 123-45-67", "+7495 1234567", "8 903 555-44-33"):  # and a contact's
        items = suggest(client, typed).json["items"]
        # A contact's mobile finds the client through it and, as contacts are findable
        # (issue 21), the contact itself.
        contact = ["Иван Иванов"] if typed.startswith("8 903") else []
        assert [i["title"] for i in items] == ["ООО «Ромашка»", *contact], typed
        assert items[0]["visible"] and items[0]["url"].endswith(
            f"/clients/edit/?id={crm['anna']['id']}"
        )
    # By the first letters of the name; one character asks nothing.
    assert [i["title"] for i in suggest(client, "ром").json["items"]] == ["ООО «Ромашка»"]
    assert suggest(client, "р").json["items"] == []


def test_suggestions_tell_only_that_another_managers_client_exists(client, crm):
    """Boris typing Anna's client's phone or tax id one character at a time learns nothing
    of it until the whole phone is typed; then (as on the Find page) only that it exists,
    its city and its manager, with no link to its card."""
    client.login("boris")
    typed_phone = "+7 (495) 123-45-67"
    for typed in (
        [typed_phone[:n] for n in range(2, len(typed_phone))]
        + ["7701234567"[:n] for n in range(2, 11)]
        + ["84951234"[:n] for n in range(2, 9)]
    ):
        r = suggest(client, typed)
        assert r.json["items"] == [], typed
        _clean(r.text.replace(typed, ""), crm)
    for typed in (typed_phone, "ромашка", "8 903 555 44 33"):
        r = suggest(client, typed)
        (item,) = r.json["items"]
        assert item["title"] == "ООО «Ромашка»" and not item["visible"]
        assert "Anna" in " ".join(item["fields"]) and "Москва" in " ".join(item["fields"])
        assert item["note"] == "уже есть, с ней работает другой пользователь"
        assert item["url"].startswith("/-/find/?q=")  # the Find page, not the card
        # What Boris typed comes back (in the Find page's address): only that may be there.
        _clean(re.sub(r"\?q=[^\"]*", "", r.text.replace(typed, "")), crm)
    # The viewer reads every client but not tax ids: a tax id's digits find nothing.
    client.post("/logout")
    client.login("vera")
    for typed in ("7701", "770123", "7701234567"):
        assert suggest(client, typed).json["items"] == [], typed


def test_suggestions_are_few(client, crm):
    users = crm["platform"].test_users
    service = crm["platform"].records("clients", user=users["anna"])
    for n in range(12):
        service.create({"name": f"Альфа {n}", "manager": users["anna"].id})
    client.login("anna")
    data = suggest(client, "альфа").json
    assert len(data["items"]) == 8
    assert data["all"]["url"] == "/-/find/?q=%D0%B0%D0%BB%D1%8C%D1%84%D0%B0"
    page = client.get(data["all"]["url"])
    assert page.text.count('<li class="uchet-found') == 12  # the page lists them all


# -- 3. the lookup right in lists ---------------------------------------------------------------
def test_quick_search_tells_that_another_managers_client_exists(client, crm):
    client.login("boris")
    r = client.get("/clients/", query_string={"q": "ромашка"})
    assert r.status_code == 200
    panel = r.text.split('id="uchet-elsewhere"', 1)[1].split("</div>\n</div>", 1)[0]
    assert "ООО «Ромашка»" in panel and "Anna" in panel
    rows = r.text.split('id="uchet-list"', 1)[1]
    assert "Ромашка" not in rows  # the list itself never shows it
    _clean(r.text, crm)
    # Digits of its phone or tax id find nothing of it: no probing one digit at a time.
    for probe in ("7701", "495123"):
        assert 'id="uchet-elsewhere"' not in client.get(f"/clients/?q={probe}").text
    # Anna sees her client in the list itself, and no panel.
    client.post("/logout")
    client.login("anna")
    mine = client.get("/clients/", query_string={"q": "ромашка"})
    assert 'id="uchet-elsewhere"' not in mine.text and "ООО «Ромашка»" in mine.text


ROUTES = [
    "/clients/",
    "/clients/?q=ромашка",
    "/clients/edit/?id={a}",
    "/clients/children/contacts/?id={a}",
    "/clients/file/{a}/photo",
    "/print-out/pf_client_card/{a}",
    "/print-out/pf_client_card/{a}/preview",
    "/clients/values/city/",
    "/clients/values/name/?q=ром",
    "/clients/export/csv/?q=ромашка",
    "/clients/export/csv/",
    "/clients/export/xlsx/",
    "/contacts/",
    "/contacts/?q=иван",
    "/contacts/lookup/client/?q=ром",
    "/contacts/new/?client={a}",
    "/clients/duplicates/?tax_id=7701234567",
    "/clients/duplicates/?phone=84951234567&name=ООО «Ромашка»",
    "/-/find/?q=ромашка",
    "/-/find/?q=84951234567",
    "/-/find/?q=8 903 555 44 33",
    "/-/find/suggest?q=ромашка",
    "/-/find/suggest?q=84951234567",
    "/-/find/suggest?q=8 903 555 44 33",
]


@pytest.mark.parametrize("route", ROUTES)
def test_a_manager_cannot_read_another_managers_client_details(client, crm, route):
    """Every route Boris can reach: Anna's client is 404, absent, or shown with its lookup
    fields only (name, city, owner) and no link."""
    client.login("boris")
    url = route.format(a=crm["anna"]["id"])
    r = client.get(url)
    if any(part in url for part in ("/edit/", "/children/", "/file/", "/print-out/")):
        assert r.status_code == 404
        return
    assert r.status_code == 200, (url, r.status_code)
    body = r.data
    if url.startswith("/clients/export/xlsx"):
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body))
        text = " ".join(str(c.value) for row in book.active.iter_rows() for c in row)
    else:
        text = body.decode("utf-8-sig")
    # What Boris typed comes back in the page (the search box): only that may be there.
    for typed in ("7701234567", "84951234567", "8 903 555 44 33"):
        text = text.replace(typed, "")
    _clean(text, crm)
    if "/export/" in url or "/values/" in url or url.startswith("/contacts/lookup"):
        assert "Ромашка" not in text and "Москва" not in text


def test_an_orders_contact_is_chosen_among_its_clients_contacts(crm: dict[str, Any], client):
    """``lookup_match`` (orders.contact: contacts.client = orders.client): the card sends the
    client it shows, the look-up offers only that client's contacts; with no client chosen
    yet it offers every contact the user may read; a forged value finds nothing."""
    p, anna = crm["platform"], p_users(crm)["anna"]
    other = p.records("clients", user=anna).create({"name": "ООО «Лютик»", "manager": anna.id})
    p.records("contacts", user=anna).create({"client": other["id"], "name": "Пётр Лютиков"})
    client.login("anna")
    card = client.get("/orders/new/").text
    assert re.search(
        r'name="contact"[^>]*data-match="client"|data-match="client"[^>]*name="contact"', card
    )

    def names(query: str) -> list[str]:
        return sorted(
            r["text"] for r in client.get(f"/orders/lookup/contact/{query}").json["results"]
        )

    assert names("") == ["Иван Иванов", "Пётр Лютиков"]
    assert names(f"?m.client={crm['anna']['id']}") == ["Иван Иванов"]
    assert names(f"?q=Пёт&m.client={other['id']}") == ["Пётр Лютиков"]
    assert names(f"?q=Иван&m.client={other['id']}") == []
    assert names("?m.client=abc") == []  # not an id: nothing, not an error page
    # Boris may not read Anna's contacts, whatever client he names.
    client.login("boris")
    assert names(f"?m.client={crm['anna']['id']}") == []


def p_users(crm: dict[str, Any]) -> dict[str, Any]:
    return crm["platform"].test_users
