"""The structure editor's screens (issue 14, S21/S23/S40) on SQLite and PostgreSQL: only
superusers and ``configure`` roles reach them; every change is previewed, then applied as a
database overlay revision; a check error is shown next to the control and nothing is saved;
the history page lists revisions in words and returns to any of them."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from tests.web_support import WebClient

from uchet.configurations.overlay_edit import set_hidden


@pytest.fixture
def client(web_platform: Any) -> WebClient:
    """The app swaps to a new configuration version on the request that notices it (the
    same swap as in production, without the background build's half second)."""
    from uchet.web import create_app

    return WebClient(create_app(web_platform, secret_key="test-secret-" + "x" * 20,
                                reload_in_background=False))  # fmt: skip


def confirm(client: WebClient, page: str, comment: str = "") -> Any:
    """Press «Применить» on a preview page: post its form's hidden fields."""
    form = page[page.index('id="uchet-structure-confirm"') :]
    form = form[: form.index("</form>")]
    data = {name: html.unescape(value) for name, value in re.findall(
        r'<input id="\w+" name="(\w+)" type="hidden" value="([^"]*)"', form)}  # fmt: skip
    assert "document" in data, page[:2000]
    data.pop("csrf_token", None)
    return client.post("/-/structure/apply", {**data, "comment": comment})


def test_only_configurers_reach_the_screens(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    home = client.get("/").text
    assert "Настройка" in home and "/-/structure/" in home
    other = WebClient(client.app)
    other.login("anna")
    assert "/-/structure/" not in other.get("/").text
    for url in ("/-/structure/", "/-/structure/table/clients", "/-/structure-history/"):
        assert other.get(url).status_code == 403, url
    r = other.post("/-/structure/table/clients", {"action": "add", "name": "x", "type": "date",
                                                  "label_ru": "X"})  # fmt: skip
    assert r.status_code == 403
    assert web_platform.overlay.revisions() == []


def test_add_field_preview_apply_and_history(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    page = client.get("/-/structure/table/clients").text
    assert "Наименование" in page and "Строка" in page and "Дата визита" not in page
    before = web_platform.current_version()
    r = client.post("/-/structure/table/clients", {
        "action": "add", "name": "visit_date", "type": "date", "label_ru": "Дата визита",
        "label_en": "Visit date", "base": ""})  # fmt: skip
    preview = r.text
    assert "Проверьте изменение" in preview
    assert "добавлено поле «Дата визита» в «Клиенты»" in preview
    assert "visit_date" in preview and "ALTER TABLE" in preview  # the SQL, folded
    assert web_platform.current_version() == before  # nothing applied yet
    r = confirm(client, preview, "для визитов")
    assert r.status_code == 302
    assert web_platform.current_version() == before + 1
    columns = sa.inspect(web_platform.engine).get_columns("clients")
    assert "visit_date" in {c["name"] for c in columns}
    (rev,) = web_platform.overlay.revisions()
    assert rev.created_by == "admin" and rev.comment == "для визитов"
    history = client.get("/-/structure-history/").text
    assert "добавлено поле «Дата визита» в «Клиенты»" in history and "для визитов" in history


def test_check_error_next_to_control_nothing_saved(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    before = web_platform.current_version()
    r = client.post("/-/structure/table/clients", {
        "action": "add", "name": "City", "type": "date", "label_ru": ""})  # fmt: skip
    assert "Строчные латинские буквы" in r.text and "Нужно название." in r.text
    r = client.post("/-/structure/table/clients", {
        "action": "add", "name": "city", "type": "date", "label_ru": "Город 2"})  # fmt: skip
    assert "В таблице уже есть поле с таким именем." in r.text
    r = client.post("/-/structure/table/clients", {
        "action": "add", "name": "kind2", "type": "choice", "label_ru": "Вид 2"})  # fmt: skip
    assert "Укажите хотя бы один вариант." in r.text
    assert web_platform.current_version() == before
    assert web_platform.overlay.revisions() == []


def test_hide_section_rename_table_and_revert(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    r = client.post("/-/structure/section/sec_clients", {
        "action": "label", "label_ru": "Контрагенты", "label_en": "Counterparties"})  # fmt: skip
    assert "изменено у «Клиенты»: название" in r.text
    confirm(client, r.text)
    assert "Контрагенты" in client.get("/").text
    r = client.post("/-/structure/table/inquiry_sources", {"action": "hide"})
    assert "скрыто: «Источники обращений»" in r.text
    confirm(client, r.text)
    assert web_platform.refresh_config().table("inquiry_sources").hidden
    history = client.get("/-/structure-history/").text
    assert history.count('class="uchet-structure-revision"') == 3  # two and the files' state
    r = client.post("/-/structure-history/revert", {"to": "0", "base": "2"})
    assert "снова показано: «Источники обращений»" in r.text
    confirm(client, r.text)
    assert not web_platform.refresh_config().table("inquiry_sources").hidden
    assert "Контрагенты" not in client.get("/").text


def test_stale_save_is_refused_with_what_changed(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    add = {"action": "add", "name": "visit_date", "type": "date", "label_ru": "Дата визита"}
    r = client.post("/-/structure/table/clients", add)
    # Meanwhile another administrator hides the website field.
    web_platform.overlay.save(set_hidden(web_platform.overlay.document(), "clients.website", True),
                              base_revision=None)  # fmt: skip
    r = confirm(client, r.text)
    page = client.get(r.headers["Location"]).text
    assert "Структуру тем временем изменил другой пользователь" in page and "«Сайт»" in page
    assert len(web_platform.overlay.revisions()) == 1


def test_archive_then_purge_with_typed_name(client: WebClient, web_platform: Any) -> None:
    """Archive (hide, data kept) and purge (a separate action: the name typed, what is lost
    named, a backup made) of a field the structure editor added."""
    client.login("admin")
    add = {"action": "add", "name": "visit_date", "type": "date", "label_ru": "Дата визита"}
    confirm(client, client.post("/-/structure/table/clients", add).text)
    url = "/-/structure/field/clients/visit_date"
    page = client.get(url).text
    assert "Удалить навсегда" in page
    assert "Удалить навсегда" not in client.get("/-/structure/field/clients/city").text
    r = client.post(url, {"action": "purge", "typed_name": "visit"})
    assert "Для подтверждения введите имя поля: visit_date." in r.text
    r = client.post(url, {"action": "purge", "typed_name": "visit_date"})
    assert "убрано поле «Дата визита» из «Клиенты»" in r.text
    assert "Будут удалены значения этого поля: 0" in r.text
    columns = {c["name"] for c in sa.inspect(web_platform.engine).get_columns("clients")}
    assert "visit_date" in columns  # only previewed
    confirm(client, r.text)
    # The confirm form carried the purge and the typed name: applied as a purge revision.
    revs = web_platform.overlay.revisions()
    assert revs[0].action == "purge"
    columns = {c["name"] for c in sa.inspect(web_platform.engine).get_columns("clients")}
    assert "visit_date" not in columns


def test_hide_card_section(client: WebClient, web_platform: Any) -> None:
    from uchet import SYSTEM

    client.login("admin")
    company = web_platform.records("our_company", user=SYSTEM).create({"name": "ООО Учёт"})
    card = f"/our_company/edit/?id={company['id']}"
    assert "БИК" in client.get(card).text
    page = client.get("/-/structure/table/our_company").text
    assert 'data-part="sec_company_bank"' in page and "Вкладки и разделы карточки" in page
    r = client.post("/-/structure/table/our_company",
                    {"action": "part", "part": "sec_company_bank", "hidden": "1"})  # fmt: skip
    assert "скрыт раздел «Банк» карточки «Реквизиты организации»" in r.text
    confirm(client, r.text)
    shown = client.get(card).text
    assert "БИК" not in shown and "ООО Учёт" in shown
    r = client.post("/-/structure/table/our_company",
                    {"action": "part", "part": "no_such_part", "hidden": "1"})  # fmt: skip
    assert r.status_code == 404


def test_every_post_needs_the_csrf_token(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    posts = [
        ("/-/structure/table/clients", {"action": "hide"}),
        ("/-/structure/field/clients/city", {"action": "hide"}),
        ("/-/structure/section/sec_clients", {"action": "hide"}),
        ("/-/structure-history/revert", {"to": "0"}),
        ("/-/structure/apply", {"document": '{"overlay": "x", "hide": ["clients.city"]}'}),
    ]
    for url, data in posts:
        r = client.post(url, data, token=False)
        assert "Проверьте изменение" not in r.text, url
    assert web_platform.overlay.revisions() == []
