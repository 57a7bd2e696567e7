"""Field-level edits of the structure editor on SQLite and PostgreSQL (issue 14, S13, S23,
S27): rename a field with its references, change its type after a conversion preview,
edit a choice list with retired values. Each is a database-overlay revision applied by the
planner and migrator in one transaction."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sqlalchemy as sa

from uchet import SYSTEM, Platform
from uchet.configurations.field_edits import (
    ChoiceEdit,
    EditError,
    RetypePreview,
    choices_document,
    conversion_policy,
    rename_document,
    retype_document,
    retype_preview,
    save_retype,
)
from uchet.configurations.overlay_diff import EMPTY_DOCUMENT
from uchet.configurations.revisions import StaleRevision
from uchet.platform.model.errors import ConversionError, ValidationError
from uchet.platform.records.users import User

ADMIN = User(id=None, login="anna", name="Анна", roles=("admin",))
CODE = {"id": "clients.code", "name": "code", "type": "string", "label": {"ru": "Код"}}


def columns(platform: Platform, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(platform.engine).get_columns(table)}


def test_rename_city_keeps_values_formula_report_and_rules(platform: Platform) -> None:
    svc = platform.records("clients", user=SYSTEM)
    tula = svc.create({"name": "ООО Тула", "kind": "company", "city": "Тула"})["id"]
    svc.create({"name": "ООО Орёл", "kind": "company", "city": "Орёл"})
    contact = platform.records("contacts", user=SYSTEM).create(
        {"name": "Иван", "client": tula})["id"]  # fmt: skip
    proposal = rename_document(platform.overlay, "clients.city", "town")
    kinds = {(c.kind, c.object_id) for c in proposal.renamed.changes}
    # The CRM names clients.city in the contacts' formula and the clients-by-city report.
    assert ("field", "contacts.client_city") in kinds
    assert ("report", "report_clients_by_city") in kinds
    preview = platform.overlay.preview(proposal.document, base_revision=None)
    assert [type(op).__name__ for op in preview.plan.operations] == ["RenameField"]
    rev = platform.overlay.save(proposal.document, base_revision=None, user=ADMIN,
                                preview=preview, comment="город → town")  # fmt: skip
    assert rev.number == 1
    cols = columns(platform, "clients")
    assert "town" in cols and "city" not in cols
    assert svc.__class__  # the old service is of the old version; take a new one
    fresh = platform.records("clients", user=SYSTEM)
    assert fresh.get(tula)["town"] == "Тула"
    # The formula through the reference follows the new name and still computes.
    cfg = platform.config
    assert cfg.table("contacts").field_by_id("contacts.client_city").formula == "client.town"
    assert platform.records("contacts", user=SYSTEM).get(contact)["client_city"] == "Тула"
    # The report groups by the new name and still counts.
    result = platform.report("report_clients_by_city", SYSTEM)
    counts = {r["town"]: r["count"] for r in result.rows}
    assert counts["Тула"] == 1 and counts["Орёл"] == 1
    # A second rename on the old revision is refused with what changed.
    again = rename_document(platform.overlay, "clients.town" if False else "clients.city", "gorod",
                            document=EMPTY_DOCUMENT)  # fmt: skip
    with pytest.raises(StaleRevision) as caught:
        platform.overlay.preview(again.document, base_revision=None)
    assert caught.value.current == 1


def _with_codes(platform: Platform, values: list[str | None]) -> list[Any]:
    doc = copy.deepcopy(EMPTY_DOCUMENT)
    doc["fields"] = {"clients": [CODE]}
    platform.overlay.save(doc, base_revision=None, user=ADMIN)
    svc = platform.records("clients", user=SYSTEM)
    return [svc.create({"name": f"К{i}", "kind": "company", "code": v})["id"]
            for i, v in enumerate(values)]  # fmt: skip


VALUES = ["12", "7", "абв", "3.5", None, "x1", "0042"]


def _retype(platform: Platform) -> RetypePreview:
    doc = retype_document(platform.overlay, "clients.code", "integer")
    return retype_preview(platform.overlay, doc, "clients.code", base_revision=1)


def test_retype_preview_counts_and_abort_changes_nothing(platform: Platform) -> None:
    ids = _with_codes(platform, VALUES)
    retype = _retype(platform)
    report = retype.report
    ops = retype.preview.plan.operations
    assert [type(op).__name__ for op in ops] == ["BackupFields", "RetypeField"]
    assert report.converted == 3 and report.failed == 3
    assert report.rows >= len(VALUES) and report.empty == report.rows - 6
    assert [(rid, v) for rid, v, _ in report.examples] == [
        (ids[2], "абв"), (ids[3], "3.5"), (ids[5], "x1")]  # fmt: skip
    with pytest.raises(ConversionError) as caught:
        save_retype(platform.overlay, retype, "abort")
    assert "3 value(s) will not convert" in str(caught.value)
    assert platform.overlay.latest().number == 1  # no revision, the column unchanged
    assert platform.records("clients", user=SYSTEM).get(ids[2])["code"] == "абв"
    names = sa.inspect(platform.engine).get_table_names()
    assert not any(t.startswith("uchet_bak_") for t in names)


@pytest.mark.parametrize("choice", ["set_null", "default"])
def test_retype_with_empty_or_default_for_bad_values(platform: Platform, choice: str) -> None:
    ids = _with_codes(platform, VALUES)
    retype = _retype(platform)
    policy = conversion_policy(choice, "-1" if choice == "default" else None)
    rev = save_retype(platform.overlay, retype, policy, user=ADMIN)
    svc = platform.records("clients", user=SYSTEM)
    got = [svc.get(i)["code"] for i in ids]
    bad = None if choice == "set_null" else -1
    assert got == [12, 7, bad, bad, None, bad, 42]
    assert platform.config.table("clients").field_by_id("clients.code").type == "integer"
    # The old text values are kept in a backup table, as migrate --allow-destructive does.
    bak = sa.Table(f"uchet_bak_{rev.config_version}_clients", sa.MetaData(),
                   autoload_with=platform.engine)  # fmt: skip
    with platform.engine.connect() as conn:
        kept = dict(conn.execute(sa.select(bak.c.id, bak.c.code)).all())
    assert kept[ids[2]] == "абв" and kept[ids[6]] == "0042"


def test_retype_policy_and_type_errors(platform: Platform) -> None:
    with pytest.raises(EditError) as caught:
        conversion_policy("default", " ")
    assert caught.value.control == "default"
    with pytest.raises(EditError):
        retype_document(platform.overlay, "clients.city", "string")  # already a string
    with pytest.raises(EditError):
        retype_document(platform.overlay, "clients.city", "nonexistent")
    # A string with max_length becomes an integer without it: the check passes.
    doc = retype_document(platform.overlay, "clients.city", "integer")
    assert doc["unset"] == [{"target": "clients.city", "properties": ["max_length"]}]
    platform.overlay.preview(doc, base_revision=None)


def test_choice_list_add_rename_reorder_retire(platform: Platform) -> None:
    svc = platform.records("clients", user=SYSTEM)
    old_lead = svc.create({"name": "Старый лид", "kind": "company", "status": "lead"})["id"]
    rows = [
        ChoiceEdit("active", "Работаем", "Working", order=1),
        ChoiceEdit("", "Партнёр", "Partner", order=2),
        ChoiceEdit("inactive", "Не работаем", order=3),
        ChoiceEdit("lead", "Потенциальный", retired=True, order=4),
    ]
    doc = choices_document(platform.overlay, "clients.status", rows)
    platform.overlay.save(doc, base_revision=None, user=ADMIN)
    status = platform.config.table("clients").field_by_id("clients.status")
    assert [(c.value, c.retired) for c in status.choices] == [
        ("active", False),
        ("partner", False),
        ("inactive", False),
        ("lead", True),
    ]
    assert status.choices[0].label == {"ru": "Работаем", "en": "Working"}
    assert status.choices[2].label["en"] == "Inactive"  # the locale not edited is kept
    svc = platform.records("clients", user=SYSTEM)
    # The old row keeps its retired value, shows its label and survives other edits.
    assert svc.get(old_lead)["status"] == "lead"
    svc.update(old_lead, {"city": "Тула"})
    # No new record gets it, and no record is changed to it.
    ru = platform.records("clients", user=SYSTEM, locale="ru")
    with pytest.raises(ValidationError) as caught:
        ru.create({"name": "Новый", "kind": "company", "status": "lead"})
    assert "больше не используется" in str(caught.value.messages["status"])
    other = svc.create({"name": "Партнёр", "kind": "company", "status": "partner"})["id"]
    with pytest.raises(ValidationError):
        svc.update(other, {"status": "lead"})
    # Values are retired, never deleted.
    with pytest.raises(EditError, match="only retired"):
        choices_document(platform.overlay, "clients.status", rows[:2])


def test_choice_list_keeps_one_offered(platform: Platform) -> None:
    rows = [ChoiceEdit(v, v, retired=True) for v in ("lead", "active", "inactive")]
    with pytest.raises(EditError, match="at least one"):
        choices_document(platform.overlay, "clients.status", rows)


def test_rename_rewrites_stored_print_templates_as_new_versions(platform: Platform) -> None:
    from uchet.configurations.rename import template_rewriter
    from uchet.printeditor import rename_templates
    from uchet.printeditor.service import PrintForms

    forms = PrintForms(platform, SYSTEM, "ru")
    stored = forms.create("clients_short", {"ru": "Кратко"}, "clients")
    data = forms.template(stored)
    assert any("city" in t for t in rename_templates.texts("docx", data, stored.name))
    before = platform.overlay.effective_tree(platform.overlay.document())
    proposal = rename_document(platform.overlay, "clients.city", "town")
    ctx = template_rewriter(before, "clients.city", "town")
    found = {u.form.name: u for u in rename_templates.uses(forms, ctx)}
    # The configuration files' client card and the stored form use it; the contract's
    # {{ company.city }} is our company's city, another field: not listed.
    assert set(found) == {"client_card", "clients_short"}
    assert not found["client_card"].stored and found["clients_short"].stored
    platform.overlay.save(proposal.document, base_revision=None)
    forms = PrintForms(platform, SYSTEM, "ru")
    done = rename_templates.rewrite_stored(forms, ctx, list(found.values()), "город → town")
    assert [(f.name, v) for f, v in done] == [("clients_short", 2)]
    new = forms.template(forms.get("clients_short"))
    texts = rename_templates.texts("docx", new, "clients_short")
    assert any("town" in t for t in texts)
    assert all(ctx.template("clients", t) == t for t in texts)  # nothing left to rewrite
    assert [v.version for v in forms.versions("clients_short")] == [2, 1]  # history kept


def test_rename_carries_saved_views_and_list_layouts(platform: Platform) -> None:
    """Users' saved views and list layouts name fields by name: a rename rewrites them in
    the migration's transaction (schema/stored_names.py), so a saved «Москва, by city» view
    still filters and sorts, and a layout still shows the column with its width."""
    from uchet.platform.features.preferences import Preferences
    from uchet.platform.features.saved_views import SavedViews

    system = platform._system
    anna = platform.users.create("anna2", "secret-pass-1", name="Анна", roles=["manager"])
    views = SavedViews(platform.engine, system["uchet_saved_views"], ["manager"])
    state = [["f.city.eq", "Москва"], ["f.name.startswith", "ООО"], ["sort", "-city,name"],
             ["group", "city"], ["cols", "name,city,phone"], ["q", "city"]]  # fmt: skip
    view = views.save("clients", anna, "Москва", state)
    other = views.save("contacts", anna, "Контакты", [["sort", "city"]])  # another table
    prefs = Preferences(platform.engine, system["uchet_prefs"])
    prefs.set_for_user("clients", anna, "columns", ["name", "city"])
    prefs.set_for_user("clients", anna, "widths", {"city": 120, "name": 200})
    proposal = rename_document(platform.overlay, "clients.city", "town")
    platform.overlay.save(proposal.document, base_revision=None, user=ADMIN)
    saved = {v.id: v for v in views.visible("clients", anna)}[view.id]
    assert [list(p) for p in saved.state] == [
        ["f.town.eq", "Москва"], ["f.name.startswith", "ООО"], ["sort", "-town,name"],
        ["group", "town"], ["cols", "name,town,phone"], ["q", "city"],  # the search text stays
    ]  # fmt: skip
    assert [list(p) for p in views.visible("contacts", anna)[0].state] == [["sort", "city"]]
    assert other.id == views.visible("contacts", anna)[0].id
    layout = prefs.resolve("clients", anna, ["columns", "widths"])
    assert layout["columns"].value == ["name", "town"]
    assert layout["widths"].value == {"town": 120, "name": 200}
