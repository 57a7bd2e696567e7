"""The interface in Russian and English (issue 3 §5; S43): Flask-Babel with Flask-Admin's
shipped catalog, uchet's own texts, configuration labels per locale, and the configuration's
translation files overriding any interface text."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.web_support import WebClient, seed_users

from uchet import SYSTEM
from uchet.web.i18n import Translator, admin_catalog, template_msgids
from uchet.web.texts import UI_TEXTS

SAMPLE = Path(__file__).resolve().parent.parent / "src" / "uchet" / "sample_crm"


def test_every_template_text_has_a_russian_translation() -> None:
    """A text added to a template without a translation fails here: add it to web/texts.py."""
    msgids = template_msgids()
    assert len(msgids) > 30
    translator = Translator([])
    missing = {m: sorted(files) for m, files in msgids.items() if not translator.lookup("ru", m)}
    assert missing == {}
    assert all("ru" in texts for texts in UI_TEXTS.values())


def test_translator_lookup_order_and_placeholders() -> None:
    t = Translator(
        [
            {
                "locale": "ru",
                "messages": {"Save": "Записать", "%(first)s–%(last)s of %(total)s": "%(oops)s"},
            }
        ]
    )
    assert t.gettext("ru", "Save") == "Записать"  # the configuration wins
    assert t.gettext("ru", "Cancel") == "Отмена"  # uchet's texts
    assert t.gettext("ru", "Save and Continue Editing") == "Сохранить и продолжить редактирование"
    assert t.gettext("en", "Save") == "Save"
    assert t.gettext("ru", "No such text anywhere") == "No such text anywhere"
    # An override with a broken placeholder falls back to the built-in text.
    assert (
        t.gettext("ru", "%(first)s–%(last)s of %(total)s", first=1, last=2, total=3) == "1–2 of 3"
    )
    assert admin_catalog("ru").gettext("List") == "Список"


def test_flask_admin_strings_come_out_in_the_users_language(client: WebClient) -> None:
    client.login("admin")
    card = client.get("/clients/new/").text
    assert "Сохранить и продолжить редактирование" in card
    client.post("/locale", {"locale": "en"})
    assert "Save and Continue Editing" in client.get("/clients/new/").text


def test_configuration_labels_follow_the_locale(client: WebClient, web_platform: Any) -> None:
    web_platform.records("clients", user=SYSTEM).create({"name": "Ромашка"})
    client.login("anna")
    home = client.get("/").text
    assert "Клиенты" in home and "Справочники" in home and "Учёт клиентов" in home
    listing = client.get("/clients/").text
    assert "Наименование" in listing and "Город" in listing
    assert '<html lang="ru">' in home  # screen readers and spelling follow the user's language
    client.post("/locale", {"locale": "en"})
    home = client.get("/").text
    assert '<html lang="en">' in home
    assert "Clients" in home and "Directories" in home and "Client accounting" in home
    assert "Клиенты" not in home
    listing = client.get("/clients/").text
    assert ">Name<" in listing and ">City<" in listing and "Наименование" not in listing


def test_browser_language_is_used_until_the_user_chooses(client: WebClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Log in" in page.text and 'lang="en"' in page.text
    page = client.get("/login", headers={"Accept-Language": "de"})
    assert "Войти" in page.text  # not offered: the configuration's default


@pytest.fixture
def overridden(tmp_path: Path, db_url: str) -> Any:
    """The sample CRM with translation files that reword some interface texts."""
    from uchet import Platform
    from uchet.web import create_app

    config = tmp_path / "crm"
    shutil.copytree(SAMPLE, config)
    (config / "translations" / "ru.json").write_text(
        json.dumps(
            {
                "locale": "ru",
                "messages": {
                    "Log in": "Вход в систему",
                    "Save and Continue Editing": "Сохранить и остаться",
                    "Wrong login or password.": "Не тот логин или пароль.",
                },
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    (config / "translations" / "en.json").write_text(
        json.dumps(
            {
                "locale": "en",
                "messages": {"Log out": "Sign out", "Home": "Start"},
            }
        ),
        encoding="utf-8",
    )
    platform = Platform.open(str(config), database_url=db_url)
    platform.migrate()
    seed_users(platform)
    yield WebClient(create_app(platform, secret_key="i18n-secret-" + "q" * 20))
    platform.close()


def test_configuration_translation_files_override_interface_texts(overridden: WebClient) -> None:
    client = overridden
    assert "Вход в систему" in client.get("/login").text
    assert "Не тот логин или пароль." in client.login("admin", "wrong-password").text
    client.login("admin")
    assert "Сохранить и остаться" in client.get("/clients/new/").text  # a Flask-Admin text
    assert "Выйти" in client.get("/").text  # not overridden: the built-in translation
    client.post("/locale", {"locale": "en"})
    home = client.get("/").text
    assert "Sign out" in home and ">Log out<" not in home and "Start" in home
    assert "Save and Continue Editing" in client.get("/clients/new/").text
