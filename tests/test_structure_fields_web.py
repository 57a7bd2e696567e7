"""The structure editor's field page over HTTP (issue 14) on SQLite and PostgreSQL: only
configurers reach it, CSRF as everywhere, every edit previewed then applied, problems next
to their control, a stale save refused with what changed."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from tests.web_support import WebClient

from uchet import SYSTEM
from uchet.configurations.overlay_edit import set_hidden

PAGE = "/-/structure-field/clients/clients.city"


@pytest.fixture
def client(web_platform: Any) -> WebClient:
    from uchet.web import create_app

    return WebClient(create_app(web_platform, secret_key="test-secret-" + "x" * 20,
                                reload_in_background=False))  # fmt: skip


def confirm(client: WebClient, page: str, **extra: str) -> Any:
    """Press «Применить»: post the preview form's hidden fields (and ``extra``)."""
    form = page[page.index('id="uchet-structure-confirm"') :]
    form = form[: form.index("</form>")]
    data = {name: html.unescape(value) for name, value in re.findall(
        r'<input id="\w+" name="(\w+)" type="hidden" value="([^"]*)"', form)}  # fmt: skip
    data.pop("csrf_token", None)
    return client.post("/-/structure-field/apply", {**data, **extra})


def test_only_configurers_and_csrf(client: WebClient, web_platform: Any) -> None:
    other = WebClient(client.app)
    other.login("anna")
    assert other.get(PAGE).status_code == 403
    assert other.post(PAGE, {"action": "rename", "new_name": "town"}).status_code == 403
    assert other.post("/-/structure-field/apply", {"kind": "rename"}).status_code == 403
    client.login("admin")
    assert client.get(PAGE).status_code == 200
    r = client.post(PAGE, {"action": "rename", "new_name": "town"}, token=False)
    assert r.status_code == 400
    assert web_platform.overlay.revisions() == []


def test_rename_preview_lists_references_and_templates(client: WebClient,
                                                       web_platform: Any) -> None:  # fmt: skip
    from uchet.printeditor.service import PrintForms

    PrintForms(web_platform, SYSTEM, "ru").create("clients_short", {"ru": "Кратко"}, "clients")
    client.login("admin")
    page = client.get("/-/structure/field/clients/city").text
    assert "/-/structure-field/clients/clients.city" in page
    r = client.post(PAGE, {"action": "rename", "new_name": "Город"})
    assert "Строчные латинские буквы" in r.text  # next to the control, nothing saved
    r = client.post(PAGE, {"action": "rename", "new_name": "name"})
    assert "В таблице уже есть поле с таким именем." in r.text
    r = client.post(PAGE, {"action": "rename", "new_name": "town", "rewrite": "y"})
    text = r.text
    assert "поле «Город клиента» таблицы «Контактные лица»" in text
    assert "изменено у «Город клиента»: формула" in text
    assert "заменено: «Клиенты по городам»" in text
    assert "отчёт «Клиенты по городам»" in text
    assert "«Карточка клиента»" in text and "входит в файлы конфигурации" in text
    assert "«Кратко»: получит новую версию шаблона с новым именем" in " ".join(text.split())
    assert "RENAME" in text.upper()
    assert web_platform.overlay.revisions() == []
    r = confirm(client, text, comment="город")
    assert r.status_code == 302
    cols = {c["name"] for c in sa.inspect(web_platform.engine).get_columns("clients")}
    assert "town" in cols and "city" not in cols
    assert web_platform.overlay.latest().comment == "город"
    done = client.get(r.headers["Location"]).text
    assert "Печатная форма «Кратко»: новая версия шаблона 2." in done
    forms = PrintForms(web_platform, SYSTEM, "ru")
    assert [v.version for v in forms.versions("clients_short")] == [2, 1]


def test_retype_preview_and_leave_empty(client: WebClient, web_platform: Any) -> None:
    svc = web_platform.records("clients", user=SYSTEM)
    ids = [svc.create({"name": f"К{i}", "kind": "company", "bank_name": v})["id"]
           for i, v in enumerate(["100", "abc", "7", "1.5", "x"])]  # fmt: skip
    client.login("admin")
    url = "/-/structure-field/clients/clients.bank_name"
    r = client.post(url, {"action": "retype", "new_type": "integer"})
    text = r.text
    assert "Преобразуется значений: 2" in text and "Не преобразуется значений: 3" in text
    assert "оставить пустым" in text and "подставить значение" in text
    assert f"№{ids[1]}" in text and "abc" in text
    # «подставить значение» without a value: said next to it, nothing saved.
    r = confirm(client, text, policy="default", default_value="")
    assert "Укажите значение, которое подставить" in r.text
    assert web_platform.overlay.revisions() == []
    r = confirm(client, text, policy="set_null")
    assert r.status_code == 302
    fresh = web_platform.records("clients", user=SYSTEM)
    assert [fresh.get(i)["bank_name"] for i in ids] == [100, None, 7, None, None]


def test_choice_list_edit_and_stale_save(client: WebClient, web_platform: Any) -> None:
    client.login("admin")
    url = "/-/structure-field/clients/clients.status"
    page = client.get(url).text
    assert page.count('class="uchet-choice-row"') == 3 + 3
    rows = {
        "action": "choices",
        "rows": "6",
        "value_0": "lead",
        "label_ru_0": "Потенциальный",
        "retired_0": "1",
        "order_0": "3",
        "value_1": "active",
        "label_ru_1": "Работаем",
        "order_1": "1",
        "value_2": "inactive",
        "label_ru_2": "Не работаем",
        "order_2": "2",
        "value_3": "",
        "label_ru_3": "Партнёр",
        "label_en_3": "Partner",
        "order_3": "4",
    }
    r = client.post(url, {**rows, "value_2": ""})  # "inactive" left out: a new value instead
    assert "Вариант нельзя удалить, только вывести из употребления" in r.text
    r = client.post(url, rows)
    assert "Проверьте изменение" in r.text
    # Meanwhile another administrator hides the website field: this save is refused.
    web_platform.overlay.save(set_hidden(web_platform.overlay.document(), "clients.website", True),
                              base_revision=None)  # fmt: skip
    stale = client.post("/-/structure/apply", _hidden(r.text))
    assert "Структуру тем временем изменил" in client.get(stale.headers["Location"]).text
    r = client.post(url, rows)
    client.post("/-/structure/apply", _hidden(r.text))
    status = web_platform.refresh_config().table("clients").field_by_id("clients.status")
    assert [(c.value, c.retired) for c in status.choices] == [
        ("active", False),
        ("inactive", False),
        ("lead", True),
        ("partner", False),
    ]
    # The card no longer offers the retired value.
    form = client.get("/clients/new/").text
    assert 'value="partner"' in form and 'value="lead"' not in form


def _hidden(page: str) -> dict[str, str]:
    form = page[page.index('id="uchet-structure-confirm"') :]
    form = form[: form.index("</form>")]
    data = {name: html.unescape(value) for name, value in re.findall(
        r'<input id="\w+" name="(\w+)" type="hidden" value="([^"]*)"', form)}  # fmt: skip
    data.pop("csrf_token", None)
    return data
