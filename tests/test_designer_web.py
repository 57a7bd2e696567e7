"""The card designer's screens (issue 15) without a browser: only configurers reach them;
each operation is applied, checked and drawn by the server; a save is ONE revision of the
database overlay; a stale save is refused with what changed; a layout error is answered on
its element and nothing is saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.web_support import WebClient


@pytest.fixture
def client(web_platform: Any) -> WebClient:
    from uchet.web import create_app

    return WebClient(create_app(web_platform, secret_key="test-secret-" + "x" * 20,
                                reload_in_background=False))  # fmt: skip


def post_json(client: WebClient, url: str, body: dict[str, Any]) -> Any:
    return client.client.post(url, data=json.dumps(body), content_type="application/json",
                            headers={"X-CSRFToken": client.token()})  # fmt: skip


def page_layout(page: str) -> list[dict[str, Any]]:
    import html
    import re

    raw = re.search(r'data-layout="([^"]*)"', page)
    assert raw, page[:2000]
    return json.loads(html.unescape(raw.group(1)))


def test_only_configurers_reach_the_designer(client: WebClient, web_platform: Any) -> None:
    client.login("anna")
    assert client.get("/-/designer/clients").status_code == 403
    r = post_json(client, "/-/designer/clients/save", {"layout": []})
    assert r.status_code == 403
    assert web_platform.overlay.revisions() == []


def test_designer_page_ops_and_save(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    page = client.get("/-/designer/clients").text
    assert "Конструктор формы" in page and "Поля не на форме" in page
    assert 'data-key="clients.birthday"' in page  # the canvas: the card's own field blocks
    tabs = page_layout(page)
    r = post_json(
        client,
        "/-/designer/clients/op",
        {"layout": tabs, "op": "remove", "args": {"key": "clients.birthday"}},
    )
    res = r.get_json()
    assert res["ok"] and "clients.birthday" in res["palette"]
    tabs = res["layout"]
    r = post_json(
        client,
        "/-/designer/clients/op",
        {
            "layout": tabs,
            "op": "place",
            "args": {"key": "clients.birthday", "section": "sec_main", "row_with": "clients.name"},
        },
    )
    res = r.get_json()
    assert res["ok"], res
    main = res["layout"][0]["sections"][0]
    assert main["rows"][1] == ["clients.name", "clients.birthday"]
    # The phone row takes a fourth cell; a fifth is refused on the element, layout unchanged.
    four = post_json(client, "/-/designer/clients/op", {"layout": res["layout"], "op": "place",
        "args": {"key": "clients.website", "section": "sec_contact",
                 "row_with": "clients.phone"}}).get_json()  # fmt: skip
    assert four["ok"] and len(four["layout"][0]["sections"][1]["rows"][0]) == 4
    full = post_json(client, "/-/designer/clients/op", {"layout": four["layout"], "op": "place",
        "args": {"key": "clients.email", "section": "sec_contact",
                 "row_with": "clients.phone"}}).get_json()  # fmt: skip
    assert not full["ok"] and full["error"]["message"] == "В строке не больше 4 полей."
    assert full["error"]["element"] == "sec_contact" and full["layout"] == four["layout"]
    ok = post_json(
        client,
        "/-/designer/clients/save",
        {"layout": res["layout"], "base": "", "comment": "день рождения"},
    ).get_json()
    assert ok["ok"], ok
    (rev,) = web_platform.overlay.revisions()
    assert rev.comment == "день рождения"
    card = client.get("/clients/new/").text
    assert card.index('data-field="name"') < card.index('data-field="birthday"')


def test_stale_save_refused_with_what_changed(client: WebClient, web_platform: Any) -> None:
    """The designer opened at revision 0; someone saves meanwhile: the designer's save is
    refused with what changed, and nothing is written (the optimistic rule of records)."""
    from uchet.configurations.overlay_edit import set_hidden

    client.login("admin")
    page = client.get("/-/designer/clients").text
    assert 'data-base=""' in page
    tabs = page_layout(page)
    web_platform.overlay.save(
        set_hidden(web_platform.overlay.document(), "clients.website", True),
        base_revision=None,
        comment="скрыт сайт",
    )
    moved = post_json(client, "/-/designer/clients/op", {"layout": tabs, "op": "nudge", "args": {
        "key": "clients.city", "move": "up"}}).get_json()  # fmt: skip
    r = post_json(client, "/-/designer/clients/save", {"layout": moved["layout"], "base": ""})
    res = r.get_json()
    assert r.status_code == 400 and not res["ok"]
    assert res["message"].startswith("Структуру тем временем изменил")
    assert "«Сайт»" in res["message"]
    assert len(web_platform.overlay.revisions()) == 1


def test_errors_are_answered_on_the_element_and_nothing_saved(
    client: WebClient, web_platform: Any
) -> None:
    client.login("admin")
    tabs = page_layout(client.get("/-/designer/clients").text)
    tabs[0]["sections"][0]["rows"].append(["clients.nope"])
    res = post_json(client, "/-/designer/clients/op", {"layout": tabs, "op": "show"}).get_json()
    assert res["problems"] == [
        {"element": "clients.nope", "message": "В таблице нет поля clients.nope."}
    ]
    saved = post_json(client, "/-/designer/clients/save", {"layout": tabs}).get_json()
    assert not saved["ok"] and saved["problems"][0]["element"] == "clients.nope"
    garbage = post_json(client, "/-/designer/clients/op", {"layout": [{"x": 1}], "op": "show"})
    assert garbage.status_code == 400
    assert garbage.get_json()["message"] == "Присланное — не раскладка формы."
    assert web_platform.overlay.revisions() == []


def test_a_role_layout_is_designed_and_seen_by_that_role_only(
    client: WebClient, web_platform: Any
) -> None:
    """«Для роли «Менеджер»»: the designer edits ``role_layouts.manager`` (starting from the
    layout for everyone); managers see it, the administrator keeps the default card."""
    from uchet import SYSTEM

    client.login("admin")
    page = client.get("/-/designer/clients?role=manager").text
    assert "У этой роли ещё нет своей раскладки" in page
    tabs = page_layout(page)
    res = post_json(
        client,
        "/-/designer/clients/op",
        {"layout": tabs, "op": "remove_part", "args": {"part": "sec_legal"}},
    ).get_json()
    ok = post_json(
        client, "/-/designer/clients/save", {"layout": res["layout"], "role": "manager"}
    ).get_json()
    assert ok["ok"], ok
    form = next(f for f in web_platform.config.forms if f.id == "form_client")
    assert "manager" in form.data["role_layouts"]
    anna = web_platform.test_users["anna"]
    rec = web_platform.records("clients", user=SYSTEM).create(
        {"name": "ООО Ромашка", "kind": "company", "manager": anna.id}
    )
    manager = WebClient(client.app)
    manager.login("anna")
    card = manager.get(f"/clients/edit/?id={rec['id']}").text
    assert 'data-field="tax_id"' not in card and 'data-field="name"' in card
    assert 'data-field="tax_id"' in client.get(f"/clients/edit/?id={rec['id']}").text


def test_new_field_from_the_palette_comes_back_to_the_designer(
    client: WebClient, web_platform: Any
) -> None:
    """«Новое поле…» opens the structure editor's add-field form; after «Применить» the
    designer is back, the new field in its palette."""
    import html
    import re

    client.login("admin")
    page = client.get("/-/designer/clients").text
    found = re.search(r'href="([^"]*)" id="uchet-d-new-field"', page)
    assert found, page[:2000]
    link = html.unescape(found.group(1))
    assert link.startswith("/-/structure/table/clients?back=")
    preview = client.post(link, {"action": "add", "name": "visit_date", "type": "date",
                                 "label_ru": "Дата визита", "base": ""}).text  # fmt: skip
    form = preview[preview.index('id="uchet-structure-confirm"') :]
    form = form[: form.index("</form>")]
    data = {n: html.unescape(v) for n, v in re.findall(
        r'<input id="\w+" name="(\w+)" type="hidden" value="([^"]*)"', form)}  # fmt: skip
    assert data["back"] == "/-/designer/clients"
    data.pop("csrf_token", None)
    r = client.post("/-/structure/apply", data)
    assert r.status_code == 302 and r.headers["Location"].endswith("/-/designer/clients")
    again = client.get("/-/designer/clients").text
    palette = again[again.index('id="uchet-d-palette-fields"') :]
    assert 'data-key="clients.visit_date"' in palette[: palette.index("</div>\n")]
    # Another site's address is never followed.
    from uchet.formdesigner.views import local_url

    assert local_url("//evil.example/x") is None and local_url("https://evil.example") is None


def test_widths_blocks_and_folding_on_the_real_card(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    tabs = page_layout(client.get("/-/designer/clients").text)
    for op, args in (("span", {"key": "clients.address", "span": 2}),
                     ("add_block", {"section": "sec_main", "text": "Проверьте ИНН",
                                    "heading": True}),
                     ("set_part", {"part": "sec_legal", "collapsed": True,
                                   "collapsible": True})):  # fmt: skip
        res = post_json(client, "/-/designer/clients/op",
                        {"layout": tabs, "op": op, "args": args}).get_json()  # fmt: skip
        assert res["ok"], res
        tabs = res["layout"]
    assert post_json(client, "/-/designer/clients/save", {"layout": tabs}).get_json()["ok"]
    card = client.get("/clients/new/").text
    assert '<h6 class="uchet-block-heading">Проверьте ИНН</h6>' in card
    import re

    assert re.search(r'class="col-md uchet-span-2">\s*<div class="form-group uchet-field[^"]*" '
                     r'data-field="address"', card)  # fmt: skip
    assert 'uchet-fold collapsed" data-toggle="collapse" data-target="#sec-body-sec_legal"' in card
    assert 'class="uchet-section-body collapse" id="sec-body-sec_legal"' in card


def test_a_table_without_a_form_gets_one(client: WebClient, web_platform: Any) -> None:
    """Notes have no form document: the designer starts from the runtime's default (two
    fields a row) and its save adds the form to the overlay."""
    assert not any(f.data["table"] == "notes" for f in web_platform.config.forms)
    client.login("admin")
    page = client.get("/-/designer/notes").text
    tabs = page_layout(page)
    assert len(tabs) == 1 and all(len(r) <= 2 for r in tabs[0]["sections"][0]["rows"])
    res = post_json(
        client,
        "/-/designer/notes/op",
        {"layout": tabs, "op": "add_section", "args": {"tab": "tab_main", "label": "Ещё"}},
    ).get_json()
    assert res["ok"] and res["layout"][0]["sections"][-1]["label"] == {"ru": "Ещё"}
    res = post_json(
        client,
        "/-/designer/notes/op",
        {
            "layout": res["layout"],
            "op": "nudge",
            "args": {"key": "notes.title", "move": "next_section"},
        },
    )
    tabs = res.get_json()["layout"]
    assert post_json(client, "/-/designer/notes/save", {"layout": tabs}).get_json()["ok"]
    form = next(f for f in web_platform.config.forms if f.data["table"] == "notes")
    assert form.id == "form_notes"
    assert client.get("/-/designer/nothing").status_code == 404
    assert client.get("/-/designer/notes?role=nobody").status_code == 404


def _versions(platform: Any) -> list[Any]:
    import sqlalchemy as sa

    config = sa.Table("uchet_config", sa.MetaData(), autoload_with=platform.engine)
    with platform.engine.connect() as conn:
        return list(conn.execute(sa.select(config.c.version, config.c.source, config.c.plan)
                                 .order_by(config.c.version)))  # fmt: skip


def test_a_layout_only_save_records_a_version_without_migrating(
    client: WebClient, web_platform: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15 point 5: a save that changes only the card's layout compiles to the same
    tables, so neither the live schema is reflected nor the migrator run; the revision and
    the configuration version are still recorded, and the card shows the new layout."""
    from uchet.configurations import revisions
    from uchet.platform.schema import migrator

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a layout-only save must not plan against or migrate the database")

    client.login("admin")
    tabs = page_layout(client.get("/-/designer/clients").text)
    before = _versions(web_platform)
    monkeypatch.setattr(revisions, "plan_for_database", forbidden)
    monkeypatch.setattr(migrator, "apply", forbidden)
    moved = post_json(client, "/-/designer/clients/op", {"layout": tabs, "op": "nudge", "args": {
        "key": "clients.city", "move": "up"}}).get_json()  # fmt: skip
    assert moved["ok"], moved
    res = post_json(
        client,
        "/-/designer/clients/save",
        {"layout": moved["layout"], "base": "", "comment": "город выше"},
    ).get_json()
    assert res["ok"], res
    (rev,) = web_platform.overlay.revisions()
    after = _versions(web_platform)
    assert len(after) == len(before) + 1
    assert after[-1].version == rev.config_version and after[-1].source == "overlay-save"
    assert after[-1].plan == []
    assert web_platform.current_version() == rev.config_version
    # The new layout is what the card shows (the hot swap built the new version's app).
    card = client.get("/clients/new/").text
    assert 'data-field="city"' in card
    form = next(f for f in web_platform.config.forms
                if f.get("table") == "clients" and f.get("layout"))  # fmt: skip
    saved_rows = [r for t in moved["layout"] for s in t.get("sections", ()) for r in s["rows"]]
    live_rows = [r for t in form.get("layout") for s in t.get("sections", ()) for r in s["rows"]]
    assert [list(r) for r in live_rows] == [list(r) for r in saved_rows]


def test_a_save_that_changes_tables_still_migrates(
    web_platform: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the shortcut: a revision adding a field goes through the planner
    and the migrator, and the column exists afterwards."""
    import sqlalchemy as sa

    from uchet.configurations.overlay_diff import EMPTY_DOCUMENT
    from uchet.configurations.overlay_edit import add_field
    from uchet.platform.schema import migrator

    calls: list[int] = []
    real = migrator.apply

    def counted(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        return int(real(*args, **kwargs))

    monkeypatch.setattr(migrator, "apply", counted)
    field = {"id": "clients.visit_date", "name": "visit_date", "type": "date",
             "label": {"ru": "Дата визита", "en": "Visit date"}}  # fmt: skip
    rev = web_platform.overlay.save(add_field(EMPTY_DOCUMENT, "clients", field),
                                    base_revision=None)  # fmt: skip
    assert calls == [1]
    cols = {c["name"] for c in sa.inspect(web_platform.engine).get_columns("clients")}
    assert "visit_date" in cols
    last = _versions(web_platform)[-1]
    assert last.version == rev.config_version and last.plan


def test_a_stale_save_is_reapplied_on_the_new_version(client: WebClient, web_platform: Any) -> None:
    """Issue 15 point 3: the refused save offers «Применить мои изменения к новой версии»;
    re-applying replaces the form's layout on the new revision, keeping the other save."""
    from uchet.configurations.overlay_edit import set_hidden
    from uchet.platform.model.config import thaw

    client.login("admin")
    page = client.get("/-/designer/clients").text
    assert "Применить мои изменения к новой версии" in page  # the (hidden) button
    tabs = page_layout(page)
    web_platform.overlay.save(set_hidden(web_platform.overlay.document(), "clients.website", True),
                              base_revision=None, comment="скрыт сайт")  # fmt: skip
    moved = post_json(client, "/-/designer/clients/op", {"layout": tabs, "op": "nudge", "args": {
        "key": "clients.city", "move": "up"}}).get_json()  # fmt: skip
    refused = post_json(
        client, "/-/designer/clients/save", {"layout": moved["layout"], "base": ""}
    ).get_json()
    assert refused["stale"] is True and refused["latest"] == 1
    res = post_json(client, "/-/designer/clients/save", {"layout": moved["layout"],
                    "base": str(refused["latest"]), "rebase": True}).get_json()  # fmt: skip
    assert res["ok"], res
    assert sorted(r.number for r in web_platform.overlay.revisions()) == [1, 2]
    # The other save (the hidden website) is kept, and the form has the re-applied layout.
    assert web_platform.config.table("clients").field_by_id("clients.website").hidden
    form = next(f for f in web_platform.config.forms
                if f.get("table") == "clients" and f.get("layout"))  # fmt: skip
    assert thaw(form.get("layout")) == moved["layout"]


def test_a_reapplied_layout_that_no_longer_checks_is_refused_with_its_problems(
    client: WebClient, web_platform: Any
) -> None:
    """The other save purged a field the layout places: re-applying names it, saves nothing."""
    from uchet.configurations.overlay_diff import EMPTY_DOCUMENT
    from uchet.configurations.overlay_edit import add_field

    field = {"id": "clients.visit_date", "name": "visit_date", "type": "date",
             "label": {"ru": "Дата визита", "en": "Visit date"}}  # fmt: skip
    web_platform.overlay.save(add_field(EMPTY_DOCUMENT, "clients", field), base_revision=None)
    client.login("admin")
    tabs = page_layout(client.get("/-/designer/clients").text)
    placed = post_json(
        client,
        "/-/designer/clients/op",
        {
            "layout": tabs,
            "op": "place",
            "args": {
                "key": "clients.visit_date",
                "section": "sec_main",
                "row_with": "clients.name",
            },
        },
    ).get_json()
    assert placed["ok"], placed
    web_platform.overlay.purge_field("clients.visit_date", typed_name="visit_date",
                                     base_revision=1)  # fmt: skip
    refused = post_json(
        client, "/-/designer/clients/save", {"layout": placed["layout"], "base": "1"}
    ).get_json()
    assert refused["stale"] is True and refused["latest"] == 2
    res = post_json(client, "/-/designer/clients/save", {"layout": placed["layout"],
                    "base": "2", "rebase": True}).get_json()  # fmt: skip
    assert not res["ok"]
    assert res["message"].startswith("Ваша раскладка не подходит к новой версии")
    assert any(p["element"] == "clients.visit_date" for p in res["problems"]), res
    assert len(web_platform.overlay.revisions()) == 2


def test_child_tabs_show_the_chosen_records_real_rows(client: WebClient, web_platform: Any) -> None:
    """Issue 15 point 2: a child-records tab on the canvas is the real card's child list of
    the record shown (same code, same rights), not a placeholder; its links do not leave the
    designer (they are inert on the canvas)."""
    from uchet import SYSTEM

    clients = web_platform.records("clients", user=SYSTEM)
    cid = clients.create({"name": "ООО Холст", "kind": "company"})["id"]
    contacts = web_platform.records("contacts", user=SYSTEM)
    contacts.create({"client": cid, "name": "Пётр Холстов", "position": "Директор"})
    client.login("admin")
    page = client.get(f"/-/designer/clients?record={cid}").text
    assert 'data-child-table="contacts"' in page
    assert "Пётр Холстов" in page and "Директор" in page
    # The rows link to the real contact card, not to the designer's own endpoints.
    assert "/contacts/edit/" in page
    # An operation draws the canvas again with the same rows.
    tabs = page_layout(page)
    res = post_json(client, "/-/designer/clients/op", {"layout": tabs, "op": "show", "args": {},
                                                       "record": str(cid)}).get_json()  # fmt: skip
    assert "Пётр Холстов" in res["canvas"]
    # Another client's canvas shows none of them (the list is this record's children).
    other = clients.create({"name": "ООО Пусто", "kind": "company"})["id"]
    assert "Пётр Холстов" not in client.get(f"/-/designer/clients?record={other}").text
