"""Find everything (issue 21, point 5), on SQLite and PostgreSQL: the top bar's Find searches
every ``findable`` table (clients, contacts, invoices and contracts by number, work), groups
the results by table, finds a phone by its last four or more digits through the index, pages
through every result, and never shows nor counts a record the user may not read."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from tests.web_support import WebClient

from uchet import SYSTEM
from uchet.platform.fieldtypes.scalar import phone_end_term


@pytest.fixture
def office(web_platform: Any) -> dict[str, Any]:
    """Anna's client with a contact Козлова Анна and an invoice; Boris's client whose phone
    ends in the same four digits, with his own contact Козлова."""
    users = web_platform.test_users
    anna, boris = users["anna"], users["boris"]
    system = web_platform.records("clients", user=SYSTEM)
    mine = system.create({"name": "ООО «Ромашка»", "manager": anna.id,
                          "phone": "+7 (495) 123-84-09"})  # fmt: skip
    theirs = system.create({"name": "ИП Петров", "manager": boris.id,
                            "phone_mobile": "8 912 000-84-09"})  # fmt: skip
    contacts = web_platform.records("contacts", user=SYSTEM)
    anna_contact = contacts.create({"client": mine["id"], "name": "Козлова Анна",
                                    "phone_mobile": "+7 903 555 44 33"})  # fmt: skip
    boris_contact = contacts.create({"client": theirs["id"], "name": "Козлова Мария"})
    invoice = web_platform.records("invoices", user=SYSTEM).create({"client": mine["id"]})
    return {"mine": mine, "theirs": theirs, "contact": anna_contact,
            "boris_contact": boris_contact, "invoice": invoice}  # fmt: skip


def login(web_app: Any, name: str) -> WebClient:
    c = WebClient(web_app)
    assert c.login(name).status_code == 302
    return c


def groups(html: str) -> dict[str, list[str]]:
    """The titles found, per table name, on a Find page."""
    found: dict[str, list[str]] = {}
    for table, body in re.findall(r'<ul class="list-unstyled uchet-find-results" '
                                  r'data-table="(\w+)">(.*?)</ul>', html, re.S):  # fmt: skip
        found[table] = re.findall(r'class="uchet-found-title[^"]*"[^>]*>([^<]+)<', body)
    return found


def test_find_searches_every_findable_table(web_app: Any, office: Any) -> None:
    anna = login(web_app, "anna")
    page = anna.get("/-/find/?q=Козлова").text
    assert groups(page) == {"contacts": ["Козлова Анна"]}  # Boris's Козлова: not even counted
    number = office["invoice"]["number"]
    assert number.startswith("СЧ-")
    page = anna.get(f"/-/find/?q={number}").text
    assert groups(page) == {"invoices": [number]}
    # The admin sees both Козловы.
    admin = login(web_app, "admin").get("/-/find/?q=козлова").text
    assert sorted(groups(admin)["contacts"]) == ["Козлова Анна", "Козлова Мария"]


def test_the_last_four_digits_of_a_phone_find_only_ones_own(web_app: Any, office: Any) -> None:
    anna = login(web_app, "anna")
    page = anna.get("/-/find/?q=8409").text
    assert groups(page) == {"clients": ["ООО «Ромашка»"]}
    # Boris's client's phone ends in 8409 too: he finds his; the admin finds both.
    assert groups(login(web_app, "boris").get("/-/find/?q=8409").text) == {
        "clients": ["ИП Петров"]}  # fmt: skip
    assert sorted(groups(login(web_app, "admin").get("/-/find/?q=84-09").text)["clients"]) == [
        "ИП Петров", "ООО «Ромашка»"]  # fmt: skip
    # The contact's mobile by its last digits, in the contacts group.
    assert groups(anna.get("/-/find/?q=4433").text) == {"contacts": ["Козлова Анна"]}
    # Three digits are not a phone end.
    assert "ООО «Ромашка»" not in anna.get("/-/find/?q=409").text


def test_phone_ends_are_kept_reversed_in_the_index(web_platform: Any, office: Any) -> None:
    search = web_platform.runtime.table("clients").search
    with web_platform.engine.connect() as conn:
        terms = set(conn.execute(sa.select(search.c.term).where(
            search.c.record_id == office["mine"]["id"])).scalars())  # fmt: skip
    assert phone_end_term("74951238409") in terms and "~9048" + "3215947" in terms
    # The lookup reads a term range: the last four digits are the prefix "~9048".
    service = web_platform.records("clients", user=web_platform.test_users["anna"])
    assert [f.id for f in service.find_by_phone_end("8409")] == [office["mine"]["id"]]


def test_all_results_page_through_every_match(web_app: Any, web_platform: Any) -> None:
    anna = web_platform.test_users["anna"]
    web_platform.records("clients", user=SYSTEM).create_many(
        [{"name": f"Тестовый клиент {i:02d}", "manager": anna.id} for i in range(45)]
    )
    c = login(web_app, "anna")
    first = c.get("/-/find/?q=тестовый").text
    assert len(groups(first)["clients"]) == 20 and ">20+<" in first.replace("\n", "")
    assert 'class="small uchet-find-all" data-table="clients"' in first
    seen: list[str] = []
    page, more = 1, True
    while more:
        html = c.get(f"/-/find/?q=тестовый&table=clients&page={page}").text
        seen += groups(html)["clients"]
        more = 'id="uchet-find-next"' in html
        page += 1
    assert page - 1 == 3 and len(seen) == 45 and len(set(seen)) == 45
    # A table that is not findable for her is a 404, not an empty page.
    assert c.get("/-/find/?q=x&table=uchet_users").status_code == 404


def test_a_findable_field_must_be_a_search_field(tmp_path: Any) -> None:
    import json
    import shutil
    from importlib import resources
    from pathlib import Path

    from uchet.configurations.loader import load
    from uchet.platform.model.errors import ConfigError

    bundle = tmp_path / "crm"
    shutil.copytree(Path(str(resources.files("uchet") / "sample_crm")), bundle)
    path = bundle / "tables" / "invoices.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    invoices = next(t for t in (data if isinstance(data, list) else [data])
                    if t["name"] == "invoices")  # fmt: skip
    invoices["findable"] = {"fields": ["invoices.number", "invoices.date"]}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(bundle, [])
    [issue] = info.value.issues
    assert str(issue).startswith("tables/invoices.json:/")
    assert "/findable/fields/1" in str(issue) and "search_fields" in str(issue)
