"""The backup archive: a zip holding ``manifest.json`` and one database dump (issue 20, S42).

``manifest.json`` says what the dump is: the backup format, the uchet version and system
schema that made it, the database backend, the configuration it holds (name, bundle version,
applied version number), how many files stored in the database (S37, ``uchet_files``) it
carries, and the dump's size and SHA-256. :func:`verify` reads the archive back and checks
all of it, so a truncated download or a flipped byte is caught before a restore starts.

An archive is written to a temporary file in the target folder and renamed into place only
when complete: a crash or a full disk never leaves a file that looks like a backup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from uchet.platform.model.errors import UchetError

#: The archive layout this code writes and reads; a newer one is refused.
FORMAT = 1
MANIFEST = "manifest.json"
SUFFIX = ".uchet-backup"
#: The dump's name inside the archive, per backend.
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_CHUNK = 1 << 20


class BackupError(UchetError):
    """A backup could not be made, read or restored; the message says why and where."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds (``manifest.json``)."""

    format: int
    uchet_version: str
    schema_version: int
    backend: str
    created_at: str
    config_name: str | None
    bundle_version: str | None
    config_version: int | None
    files: int
    file_bytes: int
    dump: str
    dump_size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        """The manifest as stored in the archive."""
        return {
            "format": self.format,
            "uchet_version": self.uchet_version,
            "schema_version": self.schema_version,
            "backend": self.backend,
            "created_at": self.created_at,
            "configuration": {
                "name": self.config_name,
                "bundle_version": self.bundle_version,
                "version": self.config_version,
            },
            "files": {"count": self.files, "bytes": self.file_bytes},
            "dump": {"name": self.dump, "size": self.dump_size, "sha256": self.sha256},
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> Manifest:
        """Read a stored manifest; a missing or mistyped entry is a :class:`BackupError`."""
        try:
            config, files, dump = data["configuration"], data["files"], data["dump"]
            return cls(
                format=int(data["format"]),
                uchet_version=str(data["uchet_version"]),
                schema_version=int(data["schema_version"]),
                backend=str(data["backend"]),
                created_at=str(data["created_at"]),
                config_name=config.get("name"),
                bundle_version=config.get("bundle_version"),
                config_version=config.get("version"),
                files=int(files["count"]),
                file_bytes=int(files["bytes"]),
                dump=str(dump["name"]),
                dump_size=int(dump["size"]),
                sha256=str(dump["sha256"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise BackupError(f"{where}: {MANIFEST} is incomplete or malformed ({e!r})") from None


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def timestamp(at: dt.datetime) -> str:
    """The time part of a backup's file name (sortable, no colons)."""
    return at.strftime("%Y%m%d-%H%M%S")


def write_archive(
    target: Path, make_manifest: Callable[[Path], Manifest], dump_into: Callable[[Path], None]
) -> Manifest:
    """Dump the database into a scratch file, describe it, and write the archive ``target``
    atomically (temporary file in the same folder, then a rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="uchet-backup-") as scratch:
        dump = Path(scratch) / "dump"
        dump_into(dump)
        manifest = make_manifest(dump)
        fd, partial = tempfile.mkstemp(prefix=".partial-", suffix=SUFFIX, dir=target.parent)
        os.close(fd)
        try:
            # The dump is compressed already (pg_dump custom format) or compresses well
            # (SQLite pages): deflate either way, the manifest first so a reader finds it fast.
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
                zf.writestr(MANIFEST, json.dumps(manifest.to_json(), indent=2))
                zf.write(dump, manifest.dump)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return manifest


def read_manifest(path: Path) -> Manifest:
    """The manifest of the archive ``path`` (no checksum check: see :func:`verify`)."""
    try:
        with zipfile.ZipFile(path) as zf:
            data = json.loads(zf.read(MANIFEST))
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except KeyError:
        raise BackupError(f"{path}: not a uchet backup (it has no {MANIFEST})") from None
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise BackupError(f"{path}: not a uchet backup or damaged ({e})") from None
    return Manifest.from_json(data, str(path))


def verify(path: str | Path) -> Manifest:
    """Check the archive ``path``: a manifest this code can read, the dump present with the
    size and SHA-256 the manifest states. Returns the manifest; raises :class:`BackupError`
    saying what is wrong."""
    path = Path(path)
    manifest = read_manifest(path)
    if manifest.format > FORMAT:
        raise BackupError(
            f"{path}: backup format {manifest.format} is newer than this uchet reads "
            f"(format {FORMAT}); upgrade uchet to {manifest.uchet_version} or later"
        )
    if manifest.backend not in DUMP_NAMES:
        raise BackupError(f"{path}: unknown database backend {manifest.backend!r}")
    digest, size = hashlib.sha256(), 0
    try:
        with zipfile.ZipFile(path) as zf, zf.open(manifest.dump) as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except KeyError:
        raise BackupError(f"{path}: the dump {manifest.dump!r} is missing") from None
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        # zipfile checks each member's CRC as it reads: a damaged archive ends here.
        raise BackupError(f"{path}: the dump is damaged ({e})") from None
    if size != manifest.dump_size or digest.hexdigest() != manifest.sha256:
        raise BackupError(
            f"{path}: checksum mismatch: the dump is {size} bytes with SHA-256 "
            f"{digest.hexdigest()[:16]}…, the manifest says {manifest.dump_size} bytes, "
            f"{manifest.sha256[:16]}…; the file is damaged or was changed"
        )
    return manifest


def extract_dump(path: Path, manifest: Manifest, into: Path) -> Path:
    """Copy the dump out of a verified archive into the folder ``into``."""
    target = into / manifest.dump
    with zipfile.ZipFile(path) as zf, zf.open(manifest.dump) as src, target.open("wb") as dst:
        _copy(src, dst)
    return target


def _copy(src: IO[bytes], dst: IO[bytes]) -> None:
    while chunk := src.read(_CHUNK):
        dst.write(chunk)
