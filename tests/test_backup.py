"""Backups and restore (issue 20, S42; files in the database: S37): round trips on SQLite and
PostgreSQL while the database is in use, refused restores (newer configuration, newer system
schema, damaged archive, non-empty database without --force) that change nothing, and the
CLI."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from tests.conftest import copy_sqlite

from uchet import SYSTEM, Platform
from uchet.cli import main
from uchet.platform.features.backup import (
    BackupError,
    create_backup,
    pgtools,
    restore_backup,
    verify,
)
from uchet.platform.features.backup.archive import MANIFEST
from uchet.platform.model.errors import NotFound
from uchet.platform.schema.system import SYSTEM_SCHEMA_VERSION

PDF = b"%PDF-1.4 \x00\x01\x02 binary \xff\xfe" * 100


def _fill(platform: Platform) -> tuple[int, int]:
    clients = platform.records("clients", user=SYSTEM)
    client = clients.create({"name": "ООО «Ромашка»", "kind": "company", "city": "Москва"})
    att = clients.attach(client["id"], {"name": "договор.pdf", "data": PDF})
    return client["id"], att.id


def _other_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A second empty database on the same backend as ``db_url`` (dropped after the test)."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/restored.db"
    from tests.pg_server import pg_database

    database = pg_database(request.getfixturevalue("postgresql_server_port"))
    url = database.__enter__()
    request.addfinalizer(lambda: database.__exit__(None, None, None))
    return url


def _config_name(platform: Platform) -> dict[str, str]:
    m = platform.loaded.config.manifest
    return {"config_name": m.name, "bundle_version": m.version}


def test_round_trip_with_files_in_the_database(platform, tmp_path, request):
    client_id, att_id = _fill(platform)
    path, manifest = create_backup(platform.engine, tmp_path)
    assert path.parent == tmp_path and path.name.endswith(".uchet-backup")
    assert manifest.files == 1 and manifest.file_bytes == len(PDF)
    assert manifest.config_name == "sample_crm" and manifest.config_version == 1
    assert manifest.backend == platform.engine.dialect.name
    assert verify(path) == manifest
    # Changes after the backup are not in it.
    platform.records("clients", user=SYSTEM).create({"name": "После копии", "kind": "person"})

    url = _other_url(platform.engine.url.render_as_string(False), tmp_path, request)
    target = Platform.open("sample_crm", url)
    try:
        done = restore_backup(target.engine, path, **_config_name(platform))
        assert done.safety_copy is None
        clients = target.records("clients", user=SYSTEM)
        names = [r["name"] for r in clients.query(limit=50).rows]
        assert "ООО «Ромашка»" in names and "После копии" not in names
        assert clients.attachment(client_id, att_id)[2] == PDF  # the file's bytes survived
        assert target.current_version() == 1
        # The restored database works: writes get the next ids and numbers.
        clients.create({"name": "Новый", "kind": "person"})
    finally:
        target.close()


def test_force_restore_replaces_after_a_safety_copy(platform, tmp_path):
    _fill(platform)
    path, _ = create_backup(platform.engine, tmp_path / "copy.uchet-backup")
    clients = platform.records("clients", user=SYSTEM)
    later = clients.create({"name": "Позже", "kind": "person"})
    count = clients.aggregate("count")
    # Not empty: refused without --force, nothing changed.
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(platform.engine, path, **_config_name(platform))
    assert clients.aggregate("count") == count
    safety = tmp_path / "safety"
    done = restore_backup(
        platform.engine, path, force=True, safety_folder=safety, **_config_name(platform)
    )
    assert done.safety_copy is not None and done.safety_copy.parent == safety
    assert verify(done.safety_copy).files == 1
    clients = platform.records("clients", user=SYSTEM)
    assert clients.aggregate("count") == count - 1
    with pytest.raises(NotFound):
        clients.get(later["id"])
    # The safety copy brings the later record back.
    restore_backup(platform.engine, done.safety_copy, force=True, **_config_name(platform))
    assert platform.records("clients", user=SYSTEM).get(later["id"])["name"] == "Позже"


def _rewrite_manifest(path: Path, target: Path, **changes) -> Path:
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == MANIFEST:
                doc = json.loads(data)
                for key, value in changes.items():
                    section, _, field = key.partition("__")
                    if field:
                        doc[section][field] = value
                    else:
                        doc[section] = value
                data = json.dumps(doc).encode()
            dst.writestr(item, data)
    return target


def test_refused_restores_change_nothing(platform, tmp_path, request):
    _fill(platform)
    path, _ = create_backup(platform.engine, tmp_path / "good.uchet-backup")
    url = _other_url(platform.engine.url.render_as_string(False), tmp_path, request)
    target = Platform.open("sample_crm", url)
    names = _config_name(platform)
    try:
        newer = _rewrite_manifest(
            path, tmp_path / "newer.uchet-backup", configuration__bundle_version="99.0.0"
        )
        with pytest.raises(BackupError, match=r"newer than sample_crm 0\.1\.0 installed here"):
            restore_backup(target.engine, newer, **names)
        schema = _rewrite_manifest(
            path, tmp_path / "schema.uchet-backup", schema_version=SYSTEM_SCHEMA_VERSION + 1
        )
        with pytest.raises(BackupError, match="upgrade uchet first"):
            restore_backup(target.engine, schema, **names)
        other = _rewrite_manifest(path, tmp_path / "other.uchet-backup", configuration__name="x")
        with pytest.raises(BackupError, match="holds the configuration 'x'"):
            restore_backup(target.engine, other, **names)
        # One byte of the dump flipped: the checksum (or the zip's CRC) catches it.
        damaged = tmp_path / "damaged.uchet-backup"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
            for item in src.infolist():
                data = src.read(item)
                if item.filename != MANIFEST:
                    data = data[:5000] + bytes([data[5000] ^ 1]) + data[5001:]
                dst.writestr(item, data)
        with pytest.raises(BackupError, match="checksum mismatch"):
            verify(damaged)
        with pytest.raises(BackupError, match="checksum mismatch"):
            restore_backup(target.engine, damaged, **names)
        truncated = tmp_path / "truncated.uchet-backup"
        truncated.write_bytes(path.read_bytes()[:-2000])
        with pytest.raises(BackupError, match="not a uchet backup or damaged"):
            restore_backup(target.engine, truncated, **names)
        with pytest.raises(BackupError, match="no such file"):
            verify(tmp_path / "missing.uchet-backup")
        # Nothing of any of them reached the target.
        with target.engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []
    finally:
        target.close()


def test_cli_backup_verify_restore(sqlite_crm_template, tmp_path):
    """The CLI on SQLite (the library's PostgreSQL path is covered above)."""
    url = f"sqlite:///{tmp_path}/crm.db"
    copy_sqlite(sqlite_crm_template, tmp_path / "crm.db")
    platform = Platform.open("sample_crm", url)
    _fill(platform)
    runner = CliRunner()
    made = runner.invoke(main, ["backup", "-d", url, "-o", str(tmp_path)])
    assert made.exit_code == 0, made.output
    [path] = tmp_path.glob("*.uchet-backup")
    assert f"to {path}" in made.output and "files       1 stored" in made.output
    checked = runner.invoke(main, ["backup", "--verify", str(path)])
    assert checked.exit_code == 0 and "is intact" in checked.output
    refused = runner.invoke(main, ["restore", str(path), "-d", url])
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "Nothing was changed" in refused.output
    fresh = f"sqlite:///{tmp_path}/fresh.db"
    restored = runner.invoke(main, ["restore", str(path), "-d", fresh])
    assert restored.exit_code == 0, restored.output
    again = Platform.open("sample_crm", fresh)
    try:
        count = again.records("clients", user=SYSTEM).aggregate("count")
        assert count == platform.records("clients", user=SYSTEM).aggregate("count")
    finally:
        again.close()
        platform.close()
    path.write_bytes(path.read_bytes()[:100])
    broken = runner.invoke(main, ["backup", "--verify", str(path)])
    assert broken.exit_code == 1 and "damaged" in broken.output


def test_missing_pg_dump_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(pgtools.BIN_VARIABLE, raising=False)
    monkeypatch.setattr(pgtools.glob, "glob", lambda pattern: [])
    with pytest.raises(BackupError, match=r"pg_dump was not found on PATH.*postgresql-client"):
        pgtools.find_tool("pg_dump")
    # Debian's folder is found when PATH lacks it.
    bindir = tmp_path / "lib" / "15" / "bin"
    bindir.mkdir(parents=True)
    tool = bindir / "pg_dump"
    shutil.copy("/bin/true", tool)
    monkeypatch.setattr(pgtools.glob, "glob", lambda pattern: [str(bindir)])
    assert pgtools.find_tool("pg_dump") == str(tool)
