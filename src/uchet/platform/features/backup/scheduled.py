"""Scheduled backups (issue 20, S42): the administrator's settings and the worker's job.

The settings are one ``backup`` schedule in ``uchet_schedules`` (how often, at what time, the
folder, how many copies to keep). On each occasion the worker makes a backup into the folder,
deletes the scheduled copies beyond the newest ``keep`` and tells every administrator (a
notification, and an e-mail when SMTP is set) that it was done or why it failed. The job is
*external* (it writes a file, not the database), so a failure is reported and not retried
until the next occasion: a full disk would not get better by trying five times.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from uchet.platform.features import notices
from uchet.platform.features.backup.archive import BackupError
from uchet.platform.features.backup.folder import rotate
from uchet.platform.features.backup.service import create_backup
from uchet.platform.features.jobs import Job
from uchet.platform.features.schedules import (
    Recurrence,
    Schedule,
    ScheduleError,
    Schedules,
    record_outcome,
)
from uchet.platform.records.runtime import Runtime
from uchet.platform.schema.database import write_transaction

KIND = "backup"
DEFAULT_KEEP = 7
MAX_KEEP = 1000


def backup_schedules(rt: Runtime) -> Schedules:
    """The backup schedules of the runtime's database."""
    return Schedules(rt.engine, rt.model.system["uchet_schedules"], KIND)


def settings(schedules: Schedules) -> Schedule | None:
    """The backup schedule, if the administrator set one."""
    found = schedules.list()
    return found[0] if found else None


def save_settings(
    schedules: Schedules,
    folder: str,
    keep: int,
    recurrence: Recurrence,
    *,
    active: bool = True,
    user_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Set (or replace) the backup schedule; ScheduleError names a wrong setting."""
    folder = (folder or "").strip()
    if not folder:
        raise ScheduleError("folder: give the folder to keep the backups in", "folder")
    if not 1 <= int(keep) <= MAX_KEEP:
        raise ScheduleError(f"keep: from 1 to {MAX_KEEP} copies", "keep")
    current = settings(schedules)
    return schedules.save(
        "backup", {"folder": folder, "keep": int(keep)}, recurrence,
        schedule_id=current.id if current else None, active=active, created_by=user_id, now=now,
    )  # fmt: skip


def run(rt: Runtime, job: Job, conn: Connection | None) -> None:
    """The ``schedule_backup`` job: one occasion of the backup schedule."""
    schedule = backup_schedules(rt).get(int(job.payload["schedule"]))
    if schedule is None:
        return  # the schedule was deleted since the occasion was enqueued
    at = dt.datetime.fromisoformat(str(job.payload.get("at") or job.payload["occasion"]))
    folder = str(schedule.payload.get("folder", ""))
    keep = int(schedule.payload.get("keep", DEFAULT_KEEP))
    outcome: dict[str, Any]
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)  # a file in the way: OSError, told
        path, manifest = create_backup(rt.engine, folder, at=at)
        removed = rotate(folder, keep)
        outcome = {"status": "done", "path": path, "manifest": manifest, "removed": removed}
    except (BackupError, OSError) as e:
        outcome = {"status": "failed", "error": str(e)}
    with write_transaction(rt.engine) as c:
        table = rt.model.system["uchet_schedules"]
        if outcome["status"] == "done":
            path = outcome["path"]
            record_outcome(c, table, schedule.id, "done", str(path))
        else:
            record_outcome(c, table, schedule.id, "failed", outcome["error"])
        for person in notices.superusers(rt, c):
            _tell(rt, c, person, schedule, outcome)


def _tell(
    rt: Runtime, c: Connection, person: notices.Person, schedule: Schedule, outcome: dict
) -> None:
    lang = person.locale
    if outcome["status"] == "done":
        path, manifest = outcome["path"], outcome["manifest"]
        title = notices.text("backup_done", lang, name=path.name)
        body = notices.text(
            "backup_done_body", lang, path=path, size=path.stat().st_size,
            files=manifest.files, removed=len(outcome["removed"]),
        )  # fmt: skip
    else:
        title = notices.text("backup_failed", lang)
        body = notices.text(
            "backup_failed_body", lang, schedule=schedule.name, error=outcome["error"]
        )
    notices.tell(rt, c, person, title, body, rule_id=f"schedule:{schedule.id}")
