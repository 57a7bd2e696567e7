"""The database overlay with revisions (issue 14, S21/S23/S40), on SQLite and PostgreSQL.

End users' changes are an overlay document kept in ``uchet_overlay_revisions``, layered after
the file overlays; each save is checked, planned, applied and recorded in one transaction.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sqlalchemy as sa

from uchet import SYSTEM, Platform
from uchet.configurations.overlay_diff import EMPTY_DOCUMENT, archive_dropped, diff
from uchet.configurations.revisions import NothingToSave, StaleRevision
from uchet.platform.model.errors import ConfigError, DestructiveChangeError
from uchet.platform.records.users import User

ADMIN = User(id=None, login="anna", name="Анна", roles=("admin",))

VISIT = {
    "id": "clients.visit_date", "name": "visit_date", "type": "date",
    "label": {"ru": "Дата визита", "en": "Visit date"},
}  # fmt: skip


def with_visit(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc.setdefault("fields", {}).setdefault("clients", []).append(VISIT)
    return doc


def columns(platform: Platform, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(platform.engine).get_columns(table)}


def test_save_adds_field_and_records_revision(platform: Platform) -> None:
    before = platform.current_version()
    rev = platform.overlay.save(with_visit(EMPTY_DOCUMENT), base_revision=None, user=ADMIN,
                                comment="визиты")  # fmt: skip
    assert rev.number == 1 and rev.created_by == "anna" and rev.comment == "визиты"
    assert rev.config_version == before + 1 and rev.base_revision is None
    assert "visit_date" in columns(platform, "clients")
    assert platform.current_version() == rev.config_version
    # The platform's effective configuration and its runtime both have the field.
    assert platform.config.table("clients").field_by_name("visit_date").label["ru"] == "Дата визита"
    svc = platform.records("clients", user=SYSTEM)
    rid = svc.create({"name": "ООО Визит", "kind": "company", "visit_date": "2026-05-01"})["id"]
    assert str(svc.get(rid)["visit_date"]) == "2026-05-01"
    # In the audit trail, with the change in words.
    audit = sa.Table("uchet_audit", sa.MetaData(), autoload_with=platform.engine)
    with platform.engine.connect() as conn:
        row = conn.execute(sa.select(audit).where(audit.c.table_id == "uchet_overlay_revisions",
                                                  audit.c.record_id == 1)).one()  # fmt: skip
    assert row.action == "configure" and row.user_login == "anna"
    assert row.changes["summary"][1] == ['added field "Visit date" to "Clients"']
    assert [r.number for r in platform.overlay.revisions()] == [1]


def test_other_process_sees_new_version(platform: Platform, db_url: str) -> None:
    """A second Platform on the same database (another worker) picks the change up as it
    does after ``uchet migrate``: by the applied version, and its plan is empty."""
    other = Platform.open("sample_crm", database_url=db_url)
    try:
        assert other.runtime.version == platform.current_version()
        platform.overlay.save(with_visit(EMPTY_DOCUMENT), base_revision=None)
        other._checked_at = 0.0  # the 0.5 s re-check interval, without waiting for it
        assert other.runtime.config.table("clients").field_by_name("visit_date") is not None
        # Its own effective configuration includes the database overlay: migrating from it
        # changes nothing (and so never undoes the end users' change).
        assert other.plan().is_empty
        assert other.migrate() == platform.current_version()
    finally:
        other.close()


def test_the_saving_process_keeps_the_configuration_it_checked(
    platform: Platform, monkeypatch: Any
) -> None:
    """Issue 15 (save + hot swap): after its own save a process neither rebuilds the
    effective configuration nor builds the applied one again from the stored tree; what
    it keeps is what the database holds for that version."""
    import uchet.core
    from uchet.platform.model.config import build_configuration
    from uchet.platform.schema import migrator

    assert platform.runtime  # the old version's runtime, built before the save
    rev = platform.overlay.save(with_visit(EMPTY_DOCUMENT), base_revision=None)
    built: list[int] = []
    monkeypatch.setattr(uchet.core, "build_configuration",
                        lambda tree: built.append(1) or build_configuration(tree))  # fmt: skip
    monkeypatch.setattr(platform.overlay, "effective", lambda *a: built.append(2) or None)
    assert platform.runtime.version == rev.config_version
    assert platform.config is platform.runtime.config
    assert platform.refresh_config() is platform.config  # the latest revision: kept
    assert built == []
    stored = migrator.current_version(platform.engine)
    assert stored is not None and stored[0] == rev.config_version
    assert build_configuration(stored[1]).tree == platform.runtime.config.tree
    assert platform.runtime.config.table("clients").field_by_name("visit_date")


def test_readable_diff_in_russian(platform: Platform) -> None:
    doc = with_visit(EMPTY_DOCUMENT)
    doc["set"] = {"sec_clients": {"label": {"ru": "Контрагенты"}}}
    doc["hide"] = ["clients.website"]
    preview = platform.overlay.preview(doc, base_revision=None)
    assert preview.changes == [
        "добавлено поле «Дата визита» в «Клиенты»",
        "изменено у «Клиенты»: название «Клиенты» → «Контрагенты»",
        "скрыто: «Сайт»",
    ]
    assert [type(op).__name__ for op in preview.plan.operations] == ["AddField"]
    assert "visit_date" in preview.plan.operations[0].describe()


def test_check_error_names_entry_and_changes_nothing(platform: Platform) -> None:
    before = platform.current_version()
    cols = columns(platform, "clients")
    bad = with_visit(EMPTY_DOCUMENT)
    bad["fields"]["clients"].append({"id": "clients.x", "name": "x", "type": "reference",
                                     "target": "no_such_table", "label": "X"})  # fmt: skip
    with pytest.raises(ConfigError) as err:
        platform.overlay.save(bad, base_revision=None)
    assert "database overlay" in str(err.value) and "no_such_table" in str(err.value)
    assert platform.current_version() == before
    assert columns(platform, "clients") == cols
    assert platform.overlay.revisions() == []
    # A set on an id that does not exist is named by its entry.
    with pytest.raises(ConfigError) as err:
        platform.overlay.save({"overlay": "database", "set": {"nope": {"label": "x"}}},
                              base_revision=None)  # fmt: skip
    assert err.value.issues[0].pointer == "/set/nope"


def test_failure_while_recording_rolls_back_schema(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing: if recording the revision fails, the new column is gone too."""
    before = platform.current_version()

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    preview = platform.overlay.preview(with_visit(EMPTY_DOCUMENT), None)
    monkeypatch.setattr(platform.overlay, "describe", boom)  # called while recording
    with pytest.raises(Exception, match="disk full"):
        platform.overlay.save(preview.document, base_revision=None, preview=preview)
    assert platform.current_version() == before
    assert "visit_date" not in columns(platform, "clients")
    assert platform.overlay.revisions() == []


def test_stale_revision_is_refused_with_what_changed(platform: Platform) -> None:
    first = platform.overlay.save(with_visit(EMPTY_DOCUMENT), base_revision=None)
    # Two administrators start from revision 1; the first one hides the website field.
    doc_a = platform.overlay.document()
    doc_a["hide"] = ["clients.website"]
    doc_b = platform.overlay.document()
    doc_b["set"] = {"clients.city": {"label": {"ru": "Населённый пункт"}}}
    platform.overlay.save(doc_a, base_revision=first.number)
    version = platform.current_version()
    with pytest.raises(StaleRevision) as err:
        platform.overlay.save(doc_b, base_revision=first.number)
    assert err.value.current == 2 and err.value.base == 1
    assert err.value.changes == ["скрыто: «Сайт»"]
    assert platform.current_version() == version
    assert len(platform.overlay.revisions()) == 2
    assert doc_b["set"]["clients.city"]["label"]["ru"] == "Населённый пункт"  # not lost


def test_revert_archives_added_field_and_keeps_values(platform: Platform) -> None:
    platform.overlay.save(with_visit(EMPTY_DOCUMENT), base_revision=None)
    svc = platform.records("clients", user=SYSTEM)
    rid = svc.create({"name": "ООО Визит", "kind": "company", "visit_date": "2026-05-01"})["id"]
    second = platform.overlay.document()
    second["set"] = {"sec_clients": {"label": {"ru": "Контрагенты"}}}
    platform.overlay.save(second, base_revision=1)
    rev = platform.overlay.revert(0, base_revision=2, user=ADMIN)
    assert rev.number == 3 and rev.action == "revert"
    config = platform.config
    assert config.table("clients").field_by_name("visit_date").hidden  # archived, not dropped
    assert config.manifest.sections[0].get("label")["ru"] == "Клиенты"
    assert "visit_date" in columns(platform, "clients")
    with platform.engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT visit_date FROM clients WHERE id = :i"), {"i": rid})
        assert str(kept.scalar()).startswith("2026-05-01")
    # Showing it again is one more revision.
    doc = platform.overlay.document()
    doc["hide"].remove("clients.visit_date")
    platform.overlay.save(doc, base_revision=3)
    assert not platform.config.table("clients").field_by_name("visit_date").hidden


def test_nothing_to_save_and_destructive_refused(platform: Platform) -> None:
    with pytest.raises(NothingToSave):
        platform.overlay.save(EMPTY_DOCUMENT, base_revision=None)
    platform.overlay.save(with_visit(EMPTY_DOCUMENT), base_revision=None)
    # Dropping the added field outright (not through revert) would lose data: refused.
    with pytest.raises(DestructiveChangeError):
        platform.overlay.save(EMPTY_DOCUMENT, base_revision=1)
    assert "visit_date" in columns(platform, "clients")


def test_export_import_round_trip(platform: Platform, db_url: str, tmp_path) -> None:
    doc = with_visit(EMPTY_DOCUMENT)
    doc["hide"] = ["clients.website"]
    platform.overlay.save(doc, base_revision=None)
    exported = platform.overlay.export()
    assert exported["overlay"] == "database" and "revision 1" in exported["description"]
    # The exported document is an ordinary overlay file: a platform loaded with it as a
    # file overlay has the same configuration.
    path = tmp_path / "users.json"
    import json

    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    from uchet.configurations.loader import load

    with_file = load("sample_crm", [path]).config
    assert with_file.table("clients").field_by_name("visit_date").label["ru"] == "Дата визита"
    # Importing a document into the database makes a revision ("import").
    imported = dict(exported, hide=[])
    rev = platform.overlay.import_document(imported, user=ADMIN)
    assert rev.action == "import" and rev.number == 2
    assert not platform.config.table("clients").field_by_name("website").hidden


def test_pure_diff_and_archive_rule() -> None:
    current = with_visit(EMPTY_DOCUMENT)
    current["tables"] = [{"id": "visits", "name": "visits", "label": "Визиты", "fields": []}]
    result = archive_dropped(current, EMPTY_DOCUMENT)
    assert result["hide"] == ["visits", "clients.visit_date"]
    assert result["fields"]["clients"] == [VISIT]
    assert diff(result, result) == []
    kinds = [c.kind for c in diff(EMPTY_DOCUMENT, current)]
    assert kinds == ["add_table", "add_field"]


def test_cli_export_import_history_revert(platform: Platform, db_url: str, tmp_path) -> None:
    """``uchet overlay export|import|history|revert`` (the PostgreSQL run is the same code)."""
    import json

    from click.testing import CliRunner

    from uchet.cli import main

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, [*args, "--database", db_url], catch_exceptions=False)

    result = run("overlay", "export")
    assert result.exit_code == 0 and json.loads(result.output) == {"overlay": "database"}
    source = tmp_path / "mine.json"
    source.write_text(json.dumps(with_visit(EMPTY_DOCUMENT)), encoding="utf-8")
    result = run("overlay", "import", str(source), "-m", "от интегратора")
    assert result.exit_code == 0, result.output
    assert "Saved revision 1" in result.output
    out = tmp_path / "out.json"
    assert run("overlay", "export", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["fields"]["clients"] == [VISIT]
    history = run("overlay", "history", "--locale", "ru").output
    assert "revision 1" in history and "добавлено поле «Дата визита» в «Клиенты»" in history
    # A broken file is refused with the entry named, and nothing changes.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"overlay": "x", "set": {"nope": {"label": "y"}}}), "utf-8")
    result = run("overlay", "import", str(bad))
    assert result.exit_code == 1 and "/set/nope" in result.output
    assert run("overlay", "revert", "0").exit_code == 0
    assert len(platform.overlay.revisions()) == 2
    assert platform.refresh_config().table("clients").field_by_name("visit_date").hidden


def test_purge_field_needs_its_name_and_backs_up(platform: Platform) -> None:
    """Archive is hiding (restorable); purge is separate: only for a field the database
    overlay added, the name typed to confirm, the values copied to uchet_bak_* first."""
    from uchet.configurations.revisions import PurgeNotConfirmed

    platform.overlay.save(with_visit(EMPTY_DOCUMENT), base_revision=None)
    svc = platform.records("clients", user=SYSTEM)
    rid = svc.create({"name": "ООО Визит", "kind": "company", "visit_date": "2026-05-01"})["id"]
    preview, values = platform.overlay.purge_preview("clients.visit_date", 1)
    assert values == 1 and preview.changes == ["убрано поле «Дата визита» из «Клиенты»"]
    with pytest.raises(PurgeNotConfirmed):
        platform.overlay.purge_field("clients.visit_date", typed_name="visit", base_revision=1)
    with pytest.raises(KeyError):  # a field of the configuration files: hide it instead
        platform.overlay.purge_field("clients.city", typed_name="city", base_revision=1)
    assert "visit_date" in columns(platform, "clients")
    rev = platform.overlay.purge_field("clients.visit_date", typed_name="visit_date",
                                       base_revision=1, user=ADMIN)  # fmt: skip
    assert rev.action == "purge" and rev.number == 2
    assert "visit_date" not in columns(platform, "clients")
    backups = [t for t in sa.inspect(platform.engine).get_table_names()
               if t.startswith(f"uchet_bak_{rev.config_version}_clients")]  # fmt: skip
    assert backups
    backup = sa.Table(backups[0], sa.MetaData(), autoload_with=platform.engine)
    with platform.engine.connect() as conn:
        row = conn.execute(sa.select(backup).where(backup.c.id == rid)).one()
    assert str(row.visit_date).startswith("2026-05-01")
    assert not platform.refresh_config().table("clients").has_field("visit_date")


def test_hide_card_section_keeps_fields_off_the_card(platform: Platform) -> None:
    """Hiding a card section (the «Банк» section of «Наша организация») replaces the form in
    the overlay with the section flagged hidden; the card leaves its fields out (not moved
    to «Прочее»), and the history says it in words."""
    from uchet.configurations.overlay_edit import set_part_hidden
    from uchet.formdesigner.model import card_layout, form_document
    from uchet.platform.model.config import thaw

    config = platform.config
    table = config.table("our_company")
    form = form_document(config.forms, table)
    doc = set_part_hidden(EMPTY_DOCUMENT, thaw(form.data), "sec_company_bank", True)
    preview = platform.overlay.preview(doc, None)
    assert preview.changes == ["скрыт раздел «Банк» карточки «Реквизиты организации»"]
    assert preview.plan.is_empty  # a form change: no schema operation
    platform.overlay.save(doc, base_revision=None)
    new = platform.config
    table = new.table("our_company")

    class Texts:
        def label(self, labels: Any, default: str = "") -> str:
            return labels.get("ru", default) if isinstance(labels, dict) else default

        def gettext(self, msgid: str, **params: Any) -> str:
            return msgid

    shown = {f.name for f in table.fields}
    tabs = card_layout(Texts(), table, form_document(new.forms, table), shown, existing=False)
    sections = [s.id for t in tabs for s in t.sections]
    assert "sec_company_bank" not in sections and "other" not in sections
    # Back: the revert shows it again, in words.
    rev = platform.overlay.revert(0, base_revision=1)
    before = platform.overlay.get(1).overlay
    assert platform.overlay.describe(before, rev.overlay) == [
        "снова показан раздел «Банк» карточки «Реквизиты организации»"
    ]
