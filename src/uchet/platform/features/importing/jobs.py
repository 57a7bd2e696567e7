"""Long imports as background jobs (issue 17, point 6).

:func:`enqueue_import` keeps the uploaded file in ``uchet_files`` and adds an ``import`` job;
a worker (``uchet worker``) runs it with :func:`run_import_job` *inside the job's own
transaction*, so the import's records and the job's completion commit together: a worker
that dies midway leaves nothing, and the job, claimed again, imports once. The report is
kept in ``uchet_state`` under ``import_job:<job id>`` (:func:`import_job_state`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.features.importing.engine import Importer, Options, Report
from uchet.platform.features.importing.mapping import Mapping
from uchet.platform.features.importing.progress import clear_progress, reporter
from uchet.platform.features.importing.reading import read_sheet
from uchet.platform.features.jobs import Job, enqueue
from uchet.platform.model.i18n import Text
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import SYSTEM, User
from uchet.platform.schema.database import write_transaction

KIND = "import"
#: Where the uploaded file waits in ``uchet_files``.
FILE_TABLE, FILE_FIELD = "uchet_imports", "file"


def enqueue_import(
    rt: Runtime, table: str, user: User, data: bytes, file_name: str, options: Options,
    locale: str | None = None,
) -> int:  # fmt: skip
    """Keep the file and queue its import as ``user``; returns the job's id."""
    system = rt.model.system
    files, jobs = system["uchet_files"], system["uchet_jobs"]
    now = dt.datetime.now().replace(microsecond=0)
    with write_transaction(rt.engine) as conn:
        row = {"table_id": FILE_TABLE, "field_id": FILE_FIELD, "name": file_name[:255],
               "content_type": "application/octet-stream", "size": len(data), "data": data,
               "created_at": now, "created_by": user.id}  # fmt: skip
        inserted = conn.execute(files.insert().values(row)).inserted_primary_key
        assert inserted is not None
        file_id = inserted[0]
        payload = {
            "table": rt.config.table(table).id, "user_id": user.id, "file_id": file_id,
            "file_name": file_name, "mode": options.mode, "key": options.key,
            "all_or_nothing": options.all_or_nothing, "locale": locale,
            "duplicates": options.duplicates,
            "mapping": options.mapping.to_json() if options.mapping else None,
        }  # fmt: skip
        enqueue(conn, jobs, KIND, payload, key=f"{KIND}:{file_id}")
        return int(conn.execute(sa.select(jobs.c.id).where(jobs.c.key == f"{KIND}:{file_id}"))
                   .scalar_one())  # fmt: skip


def _user(rt: Runtime, conn: Connection, user_id: int | None) -> User:
    if user_id is None:
        return SYSTEM
    users = rt.model.system["uchet_users"]
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).one()
    return User(row.id, row.login, row.name, tuple(row.roles or ()), row.locale,
                email=row.email, active=row.active)  # fmt: skip


def run_import_job(rt: Runtime, job: Job, conn: Connection | None) -> None:
    """Run a queued import in the job's transaction ``conn``."""
    assert conn is not None  # registered as a transactional (not external) job kind
    p = job.payload
    files, state = rt.model.system["uchet_files"], rt.model.system["uchet_state"]
    data = conn.execute(sa.select(files.c.data).where(files.c.id == p["file_id"])).scalar_one()
    user = _user(rt, conn, p.get("user_id"))
    options = Options(mode=p["mode"], key=p.get("key"), all_or_nothing=p["all_or_nothing"],
                      mapping=Mapping.from_json(p["mapping"]) if p.get("mapping") else None,
                      file_name=p["file_name"],
                      duplicates=bool(p.get("duplicates")))  # fmt: skip
    importer = Importer(rt, p["table"], user, p.get("locale"), reporter(rt, job.id))
    try:
        report = importer.run(read_sheet(data, p["file_name"], importer.locale), options,
                              conn=conn)  # fmt: skip
        result = report_json(report)
    except Exception as e:  # a refusal (rights, mapping) is the job's answer, not a retry
        messages = getattr(e, "messages", None)
        if messages is None and e.args and isinstance(e.args[0], Text):
            messages = {"_import": [e.args[0].localized(importer.locale)]}
        result = {"error": messages if messages is not None else str(e)}
    conn.execute(files.delete().where(files.c.id == p["file_id"]))
    clear_progress(rt, job.id)
    key = f"import_job:{job.id}"
    conn.execute(state.delete().where(state.c.key == key))
    conn.execute(state.insert().values(key=key, value=json.dumps(result, ensure_ascii=False,
                                                                  default=str)))  # fmt: skip


def report_json(report: Report) -> dict[str, Any]:
    """A report as JSON-able data (the job's result, the screen's download)."""
    return {
        "total": report.total, "created": report.created, "updated": report.updated,
        "bad_rows": report.bad_rows, "written": report.written, "dry_run": report.dry_run,
        "import_id": report.import_id, "unmatched": report.unmatched,
        "problems": [asdict(p) for p in report.problems], "preview": report.preview,
        "mapping": report.mapping.to_json(),
    }  # fmt: skip


def import_job_owner(rt: Runtime, job_id: int) -> tuple[str, int | None] | None:
    """(table id, user id) of an import job, or None when there is no such import job."""
    jobs = rt.model.system["uchet_jobs"]
    with rt.engine.connect() as conn:
        row = conn.execute(sa.select(jobs.c.kind, jobs.c.payload).where(jobs.c.id == job_id)
                           ).first()  # fmt: skip
    if row is None or row.kind != KIND:
        return None
    return row.payload["table"], row.payload.get("user_id")


def import_job_state(rt: Runtime, job_id: int) -> dict[str, Any]:
    """The job's status (pending, running, done, failed) and, once done, its report."""
    jobs, state = rt.model.system["uchet_jobs"], rt.model.system["uchet_state"]
    with rt.engine.connect() as conn:
        status = conn.execute(sa.select(jobs.c.status).where(jobs.c.id == job_id)).scalar()
        value = conn.execute(
            sa.select(state.c.value).where(state.c.key == f"import_job:{job_id}")
        ).scalar()
    return {"status": status, "report": json.loads(value) if value else None}
