"""The import screens of a table (issue 17, S31), mixed into
:class:`uchet.web.views.TableView`; reached from the list's «Импорт» button by roles with the
``import`` right and the create or update right on the table.

* ``import/`` (GET) the upload form, the saved mappings and this table's latest imports
  with «Отменить импорт»; (POST) the upload: a size-limited file, read at once so a file
  that is no spreadsheet is refused before anything else;
* ``import/<upload>/`` (GET, POST) the mapping screen: detected encoding and delimiter, the
  column → field mapping (auto-mapped first, or a saved one), reference matching and what to
  do with unmatched values, mode and key, the duplicate option, the first 20 rows as they
  will be stored; its buttons save the mapping, dry-run the whole file (report on the page)
  or queue the import as a background job;
* ``import/<upload>/report.xlsx`` the dry run's report with the bad cells marked;
* ``import/job/<job>/`` the job's page: a live progress bar (``import.js`` polls
  ``import/job/<job>/state/``) that survives a reload, then the import's report;
* ``import/undo/<import>/`` (POST) undo an import, naming refused records.

Every read and write goes through the engine (:mod:`uchet.platform.features.importing`) and
so through the record service as the current user; every POST checks the CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin.base import expose
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from uchet.platform.features.importing import (
    Importer,
    Options,
    Sheet,
    imports_of,
    read_sheet,
    store,
)
from uchet.platform.features.importing.engine import PREVIEW_ROWS
from uchet.platform.features.importing.jobs import (
    enqueue_import,
    import_job_owner,
    import_job_state,
    report_json,
)
from uchet.platform.features.importing.progress import read_progress
from uchet.platform.features.importing.reportfile import report_xlsx
from uchet.platform.features.importing.undo import undo_import
from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.web.auth import check_csrf
from uchet.web.context import WebContext
from uchet.web.importform import MappingForm, mapping_rows, options_from_form

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: How often the job page asks for progress (ms) unless ``import_poll_ms`` says otherwise.
POLL_MS = 1000


class ImportRoutes:
    """The import screens of one table."""

    c: WebContext
    table: Any

    def can_import(self) -> bool:
        """Whether the user may open the import screens of this table."""
        access = self.c.access(self.table.id)
        return access.can("import") and (access.can("create") or access.can("update"))

    def _importer(self) -> Importer:
        if not self.can_import():
            abort(403)
        return Importer(self.c.runtime, self.table.id, self.c.user(), self.c.locale())

    def _render(self, template: str, **kw: Any) -> Any:
        return self.render(template, view=self, **kw)  # type: ignore[attr-defined]

    # -- upload ----------------------------------------------------------------------------
    @expose("/import/", methods=("GET", "POST"))
    def import_start(self) -> Any:
        """The upload form and the latest imports (GET); the upload (POST)."""
        if request.method == "POST":
            check_csrf()  # before anything is looked up, as on every form (issue 13)
        importer = self._importer()
        rt = self.c.runtime
        if request.method == "POST":
            try:
                sent = request.files.get("file")
            except RequestEntityTooLarge:
                sent = None
                flash(self._too_big(), "danger")
            if sent is not None and sent.filename:
                data = sent.read(rt.max_file_size + 1)
                if len(data) > rt.max_file_size:
                    flash(self._too_big(), "danger")
                else:
                    try:
                        sheet = read_sheet(data, sent.filename, importer.locale)
                        next(sheet.rows, None)  # a broken file fails here, not later
                    except ValidationError as exc:
                        flash(self.c.error_text(exc, self.table), "danger")
                    else:
                        upload = store.save_upload(rt, self.table.id, self.c.user(),
                                                   sent.filename, data)  # fmt: skip
                        return redirect(url_for(".import_map", upload=upload))
            elif sent is not None or request.content_length is not None:
                flash(self.c.gettext("Choose a file to import."), "danger")
        imports = [i for i in imports_of(rt, self.table.id, limit=20)
                   if i.user_id == self.c.user().id]  # fmt: skip
        return self._render("uchet/import_start.html", imports=imports,
                            max_mb=max(1, rt.max_file_size // (1024 * 1024)))  # fmt: skip

    def _too_big(self) -> str:
        mb = max(1, self.c.runtime.max_file_size // (1024 * 1024))
        return self.c.gettext("The file is larger than %(mb)s MB.", mb=mb)

    # -- mapping, preview, dry run, import --------------------------------------------------
    @expose("/import/<int:upload>/", methods=("GET", "POST"))
    def import_map(self, upload: int) -> Any:
        """The mapping screen of an upload, and its buttons."""
        if request.method == "POST":
            check_csrf()  # before anything is looked up, as on every form (issue 13)
        importer = self._importer()
        rt, user = self.c.runtime, self.c.user()
        found = store.load_upload(rt, upload, self.table.id, user)
        if found is None:
            abort(404)
        sheet = read_sheet(found.data, found.name, importer.locale)
        fields = importer.fields()
        saved = store.saved_mappings(rt, self.table.id)
        action = request.form.get("action", "") if request.method == "POST" else ""
        if request.method == "POST":
            form = MappingForm.from_form(request.form, sheet.headers, fields)
        else:
            mapping = None
            if request.args.get("mapping") in saved:
                mapping = store.load_mapping(rt, self.table.id, request.args["mapping"])
            form = MappingForm.initial(mapping or importer.propose(sheet.headers),
                                       sheet.headers, fields)  # fmt: skip
        options = options_from_form(form, found.name)
        report = None
        if action == "save_mapping":
            try:
                name = store.save_mapping(rt, self.table.id, request.form.get("mapping_name", ""),
                                          form.mapping)  # fmt: skip
                flash(self.c.gettext("The mapping “%(name)s” was saved.", name=name), "success")
                saved = store.saved_mappings(rt, self.table.id)
            except ValueError:
                flash(self.c.gettext("Name the mapping to save it."), "danger")
        elif action == "import":
            try:
                importer.check_rights(options.mode)
                job = enqueue_import(rt, self.table.id, user, found.data, found.name, options,
                                     importer.locale)  # fmt: skip
            except (ValidationError, PermissionDenied) as exc:
                flash(self.c.error_text(exc, self.table), "danger")
            else:
                store.delete_upload(rt, upload, self.table.id, user)
                return redirect(url_for(".import_job", job=job))
        elif action == "dry_run":
            try:
                result = importer.run(sheet, options, dry_run=True)
                report = report_json(result)
                store.save_report(rt, upload, report)
            except (ValidationError, PermissionDenied) as exc:
                flash(self.c.error_text(exc, self.table), "danger")
            sheet = read_sheet(found.data, found.name, importer.locale)  # rows were consumed
        preview = self._preview(importer, sheet, options)
        return self._render(
            "uchet/import_map.html", upload=found, sheet=sheet, form=form, fields=fields,
            rows=mapping_rows(self.c, rt, form, fields), saved=saved, preview=preview,
            report=report, columns=[h for h in sheet.headers if form.mapping.columns.get(h)
                                    and form.mapping.columns[h].field],
        )  # fmt: skip

    def _preview(self, importer: Importer, sheet: Sheet, options: Options) -> Any:
        """The first rows as they will be stored (a dry run of those rows), or the reason
        there is none (no column mapped, a key not chosen)."""
        first = []
        for item in sheet.rows:
            first.append(item)
            if len(first) == PREVIEW_ROWS:
                break
        head = Sheet(sheet.headers, iter(first), sheet.encoding, sheet.delimiter)
        try:
            return report_json(importer.run(head, options, dry_run=True))
        except (ValidationError, PermissionDenied) as exc:
            return {"error": self.c.error_text(exc, self.table)}

    @expose("/import/<int:upload>/report.xlsx")
    def import_report(self, upload: int) -> Response:
        """The latest dry run of an upload as xlsx, with the bad cells marked."""
        importer = self._importer()
        rt = self.c.runtime
        found = store.load_upload(rt, upload, self.table.id, self.c.user())
        report = store.load_report(rt, upload) if found is not None else None
        if found is None or report is None:
            abort(404)
        data = report_xlsx(found.data, found.name, report, importer.locale)
        name = f"{self.table.name}-import-report.xlsx"
        return Response(
            data,
            mimetype=XLSX_MIME,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # -- the job -----------------------------------------------------------------------------
    def _own_job(self, job: int) -> None:
        owner = import_job_owner(self.c.runtime, job)
        if owner is None or owner != (self.table.id, self.c.user().id):
            abort(404)

    @expose("/import/job/<int:job>/")
    def import_job(self, job: int) -> Any:
        """The job's page: its progress while it runs, its report once it is done."""
        self._importer()
        self._own_job(job)
        state = self._job_state(job)
        poll = int(self.c.settings.extra.get("import_poll_ms", POLL_MS))
        return self._render("uchet/import_job.html", job=job, state=state, poll=poll)

    @expose("/import/job/<int:job>/state/")
    def import_job_poll(self, job: int) -> Response:
        """The job's status and progress as JSON, for the progress bar."""
        self._importer()
        self._own_job(job)
        return jsonify(self._job_state(job))

    def _job_state(self, job: int) -> dict[str, Any]:
        rt = self.c.runtime
        state = import_job_state(rt, job)
        state["progress"] = read_progress(rt, job) if state["status"] != "done" else None
        report = state.get("report") or {}
        if report.get("error"):
            error = report["error"]
            state["error"] = self.c.error_text(ValidationError(error), self.table) if isinstance(
                error, dict) else str(error)  # fmt: skip
        return state

    # -- undo ----------------------------------------------------------------------------
    @expose("/import/undo/<int:import_id>/", methods=("POST",))
    def import_undo(self, import_id: int) -> Response:
        """Undo an import: delete what it created, restore what it changed."""
        check_csrf()
        self._importer()
        rt, user = self.c.runtime, self.c.user()
        entry = store.import_entry(rt, import_id)
        if entry is None or entry.table_id != self.table.id or entry.user_id != user.id:
            abort(404)  # another user's import is not theirs to see
        try:
            done = undo_import(rt, import_id, user, self.c.locale())
        except (ValidationError, PermissionDenied, NotFound) as exc:
            flash(self.c.gettext("The import was not undone: %(reason)s",
                                 reason=self.c.error_text(exc, self.table)), "danger")  # fmt: skip
        else:
            flash(self.c.gettext("The import was undone: %(count)s record(s) taken back.",
                                 count=done), "success")  # fmt: skip
        return redirect(url_for(".import_start"))
