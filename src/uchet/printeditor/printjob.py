"""Mass print as a background job: many records into ONE PDF (or one merged .docx)
(issue 21, point 8).

The list's mass print and the bulk bar's «Печать: <форма>» queue a ``print`` job
(:func:`enqueue_print`) with the form, the record ids the user's list showed and the
output (``pdf`` or ``docx``). The worker (``uchet worker``, or the web app's own runner)
runs :func:`run_print_job` as the user who asked:

* the form is fetched through :class:`~uchet.printeditor.service.PrintForms`, so the
  form's roles and the table's read right are checked again when the job runs;
* each record is read through the record service (row rules, field rights): a record the
  user may no longer see, or whose document fails, is *skipped* with the reason, the rest
  print;
* every document is converted to PDF on its own (the resident LibreOffice when it runs)
  and the PDFs are merged with pypdf. One giant merged .docx converted at once is what
  aborted once in the resident converter («IOException … Abort») and takes minutes cold;
* progress (N of M), the skipped records and the result live in ``uchet_state``
  ``print_job:<id>``; the job looks at ``print_job_cancel:<id>`` between documents, so
  «Отменить» stops it within one document;
* the file is kept in ``uchet_files`` (``table_id`` ``uchet_prints``, owned by the user)
  and removed after :func:`retention_days` with the export jobs' files
  (:func:`purge_job_files`).

The job kind is *external* (its effects are not in the claiming transaction) because the
progress must be visible while it runs; its file is written keyed by the job, so a job run
again after a lost lease replaces rather than duplicates it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.features.jobs import DONE, PENDING, Job, JobRegistry, enqueue, now
from uchet.platform.model.errors import NotFound, PermissionDenied, UchetError
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import User
from uchet.platform.schema.database import write_transaction
from uchet.printeditor import output
from uchet.printeditor.errors import PrintError

if TYPE_CHECKING:
    from uchet.core import Platform

KIND = "print"
FILES = "uchet_prints"
#: ``uchet_files.table_id`` of the files jobs write (exports and prints): purged alike.
JOB_FILE_TABLES = ("uchet_exports", FILES)
#: Formats of the job's one file.
FORMATS = ("pdf", "docx")
#: Days a job's file is kept (``UCHET_JOB_FILE_DAYS`` overrides).
RETENTION_DAYS = 7
#: Most skipped records whose reasons are kept (the count is exact).
MAX_REPORTED = 200


def retention_days() -> int:
    """Days a job's file is kept before :func:`purge_job_files` removes it."""
    try:
        return max(1, int(os.environ.get("UCHET_JOB_FILE_DAYS", RETENTION_DAYS)))
    except ValueError:
        return RETENTION_DAYS


def purge_job_files(conn: Connection, files: sa.Table, at: dt.datetime | None = None) -> int:
    """Delete export and print job files older than the retention period; how many."""
    limit = (at or now()) - dt.timedelta(days=retention_days())
    result = conn.execute(
        files.delete().where(files.c.table_id.in_(JOB_FILE_TABLES), files.c.created_at < limit)
    )
    return int(result.rowcount or 0)


def register(registry: JobRegistry, platform: Platform) -> None:
    """Add the ``print`` job kind to ``platform``'s job registry."""

    def run(rt: Runtime, job: Job, conn: Connection | None) -> None:
        run_print_job(platform, rt, job)

    registry.register(KIND, run, external=True)


def _state_key(job_id: int) -> str:
    return f"print_job:{job_id}"


def _cancel_key(job_id: int) -> str:
    return f"print_job_cancel:{job_id}"


def _put(conn: Connection, state: sa.Table, key: str, value: dict[str, Any]) -> None:
    conn.execute(state.delete().where(state.c.key == key))
    conn.execute(state.insert().values(key=key, value=json.dumps(value, default=str)))


def enqueue_print(
    rt: Runtime, form_id: str, user: User, record_ids: Sequence[Any], fmt: str, locale: str
) -> int:
    """Queue printing ``record_ids`` with ``form_id`` into one ``fmt`` file as ``user``;
    returns the job's id."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown print format {fmt!r}")
    jobs, state = rt.model.system["uchet_jobs"], rt.model.system["uchet_state"]
    key = f"{KIND}:{user.id}:{dt.datetime.now().timestamp()}"
    ids = [int(i) if isinstance(i, int) or str(i).isdigit() else str(i) for i in record_ids]
    payload = {"form": form_id, "user_id": user.id, "ids": ids, "fmt": fmt, "locale": locale}
    with write_transaction(rt.engine) as conn:
        enqueue(conn, jobs, KIND, payload, key=key)
        job_id = int(conn.execute(sa.select(jobs.c.id).where(jobs.c.key == key)).scalar_one())
        _put(conn, state, _state_key(job_id), {"done": 0, "total": len(ids), "skipped": []})
    return job_id


def _user(rt: Runtime, conn: Connection, user_id: int) -> User:
    users = rt.model.system["uchet_users"]
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).one()
    return User(row.id, row.login, row.name, tuple(row.roles or ()), row.locale,
                email=row.email, active=row.active)  # fmt: skip


class _Progress:
    """The job's state row: written after each document, read by the progress page."""

    def __init__(self, rt: Runtime, job_id: int, total: int) -> None:
        self.rt, self.job_id = rt, job_id
        self.state = rt.model.system["uchet_state"]
        self.value: dict[str, Any] = {"done": 0, "total": total, "skipped": [],
                                      "skipped_count": 0}  # fmt: skip

    def skip(self, record_id: Any, reason: str, message: str) -> None:
        self.value["skipped_count"] += 1
        if len(self.value["skipped"]) < MAX_REPORTED:
            self.value["skipped"].append({"id": record_id, "reason": reason, "message": message})

    def save(self, **result: Any) -> None:
        self.value.update(result)
        with write_transaction(self.rt.engine) as conn:
            _put(conn, self.state, _state_key(self.job_id), self.value)

    def cancelled(self) -> bool:
        with self.rt.engine.connect() as conn:
            found = conn.execute(
                sa.select(self.state.c.key).where(self.state.c.key == _cancel_key(self.job_id))
            ).first()
        return found is not None


def _reason(error: Exception) -> str:
    if isinstance(error, PermissionDenied):
        return "no_right"
    if isinstance(error, NotFound):
        return "not_found"
    return "print_error"


def run_print_job(platform: Platform, rt: Runtime, job: Job) -> None:
    """Print the job's records into one file and keep it; progress and skips in its state."""
    from uchet.printeditor.service import MAX_MASS_PRINT, PrintForms

    p = job.payload
    ids = list(p["ids"])[:MAX_MASS_PRINT]
    progress = _Progress(rt, job.id, len(ids))
    with rt.engine.connect() as conn:
        user = _user(rt, conn, int(p["user_id"]))
    forms = PrintForms(platform, user, str(p["locale"]), runtime=rt)
    try:
        form = forms.get(str(p["form"]))  # the form's roles and the read right, again
    except (NotFound, PermissionDenied) as exc:
        progress.save(error="no_form", message=str(exc))
        return
    pdf = p["fmt"] == "pdf"
    template = forms.template(form)
    documents: list[output.Document] = []
    for record_id in ids:
        if progress.cancelled():
            progress.save(cancelled=True)
            return
        try:
            # The record service reads as the user: row rules and field rights apply.
            context = forms.context(form, record_id)
            doc = output.Document(forms.file_name(form, context, form.kind),
                                  forms._render(form, template, context))  # fmt: skip
            if pdf:
                doc = output.to_pdf(doc, form.name)  # one document at a time, then merge
            documents.append(doc)
        except (PrintError, UchetError) as exc:
            progress.skip(record_id, _reason(exc), str(exc))
        progress.value["done"] += 1
        progress.save()
    if not documents:
        progress.save(error="nothing")
        return
    name = form.text(forms.locale)
    if pdf:
        result = output.merge_pdfs(documents, f"{name}.pdf")
    elif form.kind == "docx":
        from uchet.printeditor.docx_render import merge_docx

        result = output.Document(f"{name}.docx", merge_docx([d.data for d in documents]))
    else:  # spreadsheets do not merge: a zip of them
        result = output.zip_documents(documents, f"{name}.zip")
    files = rt.model.system["uchet_files"]
    with write_transaction(rt.engine) as conn:
        purge_job_files(conn, files)
        # A run after a lost lease replaces the file of the earlier one.
        conn.execute(files.delete().where(files.c.table_id == FILES,
                                          files.c.field_id == f"print-job:{job.id}"))  # fmt: skip
        inserted = conn.execute(files.insert().values(
            table_id=FILES, field_id=f"print-job:{job.id}", name=result.name,
            content_type=result.media_type[:100], size=len(result.data), data=result.data,
            created_at=now(), created_by=user.id,
        )).inserted_primary_key  # fmt: skip
        assert inserted is not None
        progress.value.update(file_id=int(inserted[0]), name=result.name,
                              documents=len(documents))  # fmt: skip
        _put(conn, progress.state, _state_key(job.id), progress.value)


def print_job(rt: Runtime, job_id: int, user: User) -> dict[str, Any] | None:
    """The user's print job: ``status`` (pending/running/done/failed) and its state
    (``done``, ``total``, ``skipped``, and once finished ``file_id`` / ``error`` /
    ``cancelled``); None when there is no such job of theirs."""
    jobs, state = rt.model.system["uchet_jobs"], rt.model.system["uchet_state"]
    with rt.engine.connect() as conn:
        job = conn.execute(sa.select(jobs.c.kind, jobs.c.payload, jobs.c.status).where(
            jobs.c.id == job_id)).first()  # fmt: skip
        raw = conn.execute(sa.select(state.c.value).where(
            state.c.key == _state_key(job_id))).scalar()  # fmt: skip
    if job is None or job.kind != KIND or job.payload.get("user_id") != user.id:
        return None
    value = json.loads(raw) if raw else {}
    return {"status": job.status, "form": job.payload.get("form"),
            "fmt": job.payload.get("fmt"), **value}  # fmt: skip


def cancel_print(rt: Runtime, job_id: int, user: User) -> bool:
    """Ask the user's print job to stop: a pending one never starts, a running one stops
    before its next document. False when there is no such job of theirs."""
    if print_job(rt, job_id, user) is None:
        return False
    jobs, state = rt.model.system["uchet_jobs"], rt.model.system["uchet_state"]
    with write_transaction(rt.engine) as conn:
        _put(conn, state, _cancel_key(job_id), {"by": user.id})
        stopped = conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status == PENDING)
                               .values(status=DONE, finished_at=now()))  # fmt: skip
        if stopped.rowcount:
            raw = conn.execute(sa.select(state.c.value).where(
                state.c.key == _state_key(job_id))).scalar()  # fmt: skip
            _put(conn, state, _state_key(job_id), {**json.loads(raw or "{}"), "cancelled": True})
    return True


def print_file(rt: Runtime, file_id: int, user: User) -> Any:
    """The user's printed file (name, content_type, data), or None."""
    files = rt.model.system["uchet_files"]
    with rt.engine.connect() as conn:
        return conn.execute(
            sa.select(files.c.name, files.c.content_type, files.c.data).where(
                files.c.id == file_id, files.c.table_id == FILES, files.c.created_by == user.id
            )
        ).first()
