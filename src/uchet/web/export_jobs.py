"""Large exports as background jobs (issue 17, point 7: "large exports run as background
jobs with a download link").

A list export whose rows exceed ``export_job_rows`` (a web setting, default
:data:`JOB_ROWS`) is not streamed in the request: :func:`enqueue_export` queues an
``export`` job with the list's query, and the user gets a page that links the file once the
job has written it. The job (:func:`run_export_job`) reads as the user who asked, through
the record service (row rules, field rights), re-checks the ``export`` right, writes the
file with the same format registry as the streamed export (group sections included) and
keeps it in ``uchet_files`` (``table_id`` ``uchet_exports``, owned by that user) in the
job's transaction; ``uchet_state`` ``export_job:<id>`` says which file it is.

The job kind is registered by the web layer (:func:`register`), by the web app and by
``uchet worker``, since the formats live here.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.features.jobs import Job, JobRegistry, enqueue
from uchet.platform.model.config import Field, label_text
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import User
from uchet.platform.schema.database import write_transaction
from uchet.printeditor.printjob import purge_job_files
from uchet.web.display import display_text
from uchet.web.export import EXPORTERS, export_cell, iter_rows
from uchet.web.export_sections import GroupSections
from uchet.web.i18n import Translator

KIND = "export"
FILES = "uchet_exports"
#: Rows above which an export runs as a job, unless ``export_job_rows`` says otherwise.
JOB_ROWS = 20_000


def register(registry: JobRegistry) -> None:
    """Add the ``export`` job kind to a platform's job registry."""
    registry.register(KIND, run_export_job)


def enqueue_export(
    rt: Runtime, table_id: str, user: User, fmt: str, options: dict[str, Any],
    columns: list[str], group: list[str], limit: int, locale: str,
) -> int:  # fmt: skip
    """Queue the export of a list (``options``: the record-service query) as ``user``;
    returns the job's id."""
    jobs = rt.model.system["uchet_jobs"]
    key = f"{KIND}:{user.id}:{dt.datetime.now().timestamp()}"
    payload = {"table": table_id, "user_id": user.id, "fmt": fmt, "options": options,
               "columns": columns, "group": group, "limit": limit, "locale": locale}  # fmt: skip
    with write_transaction(rt.engine) as conn:
        enqueue(conn, jobs, KIND, json.loads(json.dumps(payload, default=str)), key=key)
        return int(conn.execute(sa.select(jobs.c.id).where(jobs.c.key == key)).scalar_one())


def _user(rt: Runtime, conn: Connection, user_id: int) -> User:
    users = rt.model.system["uchet_users"]
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).one()
    return User(row.id, row.login, row.name, tuple(row.roles or ()), row.locale,
                email=row.email, active=row.active)  # fmt: skip


def run_export_job(rt: Runtime, job: Job, conn: Connection | None) -> None:
    """Write the queued export into ``uchet_files`` in the job's transaction ``conn``."""
    assert conn is not None
    p = job.payload
    user = _user(rt, conn, int(p["user_id"]))
    table, locale = rt.config.table(p["table"]), str(p["locale"])
    state = rt.model.system["uchet_state"]
    result: dict[str, Any]
    if not rt.permissions.access(user, table.id).can("export"):
        result = {"error": "no export right"}  # revoked since it was queued
    else:
        result = _write(rt, conn, user, table, locale, p)
    key = f"export_job:{job.id}"
    conn.execute(state.delete().where(state.c.key == key))
    conn.execute(state.insert().values(key=key, value=json.dumps(result)))


def _write(rt: Runtime, conn: Connection, user: User, table: Any, locale: str,
           p: Any) -> dict[str, Any]:  # fmt: skip
    exporter = EXPORTERS[p["fmt"]]
    service = RecordService(rt, table.id, user, locale)
    translator = Translator(rt.config.translations)
    yes_no = (translator.gettext(locale, "Yes"), translator.gettext(locale, "No"))
    columns = [table.field_by_name(n) for n in p["columns"]]

    def label(f: Field) -> str:
        return label_text(f.label, locale, default=f.name)

    def text(f: Field, row: dict[str, Any]) -> str:
        return display_text(f, row, rt.types, locale, yes_no)

    sections = GroupSections([table.field_by_name(g) for g in p["group"]], label, text)
    count = [0]

    def cells() -> Any:
        for row in iter_rows(service, dict(p["options"]), int(p["limit"])):
            if p["group"] and exporter.sections:
                yield from sections.starting(row)
            count[0] += 1
            yield [export_cell(f, row, exporter.as_text, text) for f in columns]

    data = b"".join(exporter.write([label(f) for f in columns], cells()))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    name = f"{table.name}-{stamp}.{exporter.extension}"
    files = rt.model.system["uchet_files"]
    purge_job_files(conn, files)  # old export and print files go after the retention period
    row = {
        "table_id": FILES,
        "field_id": f"export:{table.id}",
        "name": name,
        "content_type": exporter.mimetype[:100],
        "size": len(data),
        "data": data,
        "created_at": dt.datetime.now().replace(microsecond=0),
        "created_by": user.id,
    }
    inserted = conn.execute(files.insert().values(row)).inserted_primary_key
    assert inserted is not None
    return {"file_id": int(inserted[0]), "name": name, "rows": count[0]}


def export_job(rt: Runtime, job_id: int, table_id: str, user: User) -> dict[str, Any] | None:
    """The status of the user's export job into ``table_id`` and, once done, its result;
    None when there is no such job of theirs."""
    jobs, state = rt.model.system["uchet_jobs"], rt.model.system["uchet_state"]
    with rt.engine.connect() as conn:
        job = conn.execute(sa.select(jobs.c.kind, jobs.c.payload, jobs.c.status).where(
            jobs.c.id == job_id)).first()  # fmt: skip
        raw = conn.execute(sa.select(state.c.value).where(
            state.c.key == f"export_job:{job_id}")).scalar()  # fmt: skip
    if job is None or job.kind != KIND:
        return None
    if job.payload.get("table") != table_id or job.payload.get("user_id") != user.id:
        return None
    return {"status": job.status, "result": json.loads(raw) if raw else None}


def export_file(rt: Runtime, file_id: int, table_id: str, user: User) -> Any:
    """The user's exported file (name, content_type, data), or None."""
    files = rt.model.system["uchet_files"]
    with rt.engine.connect() as conn:
        return conn.execute(
            sa.select(files.c.name, files.c.content_type, files.c.data).where(
                files.c.id == file_id,
                files.c.table_id == FILES,
                files.c.field_id == f"export:{table_id}",
                files.c.created_by == user.id,
            )
        ).first()
