"""WTForms' own messages and list-URL path errors reach a Russian user in Russian (S43).

Flask-Admin's forms speak English unless Flask-Babel is installed; uchet's forms
(``uchet.web.formbase.SecureForm``) ask the request's locale: the configuration's
translations, uchet's texts, then the catalogue WTForms ships. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import wtforms
from tests.test_web_engine_messages import _english, _messages
from tests.web_support import WebClient

from uchet.web.formbase import FormTranslations, SecureForm
from uchet.web.i18n import Translator

EN = {"Accept-Language": "en"}


def test_an_empty_login_is_explained_in_russian(client: WebClient) -> None:
    r = client.post("/login", {"login": "", "password": ""})  # the CRM's default is ru
    assert r.status_code == 400
    assert r.text.count("Обязательное поле.") == 2
    assert "This field is required" not in r.text
    r = client.post("/login", {"login": "", "password": ""}, headers=EN)
    assert r.text.count("This field is required.") == 2


def test_csrf_refusals_are_in_russian(client: WebClient) -> None:
    r = client.post("/login", {"login": "admin", "password": "x"}, token=False)
    assert r.status_code == 400 and "CSRF токен отсутствует." in r.text
    r = client.post("/login", {"login": "admin", "password": "x", "csrf_token": "##bogus"})
    assert "Неверный CSRF токен." in r.text or "Ошибка CSRF." in r.text
    client.login("admin")
    r = client.post("/clients/new/", {"name": "Без токена", "kind": "company"}, token=False)
    texts = _messages(r.text)
    assert any("CSRF токен отсутствует." in t for t in texts), texts
    assert _english([t.replace("CSRF", "") for t in texts]) == []


def test_a_wrong_path_in_a_list_url_is_explained_in_russian(client: WebClient) -> None:
    client.login("admin")
    shown = {}
    for query in ("sort=category.nope", "sort=-nope.name", "sort=category.name.x"):
        r = client.get("/clients/?" + query, follow_redirects=True)
        assert r.status_code == 200
        shown[query] = _messages(r.text)
    assert all(shown.values()), shown
    # Latin only inside «…», where the message quotes the path the URL typed.
    unquoted = {q: [re.sub(r"«[^»]*»", "", t) for t in texts] for q, texts in shown.items()}
    assert {q: _english(t) for q, t in unquoted.items() if _english(t)} == {}
    assert any("Нет поля «category.nope» в таблице «Категории клиентов»" in t
               for t in shown["sort=category.nope"]), shown  # fmt: skip
    assert any("не ссылается" in t for t in shown["sort=category.name.x"])
    r = client.get("/clients/?sort=category.nope", headers=EN, follow_redirects=True)
    assert any("no field 'category.nope'" in t for t in _messages(r.text))


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("ru", "Неверное целое число."), ("en", "Not a valid integer value.")],
)
def test_wtforms_conversion_messages_follow_the_locale(
    web_app: Any, locale: str, expected: str
) -> None:
    class Form(SecureForm):
        qty = wtforms.IntegerField()
        name = wtforms.StringField(validators=[wtforms.validators.Length(min=5)])

    inner = web_app.extensions["uchet"].hotswap.current()
    with inner.test_request_context(headers={"Accept-Language": locale}):
        from werkzeug.datastructures import MultiDict

        form = Form(MultiDict({"qty": "много", "name": "ab"}), meta={"csrf": False})
        assert not form.validate()
        assert form.qty.errors == [expected]
        if locale == "ru":
            assert form.name.errors == ["Значение должно содержать не менее 5 символов."]


def test_a_configuration_rewords_a_wtforms_message() -> None:
    docs = [{"locale": "ru", "messages": {"This field is required.": "Заполните поле."}}]
    ru = FormTranslations("ru", Translator(docs))
    assert ru.gettext("This field is required.") == "Заполните поле."
    assert ru.gettext("CSRF failed.") == "Ошибка CSRF."
    assert FormTranslations("xx", Translator([])).gettext("CSRF failed.") == "CSRF failed."
