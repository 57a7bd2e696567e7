"""The folder of scheduled backups: what is in it, keeping the newest N, and turning a name
someone asked for into a path inside it and nowhere else (issue 20).

Only files named as uchet names its backups (``uchet-<db>-<YYYYMMDD-HHMMSS>.uchet-backup``)
count: the administrator's own files in the folder, and the safety copies a restore makes
(``before-restore-…``), are never listed for rotation nor deleted by it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from uchet.platform.features.backup.archive import SUFFIX, BackupError

#: A backup's file name: plain characters only, so a name is never a path.
NAME = re.compile(
    r"^(before-restore-)?uchet-[A-Za-z0-9_.-]+-(\d{8}-\d{6})" + re.escape(SUFFIX) + "$"
)


@dataclass(frozen=True)
class BackupFile:
    """One backup in the folder."""

    name: str
    path: Path
    size: int
    made_at: dt.datetime
    safety_copy: bool


def _entry(path: Path) -> BackupFile | None:
    match = NAME.match(path.name)
    if match is None or not path.is_file():
        return None
    made = dt.datetime.strptime(match.group(2), "%Y%m%d-%H%M%S")
    return BackupFile(path.name, path, path.stat().st_size, made, bool(match.group(1)))


def list_backups(folder: str | Path) -> list[BackupFile]:
    """The backups in ``folder``, newest first (an absent folder has none)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    found = [e for p in root.iterdir() if (e := _entry(p)) is not None]
    return sorted(found, key=lambda e: (e.made_at, e.name), reverse=True)


def rotate(folder: str | Path, keep: int) -> list[Path]:
    """Delete the scheduled backups beyond the newest ``keep`` (safety copies stay);
    returns what was deleted."""
    if keep < 1:
        raise BackupError("keep at least one backup")
    scheduled = [b for b in list_backups(folder) if not b.safety_copy]
    gone = []
    for old in scheduled[keep:]:
        old.path.unlink(missing_ok=True)
        gone.append(old.path)
    return gone


def resolve(folder: str | Path, name: str) -> Path:
    """The backup called ``name`` in ``folder``. A name that is not a backup's (a path, a
    ``..``, another file) is refused before the file system is asked anything, and the
    resolved path must still lie inside the folder (a symlink out is refused too)."""
    if not NAME.match(name) or Path(name).name != name:
        raise BackupError(f"{name!r} is not the name of a backup")
    root = Path(folder).resolve()
    path = (root / name).resolve()
    if path.parent != root or not path.is_file():
        raise BackupError(f"there is no backup {name!r}")
    return path
