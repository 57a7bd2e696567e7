"""Backups and restore (issue 20, S42): the archive (:mod:`.archive`), making and restoring
one (:mod:`.service`), PostgreSQL's tools (:mod:`.pgtools`) and a folder of scheduled
backups with its rotation (:mod:`.folder`)."""

from uchet.platform.features.backup.archive import BackupError, Manifest, verify
from uchet.platform.features.backup.folder import BackupFile, list_backups, resolve, rotate
from uchet.platform.features.backup.service import Restored, create_backup, restore_backup

__all__ = [
    "BackupError", "BackupFile", "Manifest", "Restored", "create_backup", "list_backups",
    "resolve", "restore_backup", "rotate", "verify",
]  # fmt: skip
