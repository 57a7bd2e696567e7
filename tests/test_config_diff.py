"""``uchet config diff`` and the stored base of applied versions (issue 16).

The diff compares bundles (directory or zip), overlay files and applied versions by stable
id. A database made before ``uchet_config`` had ``base_tree`` gets the column on the next
migration, and an upgrade on it asks for ``--old-base`` instead of guessing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from tests.conftest import copy_sqlite
from tests.upgrade_support import FIXTURE, write_v02

from uchet import Platform
from uchet.cli import main
from uchet.configurations import stored
from uchet.configurations.bundle import read_bundle, write_bundle


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def crm_db(tmp_path: Path, sqlite_crm_template: Path) -> str:
    path = tmp_path / "crm.db"
    copy_sqlite(sqlite_crm_template, path)
    return f"sqlite:///{path}"


def test_diff_of_bundles_dir_and_zip(tmp_path: Path) -> None:
    v02 = write_v02(tmp_path / "v02")
    zipped = tmp_path / "v02.zip"
    write_bundle(read_bundle(v02), zipped)
    text = run("config", "diff", "sample_crm", str(zipped))
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert '+ field clients.segment "Segment" in clients' in lines
    assert '- field clients.messengers "Messengers, social networks" from clients' in lines
    assert "~ field clients.website renamed: website -> site" in lines
    assert '~ field clients.email label.ru: "E-mail" -> "Эл. почта"' in lines
    as_json = run("config", "diff", "sample_crm", str(v02), "--json")
    data = json.loads(as_json.output)
    assert data["renamed"] == [
        {"id": "clients.website", "kind": "field", "old": "website", "new": "site"}
    ]
    assert {"id": "clients.email", "kind": "field", "property": "label.ru",
            "old": "E-mail", "new": "Эл. почта"} in data["changed"]  # fmt: skip
    assert [o["id"] for o in data["removed"]] == ["clients.messengers", "report_clients_by_city"]
    assert run("config", "diff", str(v02), str(zipped)).output == "No differences.\n"


def test_diff_of_an_overlay_file_and_errors(tmp_path: Path) -> None:
    result = run("config", "diff", "sample_crm", str(FIXTURE / "customer.json"))
    assert result.exit_code == 0, result.output
    assert '~ field clients.email label.ru: "E-mail" -> "Почта"' in result.output
    assert '+ field clients.vip_level "VIP level" in clients' in result.output
    # The customer's overlay over the new base: its orphan is an error naming the entry.
    v02 = write_v02(tmp_path / "v02")
    bad = run("config", "diff", "sample_crm", str(FIXTURE / "customer.json"), "-c", str(v02))
    assert bad.exit_code == 1
    assert "customer.json:/hide/0: no object with id 'clients.messengers'" in bad.output
    missing = run("config", "diff", "sample_crm", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "no configuration bundle" in missing.output


def test_diff_of_applied_versions(crm_db: str, tmp_path: Path) -> None:
    v02 = write_v02(tmp_path / "v02")
    platform = Platform.open(str(v02), database_url=crm_db)
    try:
        platform.migrate(allow_destructive=True)
        version = platform.current_version()
    finally:
        platform.close()
    assert version is not None
    result = run("config", "diff", str(version - 1), str(version), "-d", crm_db)
    assert result.exit_code == 0, result.output
    assert "~ field clients.website renamed: website -> site" in result.output
    assert '~ manifest @manifest version: "0.1.0" -> "0.2.0"' in result.output
    unknown = run("config", "diff", "99", str(version), "-d", crm_db)
    assert unknown.exit_code == 1 and "no applied version 99" in unknown.output


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table)}


def test_old_database_gets_the_columns_and_asks_for_the_old_base(crm_db: str) -> None:
    engine = sa.create_engine(crm_db)
    try:
        with engine.begin() as conn:  # as a database migrated before issue 16
            conn.execute(sa.text("alter table uchet_config drop column base_tree"))
            conn.execute(sa.text("alter table uchet_config drop column upgrade_report"))
        assert {"base_tree", "upgrade_report"}.isdisjoint(_columns(engine, "uchet_config"))
        applied = stored.applied_base(engine)
        assert applied is not None and applied[1] is None
        result = run("config", "upgrade", "--base", "sample_crm", "-d", crm_db)
        assert result.exit_code == 1
        assert "pass --old-base" in result.output
        # With --old-base the upgrade needs nothing stored: same base, nothing to merge.
        same = run("config", "upgrade", "--base", "sample_crm", "--old-base", "sample_crm",
                   "-d", crm_db, "--dry-run")  # fmt: skip
        assert same.exit_code == 0, same.output
        assert "Conflicts (0, 0 open):" in same.output and "Dry run" in same.output
        # The next migration adds the columns and stores the base.
        platform = Platform.open("sample_crm", database_url=crm_db)
        try:
            platform.migrate()
        finally:
            platform.close()
        assert {"base_tree", "upgrade_report"} <= _columns(engine, "uchet_config")
        applied = stored.applied_base(engine)
        assert applied is not None and applied[1] is not None
        assert applied[1]["manifest"]["name"] == "sample_crm"
    finally:
        engine.dispose()


def test_upgrade_refuses_a_malformed_resolution_file(crm_db: str, tmp_path: Path) -> None:
    v02 = write_v02(tmp_path / "v02")
    bad = tmp_path / "res.json"
    bad.write_text('{"conflicts": {"x": {"choose": "mine"}}', encoding="utf-8")
    result = run("config", "upgrade", "--base", str(v02), "-d", crm_db, "--resolutions", str(bad))
    assert result.exit_code == 1 and "invalid JSON at line 1" in result.output
    bad.write_text('{"conflicts": {"x": {"choose": "mine"}}}', encoding="utf-8")
    result = run("config", "upgrade", "--base", str(v02), "-d", crm_db, "--resolutions", str(bad))
    # No conflict is named x: reported, and the plain merge goes on (nothing to resolve).
    assert "Resolutions that name no conflict (1):" in result.output


def test_upgrade_of_file_overlays_only_migrates_and_stores_the_report(
    crm_db: str, tmp_path: Path
) -> None:
    """No database overlay: the merged configuration is applied as ``uchet migrate`` does."""
    customer = tmp_path / "customer.json"
    customer.write_text((FIXTURE / "customer.json").read_text(encoding="utf-8"), "utf-8")
    v02 = write_v02(tmp_path / "v02")
    resolutions = tmp_path / "res.json"
    args = ["config", "upgrade", "--base", str(v02), "-d", crm_db, "--overlay", str(customer)]
    first = run(*args, "--write-resolutions", str(resolutions))
    assert first.exit_code == 1 and "Conflicts (1, 1 open):" in first.output
    resolutions.write_text(json.dumps({"conflicts": {
        "customer.json:clients.email:label.ru": {"value": "Электронная почта"}}},
        ensure_ascii=False), "utf-8")  # fmt: skip
    done = run(*args, "--resolutions", str(resolutions), "--allow-destructive")
    assert done.exit_code == 0, done.output
    assert "add field clients.vip_level" in done.output
    merged = json.loads(customer.read_text(encoding="utf-8"))
    assert merged["set"]["clients.email"] == {"label": {"ru": "Электронная почта"}}
    engine = sa.create_engine(crm_db)
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.text(
                "select version, applied_by from uchet_config order by version desc limit 1"
            )).one()  # fmt: skip
        assert row.applied_by == "upgrade"
        report = stored.upgrade_report(engine, row.version)
        assert report is not None
        assert report["conflicts"][0]["value"] == "Электронная почта"
        assert report["orphans"][0]["what"] == "hide clients.messengers"
    finally:
        engine.dispose()
    # Migrating the merged configuration again: nothing to do.
    again = run("migrate", "--plan", "-c", str(v02), "-d", crm_db, "-o", str(customer))
    assert "Nothing to do" in again.output, again.output
