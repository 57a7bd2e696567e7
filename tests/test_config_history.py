"""Configuration history and rollback (issue 16, points 1 and 3; S33, S40), on SQLite and
PostgreSQL: every applied version records where it came from and what it changed; a rollback
goes back through the migrate planner, refuses to drop data without consent and keeps the
dropped values in a backup table; the database overlay follows the rollback."""

from __future__ import annotations

import copy
import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from uchet import SYSTEM, Platform
from uchet.cli import main
from uchet.configurations.history import applied_versions, version_tree
from uchet.configurations.overlay_diff import EMPTY_DOCUMENT
from uchet.configurations.rollback import (
    RollbackRefused,
    apply_rollback,
    files_match,
    plan_rollback,
)
from uchet.platform.model.errors import DestructiveChangeError
from uchet.platform.records.users import User
from uchet.platform.schema.config_summary import count_words, summarize, summary_text
from uchet.platform.schema.migrator import ensure_system_tables

SAMPLE = Path(str(resources.files("uchet") / "sample_crm"))
ADMIN = User(id=None, login="anna", name="Анна", roles=("admin",))
NOTE = {"id": "clients.vip_note", "name": "vip_note", "type": "string",
        "label": {"ru": "Заметка VIP", "en": "VIP note"}}  # fmt: skip


def vendor_copy(tmp_path: Path, name: str = "crm") -> Path:
    target = tmp_path / name
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def edit_clients(bundle: Path, *, add_note: bool = False, relabel: bool = False) -> None:
    path = bundle / "tables" / "clients.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    if add_note:
        doc["fields"].append(NOTE)
    if relabel:
        doc["fields"][1]["label"] = {"ru": "Название клиента", "en": "Client name"}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# ------------------------------------------------------------------------- the summary


def test_summary_counts_by_stable_id() -> None:
    tree = {"manifest": {"name": "x", "version": "1"}, "tables": [
        {"id": "t1", "name": "a", "fields": [{"id": "f1", "name": "x"}, {"id": "f2", "name": "y"}]},
        {"id": "t2", "name": "b", "fields": []}], "roles": [{"id": "r1"}]}  # fmt: skip
    assert summarize(None, tree) == {"initial": {"table": 2, "field": 2, "role": 1}}
    new = copy.deepcopy(tree)
    new["tables"][0]["name"] = "renamed"  # a rename is a change of the same id
    new["tables"][0]["fields"].append({"id": "f3", "name": "z"})
    new["tables"][0]["fields"].append({"id": "f4", "name": "w"})
    new["tables"][0]["fields"][0]["label"] = {"ru": "Икс"}
    del new["tables"][1]
    assert summarize(tree, new) == {
        "added": {"field": 2},
        "removed": {"table": 1},
        "changed": {"table": 1, "field": 1},
    }
    assert summary_text(summarize(tree, new), "en") == (
        "added: 2 fields; removed: 1 table; changed: 1 table, 1 field"
    )
    assert summary_text(summarize(tree, new), "ru") == (
        "добавлено: 2 поля; удалено: 1 таблица; изменено: 1 таблица, 1 поле"
    )
    assert summary_text(summarize(tree, tree), "ru") == "без изменений"
    assert summary_text(None) == ""


@pytest.mark.parametrize(("count", "word"), [
    (1, "1 поле"), (2, "2 поля"), (5, "5 полей"), (11, "11 полей"), (12, "12 полей"),
    (21, "21 поле"), (22, "22 поля"), (111, "111 полей"), (154, "154 поля"),
])  # fmt: skip
def test_russian_plurals(count: int, word: str) -> None:
    assert count_words(count, "field", "ru") == word


# ------------------------------------------------------------------------- the history


def test_history_records_sources_and_summaries(db_url: str, tmp_path: Path) -> None:
    """migrate (CLI), a structure-editor save, an overlay revert and a rollback each leave a
    version with their source, who, and what changed in one line."""
    bundle = vendor_copy(tmp_path)
    assert cli("init", "-c", str(bundle), "-d", db_url, "--admin-password", "x" * 12
               ).exit_code == 0  # fmt: skip
    edit_clients(bundle, relabel=True, add_note=True)
    assert cli("migrate", "-c", str(bundle), "-d", db_url).exit_code == 0
    p = Platform.open(bundle, database_url=db_url)
    try:
        doc = copy.deepcopy(EMPTY_DOCUMENT)
        doc["fields"] = {"clients": [{**NOTE, "id": "clients.visit", "name": "visit",
                                      "type": "date"}]}  # fmt: skip
        p.overlay.save(doc, base_revision=None, user=ADMIN, comment="визиты")
        p.overlay.revert(0, base_revision=1, user=ADMIN)
        versions = applied_versions(p.engine)
    finally:
        p.close()
    assert [(v.version, v.source, v.applied_by) for v in versions] == [
        (4, "overlay-revert", "anna"),
        (3, "overlay-save", "anna"),
        (2, "migrate", "cli"),
        (1, "init", "cli init"),
    ]
    assert versions[3].summary_text("en").startswith("first version: 22 tables, 186 fields")
    assert versions[2].summary_text("en") == "added: 1 field; changed: 1 field"
    assert versions[1].summary_text("ru") == "добавлено: 1 поле"
    # The revert archives the field (hidden, data kept): a change, not a removal.
    assert versions[0].summary_text("en") == "changed: 1 field"
    assert versions[1].source_text("ru") == "редактор структуры"

    # Only the database is read: broken files do not hide the history.
    (bundle / "tables" / "clients.json").write_text("{", encoding="utf-8")
    out = cli("config", "history", "-d", db_url).output.splitlines()
    assert len(out) == 4
    assert out[0].split()[0] == "4" and "structure editor: revert" in out[0]
    assert "migrate (CLI)" in out[2] and out[2].endswith("added: 1 field; changed: 1 field")
    data = json.loads(cli("config", "history", "-d", db_url, "--json",
                          "--locale", "ru", "-n", "2").output)  # fmt: skip
    assert [d["version"] for d in data] == [4, 3]
    assert data[1]["summary"] == {"added": {"field": 1}}
    assert data[1]["summary_text"] == "добавлено: 1 поле" and data[1]["applied_by"] == "anna"


def test_existing_database_gets_the_new_columns(db_url: str) -> None:
    """A database made before issue 16 has no source/summary: reading the history still
    works (None), and the next migrate adds the columns, keeping every old row."""
    p = Platform.open("sample_crm", database_url=db_url)
    p.migrate()
    p.close()
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE uchet_config DROP COLUMN source")
        conn.exec_driver_sql("ALTER TABLE uchet_config DROP COLUMN summary")
    [old] = applied_versions(engine)
    assert old.source is None and old.summary is None and old.source_text("ru") == "неизвестно"
    with engine.begin() as conn:
        ensure_system_tables(conn)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("uchet_config")}
    assert {"source", "summary"} <= columns
    [same] = applied_versions(engine)
    assert same.version == 1 and same.source is None
    engine.dispose()


def test_history_before_any_migrate(tmp_path: Path) -> None:
    r = cli("config", "history", "-d", f"sqlite:///{tmp_path}/none.db")
    assert r.exit_code == 0 and "never migrated" in r.output


# ------------------------------------------------------------------------- rollback


def test_rollback_non_destructive(db_url: str, tmp_path: Path) -> None:
    """Back from a relabel: no schema operation, the old label again, records untouched."""
    bundle = vendor_copy(tmp_path)
    p = Platform.open(bundle, database_url=db_url)
    try:
        p.migrate()
        rid = p.records("clients", user=SYSTEM).create({"name": "ООО Ромашка", "kind": "company"})[
            "id"
        ]
    finally:
        p.close()
    edit_clients(bundle, relabel=True)
    assert cli("migrate", "-c", str(bundle), "-d", db_url).exit_code == 0
    r = cli("config", "rollback", "1", "-c", str(bundle), "-d", db_url)
    assert r.exit_code == 0, r.output
    assert "Rollback from version 2 to version 1: 0 operations (0 destructive)" in r.output
    assert "Rolled back: version 3 has the configuration of version 1." in r.output
    # The files still say "Client name": the next migrate would bring it back, and it says so.
    assert "Check out the files of version 1" in r.output
    engine = sa.create_engine(db_url)
    try:
        assert version_tree(engine, 3) == version_tree(engine, 1)
        [latest, *_] = applied_versions(engine)
        assert latest.source == "rollback" and latest.summary == {"changed": {"field": 1}}
    finally:
        engine.dispose()
    p = Platform.open("sample_crm", database_url=db_url)
    try:
        assert p.runtime.config.table("clients").field_by_name("name").label["en"] == "Name"
        assert p.records("clients", user=SYSTEM).get(rid)["name"] == "ООО Ромашка"
    finally:
        p.close()


def test_rollback_destructive_refused_then_consented(db_url: str, tmp_path: Path) -> None:
    """Back from an added field that holds data: refused (exit 3, nothing changed), then with
    --allow-destructive the column goes and its values are kept in uchet_bak_3_clients."""
    bundle = vendor_copy(tmp_path)
    edit_clients(bundle)
    assert cli("migrate", "-c", str(bundle), "-d", db_url).exit_code == 0
    edit_clients(bundle, add_note=True)
    assert cli("migrate", "-c", str(bundle), "-d", db_url).exit_code == 0
    p = Platform.open(bundle, database_url=db_url)
    try:
        rid = p.records("clients", user=SYSTEM).create(
            {"name": "ООО Ромашка", "kind": "company", "vip_note": "звонить утром"}
        )["id"]
    finally:
        p.close()
    plan = cli("config", "rollback", "1", "-c", str(bundle), "-d", db_url, "--plan")
    assert plan.exit_code == 0
    assert "! drop field clients.vip_note (values kept in uchet_bak_3_clients)" in plan.output
    assert "need --allow-destructive" in plan.output
    refused = cli("config", "rollback", "1", "-c", str(bundle), "-d", db_url)
    assert refused.exit_code == 3 and "Nothing was changed" in refused.output
    engine = sa.create_engine(db_url)
    try:
        assert [v.version for v in applied_versions(engine)] == [2, 1]
        assert "vip_note" in {c["name"] for c in sa.inspect(engine).get_columns("clients")}
        ok = cli("config", "rollback", "1", "-c", "sample_crm", "-d", db_url,
                 "--allow-destructive")  # fmt: skip
        assert ok.exit_code == 0, ok.output
        assert "Check out the files" not in ok.output  # sample_crm is version 1's files
        assert "vip_note" not in {c["name"] for c in sa.inspect(engine).get_columns("clients")}
        bak = sa.Table("uchet_bak_3_clients", sa.MetaData(), autoload_with=engine)
        with engine.connect() as conn:
            rows = conn.execute(sa.select(bak)).mappings().all()
        assert [(r["id"], r["vip_note"]) for r in rows] == [(rid, "звонить утром")]
    finally:
        engine.dispose()
    p = Platform.open("sample_crm", database_url=db_url)
    try:
        assert p.records("clients", user=SYSTEM).get(rid)["name"] == "ООО Ромашка"
        assert p.plan().is_empty  # the files and the database agree again
    finally:
        p.close()


def test_rollback_refusals(platform: Platform) -> None:
    with pytest.raises(RollbackRefused, match="no configuration version 9"):
        plan_rollback(platform.engine, platform.types, platform.overlay, 9)
    with pytest.raises(RollbackRefused, match="at version 1 already"):
        plan_rollback(platform.engine, platform.types, platform.overlay, 1)
    r = CliRunner().invoke(main, ["config", "rollback", "9", "-d", str(platform.engine.url)])
    assert r.exit_code == 1 and "no configuration version 9" in r.output


def test_rollback_past_overlay_revisions_records_a_revision(platform: Platform) -> None:
    """Rolling back past a structure-editor save returns the database overlay too (a new
    revision, action revert): the editor, the applied version and the next plan agree."""
    doc = copy.deepcopy(EMPTY_DOCUMENT)
    doc["fields"] = {"clients": [NOTE]}
    rev = platform.overlay.save(doc, base_revision=None, user=ADMIN)
    svc = platform.records("clients", user=SYSTEM)
    rid = svc.create({"name": "ООО Ромашка", "kind": "company", "vip_note": "да"})["id"]
    rollback = plan_rollback(platform.engine, platform.types, platform.overlay, 1)
    assert rollback.overlay_changes and rollback.overlay_document == EMPTY_DOCUMENT
    with pytest.raises(DestructiveChangeError):
        apply_rollback(platform.engine, platform.types, platform.overlay, rollback)
    assert [r.number for r in platform.overlay.revisions()] == [rev.number]  # nothing recorded
    version = apply_rollback(platform.engine, platform.types, platform.overlay, rollback,
                             allow_destructive=True, applied_by="cli")  # fmt: skip
    latest = platform.overlay.latest()
    assert latest is not None and latest.number == rev.number + 1
    assert latest.action == "revert" and latest.config_version == version
    assert dict(latest.overlay) == EMPTY_DOCUMENT and "rollback" in (latest.comment or "")
    assert files_match(platform.overlay, rollback)
    platform.refresh_config()
    assert platform.plan().is_empty  # the next migrate would not bring the field back
    platform._checked_at = 0.0  # the 0.5 s version re-check, without waiting for it
    assert platform.records("clients", user=SYSTEM).get(rid)["name"] == "ООО Ромашка"
