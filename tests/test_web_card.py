"""Cards through Flask's test client, on SQLite and PostgreSQL (issue 3 §3; S04, S10, S36, S37).

Layout, required marks, errors next to their fields with the input kept, searchable selects
that respect row rules, child records in the modal dialog, files in the database, computed
values, stale edits, restricted deletes and the History tab.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from tests.conftest import unseed
from tests.web_support import WebClient, csrf, seed_users

from uchet import SYSTEM
from uchet.configurations.overlay import Overlay


def make_png(width: int, height: int) -> bytes:
    """A real PNG image (a colour gradient), made without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\0" + bytes(v for x in range(width) for v in (40 + x * 3 % 200, 90 + y * 2 % 150, 160))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = make_png(64, 48)

#: A customer's changes that exercise the card: a hidden field, a restricted reference, a
#: field a manager may only read, a small file limit on the photo.
CARD_OVERLAY = Overlay(
    "cards.json",
    {
        "overlay": "cards",
        "set": {
            "contacts.client": {"on_delete": "restrict"},
            "clients.photo": {"max_size": 2000},
            "manager": {
                "tables": {
                    "clients": {
                        "create": True,
                        "read": True,
                        "update": True,
                        "delete": True,
                        "rows": [{"field": "manager", "op": "eq", "value": "$user"}],
                        "fields": {"clients.tax_id": "read"},
                    },
                    "contacts": {
                        "create": True,
                        "read": True,
                        "update": True,
                        "delete": True,
                        "rows": [{"field": "client.manager", "op": "eq", "value": "$user"}],
                    },
                    "client_categories": {"read": True},
                }
            },
        },
        "hide": ["clients.website"],
    },
)


def html(r: Any) -> Any:
    return lxml.html.fromstring(r.text)


def attr(tree: Any, xpath: str, name: str) -> str:
    found = tree.xpath(xpath)
    assert found, f"nothing at {xpath}"
    return str(found[0].get(name))


def form_data(tree: Any) -> dict[str, Any]:
    """What a browser would post from the card's form as it is shown."""
    data: dict[str, Any] = {}
    form = tree.xpath("//form[contains(@class,'uchet-card')]")[0]
    for el in form.xpath(".//input|.//select|.//textarea"):
        name = el.get("name")
        if not name or el.get("type") == "file":
            continue
        if el.get("type") == "checkbox":
            if el.get("checked") is not None:
                data[name] = el.get("value") or "y"
            continue
        if el.tag == "select":
            chosen = el.xpath(".//option[@selected]")
            data[name] = chosen[0].get("value") if chosen else ""
        elif el.tag == "textarea":
            data[name] = el.text or ""
        else:
            data[name] = el.get("value") or ""
    return data


CRM_FORMS = Path(__file__).resolve().parents[1] / "src" / "uchet" / "sample_crm" / "forms"


@pytest.fixture
def crm(web_platform: Any) -> Any:
    """Sample data: categories, Anna's and Boris's clients, a contact of Anna's client."""
    p, users = web_platform, web_platform.test_users
    unseed(p)  # its own categories
    cats = p.records("client_categories", user=SYSTEM)
    p.vip = cats.create({"name": "VIP"})
    p.ivanovo = cats.create({"name": "Иваново-опт"})
    clients = p.records("clients", user=SYSTEM)
    p.anna_client = clients.create(
        {"name": "Иванов ИП", "city": "Москва", "manager": users["anna"].id}
    )
    p.boris_client = clients.create({"name": "Ивушка ООО", "manager": users["boris"].id})
    p.contact = p.records("contacts", user=SYSTEM).create(
        {"client": p.anna_client["id"], "name": "Иван Петров"}
    )
    return p


@pytest.fixture
def custom(db_url: str) -> Iterator[Any]:
    """The sample CRM with CARD_OVERLAY, its users, and a test client of its app."""
    from uchet import Platform
    from uchet.web import create_app

    p = Platform.open("sample_crm", database_url=db_url, overlays=[CARD_OVERLAY])
    p.migrate()
    p.test_users = seed_users(p)
    p.web = WebClient(create_app(p, secret_key="test-secret-" + "x" * 20))
    yield p
    p.close()


# -- 1. layout ------------------------------------------------------------------------------
def test_card_follows_the_form_layout(client: Any, crm: Any) -> None:
    client.login("admin")
    tree = html(client.get(f"/clients/edit/?id={crm.anna_client['id']}"))
    tabs = [a.get("data-tab") for a in tree.xpath("//ul[contains(@class,'uchet-tabs')]//a")]
    layout = json.loads((CRM_FORMS / "client_card.json").read_text(encoding="utf-8"))["layout"]
    assert tabs[:2] == ["tab_main", "tab_contacts"] and tabs[-1] == "history"
    assert tabs == [tab["id"] for tab in layout] + ["history"]  # the form's order, then History
    sections = [s.get("data-section") for s in tree.xpath("//div[@id='tab-tab_main']//fieldset")]
    assert sections == [sec["id"] for sec in layout[0]["sections"]] + ["other"]
    assert sections[:4] == ["sec_main", "sec_contact", "sec_legal", "sec_more"]
    main = tree.xpath("//fieldset[@data-section='sec_main']")[0]
    rows = [
        [f.get("data-field") for f in row.xpath(".//div[@data-field]")]
        for row in main.xpath("./div[contains(@class,'form-row')]")
    ]
    assert rows[:3] == [["kind", "status"], ["name"], ["category", "manager"]]
    # A field no form places lands in "Other": the rollup, shown read-only.
    other = tree.xpath("//fieldset[@data-section='other']")[0]
    assert "Прочее" in other.text_content()
    assert other.xpath(".//div[@data-field='contact_count'][contains(@class,'uchet-readonly')]")


def test_hidden_fields_are_not_shown_and_saving_keeps_them(custom: Any) -> None:
    svc = custom.records("clients", user=SYSTEM)
    rec = svc.create({"name": "Скрытый сайт", "website": "https://example.com"})
    custom.web.login("admin")
    page = custom.web.get(f"/clients/edit/?id={rec['id']}")
    assert 'data-field="website"' not in page.text and 'name="website"' not in page.text
    data = form_data(html(page)) | {"city": "Тула"}
    r = custom.web.post(f"/clients/edit/?id={rec['id']}", data)
    assert r.status_code == 302, r.text
    saved = svc.get(rec["id"])
    assert saved["city"] == "Тула" and saved["website"] == "https://example.com"


def test_field_the_user_may_only_read_is_shown_as_text(custom: Any) -> None:
    anna = custom.test_users["anna"]
    rec = custom.records("clients", user=SYSTEM).create(
        {"name": "Аннин", "tax_id": "7701234567", "manager": anna.id}
    )
    custom.web.login("anna")
    tree = html(custom.web.get(f"/clients/edit/?id={rec['id']}"))
    block = tree.xpath("//div[@data-field='tax_id']")[0]
    assert "uchet-readonly" in block.get("class")
    assert "7701234567" in block.text_content()
    assert not tree.xpath("//input[@name='tax_id']")
    assert tree.xpath("//input[@name='city']")


# -- 2. required marks, errors next to fields, input kept ----------------------------------
def test_required_fields_carry_an_asterisk(client: Any, crm: Any) -> None:
    client.login("admin")
    tree = html(client.get("/clients/new/"))
    marked = {
        b.get("data-field")
        for b in tree.xpath("//div[@data-field][.//span[contains(@class,'uchet-asterisk')]]")
    }
    assert marked == {"kind", "name"}
    # A new record starts from the configuration's defaults.
    assert attr(tree, "//select[@name='kind']/option[@selected]", "value") == "company"


def test_errors_appear_next_to_fields_and_the_input_is_kept(client: Any, crm: Any) -> None:
    client.login("admin")
    r = client.post(
        "/clients/new/",
        {
            "kind": "company",
            "name": "",
            "city": "Тверь",
            "loyalty": "42",
            "tax_id": "12",
            "category": str(crm.vip["id"]),
            "photo": (io.BytesIO(PNG), "me.png", "image/png"),
        },
    )
    assert r.status_code == 200
    tree = html(r)

    def error(name: str) -> str:
        found = tree.xpath(f"//div[@data-field='{name}']//*[contains(@class,'uchet-error')]")
        return " ".join(e.text_content() for e in found)

    assert "Обязательное поле" in error("name")
    assert error("loyalty") and error("tax_id")
    assert not error("city")
    assert attr(tree, "//input[@name='city']", "value") == "Тверь"
    assert attr(tree, "//input[@name='loyalty']", "value") == "42"
    # The chosen reference keeps its title; the chosen file must be chosen again.
    assert attr(tree, "//input[@name='category']", "value") == str(crm.vip["id"])
    assert attr(tree, "//input[@name='category']", "data-title") == "VIP"
    assert tree.xpath("//div[@data-field='photo']//*[contains(@class,'uchet-reupload')]")
    assert crm.records("clients", user=SYSTEM).query(count=True).total == 2


def test_errors_on_a_later_tab_open_that_tab(client: Any, crm: Any) -> None:
    """A form with tabs shows the first tab that has an error, and marks it."""
    client.login("admin")
    page = client.get("/contacts/new/")
    assert page.status_code == 200
    r = client.post("/clients/new/", {"kind": "company", "name": "", "loyalty": "x"})
    tree = html(r)
    active = tree.xpath("//ul[contains(@class,'uchet-tabs')]//a[contains(@class,'active')]")
    assert [a.get("data-tab") for a in active] == ["tab_main"]


# -- 3. searchable selects -----------------------------------------------------------------
def test_lookup_matches_first_letters_case_insensitively(client: Any, crm: Any) -> None:
    client.login("admin")
    found = client.get("/clients/lookup/category/?q=ива").json["results"]
    assert [i["text"] for i in found] == ["Иваново-опт"]
    everything = client.get("/clients/lookup/category/").json["results"]
    assert {i["text"] for i in everything} == {"VIP", "Иваново-опт"}
    users = client.get("/clients/lookup/manager/?q=An").json["results"]
    assert [u["text"] for u in users] == ["Anna"]
    assert client.get("/clients/lookup/city/").status_code == 404
    assert client.get("/clients/lookup/nope/").status_code == 404


def test_lookup_respects_row_rules(client: Any, crm: Any) -> None:
    client.login("anna")
    found = client.get("/contacts/lookup/client/?q=ив").json["results"]
    assert [i["text"] for i in found] == ["Иванов ИП"]  # not Boris's "Ивушка ООО"
    client.login("boris")
    found = client.get("/contacts/lookup/client/?q=ИВ").json["results"]
    assert [i["text"] for i in found] == ["Ивушка ООО"]


def test_choosing_a_reference_saves_it(client: Any, crm: Any) -> None:
    client.login("admin")
    rid = crm.anna_client["id"]
    data = form_data(html(client.get(f"/clients/edit/?id={rid}")))
    data["category"] = str(crm.ivanovo["id"])
    assert client.post(f"/clients/edit/?id={rid}", data).status_code == 302
    tree = html(client.get(f"/clients/edit/?id={rid}"))
    assert attr(tree, "//input[@name='category']", "data-title") == "Иваново-опт"


def test_a_manager_creating_a_client_is_its_manager(client: Any, crm: Any) -> None:
    anna = crm.test_users["anna"]
    client.login("anna")
    tree = html(client.get("/clients/new/"))
    assert attr(tree, "//input[@name='manager']", "value") == str(anna.id)
    data = form_data(tree) | {"name": "Новый Аннин"}
    assert client.post("/clients/new/", data).status_code == 302
    # Giving the client to someone else would take it out of her rows: a clear refusal.
    data = form_data(tree) | {"name": "Чужой", "manager": str(crm.test_users["boris"].id)}
    r = client.post("/clients/new/", data)
    assert r.status_code == 200 and "uchet-loose" in r.text
    assert attr(html(r), "//input[@name='name']", "value") == "Чужой"


# -- 4. child records in the modal dialog --------------------------------------------------
def test_child_tab_lists_children_with_modal_links(client: Any, crm: Any) -> None:
    client.login("admin")
    rid = crm.anna_client["id"]
    tree = html(client.get(f"/clients/edit/?id={rid}"))
    tab = tree.xpath("//div[@id='tab-tab_contacts']//div[contains(@class,'uchet-children')]")[0]
    assert "Иван Петров" in tab.text_content()
    add = tab.xpath(".//a[contains(@class,'uchet-child-add')]")[0]
    assert "modal=1" in add.get("data-modal-url") and "fixed=client" in add.get("data-modal-url")
    assert f"client={rid}" in add.get("href")  # works without JavaScript too
    assert tree.xpath("//div[@id='uchet-modal']")


def test_child_added_and_edited_through_the_modal(client: Any, crm: Any) -> None:
    client.login("admin")
    rid = crm.anna_client["id"]
    url = f"/contacts/new/?client={rid}&fixed=client&modal=1"
    r = client.get(url)
    assert r.status_code == 200 and "<html" not in r.text  # a bare form for the dialog
    tree = html(r)
    assert attr(tree, "//input[@name='client'][@type='hidden']", "value") == str(rid)
    assert not tree.xpath("//div[@data-field='client']")  # preset and hidden
    token = csrf(r.text)
    # A missing required field: the form comes back with the message, status 422.
    r = client.client.post(
        url,
        data={"client": str(rid), "name": "", "position": "Бухгалтер"},
        headers={"X-CSRFToken": token},
    )
    assert r.status_code == 422
    tree = html(r)
    assert tree.xpath("//div[@data-field='name']//*[contains(@class,'uchet-error')]")
    assert attr(tree, "//input[@name='position']", "value") == "Бухгалтер"
    # Without a token, nothing is written.
    r = client.client.post(url, data={"client": str(rid), "name": "Без токена"})
    assert r.status_code == 422
    # With the token in the header only (the dialog's AJAX submit): JSON, and it is saved.
    r = client.client.post(
        url,
        data={"client": str(rid), "name": "Мария", "position": "Бухгалтер"},
        headers={"X-CSRFToken": token},
    )
    assert r.status_code == 200 and r.json["ok"] is True
    new_id = r.json["id"]
    contacts = crm.records("contacts", user=SYSTEM)
    assert contacts.get(new_id)["client"] == rid
    # The tab's list, rendered again for the card.
    listing = client.get(f"/clients/children/tab_contacts/?id={rid}")
    assert listing.status_code == 200 and "Мария" in listing.text
    assert 'data-total="2"' in listing.text
    # Edit it in the dialog.
    edit = f"/contacts/edit/?id={new_id}&fixed=client&modal=1"
    data = form_data(html(client.get(edit))) | {"position": "Главный бухгалтер"}
    r = client.client.post(edit, data=data, headers={"X-CSRFToken": token})
    assert r.json["ok"] is True
    assert contacts.get(new_id)["position"] == "Главный бухгалтер"
    # And delete it from the dialog.
    r = client.client.post(
        "/contacts/delete/?modal=1", data={"id": str(new_id)}, headers={"X-CSRFToken": token}
    )
    assert r.json == {"ok": True, "id": new_id}
    assert contacts.query(count=True).total == 1


def test_child_tab_pages_with_show_more_and_links_the_full_list(
    client: Any, web_platform: Any
) -> None:
    """120 contacts: the tab shows 50, "show more" brings the next 50 and then the last 20
    (keyset cursor), every contact exactly once; the full list link filters by the client."""
    rid = web_platform.records("clients", user=SYSTEM).create({"name": "Много контактов"})["id"]
    web_platform.records("contacts", user=SYSTEM).create_many(
        [{"client": rid, "name": f"Контакт {i:03}"} for i in range(1, 121)]
    )
    client.login("admin")
    tree = html(client.get(f"/clients/edit/?id={rid}"))
    tab = tree.xpath("//div[@id='tab-tab_contacts']//div[contains(@class,'uchet-children')]")[0]
    assert tab.get("data-total") == "120"
    seen = [r.get("data-id") for r in tab.xpath(".//tr[contains(@class,'uchet-child-row')]")]
    assert len(seen) == 50
    full = tab.xpath(".//a[contains(@class,'uchet-child-list')]")[0].get("href")
    more = tab.xpath(".//a[contains(@class,'uchet-child-more')]")[0]
    assert more.get("href") == full  # without JavaScript: the full list
    pages = [len(seen)]
    url = more.get("data-more-url")
    while url:
        part = html(client.get(url))
        rows = [r.get("data-id") for r in part.xpath("//tr[contains(@class,'uchet-child-row')]")]
        pages.append(len(rows))
        seen += rows
        found = part.xpath("//a[contains(@class,'uchet-child-more')]")
        url = found[0].get("data-more-url") if found else None
    assert pages == [50, 50, 20]
    assert len(set(seen)) == 120
    # The full list is the contacts list filtered to this client: all 120, paged there.
    listing = client.get(full)
    assert listing.status_code == 200 and f"f.client={rid}" in full
    assert "Контакт 119" in listing.text or "Контакт 001" in listing.text
    # A mangled cursor is a 400, not a crash.
    bad = client.get(f"/clients/children/tab_contacts/?id={rid}&after=xyz")
    assert bad.status_code == 400


def test_child_tab_of_someone_elses_record_is_404(client: Any, crm: Any) -> None:
    client.login("anna")
    other = crm.boris_client["id"]
    assert client.get(f"/clients/children/tab_contacts/?id={other}").status_code == 404
    assert client.get(f"/clients/children/nope/?id={crm.anna_client['id']}").status_code == 404
    url = f"/contacts/new/?client={crm.boris_client['id']}&fixed=client&modal=1"
    r = client.get(url)
    assert attr(html(r), "//input[@name='client']", "value") == ""  # not preset: not hers
    # Posting it anyway is refused with a message; nothing is written.
    r = client.post(url, {"client": str(crm.boris_client["id"]), "name": "Чужой контакт"})
    assert r.status_code == 422 and html(r).xpath("//*[contains(@class,'uchet-loose')]")
    # The hidden field's own message is shown at the top of the dialog.
    r = client.post(url, {"client": "", "name": "Ничей контакт"})
    assert r.status_code == 422
    loose = html(r).xpath("//*[contains(@class,'uchet-loose')]")
    assert loose and loose[0].text_content().startswith("Клиент: ")
    assert crm.records("contacts", user=SYSTEM).query(count=True).total == 1


# -- 5. files and images -------------------------------------------------------------------
def test_photo_upload_preview_download_and_removal(client: Any, crm: Any) -> None:
    client.login("admin")
    rid = crm.anna_client["id"]
    data = form_data(html(client.get(f"/clients/edit/?id={rid}")))
    data["photo"] = (io.BytesIO(PNG), "face.png", "image/png")
    assert client.post(f"/clients/edit/?id={rid}", data).status_code == 302
    tree = html(client.get(f"/clients/edit/?id={rid}"))
    src = attr(tree, "//div[@data-field='photo']//img[contains(@class,'uchet-preview')]", "src")
    assert src == f"/clients/file/{rid}/photo"
    got = client.get(src)
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert "attachment" not in got.headers.get("Content-Disposition", "")
    link = attr(tree, "//div[@data-field='photo']//a[contains(@class,'uchet-download')]", "href")
    assert link == src
    # Saving without choosing a file keeps it; ticking "remove" clears it.
    data = form_data(tree)
    assert client.post(f"/clients/edit/?id={rid}", data).status_code == 302
    assert crm.records("clients", user=SYSTEM).get(rid)["photo"] is not None
    data = form_data(html(client.get(f"/clients/edit/?id={rid}"))) | {"photo__remove": "1"}
    assert client.post(f"/clients/edit/?id={rid}", data).status_code == 302
    assert crm.records("clients", user=SYSTEM).get(rid)["photo"] is None
    assert client.get(src).status_code == 404
    # Someone else's file is as absent as their record.
    client.login("boris")
    assert client.get(src).status_code == 404


def test_file_over_the_fields_limit_is_refused_next_to_it(custom: Any) -> None:
    custom.web.login("admin")
    tree = html(custom.web.get("/clients/new/"))
    assert attr(tree, "//input[@name='photo']", "data-max-size") == "2000"
    data = form_data(tree) | {
        "name": "С большим фото",
        "photo": (io.BytesIO(make_png(120, 120)), "big.png", "image/png"),
    }
    r = custom.web.post("/clients/new/", data)
    assert r.status_code == 200
    tree = html(r)
    message = tree.xpath("//div[@data-field='photo']//*[contains(@class,'uchet-error')]")
    assert message and "2000" in message[0].text_content()
    assert attr(tree, "//input[@name='name']", "value") == "С большим фото"
    assert custom.records("clients", user=SYSTEM).query(count=True).total == 0


def test_upload_over_the_site_limit_gets_a_friendly_message(client: Any, crm: Any) -> None:
    client.login("admin")
    rid = crm.anna_client["id"]
    data = form_data(html(client.get(f"/clients/edit/?id={rid}")))
    data["photo"] = (io.BytesIO(b"\0" * (12 * 1024 * 1024)), "huge.png", "image/png")
    r = client.post(f"/clients/edit/?id={rid}", data)
    assert r.status_code == 413
    assert "Слишком большой файл" in r.text and "10 МБ" in r.text
    assert attr(html(r), "//input[@name='name']", "value") == "Иванов ИП"  # the card, as it was


# -- 6. computed values --------------------------------------------------------------------
def test_formula_and_rollup_values_are_read_only(client: Any, crm: Any) -> None:
    client.login("admin")
    tree = html(client.get(f"/clients/edit/?id={crm.anna_client['id']}"))
    block = tree.xpath("//div[@data-field='contact_count']")[0]
    assert "uchet-readonly" in block.get("class") and block.text_content().strip().endswith("1")
    assert not tree.xpath("//*[@name='contact_count']")
    tree = html(client.get(f"/contacts/edit/?id={crm.contact['id']}"))
    block = tree.xpath("//div[@data-field='client_city']")[0]
    assert "Москва" in block.text_content() and not tree.xpath("//*[@name='client_city']")
    # A new record has no computed values yet: none are shown.
    assert "client_city" not in client.get("/contacts/new/").text


# -- 7. stale edits ------------------------------------------------------------------------
def test_stale_edit_shows_what_changed_and_keeps_the_input(client: Any, crm: Any) -> None:
    client.login("anna")
    rid = crm.anna_client["id"]
    svc = crm.records("clients", user=SYSTEM)
    data = form_data(html(client.get(f"/clients/edit/?id={rid}")))
    # Meanwhile someone else changes the city and the category.
    svc.update(rid, {"city": "Тверь", "category": crm.vip["id"]})
    mine = data | {"name": "Иванов ИП (моё)", "category": str(crm.ivanovo["id"])}
    r = client.post(f"/clients/edit/?id={rid}", mine)
    assert r.status_code == 409
    tree = html(r)
    rows = {
        tr.get("data-field"): [td.text_content() for td in tr.xpath("./td")]
        for tr in tree.xpath("//table[contains(@class,'uchet-conflict-table')]//tr[@data-field]")
    }
    assert rows == {
        "city": ["Город", "Москва", "Тверь"],
        "category": ["Категория", "Иваново-опт", "VIP"],
    }
    assert "table-danger" in tree.xpath("//tr[@data-field='category']")[0].get("class")
    assert attr(tree, "//input[@name='name']", "value") == "Иванов ИП (моё)"  # input kept
    assert attr(tree, "//input[@name='category']", "data-title") == "Иваново-опт"
    hint = tree.xpath("//div[@data-field='city']//*[contains(@class,'uchet-current')]")
    assert hint and "Тверь" in hint[0].text_content()
    assert svc.get(rid)["name"] == "Иванов ИП"  # nothing was saved
    # Saving again is deliberate: it overwrites with what the user now sees in the form.
    again = form_data(tree)
    assert again["uchet_version"] == str(svc.get(rid)["version"])
    r = client.post(f"/clients/edit/?id={rid}", again)
    assert r.status_code == 302
    saved = svc.get(rid)
    assert (saved["name"], saved["city"], saved["category"]) == (
        "Иванов ИП (моё)",
        "Москва",
        crm.ivanovo["id"],
    )


def test_a_second_stale_save_is_caught_again(client: Any, crm: Any) -> None:
    client.login("admin")
    rid = crm.anna_client["id"]
    svc = crm.records("clients", user=SYSTEM)
    data = form_data(html(client.get(f"/clients/edit/?id={rid}")))
    svc.update(rid, {"city": "Тверь"})
    tree = html(client.post(f"/clients/edit/?id={rid}", data))
    svc.update(rid, {"notes": "третий человек"})
    r = client.post(f"/clients/edit/?id={rid}", form_data(tree))
    assert r.status_code == 409
    fields = html(r).xpath("//table[contains(@class,'uchet-conflict-table')]//tr/@data-field")
    assert fields == ["notes"]


def test_record_deleted_while_editing(client: Any, crm: Any) -> None:
    client.login("admin")
    rid = crm.boris_client["id"]
    data = form_data(html(client.get(f"/clients/edit/?id={rid}"))) | {"city": "Псков"}
    crm.records("clients", user=SYSTEM).delete(rid)
    r = client.post(f"/clients/edit/?id={rid}", data)
    assert r.status_code == 409 and "uchet-gone" in r.text
    assert attr(html(r), "//input[@name='city']", "value") == "Псков"
    assert 'id="uchet-save"' not in r.text
    # Without a valid form it is just absent.
    assert client.post(f"/clients/edit/?id={rid}", {}, token=False).status_code == 404


# -- 8. delete -----------------------------------------------------------------------------
def test_delete_from_the_card(client: Any, crm: Any) -> None:
    client.login("admin")
    rid = crm.boris_client["id"]
    tree = html(client.get(f"/clients/edit/?id={rid}"))
    form = tree.xpath("//form[@id='uchet-delete-form']")[0]
    assert form.get("data-confirm")
    r = client.post("/clients/delete/", {"id": str(rid)})
    assert r.status_code == 302
    assert client.get(f"/clients/edit/?id={rid}").status_code == 404
    # A manager may not delete clients: no button, and a direct POST is refused.
    client.login("anna")
    tree = html(client.get(f"/clients/edit/?id={crm.anna_client['id']}"))
    assert not tree.xpath("//*[@id='uchet-delete']")
    assert client.post("/clients/delete/", {"id": str(crm.anna_client["id"])}).status_code == 403


def test_restricted_delete_shows_the_engines_message(custom: Any) -> None:
    rec = custom.records("clients", user=SYSTEM).create({"name": "Со связями"})
    custom.records("contacts", user=SYSTEM).create({"client": rec["id"], "name": "Кто-то"})
    custom.web.login("admin")
    r = custom.web.post("/clients/delete/", {"id": str(rec["id"])})
    assert r.status_code == 302 and f"/clients/edit/?id={rec['id']}" in r.location
    page = custom.web.get(r.location)
    assert "ссылаются записи" in page.text
    assert custom.records("clients", user=SYSTEM).get(rec["id"])
    # The same through the modal dialog: JSON with the message.
    token = custom.web.token()
    r = custom.web.client.post(
        "/clients/delete/?modal=1", data={"id": str(rec["id"])}, headers={"X-CSRFToken": token}
    )
    assert r.status_code == 409 and "ссылаются записи" in r.json["error"]


# -- 9. history ----------------------------------------------------------------------------
def test_history_tab_shows_who_changed_what(client: Any, crm: Any) -> None:
    client.login("anna")
    rid = crm.anna_client["id"]
    data = form_data(html(client.get(f"/clients/edit/?id={rid}")))
    data |= {"city": "Казань", "category": str(crm.vip["id"])}
    assert client.post(f"/clients/edit/?id={rid}", data).status_code == 302
    tree = html(client.get(f"/clients/edit/?id={rid}"))
    entries = tree.xpath("//div[@id='tab-history']//div[contains(@class,'uchet-history-entry')]")
    assert len(entries) == 2  # created by the system, changed by Anna (newest first)
    newest = entries[0]
    assert newest.xpath(".//*[contains(@class,'uchet-history-user')]")[0].text == "Anna"
    assert newest.xpath(".//*[contains(@class,'uchet-history-action')]")[0].text == "Изменение"
    changes = {
        tr.xpath("./td[1]")[0].text_content(): tr.xpath("./td[2]")[0].text_content()
        for tr in newest.xpath(".//tr")
    }
    assert changes == {"Город": "Москва → Казань", "Категория": "VIP"}
    assert "Создание" in entries[1].text_content()


def test_history_hides_fields_the_user_may_not_read(client: Any, crm: Any) -> None:
    rid = crm.anna_client["id"]
    crm.records("clients", user=SYSTEM).update(rid, {"tax_id": "7701234567"})
    client.login("admin")
    assert "7701234567" in client.get(f"/clients/edit/?id={rid}").text
    client.login("vera")  # the viewer role may not read the tax id
    page = client.get(f"/clients/edit/?id={rid}")
    assert page.status_code == 200 and "7701234567" not in page.text
    entries = html(page).xpath("//div[contains(@class,'uchet-history-entry')]")
    assert len(entries) == 1  # the tax-id-only change is left out entirely


def test_new_record_has_no_history_or_child_tabs(client: Any, crm: Any) -> None:
    client.login("admin")
    tree = html(client.get("/clients/new/"))
    tabs = [a.get("data-tab") for a in tree.xpath("//ul[contains(@class,'uchet-tabs')]//a")]
    assert tabs == ["tab_main"]
    assert json.loads(attr(tree, "//input[@name='uchet_original']", "value") or "{}") is not None
    assert re.search(r"Клиент: новая запись", tree.text_content())


# -- the layout model, without Flask ---------------------------------------------------------
class _Texts:
    """The texts a layout needs, in English, without a request."""

    def label(self, labels: Any, default: str = "") -> str:
        return str(labels.get("en", default)) if labels else default

    def gettext(self, msgid: str, **params: Any) -> str:
        return msgid


def test_the_layout_model_is_built_without_flask_or_the_web_layer() -> None:
    """``formdesigner.model`` lays a card out from a form document alone: no app, no
    request, no ``uchet.web`` (the renderer adds the child lists' rows and URLs)."""
    from uchet.configurations.loader import load
    from uchet.formdesigner.model import ChildList, card_layout, form_document

    config = load("sample_crm").config
    table = config.table("clients")
    doc = form_document(config.forms, table)
    shown = {f.name for f in table.fields if f.name != "notes"}
    asked: list[tuple[str, str]] = []

    def children(tab_id: str, ref: str) -> ChildList | None:
        asked.append((tab_id, ref))
        return None  # as for a child table the user may not read: the tab is left out

    new = card_layout(_Texts(), table, doc, shown, existing=False, children=children)
    assert [t.id for t in new] == ["tab_main"] and not asked
    main = new[0]
    assert main.label == "Main"
    assert [s.id for s in main.sections][:2] == ["sec_main", "sec_contact"]
    assert [f.name for f in main.sections[0].rows[0]] == ["kind", "status"]
    assert all(f.name != "notes" for s in main.sections for r in s.rows for f in r)

    existing = card_layout(_Texts(), table, doc, shown, existing=True, children=children)
    assert [t.id for t in existing] == ["tab_main", "history"]
    assert ("tab_contacts", "contacts.client") in asked
    modal = card_layout(_Texts(), table, doc, shown, existing=True, modal=True)
    assert [t.id for t in modal] == ["tab_main"]

    code = (
        "import sys, uchet.formdesigner.model, uchet.printeditor.service\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_admin')\n"
        "             or m.startswith('uchet.web'))\n"
        "assert not bad, bad\n"
    )
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
