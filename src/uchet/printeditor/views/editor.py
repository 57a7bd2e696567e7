"""The print-form editor: the "Print forms" menu entry and one page per form (issue 5, S38).

On the list page a user creates a form for a table, from a generated starter or from a
template they upload. On a form's page they download its template, upload a new version or
replace it, check it, see the placeholder catalog of its table in their language, test-render
it against a record picked from the table, browse its versions (download any, restore one),
duplicate it, change its label, roles and file-name pattern, or delete it.

Everything goes through :class:`~uchet.printeditor.service.PrintForms` acting as the user:
it decides who may use, change or create what, and it checks every uploaded template and
refuses a broken one before anything is stored. The record picker and the test render read
through the record service, so a record outside the user's rows is not offered and is 404.
Every write is a POST with the CSRF token (:func:`uchet.web.auth.check_csrf`).
"""

from __future__ import annotations

import contextlib
from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import LazyString
from flask_login import current_user
from werkzeug.wrappers import Response

from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.platform.model.numbers import as_id
from uchet.platform.query.listquery import Filter
from uchet.printeditor.catalog import placeholders
from uchet.printeditor.errors import PrintError
from uchet.printeditor.output import Document
from uchet.printeditor.views.printout import REFUSALS, PrintOutView, send_document
from uchet.printeditor.views.support import (
    Failure,
    bulk_entries,
    describe_failure,
    failure,
    pdf_available,
    print_forms,
    print_menu,
    problem_text,
    version_note,
)
from uchet.web.auth import check_csrf
from uchet.web.bulkmenu import register_pdf_check, register_source
from uchet.web.context import WebContext, ctx
from uchet.web.screen import TranslatedRender

#: The largest template file accepted (a Word document with a logo is well under this).
MAX_TEMPLATE_SIZE = 10 * 1024 * 1024


class PrintEditorView(TranslatedRender, BaseView):
    """The "Print forms" screens: the list of forms and each form's editor page."""

    def __init__(self, c: WebContext, name: Any) -> None:
        self.c = c
        super().__init__(name=name, endpoint="print_forms", url="/print-forms")

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    # -- helpers -----------------------------------------------------------------------------
    def _readable_tables(self) -> list[Any]:
        return [t for t in self.c.config.tables if not t.hidden and self.c.access(t.id).can("read")]

    def _upload(self) -> tuple[bytes, str]:
        """The uploaded template's bytes and file name; PrintError when there is none."""
        file = request.files.get("template")
        if file is None or not file.filename:
            raise PrintError("upload", self.c.gettext("Choose a .docx or .xlsx file to upload."))
        data = file.read(MAX_TEMPLATE_SIZE + 1)
        if len(data) > MAX_TEMPLATE_SIZE:
            raise PrintError(
                file.filename,
                self.c.gettext("The file is larger than %(mb)s MB.", mb=MAX_TEMPLATE_SIZE // 2**20),
            )
        return data, file.filename

    def _form_page(self, form_id: str, status: int = 200, **extra: Any) -> Any:
        """A form's editor page; ``extra`` adds a check result, a refusal or kept input."""
        forms = print_forms(self.c)
        try:
            form = forms.get(form_id)
        except (NotFound, PermissionDenied) as exc:
            return failure(self, exc, back=url_for(".index"))
        table = self.c.config.find_table(form.table)
        versions = forms.versions(form.id)
        authors = {v.created_by for v in versions if v.created_by is not None}
        names = {}
        for uid in authors:
            user = self.c.platform.users.get(uid)
            names[uid] = user.name if user else f"#{uid}"
        picked = request.args.get("record", "") or extra.pop("record", "")
        return self.render(
            "uchet/print_form.html",
            form=form,
            form_label=form.text(self.c.locale()),
            table=table,
            table_label=self.c.table_label(table),
            editable=forms.can_edit(form),
            versions=versions,
            authors=names,
            catalog=placeholders(self.c.config, table.id, self.c.locale()),
            roles=[
                (r.id, self.c.label(r.data.get("label", {}), r.id)) for r in self.c.config.roles
            ],
            pdf=pdf_available(),
            picked=picked,
            picked_title=self._record_title(table, picked) if picked else "",
            checked=extra.pop("checked", None),
            refused=extra.pop("refused", None),
            refused_action=extra.pop("refused_action", ""),
            kept=extra.pop("kept", {}),
        ), status

    def _record_title(self, table: Any, record_id: str) -> str:
        found = as_id(record_id)
        if found is None:
            return ""
        try:
            row = self.c.records(table.id).get(found)
        except (NotFound, PermissionDenied):
            return ""
        title_id = table.title_field
        title = row.get(table.field_by_id(title_id).name) if title_id else None
        return str(title or f"#{row['id']}")

    def _refused(
        self, form_id: str, exc: Exception, action: str, record: str = "", **kept: Any
    ) -> Any:
        """The form page again with what went wrong next to the action that failed."""
        found = describe_failure(self.c, exc)
        if isinstance(exc, PrintError) and exc.problems:
            found = Failure(
                found.status,
                self.c.gettext(
                    "The template has problems and was not saved. Fix them and upload it again:"
                ),
                found.problems,
            )
        return self._form_page(
            form_id, found.status, refused=found, refused_action=action, kept=kept, record=record
        )

    # -- the list of forms and a new form -----------------------------------------------------
    @expose("/")
    def index(self, refused: Failure | None = None, kept: dict[str, str] | None = None) -> Any:
        forms = print_forms(self.c)
        tables = {t.id: t for t in self.c.config.tables}
        rows = [
            (f, self.c.table_label(tables[f.table]) if f.table in tables else f.table)
            for f in forms.available()
        ]
        return self.render(
            "uchet/print_forms.html",
            rows=rows,
            tables=self._readable_tables(),
            refused=refused,
            kept=kept or {},
        )

    @expose("/new", methods=("POST",))
    def create(self) -> Any:
        """A new form for a table: from the starter, or from an uploaded template."""
        check_csrf()
        kept = {k: request.form.get(k, "").strip() for k in ("name", "label", "table")}
        forms = print_forms(self.c)
        try:
            template, file_name = None, "template.docx"
            chosen = request.files.get("template")
            if request.form.get("source") == "upload" or (chosen and chosen.filename):
                template, file_name = self._upload()
            form = forms.create(
                kept["name"],
                kept["label"] or kept["name"],
                kept["table"],
                template=template,
                file_name=file_name,
            )
        except REFUSALS as exc:
            found = describe_failure(self.c, exc)
            if isinstance(exc, PrintError) and exc.problems:
                found = Failure(
                    422,
                    self.c.gettext(
                        "The template has problems and was not saved. Fix them and upload it again:"
                    ),
                    found.problems,
                )
            return self.index(refused=found, kept=kept), found.status
        flash(
            self.c.gettext("Print form %(name)s was created.", name=form.text(self.c.locale())),
            "success",
        )
        return redirect(url_for(".form_page", form_id=form.id))

    # -- one form ----------------------------------------------------------------------------
    @expose("/<form_id>/")
    def form_page(self, form_id: str) -> Any:
        checked = None
        if request.args.get("check") == "1":
            try:
                checked = print_forms(self.c).check(form_id)
            except REFUSALS as exc:
                return self._refused(form_id, exc, "check")
        return self._form_page(form_id, checked=checked)

    @expose("/<form_id>/upload", methods=("POST",))
    def upload(self, form_id: str) -> Any:
        """A new version of a stored form's template; a broken one is refused unsaved."""
        check_csrf()
        note = request.form.get("note", "").strip() or None
        try:
            data, file_name = self._upload()
            version = print_forms(self.c).upload(form_id, data, file_name, note=note)
        except REFUSALS as exc:
            return self._refused(form_id, exc, "upload", note=note or "")
        flash(self.c.gettext("Version %(n)s was uploaded and is now in use.", n=version), "success")
        return redirect(url_for(".form_page", form_id=form_id))

    @expose("/<form_id>/duplicate", methods=("POST",))
    def duplicate(self, form_id: str) -> Any:
        """A stored copy of the form, to change (S38: new forms from existing ones)."""
        check_csrf()
        name = request.form.get("name", "").strip()
        label = request.form.get("label", "").strip() or None
        try:
            copy = print_forms(self.c).duplicate(form_id, name, label)
        except REFUSALS as exc:
            return self._refused(form_id, exc, "duplicate", name=name, label=label or "")
        flash(
            self.c.gettext("Print form %(name)s was created.", name=copy.text(self.c.locale())),
            "success",
        )
        return redirect(url_for(".form_page", form_id=copy.id))

    @expose("/<form_id>/restore", methods=("POST",))
    def restore(self, form_id: str) -> Any:
        """Make an earlier version current again (stored as a new version)."""
        check_csrf()
        version = as_id(request.form.get("version"))
        if version is None:
            abort(400, description="version is required")
        try:
            new = print_forms(self.c).restore(form_id, version)
        except REFUSALS as exc:
            return self._refused(form_id, exc, "versions")
        flash(
            self.c.gettext("Version %(old)s was restored as version %(n)s.", old=version, n=new),
            "success",
        )
        return redirect(url_for(".form_page", form_id=form_id))

    @expose("/<form_id>/settings", methods=("POST",))
    def settings(self, form_id: str) -> Any:
        """Change a stored form's label (in the user's language), roles and file name."""
        check_csrf()
        forms = print_forms(self.c)
        label = request.form.get("label", "").strip()
        output_name = request.form.get("output_name", "").strip() or None
        roles = [r for r in request.form.getlist("roles") if r]
        try:
            form = forms.get(form_id)
            known = {r.id for r in self.c.config.roles}
            unknown = [r for r in roles if r not in known]
            if unknown:
                raise ValidationError({"roles": [f"unknown role {r!r}" for r in unknown]})
            labels = {**form.label, self.c.locale(): label or form.name}
            forms.update(form.id, label=labels, roles=roles, output_name=output_name)
        except REFUSALS as exc:
            return self._refused(
                form_id, exc, "settings", label=label, output_name=output_name or ""
            )
        flash(self.c.gettext("The settings were saved."), "success")
        return redirect(url_for(".form_page", form_id=form_id))

    @expose("/<form_id>/delete", methods=("POST",))
    def delete(self, form_id: str) -> Any:
        check_csrf()
        try:
            print_forms(self.c).delete(form_id)
        except REFUSALS as exc:
            return self._refused(form_id, exc, "settings")
        flash(self.c.gettext("The print form was deleted."), "success")
        return redirect(url_for(".index"))

    @expose("/<form_id>/template")
    def template(self, form_id: str) -> Any:
        """The form's template file: the current version, or ``?version=N``."""
        forms = print_forms(self.c)
        version = as_id(request.args.get("version")) if "version" in request.args else None
        if "version" in request.args and version is None:
            abort(404)
        try:
            form = forms.get(form_id)
            if form.stored:
                file_name, data, version = forms.store.template(form.id, version)
            elif version is not None:
                raise NotFound(f"print form {form.name!r} has no versions")
            else:
                file_name, data = form.template.rsplit("/", 1)[-1], forms.template(form)
        except REFUSALS as exc:
            return failure(self, exc)
        ext = file_name.rpartition(".")[2]
        name = f"{form.name} v{version}.{ext}" if version is not None else file_name
        return send_document(Document(name, data))

    # -- test render ---------------------------------------------------------------------------
    @expose("/<form_id>/records")
    def records(self, form_id: str) -> Response:
        """Records of the form's table for the picker, by search text (or an id)."""
        try:
            form = print_forms(self.c).get(form_id)
        except (NotFound, PermissionDenied):
            abort(404)
        table = self.c.config.find_table(form.table)
        service = self.c.records(table.id)
        title = table.field_by_id(table.title_field).name if table.title_field else None
        text = request.args.get("q", "").strip()
        options: dict[str, Any] = {
            "columns": [title] if title else [],
            "limit": 20,
            "count": False,
            "sort": [title] if title else ["id"],
        }
        if text and table.search_fields:
            options["search"] = text
        elif text and title:
            options["filters"] = [Filter(title, "startswith", text)]
        rows = service.query(**options).rows
        typed_id = as_id(text)
        if typed_id is not None and not any(r["id"] == typed_id for r in rows):
            with contextlib.suppress(NotFound):  # not there, or not the user's row
                rows.insert(0, service.get(typed_id))
        return jsonify(
            results=[
                {
                    "id": str(r["id"]),
                    "text": f"{r.get(title) or ''} (#{r['id']})" if title else f"#{r['id']}",
                }
                for r in rows
            ]
        )

    @expose("/<form_id>/test")
    def test(self, form_id: str) -> Any:
        """Render the form for the picked record: preview it, or download .docx/.xlsx/PDF."""
        record = request.args.get("record", "")
        action = request.args.get("action", "preview")
        record_id = as_id(record)
        if record_id is None:
            return self._refused(
                form_id,
                ValidationError(
                    {self.c.gettext("Record"): [self.c.gettext("Choose a record to print.")]}
                ),
                "test",
            )
        try:
            form = print_forms(self.c).get(form_id)
            if action == "preview":
                self.c.records(form.table).get(record_id)
                return redirect(url_for("print_out.preview", form_id=form.id, record_id=record_id))
            document = print_forms(self.c).render(form.id, record_id, pdf=action == "pdf")
        except REFUSALS as exc:
            return self._refused(form_id, exc, "test", record=record)
        return send_document(document)


def init_app(app: Any, admin: Any, c: WebContext) -> None:
    """Add the print screens to an inner app: the editor (a menu entry), the document
    downloads, and ``uchet_print_menu`` for the card and list templates."""
    admin.add_view(PrintEditorView(c, LazyString(lambda: c.gettext("Print forms"))))
    admin.add_view(PrintOutView(c))
    app.jinja_env.globals["uchet_print_menu"] = print_menu
    register_source("print", bulk_entries)  # the list's bulk bar prints too (issue 21)
    register_pdf_check(pdf_available)  # ... to one PDF when LibreOffice is installed
    app.jinja_env.globals["uchet_problem"] = lambda problem: problem_text(ctx(), problem)
    app.jinja_env.globals["uchet_version_note"] = lambda note: version_note(ctx(), note)
