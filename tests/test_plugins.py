"""Extension through pluggy hooks: an ISV field type and lifecycle hooks (ARCHITECTURE rule 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import sqlalchemy as sa

from uchet import (
    SYSTEM,
    ConfigError,
    FieldType,
    Filter,
    ParseError,
    Platform,
    RecordChange,
    ValidationError,
    hookimpl,
)
from uchet.configurations.overlay import Overlay


class RgbColorType(FieldType):
    """A test field type an ISV might add: a colour written as #rrggbb."""

    name = "rgb_color"

    def column_type(self, field: Any) -> sa.types.TypeEngine:
        return sa.String(7)

    def parse(self, field: Any, value: Any) -> Any:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if len(text) != 7 or text[0] != "#" or any(c not in "0123456789abcdef" for c in text[1:]):
            raise ParseError("invalid")
        return text


class ColorPlugin:
    @hookimpl
    def uchet_register_field_types(self, registry: Any) -> None:
        registry.register(RgbColorType())


class AuditingPlugin:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    @hookimpl
    def uchet_before_create(self, change: RecordChange) -> None:
        values = change.new
        assert values is not None
        if change.table.name == "clients" and values.get("city"):
            values["city"] = values["city"].strip().title()
        self.calls.append(("before_create", change.table.name))

    @hookimpl
    def uchet_after_update(self, change: RecordChange) -> None:
        assert change.old is not None and change.new is not None
        self.calls.append(("after_update", (change.old["city"], change.new["city"])))

    @hookimpl
    def uchet_after_migrate(self, platform: Any, plan: Any, version: int) -> None:
        self.calls.append(("after_migrate", version))


COLOR_OVERLAY = Overlay(
    "acme.json",
    {
        "overlay": "acme",
        "fields": {
            "client_categories": [
                {
                    "id": "client_categories.rgb",
                    "name": "rgb",
                    "type": "rgb_color",
                    "label": {"ru": "Цвет RGB", "en": "RGB colour"},
                }
            ]
        },
    },
)


def test_isv_field_type_registered_through_the_hook(tmp_path):
    url = f"sqlite:///{tmp_path}/isv.db"
    with pytest.raises(ConfigError) as e:
        Platform.open("sample_crm", database_url=url, overlays=[COLOR_OVERLAY])
    assert "unknown field type 'rgb_color'" in str(e.value)
    assert "acme.json" in str(e.value)

    p = Platform.open(
        "sample_crm", database_url=url, overlays=[COLOR_OVERLAY], plugins=[ColorPlugin()]
    )
    p.migrate()
    cats = p.records("client_categories", user=SYSTEM)
    assert cats.create({"name": "Золото", "rgb": "#FFAA00"})["rgb"] == "#ffaa00"
    with pytest.raises(ValidationError) as err:
        cats.create({"name": "Bad", "rgb": "orange"})
    assert list(err.value.messages) == ["rgb"]
    p.close()


def test_lifecycle_hooks_run_and_can_change_values(tmp_path):
    plugin = AuditingPlugin()
    p = Platform.open("sample_crm", database_url=f"sqlite:///{tmp_path}/h.db", plugins=[plugin])
    version = p.migrate()
    assert ("after_migrate", version) in plugin.calls
    clients = p.records("clients", user=SYSTEM)
    rec = clients.create({"name": "Дельта", "city": "  нижний новгород "})
    assert rec["city"] == "Нижний Новгород"
    clients.update(rec["id"], {"city": "Пермь"}, version=rec["version"])
    assert ("after_update", ("Нижний Новгород", "Пермь")) in plugin.calls
    p.close()


#: A plug-in's message per locale, and one in plain text (the same in every language).
LETTERS_AND_DIGITS = {"ru": "только буквы и цифры", "en": "letters and digits only"}
PLAIN = "latin letters and digits only"


class CodeType(FieldType):
    """A plug-in's field type whose parse raises the plug-in's own messages (issue 11 §8)."""

    name = "acme_code"

    def column_type(self, field: Any) -> sa.types.TypeEngine:
        return sa.String(20)

    def parse(self, field: Any, value: Any) -> Any:
        if value in (None, ""):
            return None
        text = str(value).strip()
        if not text.isalnum():
            raise ParseError(PLAIN if field.name == "plain_code" else LETTERS_AND_DIGITS)
        return text


class CodePlugin:
    @hookimpl
    def uchet_register_field_types(self, registry: Any) -> None:
        registry.register(CodeType())


CODE_OVERLAY = Overlay(
    "acme.json",
    {
        "overlay": "acme",
        "fields": {
            "client_categories": [
                {"id": "acme.code", "name": "code", "type": "acme_code",
                 "label": {"ru": "Код", "en": "Code"}},
                {"id": "acme.plain_code", "name": "plain_code", "type": "acme_code",
                 "label": {"ru": "Код 2", "en": "Code 2"}},
            ]
        },
    },
)  # fmt: skip


def _code_platform(tmp_path: Any) -> Platform:
    url = f"sqlite:///{tmp_path}/codes.db"
    p = Platform.open(
        "sample_crm", database_url=url, overlays=[CODE_OVERLAY], plugins=[CodePlugin()]
    )
    p.migrate()
    return p


def test_a_plugin_field_types_own_message_reaches_the_user(tmp_path):
    p = _code_platform(tmp_path)
    try:
        bad = {"name": "Плохая", "code": "a-1", "plain_code": "b-2"}
        for locale in ("ru", "en"):
            cats = p.records("client_categories", user=SYSTEM, locale=locale)
            expected = {"code": [LETTERS_AND_DIGITS[locale]], "plain_code": [PLAIN]}
            with pytest.raises(ValidationError) as err:
                cats.create(bad)
            assert err.value.messages == expected
            with pytest.raises(ValidationError) as err:
                cats.create_many([{"name": "Хорошая", "code": "a1"}, bad])
            assert err.value.messages == {f"row 2: {k}": v for k, v in expected.items()}
            with pytest.raises(ValidationError) as err:  # a filter's value parses the same way
                cats.query(filters=[Filter("code", "eq", "a-1")])
            assert err.value.messages == {"code": [LETTERS_AND_DIGITS[locale]]}
        assert (
            p.records("client_categories", user=SYSTEM).create({"name": "Хорошая", "code": "a1"})[
                "code"
            ]
            == "a1"
        )
    finally:
        p.close()


def test_parse_error_texts() -> None:
    assert str(ParseError("letters and digits only")) == "letters and digits only"
    assert str(ParseError(LETTERS_AND_DIGITS)) == "letters and digits only"
    assert ParseError(LETTERS_AND_DIGITS).localized("ru_RU") == "только буквы и цифры"
    assert ParseError({"ru": "только цифры"}).localized("en") == "только цифры"
    assert ParseError("at most {n} letters", n=3).localized("ru") == "at most 3 letters"
    # The engine's own keys keep their translations.
    assert ParseError("too_long", max=5).localized("ru") == "Не более 5 символов."
    assert ParseError("too_long", max=5).key == "too_long"
    assert ParseError(PLAIN).key is None


def test_a_plugin_field_types_own_message_in_the_web_form(tmp_path):
    from tests.test_web_engine_messages import _messages
    from tests.web_support import WebClient, seed_users

    from uchet.web import create_app

    p = _code_platform(tmp_path)
    try:
        seed_users(p)
        client = WebClient(create_app(p, secret_key="test-secret-" + "x" * 20))
        client.login("admin")
        form = {"name": "Плохая", "code": "a-1", "plain_code": "b-2"}
        texts = " ".join(_messages(client.post("/client_categories/new/", form).text))
        assert "только буквы и цифры" in texts and PLAIN in texts, texts
        r = client.post("/client_categories/new/", form, headers={"Accept-Language": "en"})
        texts = " ".join(_messages(r.text))
        assert "letters and digits only" in texts and PLAIN in texts, texts
        assert (
            p.records("client_categories", user=SYSTEM)
            .query(filters=[Filter("name", "eq", "Плохая")])
            .rows
            == []
        )
    finally:
        p.close()


def test_platform_imports_without_flask():
    """uchet.platform must not depend on Flask (ARCHITECTURE: dependencies point one way)."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('flask', 'flask_admin', 'flask_babel', 'wtforms'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import uchet, uchet.platform.records.service, uchet.platform.schema.migrator\n"
        "import uchet.platform.schema.planner\n"
        "import uchet.platform.query.listquery, uchet.configurations.loader\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('flask'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json\n" + code], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == []


def test_self_reference_compiles_and_works(tmp_path):
    """A table may reference itself (a client's parent company)."""
    parent = Overlay(
        "parent.json",
        {
            "overlay": "parent",
            "fields": {
                "clients": [
                    {"id": "clients.parent", "name": "parent", "type": "reference",
                     "target": "clients", "on_delete": "set_null",
                     "label": {"ru": "Головная организация", "en": "Parent company"}}
                ]
            },
        },
    )  # fmt: skip
    p = Platform.open("sample_crm", database_url=f"sqlite:///{tmp_path}/s.db", overlays=[parent])
    p.migrate()
    clients = p.records("clients", user=SYSTEM)
    head = clients.create({"name": "Холдинг"})
    branch = clients.create({"name": "Филиал", "parent": head["id"]})
    assert clients.get(branch["id"])["parent__title"] == "Холдинг"
    p.close()
