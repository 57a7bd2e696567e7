"""Table-level changes of the structure editor as services (issue 14, points 2 and 4), on
SQLite and PostgreSQL: add a table with rights and a child tab, archive and restore it,
purge it with a backup; the effective value of a property and the layer it comes from; a
database-overlay entry whose target disappeared is reported, not dropped; the history says
old → new values.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sqlalchemy as sa

from uchet import SYSTEM, Platform
from uchet.configurations.layers import BASE, DATABASE
from uchet.configurations.overlay import Overlay
from uchet.configurations.overlay_diff import EMPTY_DOCUMENT
from uchet.configurations.overlay_edit import set_hidden, set_properties
from uchet.configurations.overlay_tables import (
    add_child_tab,
    add_table,
    grant,
    new_table,
    without_table,
)
from uchet.configurations.revisions import PurgeNotConfirmed
from uchet.configurations.table_purge import purge_table, purge_table_preview
from uchet.formdesigner.model import form_document
from uchet.platform.model.config import thaw
from uchet.platform.model.errors import ConfigError, DestructiveChangeError
from uchet.platform.records.users import User

CAR_FIELDS = [
    {"id": "cars.plate", "name": "plate", "type": "string", "label": {"ru": "Номер"}},
    {
        "id": "cars.client",
        "name": "client",
        "type": "reference",
        "target": "clients",
        "label": {"ru": "Клиент"},
    },
]


def cars_document(platform: Platform) -> dict[str, Any]:
    """The database overlay adding «Автомобили» with a reference to Клиенты, a tab on the
    client card and the manager's rights, as the editor builds it."""
    config = platform.config
    doc = add_table(
        EMPTY_DOCUMENT,
        new_table(
            "cars", {"ru": "Автомобили", "en": "Cars"}, "sec_clients", CAR_FIELDS, directory=False
        ),
    )
    manager = next(r for r in config.roles if r.id == "manager")
    doc = grant(doc, thaw(manager.data), "cars", ["read", "create", "update"])
    form = form_document(config.forms, config.table("clients"))
    assert form is not None
    return add_child_tab(doc, thaw(form.data), "clients", "cars.client", {"ru": "Автомобили"})


def tables(platform: Platform) -> set[str]:
    return set(sa.inspect(platform.engine).get_table_names())


def test_add_table_with_rights_and_child_tab(platform: Platform) -> None:
    rev = platform.overlay.save(cars_document(platform), base_revision=None)
    assert "cars" in tables(platform)
    config = platform.config
    cars = config.table("cars")
    assert cars.section == "sec_clients" and cars.title_field == "cars.plate"
    # The manager may read and create cars, not delete them (only the rights picked).
    manager = next(r for r in config.roles if r.id == "manager")
    assert manager.data["tables"]["cars"] == {"read": True, "create": True, "update": True}
    assert "clients" in manager.data["tables"]  # the role's other rights are kept
    # The client card lists the client's cars on a tab of their own.
    form = form_document(config.forms, config.table("clients"))
    assert form is not None
    tab = next(t for t in form.data["layout"] if t["id"] == "tab_cars_client")
    assert tab["children"] == "cars.client"
    client = platform.records("clients", user=SYSTEM).create(
        {"name": "ООО Авто", "kind": "company"}
    )
    car = platform.records("cars", user=SYSTEM).create({"plate": "А123ВС", "client": client["id"]})
    assert platform.records("cars", user=SYSTEM).get(car["id"])["client"] == client["id"]
    # The history in words: the tab on the card and the rights, not "a form was added".
    assert platform.overlay.describe(EMPTY_DOCUMENT, rev.overlay) == [
        "добавлена таблица «Автомобили»",
        "добавлено поле «Номер» в «Автомобили»",
        "добавлено поле «Клиент» в «Автомобили»",
        "добавлена вкладка «Автомобили» на карточку «Карточка клиента»",
        "изменено у «Менеджер»: права на таблицы: добавлено «Автомобили»",
    ]
    assert "removed tab" in " ".join(platform.overlay.describe(rev.overlay, EMPTY_DOCUMENT, "en"))


def test_archive_restore_and_purge_table_with_backup(platform: Platform) -> None:
    platform.overlay.save(cars_document(platform), base_revision=None)
    client = platform.records("clients", user=SYSTEM).create(
        {"name": "ООО Авто", "kind": "company"}
    )
    for plate in ("А1", "А2", "А3"):
        platform.records("cars", user=SYSTEM).create({"plate": plate, "client": client["id"]})
    # A field of another table refers to the new table: purging takes it (and its values).
    doc = platform.overlay.document()
    doc.setdefault("fields", {})["clients"] = [
        {
            "id": "clients.car",
            "name": "car",
            "type": "reference",
            "target": "cars",
            "label": {"ru": "Машина"},
        }
    ]
    platform.overlay.save(doc, base_revision=1)
    car_id = platform.records("cars", user=SYSTEM).query(limit=1).rows[0]["id"]
    platform.records("clients", user=SYSTEM).update(client["id"], {"car": car_id})
    # Archive: hidden, its table and rows kept; restore: all back.
    platform.overlay.save(set_hidden(platform.overlay.document(), "cars", True), base_revision=2)
    assert platform.config.table("cars").hidden and "cars" in tables(platform)
    platform.overlay.save(set_hidden(platform.overlay.document(), "cars", False), base_revision=3)
    assert not platform.config.table("cars").hidden
    assert platform.records("cars", user=SYSTEM).query().total == 3
    # Dropping it by a plain save is refused: data would be lost.
    with pytest.raises(DestructiveChangeError):
        platform.overlay.save(without_table(platform.overlay.document(), "cars"), base_revision=4)
    _, loss = purge_table_preview(platform.overlay, "cars", 4)
    assert loss.rows == 3 and loss.references == [("clients", "clients.car", 1)]
    with pytest.raises(PurgeNotConfirmed):
        purge_table(platform.overlay, "cars", typed_name="Автомобили", base_revision=4)
    assert "cars" in tables(platform)
    with pytest.raises(KeyError):  # a table of the configuration files is only hidden
        purge_table_preview(platform.overlay, "clients", 4)
    rev = purge_table(platform.overlay, "cars", typed_name="cars", base_revision=4)
    assert rev.action == "purge" and "cars" not in tables(platform)
    config = platform.config
    assert all(t.id != "cars" for t in config.tables)
    assert not config.table("clients").has_field("car")
    form = form_document(config.forms, config.table("clients"))
    assert form is not None and all(t.get("children") != "cars.client" for t in form.data["layout"])
    assert "cars" not in next(r for r in config.roles if r.id == "manager").data["tables"]
    # The rows and the reference values were copied to backup tables first.
    backups = {t for t in tables(platform) if t.startswith("uchet_bak_")}
    cars_bak = next(t for t in backups if t.endswith("_cars"))
    clients_bak = next(t for t in backups if t.endswith("_clients"))
    with platform.engine.connect() as conn:
        plates = conn.execute(sa.text(f"SELECT plate FROM {cars_bak} ORDER BY plate")).scalars()
        assert list(plates) == ["А1", "А2", "А3"]
        assert conn.execute(sa.text(f"SELECT car FROM {clients_bak}")).scalar() == car_id


def test_archive_and_restore_a_files_field_keeps_its_values(platform: Platform) -> None:
    """Any field, not only one the editor added: archived (hidden), values kept, back."""
    svc = platform.records("clients", user=SYSTEM)
    rid = svc.create({"name": "ООО Город", "kind": "company", "city": "Тверь"})["id"]
    platform.overlay.save(set_hidden(EMPTY_DOCUMENT, "clients.city", True), base_revision=None)
    assert platform.config.table("clients").field_by_name("city").hidden
    platform.overlay.save(
        set_hidden(platform.overlay.document(), "clients.city", False), base_revision=1
    )
    assert not platform.config.table("clients").field_by_name("city").hidden
    assert platform.records("clients", user=SYSTEM).get(rid)["city"] == "Тверь"
    with pytest.raises(KeyError):  # the files' field is never purged by an overlay
        platform.overlay.purge_preview("clients.city", 2)


def test_effective_value_and_its_layer(platform: Platform) -> None:
    """A file overlay and the database overlay set the same label: the database wins, and
    the editor can say so with each layer's value."""
    file = Overlay(
        "integrator.json",
        {
            "overlay": "integrator",
            "set": {
                "clients.city": {"label": {"ru": "Населённый пункт"}},
                "clients.phone": {"help": {"ru": "С кодом"}},
            },
        },
    )
    platform.loaded.overlays.append(file)
    platform.overlay.__dict__.pop("files_layers", None)
    doc = set_properties(EMPTY_DOCUMENT, "clients.city", {"label": {"ru": "Город клиента"}})
    layers = platform.overlay.layers(doc)
    city = layers.of("clients.city", "label")
    assert city is not None and city.layer == DATABASE and city.contested
    assert city.value["ru"] == "Город клиента"
    assert [(n, v["ru"]) for n, v in city.history] == [
        (BASE, "Город"),
        ("integrator.json", "Населённый пункт"),
        (DATABASE, "Город клиента"),
    ]
    phone = layers.of("clients.phone", "help")
    assert phone is not None and phone.layer == "integrator.json" and not phone.contested
    name = layers.of("clients.name", "label")
    assert name is not None and name.layer == BASE and not name.contested
    assert layers.of("no_such", "label") is None


def test_orphan_entries_are_reported_not_dropped(platform: Platform) -> None:
    """After an upgrade the files lack what a revision changes: the platform still opens,
    the entry stays in the stored document and is listed."""
    doc = set_properties(EMPTY_DOCUMENT, "clients.city", {"label": {"ru": "Город клиента"}})
    platform.overlay.save(doc, base_revision=None)
    stored = copy.deepcopy(platform.overlay.document())
    # The "upgrade": the files no longer define clients.city (simulated by the ids known).
    platform.overlay.files_ids.discard("clients.city")
    orphans = platform.overlay.orphans()
    assert [(o.pointer, o.target) for o in orphans] == [("/set/clients.city", "clients.city")]
    assert platform.overlay.document() == stored  # kept
    config = platform.overlay.effective(stored, 1)  # the rest still applies
    assert config.table("clients").field_by_name("city").label["ru"] == "Город"
    # A file imported with such an entry is refused outright, naming it.
    with pytest.raises(ConfigError) as err:
        platform.overlay.import_document({"overlay": "x", "hide": ["clients.nope"]})
    assert "clients.nope" in str(err.value)


def test_history_says_old_and_new_values(platform: Platform) -> None:
    doc = set_properties(EMPTY_DOCUMENT, "clients", {"label": {"ru": "Контрагенты"}})
    doc = set_properties(doc, "clients.city", {"required": True})
    rev = platform.overlay.save(doc, base_revision=None)
    words = platform.overlay.describe(EMPTY_DOCUMENT, rev.overlay)
    assert "изменено у «Клиенты»: название «Клиенты» → «Контрагенты»" in words
    assert "изменено у «Город»: обязательность — → да" in words
    back = set_properties(rev.overlay, "clients", {"label": {"ru": "Клиенты и партнёры"}})
    assert platform.overlay.describe(rev.overlay, back, "en") == [
        'changed label "Контрагенты" → "Клиенты и партнёры" of "Clients"'
    ]


def test_rights_only_for_the_roles_picked(platform: Platform) -> None:
    """A role not picked gets no rights on the new table: its record service refuses."""
    from uchet.platform.model.errors import PermissionDenied

    platform.overlay.save(cars_document(platform), base_revision=None)
    accountant = User(id=None, login="b", name="Бухгалтер", roles=("accountant",))
    with pytest.raises(PermissionDenied):
        platform.records("cars", user=accountant).create({"plate": "В1"})
    manager = User(id=None, login="m", name="Менеджер", roles=("manager",))
    assert platform.records("cars", user=manager).create({"plate": "В2"})["plate"] == "В2"


def test_upgrade_removes_a_target_platform_still_opens(db_url: str, tmp_path: Any) -> None:
    """A real upgrade: an integrator's overlay file added «Источник»; the editor relabelled
    it; the next release drops the file. The platform opens, the editor's entry is kept and
    reported (history page and ``uchet overlay history``), the rest still applies."""
    import json

    from click.testing import CliRunner

    from uchet.cli import main

    extra = tmp_path / "integrator.json"
    extra.write_text(json.dumps({"overlay": "integrator", "fields": {"clients": [
        {"id": "clients.origin", "name": "origin", "type": "string", "label": {"ru": "Источник"}}
    ]}}), encoding="utf-8")  # fmt: skip
    before = Platform.open("sample_crm", database_url=db_url, overlays=[extra])
    try:
        before.migrate()
        doc = set_properties(EMPTY_DOCUMENT, "clients.origin", {"label": {"ru": "Откуда"}})
        doc = set_properties(doc, "clients", {"label": {"ru": "Контрагенты"}})
        before.overlay.save(doc, base_revision=None)
    finally:
        before.close()
    after = Platform.open("sample_crm", database_url=db_url)  # the file is gone
    try:
        assert after.config.table("clients").label["ru"] == "Контрагенты"
        assert not after.config.table("clients").has_field("origin")
        assert [o.target for o in after.overlay.orphans()] == ["clients.origin"]
        assert "clients.origin" in json.dumps(after.overlay.document())  # kept
    finally:
        after.close()
    result = CliRunner().invoke(main, ["overlay", "history", "--database", db_url],
                                catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "/set/clients.origin: no object 'clients.origin'" in result.output
