"""Printing from the browser: a card's document, its preview, and mass print of a list.

Every document is made by :class:`~uchet.printeditor.service.PrintForms` acting as the
logged-in user, so the form's roles, the table's read right and the row rules all apply: a
record outside the user's rows is 404, a form they may not use 403. A template that fails
(a sandbox violation, a worker that ran out of time) is a 422 with the engine's message;
the print menu's script shows it on the page the user is on, so nothing they typed is lost.

Mass print to one PDF (``mode=pdf``), and a merged .docx of more than
:data:`SYNC_PRINT` records, run as a background job (:mod:`uchet.printeditor.printjob`,
issue 21 point 8): the request queues it and shows its progress page (N of M, cancel, the
file once ready). Small selections print in the request.

Mass print takes the list's own URL state (:mod:`uchet.web.liststate`: filters, quick
search, sort, grouping), so it prints exactly the rows the list shows, in its order, up to
:data:`~uchet.printeditor.service.MAX_MASS_PRINT` records.
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_babel import LazyString
from flask_login import current_user
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from uchet.platform.model.errors import NotFound, PermissionDenied, UchetError, ValidationError
from uchet.printeditor import printjob, service
from uchet.printeditor.errors import PrintError
from uchet.printeditor.output import Document
from uchet.printeditor.views.preview import document_html
from uchet.printeditor.views.support import failure, pdf_available, print_forms
from uchet.web.auth import check_csrf
from uchet.web.context import WebContext
from uchet.web.liststate import ListState
from uchet.web.screen import TranslatedRender

#: Why a print job skipped a record, in words the page translates.
SKIP_TEXTS = {
    "no_right": "no right",
    "not_found": "not found or not yours",
    "print_error": "the document failed",
}
REFUSALS = (PrintError, NotFound, PermissionDenied, ValidationError)
#: Records a mass print to PDF or .docx may print in the request; more go to a job.
SYNC_PRINT = 30


def send_document(document: Document, inline: bool = False) -> Response:
    """A printed document as a download (or shown in the browser, for a PDF preview)."""
    response = send_file(
        io.BytesIO(document.data),
        mimetype=document.media_type,
        download_name=document.name,
        as_attachment=not inline,
    )
    response.headers["Cache-Control"] = "no-store"  # personal data: keep it out of caches
    return response


class PrintOutView(TranslatedRender, BaseView):
    """Documents for a record or a list (no menu entry: reached from the Print menus)."""

    def __init__(self, c: WebContext) -> None:
        self.c = c
        super().__init__(
            name=LazyString(lambda: c.gettext("Print")),
            endpoint="print_out",
            url="/print-out",
        )

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def is_visible(self) -> bool:
        return False

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @expose("/")
    def index(self) -> Response:
        """Nothing to show here: the forms are listed by the editor."""
        return redirect(url_for("print_forms.index"))

    # -- one record --------------------------------------------------------------------------
    @expose("/<form_id>/<int:record_id>")
    def document(self, form_id: str, record_id: int) -> Response:
        """The document of one record: the template's kind, or ``?fmt=pdf``."""
        fmt = request.args.get("fmt", "")
        if fmt not in ("", "pdf"):
            abort(400, description=f"unknown format {fmt!r}")
        try:
            document = print_forms(self.c).render(form_id, record_id, pdf=fmt == "pdf")
        except REFUSALS as exc:
            return failure(self, exc)
        return send_document(document, inline=request.args.get("inline") == "1")

    @expose("/<form_id>/<int:record_id>/preview")
    def preview(self, form_id: str, record_id: int) -> Any:
        """A page showing the document: its PDF when LibreOffice is installed, else HTML.

        ``?as=html`` asks for the HTML rendering even when a PDF could be made.
        """
        forms = print_forms(self.c)
        try:
            form = forms.get(form_id)
            record = self.c.records(form.table).get(record_id)
            use_pdf = pdf_available() and request.args.get("as") != "html"
            html = None
            if not use_pdf:
                document = forms.render(form.id, record_id)
                html = document_html(document.extension, document.data, self.c.gettext("image"))
        except REFUSALS as exc:
            return failure(self, exc)
        table = self.c.runtime.config.find_table(form.table)
        title_id = table.title_field
        title = record.get(table.field_by_id(title_id).name) if title_id else None
        ids: dict[str, Any] = {"form_id": form.id, "record_id": record_id}
        return self.render(
            "uchet/print_preview.html",
            form=form,
            form_label=form.text(self.c.locale()),
            record_id=record_id,
            record_title=title or f"#{record_id}",
            html=html,
            pdf_url=url_for(".document", fmt="pdf", inline="1", **ids) if use_pdf else None,
            download_url=url_for(".document", **ids),
            pdf_download_url=url_for(".document", fmt="pdf", **ids) if pdf_available() else None,
            html_url=url_for(".preview", **{**ids, "as": "html"}),
        )

    # -- a list ------------------------------------------------------------------------------
    @expose("/<form_id>/many")
    def many(self, form_id: str) -> Response:
        """Mass print of a list in its URL state: ``mode=pdf`` (one PDF), ``merge`` (one
        .docx) or ``zip``; ``background=1`` queues a job whatever the size."""
        mode = request.args.get("mode", "merge")
        if mode not in ("merge", "zip", "pdf"):
            abort(400, description=f"unknown mode {mode!r}")
        forms = print_forms(self.c)
        try:
            form = forms.get(form_id)
            # Read on use: the limit is the service's setting (tests and sites may lower it).
            limit = service.MAX_MASS_PRINT
            ids = self._list_ids(form.table, limit)
            if len(ids) > limit:
                raise PrintError(
                    form.name,
                    self.c.gettext(
                        "The list holds more than %(max)s records, more than one print may hold. "
                        "Narrow it with a filter or the search and print again.",
                        max=f"{limit:,}".replace(",", "\u00a0"),
                    ),
                )
            if not ids:
                raise PrintError(form.name, self.c.gettext("The list is empty: nothing to print."))
            queued = mode != "zip" and (
                len(ids) > SYNC_PRINT or request.args.get("background") == "1"
            )
            if queued:
                fmt = "pdf" if mode == "pdf" else "docx"
                job = printjob.enqueue_print(self.c.runtime, form.id, self.c.user(), ids, fmt,
                                             self.c.locale())  # fmt: skip
                return redirect(url_for(".job", job_id=job))
            document = forms.render_many(form.id, ids, merge=mode != "zip", pdf=mode == "pdf")
        except REFUSALS as exc:
            return failure(self, exc)
        except UchetError as exc:  # a filter the engine refuses (unknown field, bad value)
            return failure(self, ValidationError({"list": [str(exc)]}))
        return send_document(document)

    # -- the background job ------------------------------------------------------------------
    @expose("/job/<int:job_id>")
    def job(self, job_id: int) -> Any:
        """A mass print job: progress (the page reloads itself), cancel, then the file and
        the records it skipped, with why."""
        state = printjob.print_job(self.c.runtime, job_id, self.c.user())
        if state is None:
            abort(404)
        skipped = [
            {**s, "reason": self.c.gettext(SKIP_TEXTS.get(s["reason"], s["reason"]))}
            for s in state.get("skipped", ())
        ]
        finished = state["status"] in ("done", "failed") or "file_id" in state
        return self.render("uchet/print_job.html", job_id=job_id, state=state,
                           skipped=skipped, finished=finished, back=self._list_url(state),
                           retention_days=printjob.retention_days())  # fmt: skip

    def _list_url(self, state: dict[str, Any]) -> str | None:
        """The list of the job form's table, for the page's way back (None if gone)."""
        try:
            table = self.c.runtime.config.find_table(print_forms(self.c).get(state["form"]).table)
            return url_for(f"t_{table.name}.index_view")
        except (UchetError, KeyError, BuildError):
            return None

    @expose("/job/<int:job_id>/cancel", methods=("POST",))
    def cancel(self, job_id: int) -> Response:
        """Stop the user's print job (CSRF-checked like every POST)."""
        check_csrf()
        if not printjob.cancel_print(self.c.runtime, job_id, self.c.user()):
            abort(404)
        return redirect(url_for(".job", job_id=job_id))

    @expose("/file/<int:file_id>")
    def file(self, file_id: int) -> Response:
        """The file a print job wrote (its owner only)."""
        found = printjob.print_file(self.c.runtime, file_id, self.c.user())
        if found is None:
            abort(404)
        return send_document(Document(found.name, bytes(found.data)))

    def _list_ids(self, table_id: str, limit: int) -> list[Any]:
        """Ids of the rows the list shows in the request's state, up to ``limit``, plus one
        more id when there are more (so "too many" is known without counting the table)."""
        state = ListState.from_args(request.args)
        table = self.c.runtime.config.find_table(table_id)
        id_fields = {f.name for f in table.fields if f.type in ("reference", "user")}
        sort = [*state.group, *[k for k in state.sort if k.lstrip("-") not in state.group]]
        service = self.c.records(table.id)
        options = {
            "filters": state.query_filters(id_fields),
            "sort": sort,
            "search": state.search or None,
            "columns": [],
            "count": False,
        }
        ids = [row["id"] for row in service.query(limit=limit, **options).rows]
        if len(ids) == limit:
            ids += [row["id"] for row in service.query(limit=1, offset=limit, **options).rows]
        return ids
