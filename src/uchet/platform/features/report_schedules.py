"""Scheduled reports (issue 20, S42, S46): any report of the configuration, sent daily, weekly
or monthly as xlsx to chosen users, as a notification with a download link and by e-mail
with the file attached.

Each recipient gets the report computed under **their own** rights: :func:`run_report` as that
user, so their table, field and row rules apply, exactly as if they had opened it; never the
system's. A recipient who may not run the report (or no longer exists) is skipped and the
skip is noted on the schedule. The xlsx goes through the report export, which neutralises
formulas (cellsafety).

Who may set one up (:func:`check_setup`): anyone who may run the report, for themselves; an
administrator also for other users. The occasion is a job claimed once (see
:mod:`uchet.platform.features.schedules`); the files, notifications and e-mail jobs are written
in the transaction that marks it done, so a worker that dies midway leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.features import jobs as queue
from uchet.platform.features import notices
from uchet.platform.features.mailer import send_mail, smtp_settings
from uchet.platform.features.reports import can_run, export_xlsx, find_report, run_report
from uchet.platform.features.schedules import Recurrence, ScheduleError, Schedules, record_outcome
from uchet.platform.model.config import label_text
from uchet.platform.model.errors import UchetError
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import User

KIND = "report"
#: ``uchet_files.table_id`` of a scheduled report's file, and the notification's link table.
FILE_TABLE = "uchet_report_files"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_schedules(rt: Runtime) -> Schedules:
    """The report schedules of the runtime's database."""
    return Schedules(rt.engine, rt.model.system["uchet_schedules"], KIND)


def check_setup(rt: Runtime, user: User, report_id: str, recipients: Sequence[int]) -> None:
    """Refuse a schedule ``user`` may not set up: an unknown report, one they may not run,
    no recipients, or other recipients than themselves without being an administrator."""
    spec = find_report(rt, report_id)  # NotFound names the known reports
    if not can_run(rt, spec, user):
        raise ScheduleError(f"report: you may not run the report {spec.id!r}", "report")
    if not recipients:
        raise ScheduleError("recipients: choose at least one user", "recipients")
    others = set(recipients) - {user.id}
    if others and not (user.is_system or rt.permissions.is_superuser(user)):
        raise ScheduleError(
            "recipients: only an administrator sends reports to other users", "recipients"
        )


def save(
    rt: Runtime,
    user: User,
    report_id: str,
    recurrence: Recurrence,
    recipients: Sequence[int],
    params: Mapping[str, Any] | None = None,
    *,
    schedule_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Create (or change) a report schedule after :func:`check_setup`; returns its id."""
    check_setup(rt, user, report_id, recipients)
    spec = find_report(rt, report_id)
    name = label_text(spec.label, rt.config.default_locale, default=spec.id)
    payload = {"report": spec.id, "params": dict(params or {}), "recipients": sorted(recipients)}
    return report_schedules(rt).save(
        name, payload, recurrence, schedule_id=schedule_id, created_by=user.id, now=now
    )


def _user(rt: Runtime, conn: Connection, user_id: int) -> User | None:
    users = rt.model.system["uchet_users"]
    r = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    if r is None or not r.active:
        return None
    return User(r.id, r.login, r.name, tuple(r.roles or ()), r.locale, email=r.email)


def run(rt: Runtime, job: queue.Job, conn: Connection | None) -> None:
    """The ``schedule_report`` job: compute the report for each recipient as that recipient,
    store the xlsx, notify them and queue the e-mail (all in the job's transaction)."""
    assert conn is not None
    schedule = report_schedules(rt).get(int(job.payload["schedule"]))
    if schedule is None:
        return
    p = schedule.payload
    day = dt.datetime.fromisoformat(str(job.payload["occasion"])).date()
    sent, skipped = 0, []
    for uid in p.get("recipients", []):
        user = _user(rt, conn, int(uid))
        if user is None:
            skipped.append(f"#{uid}: no such active user")
            continue
        locale = user.locale or rt.config.default_locale
        try:
            result = run_report(rt, p["report"], user, p.get("params") or {}, locale)
        except UchetError as e:  # not allowed any more, the report left the configuration...
            skipped.append(f"{user.login}: {e}")
            continue
        data = export_xlsx(result)
        file_name = f"{result.label} {day:%Y-%m-%d}.xlsx".replace("/", "-")
        file_id = _store(rt, conn, p["report"], file_name, data, user)
        person = notices.Person(int(uid), locale, user.email)
        notices.tell(
            rt, conn, person,
            notices.text("report_ready", locale, report=result.label, day=f"{day:%d.%m.%Y}"),
            notices.text("report_ready_body", locale, rows=len(result.rows)),
            rule_id=f"schedule:{schedule.id}", link=(FILE_TABLE, file_id),
            attachment={"file": file_id},
        )  # fmt: skip
        sent += 1
    status = "failed" if skipped and not sent else "done"
    message = f"sent to {sent}" + (f"; skipped: {'; '.join(skipped)}" if skipped else "")
    record_outcome(conn, rt.model.system["uchet_schedules"], schedule.id, status, message)


def _store(
    rt: Runtime, conn: Connection, report_id: str, name: str, data: bytes, user: User
) -> int:
    files = rt.model.system["uchet_files"]
    result = conn.execute(
        files.insert().values(
            table_id=FILE_TABLE, field_id=report_id[:100], name=name[:255], content_type=XLSX,
            size=len(data), data=data, created_at=queue.now(), created_by=user.id,
        )
    )  # fmt: skip
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def report_file(rt: Runtime, file_id: int, user: User) -> tuple[str, bytes] | None:
    """A scheduled report's file, if it was made for ``user`` (nobody else's is returned)."""
    files = rt.model.system["uchet_files"]
    stmt = sa.select(files.c.name, files.c.data).where(
        files.c.id == file_id, files.c.table_id == FILE_TABLE, files.c.created_by == user.id
    )
    with rt.engine.connect() as conn:
        row = conn.execute(stmt).first()
    return None if row is None else (row.name, bytes(row.data))


def send_with_file(rt: Runtime, job: queue.Job, conn: Connection | None) -> None:
    """The ``email_file`` job: one message with a stored file attached."""
    settings = smtp_settings()
    if settings is None:
        return
    p = job.payload
    files = rt.model.system["uchet_files"]
    with rt.engine.connect() as c:
        row = c.execute(
            sa.select(files.c.name, files.c.content_type, files.c.data).where(
                files.c.id == int(p["file"])
            )
        ).first()
    attachments = [] if row is None else [(row.name, row.content_type, bytes(row.data))]
    send_mail(settings, p["to"], p.get("subject", ""), p.get("body", ""), attachments)
