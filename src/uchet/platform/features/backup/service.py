"""Making and restoring backups of a running database (issue 20, S42; files in it: S37).

* **SQLite**: the online backup API copies the database page by page into a scratch file while
  other connections keep reading and writing; the copy is one consistent state.
* **PostgreSQL**: a ``REPEATABLE READ`` transaction exports its snapshot, the manifest's facts
  are read in it, and ``pg_dump --snapshot`` dumps exactly that state (custom format).

Files stored in the database (``uchet_files``: file and image fields, attachments, print
templates) are rows like any other, so they are in the dump; the manifest counts them.

A restore checks everything before it touches the target: the archive's checksum, the
backend, the system schema and the configuration (a backup made by a newer configuration
version than this installation has, or by another configuration, is refused with the
reason). It goes into an empty database, or with ``force`` over the current one after a
safety copy of it; either way the load is one transaction (SQLite's backup API in one step,
``psql --single-transaction`` on PostgreSQL): it happens whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.features.backup import pgtools
from uchet.platform.features.backup.archive import (
    DUMP_NAMES,
    FORMAT,
    SUFFIX,
    BackupError,
    Manifest,
    extract_dump,
    sha256_of,
    timestamp,
    verify,
    write_archive,
)
from uchet.platform.schema.system import SYSTEM_SCHEMA_VERSION, define_system_tables


@dataclass(frozen=True)
class Facts:
    """What the manifest says about the data, read in the dumped state."""

    config_name: str | None
    bundle_version: str | None
    config_version: int | None
    files: int
    file_bytes: int


@dataclass(frozen=True)
class Restored:
    """The outcome of a restore."""

    manifest: Manifest
    safety_copy: Path | None


def backend_of(engine: Engine) -> str:
    """``sqlite`` or ``postgresql``; anything else cannot be backed up."""
    name = engine.dialect.name
    if name not in DUMP_NAMES:
        raise BackupError(f"backups of {name} databases are not supported")
    return name


def default_name(engine: Engine, at: dt.datetime | None = None) -> str:
    """``uchet-<database>-<YYYYMMDD-HHMMSS>.uchet-backup``."""
    db = Path(str(engine.url.database or "db")).stem or "db"
    return f"uchet-{db}-{timestamp(at or dt.datetime.now())}{SUFFIX}"


def _facts(conn: Connection) -> Facts:
    """The configuration and stored files of the database ``conn`` sees (no system tables
    yet: an empty database has none of these)."""
    tables = define_system_tables(sa.MetaData())
    inspector = sa.inspect(conn)
    name = bundle = version = None
    files = size = 0
    if inspector.has_table("uchet_config"):
        t = tables["uchet_config"]
        row = conn.execute(
            sa.select(t.c.version, t.c.name, t.c.bundle_version)
            .order_by(t.c.version.desc())
            .limit(1)
        ).first()
        if row is not None:
            version, name, bundle = row.version, row.name, row.bundle_version
    if inspector.has_table("uchet_files"):
        f = tables["uchet_files"]
        files, size = conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(f.c.size), 0))
        ).one()
    return Facts(name, bundle, version, int(files), int(size))


def _manifest(backend: str, facts: Facts, dump: Path, at: dt.datetime) -> Manifest:
    return Manifest(
        format=FORMAT, uchet_version=_uchet_version(), schema_version=SYSTEM_SCHEMA_VERSION,
        backend=backend, created_at=at.isoformat(timespec="seconds"),
        config_name=facts.config_name, bundle_version=facts.bundle_version,
        config_version=facts.config_version, files=facts.files, file_bytes=facts.file_bytes,
        dump=DUMP_NAMES[backend], dump_size=dump.stat().st_size, sha256=sha256_of(dump),
    )  # fmt: skip


def _uchet_version() -> str:
    try:
        return importlib.metadata.version("uchet")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        return "0+unknown"


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if database in (None, "", ":memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(str(database))


def _sqlite_facts(path: Path) -> Facts:
    probe = sa.create_engine(f"sqlite:///{path}")
    try:
        with probe.connect() as conn:
            return _facts(conn)
    finally:
        probe.dispose()


def create_backup(
    engine: Engine, target: str | Path, *, at: dt.datetime | None = None
) -> tuple[Path, Manifest]:
    """Back up the database of ``engine`` while it runs. ``target`` is the archive's path,
    or an existing folder to put it in under :func:`default_name`. Returns the archive's
    path and manifest; raises :class:`BackupError`."""
    at = (at or dt.datetime.now()).replace(microsecond=0)
    backend = backend_of(engine)
    path = Path(target)
    if path.is_dir():
        path = path / default_name(engine, at)
    if backend == "sqlite":
        source = _sqlite_path(engine)
        if not source.exists():
            raise BackupError(f"{source}: no such database file")
        facts: list[Facts] = []

        def dump_sqlite(into: Path) -> None:
            src, dst = sqlite3.connect(source), sqlite3.connect(into)
            try:
                src.backup(dst)  # one consistent state, while writers go on (WAL)
            finally:
                src.close()
                dst.close()
            facts.append(_sqlite_facts(into))

        manifest = write_archive(path, lambda d: _manifest(backend, facts[0], d, at), dump_sqlite)
        return path, manifest
    # PostgreSQL: the facts and the dump come from one exported snapshot.
    reader = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with reader as conn, conn.begin():
        snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        pg_facts = _facts(conn)
        manifest = write_archive(
            path,
            lambda d: _manifest(backend, pg_facts, d, at),
            lambda d: pgtools.dump(engine.url, d, snapshot),
        )
    return path, manifest


def _version_key(text: str | None) -> tuple[Any, ...]:
    """``"1.10.2"`` → (1, 10, 2): numeric parts compare as numbers."""
    parts = []
    for piece in str(text or "").replace("-", ".").split("."):
        parts.append((0, int(piece), "") if piece.isdigit() else (1, 0, piece))
    return tuple(parts)


def check_restorable(
    manifest: Manifest, engine: Engine, config_name: str | None, bundle_version: str | None
) -> None:
    """Refuse, with the reason, a backup this installation cannot take."""
    backend = backend_of(engine)
    if manifest.backend != backend:
        raise BackupError(
            f"the backup is of a {manifest.backend} database and cannot be restored into "
            f"{backend}; restore it into a {manifest.backend} database"
        )
    if manifest.schema_version > SYSTEM_SCHEMA_VERSION:
        raise BackupError(
            f"the backup was made by uchet {manifest.uchet_version} with system schema "
            f"{manifest.schema_version}; this uchet knows schema {SYSTEM_SCHEMA_VERSION}: "
            "upgrade uchet first"
        )
    if manifest.config_name is None or config_name is None:
        return  # an empty database's backup, or no configuration to compare with
    if manifest.config_name != config_name:
        raise BackupError(
            f"the backup holds the configuration {manifest.config_name!r}, this installation "
            f"runs {config_name!r}: open it with that configuration (--config)"
        )
    if _version_key(manifest.bundle_version) > _version_key(bundle_version):
        raise BackupError(
            f"the backup was made by configuration {manifest.config_name} "
            f"{manifest.bundle_version} (applied version {manifest.config_version}), newer "
            f"than {config_name} {bundle_version} installed here: install that configuration "
            "version first, then restore"
        )


def is_empty(engine: Engine) -> bool:
    """True when the database has no tables at all."""
    with engine.connect() as conn:
        return not sa.inspect(conn).get_table_names()


def restore_backup(
    engine: Engine,
    archive: str | Path,
    *,
    force: bool = False,
    safety_folder: str | Path | None = None,
    config_name: str | None = None,
    bundle_version: str | None = None,
) -> Restored:
    """Restore ``archive`` into the database of ``engine``: an empty one, or with ``force``
    the current one after a safety copy into ``safety_folder`` (default: the archive's
    folder). Nothing is changed when any check fails; raises :class:`BackupError`."""
    archive = Path(archive)
    manifest = verify(archive)
    check_restorable(manifest, engine, config_name, bundle_version)
    backend = backend_of(engine)
    missing = backend == "sqlite" and not _sqlite_path(engine).exists()
    empty = missing or is_empty(engine)
    if not empty and not force:
        raise BackupError(
            "the database is not empty: restore into an empty database, or add --force to "
            "replace its contents (a safety copy of them is made first)"
        )
    with tempfile.TemporaryDirectory(prefix="uchet-restore-") as scratch:
        dump = extract_dump(archive, manifest, Path(scratch))
        if backend == "sqlite":
            _check_sqlite_dump(dump)
        safety = None
        if not empty:
            folder = Path(safety_folder) if safety_folder else archive.parent
            folder.mkdir(parents=True, exist_ok=True)
            safety, _ = create_backup(engine, folder / ("before-restore-" + default_name(engine)))
        engine.dispose()  # no pooled connection keeps the old state
        if backend == "sqlite":
            _load_sqlite(dump, _sqlite_path(engine))
        else:
            pgtools.restore(engine.url, dump, replace=not empty)
        engine.dispose()
    return Restored(manifest, safety)


def _check_sqlite_dump(dump: Path) -> None:
    conn = sqlite3.connect(dump)
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"the dump is not a SQLite database ({e})") from None
    finally:
        conn.close()
    if not result or result[0] != "ok":
        raise BackupError(f"the dump fails SQLite's check: {result[0] if result else '?'}")


def _load_sqlite(dump: Path, target: Path) -> None:
    """Copy ``dump`` over ``target`` with the backup API in one step: the destination is
    written under one lock, so other connections see the old database or the new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(dump), sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst, pages=-1)
    except sqlite3.Error as e:
        raise BackupError(f"{target}: the restore failed and was not applied ({e})") from None
    finally:
        src.close()
        dst.close()
