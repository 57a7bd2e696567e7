"""The structure editor's field page (issue 14, S13, S23, S27): rename a field with every
reference, change its type after a preview of the conversion, edit its choice list.

One page per field, addressed by the field's stable id (its name is what changes). Each
action shows its plan first (the changes in words, the references rewritten, the print
templates that use the field, the SQL) and is applied only when confirmed, as a
database-overlay revision (:mod:`uchet.configurations.field_edits`). Only holders of the
``configure`` right reach it (:class:`~uchet.formdesigner.views.ConfigureOnly`), every POST
checks the CSRF token, a problem is shown next to the control that caused it, and a save
made on a stale revision is refused with what changed meanwhile.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import Admin, expose
from flask_babel import LazyString
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from uchet.configurations.field_edits import (
    ChoiceEdit,
    EditError,
    RenameProposal,
    RetypePreview,
    choices_document,
    conversion_policy,
    rename_document,
    retype_document,
    retype_preview,
    save_retype,
)
from uchet.configurations.rename import RenameError, template_rewriter
from uchet.configurations.revisions import NothingToSave, StaleRevision
from uchet.formdesigner.views import ConfigureOnly, ConfirmForm
from uchet.platform.model.config import Field, Table, thaw
from uchet.platform.model.errors import ConfigError, MigrationError
from uchet.printeditor import rename_templates
from uchet.printeditor.service import PrintForms
from uchet.web.context import WebContext
from uchet.web.formbase import SecureForm

#: Types a field can be changed to here: those that need nothing more than their name, and
#: choice (its values are typed in). References, files and computed fields are not offered.
RETYPE_TO = ("string", "text", "integer", "decimal", "money", "percent", "boolean", "date",
             "datetime", "time", "email", "phone", "url", "choice")  # fmt: skip
#: The choices for values that will not convert, as ``uchet migrate`` offers them.
POLICY_LABELS = {"abort": "Cancel the change", "set_null": "Leave empty",
                 "default": "Put a value instead"}  # fmt: skip
#: The documents a rename rewrites, in words (message ids of ``texts_fields.py``).
KIND_LABELS = {"report": "report «%(label)s»", "dashboard": "dashboard «%(label)s»",
               "role": "role «%(label)s»", "print_form": "print form «%(label)s»"}  # fmt: skip
#: Empty rows offered for new choice values.
NEW_ROWS = 3


class RenameForm(SecureForm):
    """The field's new name, and whether print templates follow."""

    new_name = StringField("New name")
    rewrite = BooleanField("Rewrite the print templates that use it as new versions",
                           default=True)  # fmt: skip


class RetypeForm(SecureForm):
    """The field's new type (and the values of a choice list)."""

    new_type = SelectField("New type", validate_choice=False)
    choices = TextAreaField("Choices, one per line")


class FieldConfirmForm(ConfirmForm):
    """Apply a previewed field edit: which one, and its options."""

    kind = HiddenField()
    field_id = HiddenField()
    new_name = HiddenField()
    rewrite = HiddenField()
    policy = HiddenField()
    default_value = HiddenField()


class FieldEditView(ConfigureOnly):
    """Rename, retype and choice lists of one field."""

    def is_visible(self) -> bool:
        return False  # reached from the field's page of the structure editor

    @expose("/")
    def index(self) -> Any:
        return redirect(url_for("uchet_structure.index"))

    @expose("/<table_id>/<field_id>", methods=("GET", "POST"))
    def edit(self, table_id: str, field_id: str) -> Any:
        table, f = self._field(table_id, field_id)
        action = request.form.get("action") if request.method == "POST" else None
        rename = RenameForm(request.form if action == "rename" else None, new_name=f.name)
        retype = RetypeForm(request.form if action == "retype" else None)
        retype.new_type.choices = [(n, self.type_label(n)) for n in RETYPE_TO
                                   if n in self.c.platform.types and n != f.type]  # fmt: skip
        errors: dict[str, list[str]] = {"rename": [], "retype": [], "choices": []}
        if action in errors:
            form = {"rename": rename, "retype": retype}.get(action) or SecureForm(request.form)
            if not form.validate():
                errors[action] += [str(e) for e in form.csrf_token.errors]
            else:
                page = getattr(self, f"_{action}_preview")(table, f, form, errors[action])
                if page is not None:
                    return page
        return self.render("uchet/structure_field_edit.html", table=table, field=f,
                           rename=rename, retype=retype, errors=errors,
                           rows=self._choice_rows(f), base=self.base_revision(),
                           type_label=self.type_label, csrf=ConfirmForm())  # fmt: skip

    # -- previews ----------------------------------------------------------------------------
    def _rename_preview(self, table: Table, f: Field, form: RenameForm, errors: list[str]) -> Any:
        try:
            proposal = rename_document(self.overlay, f.id, form.new_name.data or "")
        except RenameError as exc:
            form.new_name.errors = [*form.new_name.errors, self._rename_problem(exc)]
            return None
        preview = self._preview(proposal.document, errors)
        if preview is None:
            return None
        uses = self._template_uses(proposal, f)
        confirm = self._confirm("rename", preview, f, new_name=proposal.renamed.new,
                                rewrite="1" if form.rewrite.data else "")  # fmt: skip
        refs = list(
            dict.fromkeys(
                self._object(c.kind, c.object_id)
                for c in proposal.renamed.changes
                if c.object_id != f.id
            )
        )
        return self.render("uchet/structure_field_preview.html", preview=preview, form=confirm,
                           operations=self.operations(preview), sql=self.sql(preview),
                           references=refs, templates=uses, field=f, table=table,
                           rewrite=bool(form.rewrite.data))  # fmt: skip

    def _object(self, kind: str, object_id: str) -> str:
        """A rewritten object in words: «Город клиента» (поле таблицы «Контакты»)."""
        t, config = self.c.gettext, self.c.config
        if kind == "field":
            for table in config.tables:
                for f in table.fields:
                    if f.id == object_id:
                        return t("field «%(label)s» of «%(table)s»",
                                 label=self.c.label(f.label, f.name),
                                 table=self.c.table_label(table))  # fmt: skip
        if kind == "table":
            return t("table «%(label)s»", label=self.c.table_label(config.table(object_id)))
        docs = {"report": config.reports, "dashboard": config.dashboards, "role": config.roles,
                "print_form": config.print_forms}.get(kind, ())  # fmt: skip
        doc = next((d for d in docs if d.id == object_id), None)
        label = self.c.label(doc.data.get("label") or {}, object_id) if doc else object_id
        return t(KIND_LABELS.get(kind, "%(label)s"), label=label)

    def _rename_problem(self, exc: RenameError) -> str:
        t = self.c.gettext
        text = str(exc)
        if "already has a field" in text:
            return t("The table already has a field with this name.")
        return t("Latin lowercase letters, digits and _, starting with a letter.")

    def _retype_preview(self, table: Table, f: Field, form: RetypeForm, errors: list[str]) -> Any:
        t = self.c.gettext
        new_type = form.new_type.data or ""
        extra: dict[str, Any] = {}
        if new_type == "choice":
            values = [v.strip() for v in (form.choices.data or "").splitlines() if v.strip()]
            if not values:
                form.choices.errors = [*form.choices.errors, t("Give at least one choice.")]
                return None
            extra["choices"] = [{"value": v[:100], "label": v} for v in dict.fromkeys(values)]
        try:
            doc = retype_document(self.overlay, f.id, new_type, extra)
            retype = retype_preview(self.overlay, doc, f.id, self._base(), self.c.locale())
        except EditError:
            form.new_type.errors = [*form.new_type.errors, t("Choose a type.")]
            return None
        except (ConfigError, StaleRevision, NothingToSave) as exc:
            self._explain(exc, errors)
            return None
        return self._retype_page(table, f, retype, new_type)

    def _retype_page(
        self, table: Table, f: Field, retype: RetypePreview, new_type: str,
        problem: str = "", policy: str = "set_null", default: str = "",
    ) -> Any:  # fmt: skip
        preview = retype.preview
        confirm = self._confirm("retype", preview, f, policy=policy, default_value=default)
        return self.render("uchet/structure_field_retype.html", preview=preview, form=confirm,
                           report=retype.report, field=f, table=table,
                           new_type=self.type_label(new_type), policies=POLICY_LABELS,
                           policy=policy, default=default, problem=problem,
                           operations=self.operations(preview), sql=self.sql(preview))  # fmt: skip

    def _choices_preview(self, table: Table, f: Field, form: Any, errors: list[str]) -> Any:
        rows = []
        count = int(request.form.get("rows", "0") or 0)
        for i in range(min(count, 500)):
            get = request.form.get
            order = get(f"order_{i}", "") or str(i + 1)
            rows.append(ChoiceEdit(get(f"value_{i}", ""), get(f"label_ru_{i}", ""),
                                   get(f"label_en_{i}", ""), bool(get(f"retired_{i}")),
                                   int(order) if order.isdigit() else i + 1))  # fmt: skip
        try:
            doc = choices_document(self.overlay, f.id, rows)
        except EditError as exc:
            errors.append(self._choices_problem(exc))
            return None
        return self.preview_page(doc, self._base(), errors)

    def _choices_problem(self, exc: EditError) -> str:
        t = self.c.gettext
        text = str(exc)
        if "only retired" in text:
            return t("A value cannot be deleted, only retired: records may hold it.")
        if "at least one" in text:
            return t("Keep at least one value offered.")
        if "listed twice" in text:
            return t("A value is listed twice.")
        return t("Every value needs a label.")

    # -- applying ----------------------------------------------------------------------------
    @expose("/apply", methods=("POST",))
    def apply(self) -> Any:
        form = FieldConfirmForm(request.form)
        t = self.c.gettext
        if not form.validate():
            flash(" ".join(form.csrf_token.errors), "error")
            return redirect(url_for("uchet_structure.index"))
        field_id = form.field_id.data or ""
        table = next((x for x in self.c.config.tables
                      if any(fl.id == field_id for fl in x.fields)), None)  # fmt: skip
        if table is None:
            abort(404)
        base = int(form.base.data) if (form.base.data or "").isdigit() else None
        comment = (form.comment.data or "").strip() or None
        kind = form.kind.data
        try:
            document = json.loads(form.document.data or "{}")
            if kind == "retype":
                return self._apply_retype(table, form, document, base, comment)
            before = self.overlay.effective_tree(self.overlay.document())
            rev = self.overlay.save(document, base_revision=base, user=self.c.user(),
                                    comment=comment)  # fmt: skip
        except (ValueError, KeyError, ConfigError, NothingToSave, StaleRevision,
                MigrationError) as exc:  # fmt: skip
            errors: list[str] = []
            self._explain(exc, errors)
            for e in errors:
                flash(e, "error")
            return redirect(url_for(".edit", table_id=table.id, field_id=field_id))
        flash(t("Saved as revision %(number)s.", number=rev.number), "success")
        if kind == "rename" and form.rewrite.data:
            self._rewrite_templates(before, field_id, form.new_name.data or "")
        return redirect(url_for(".edit", table_id=table.id, field_id=field_id))

    def _apply_retype(self, table: Table, form: FieldConfirmForm, document: dict[str, Any],
                      base: int | None, comment: str | None) -> Any:  # fmt: skip
        t = self.c.gettext
        f = table.field_by_id(form.field_id.data or "")
        choice = form.policy.data or "abort"
        default = (request.form.get("default_value") or form.default_value.data or "").strip()
        retype = retype_preview(self.overlay, document, f.id, base, self.c.locale())
        new_type = retype.preview.config.table(table.id).field_by_id(f.id).type
        try:
            policy = conversion_policy(choice, default)
            rev = save_retype(self.overlay, retype, policy, user=self.c.user(), comment=comment)
        except EditError:
            problem = t("Give the value to put in place of those that do not convert.")
        except MigrationError as exc:
            problem = t("Nothing was saved: %(problem)s", problem=str(exc))
        else:
            flash(t("Saved as revision %(number)s.", number=rev.number), "success")
            return redirect(url_for(".edit", table_id=table.id, field_id=f.id))
        return self._retype_page(table, f, retype, new_type, problem, choice, default)

    def _rewrite_templates(self, before: dict[str, Any], field_id: str, new_name: str) -> None:
        t = self.c.gettext
        ctx = template_rewriter(before, field_id, new_name)
        forms = PrintForms(self.c.platform, self.c.user(), self.c.locale())
        found = rename_templates.uses(forms, ctx)
        note = t("field renamed to %(name)s", name=new_name)
        done = rename_templates.rewrite_stored(forms, ctx, found, note)
        for form, version in done:
            flash(t("Print form «%(label)s»: new template version %(version)s.",
                    label=form.text(self.c.locale()), version=version), "success")  # fmt: skip
        rewritten = {form.id for form, _ in done}
        for use in found:
            if use.stored and use.form.id not in rewritten:
                flash(t("Print form «%(label)s» still uses the old name: correct its template.",
                        label=use.form.text(self.c.locale())), "error")  # fmt: skip

    # -- helpers -------------------------------------------------------------------------------
    def _field(self, table_id: str, field_id: str) -> tuple[Table, Field]:
        try:
            table = self.c.config.table(table_id)
            return table, table.field_by_id(field_id)
        except KeyError:
            abort(404)

    def _preview(self, document: dict[str, Any], errors: list[str]) -> Any:
        try:
            return self.overlay.preview(document, self._base(), self.c.locale())
        except (ConfigError, StaleRevision, NothingToSave) as exc:
            self._explain(exc, errors)
            return None

    def _explain(self, exc: Exception, errors: list[str]) -> None:
        """``exc`` in the user's language, added to ``errors``."""
        t = self.c.gettext
        if isinstance(exc, StaleRevision):
            errors.append(t("Someone changed the structure meanwhile: %(changes)s",
                            changes="; ".join(exc.changes)))  # fmt: skip
        elif isinstance(exc, ConfigError):
            errors += [t("The configuration check failed: %(problem)s", problem=str(i))
                       for i in exc.issues]  # fmt: skip
        elif isinstance(exc, NothingToSave):
            errors.append(t("Nothing changed."))
        else:
            errors.append(t("Nothing was saved: %(problem)s", problem=str(exc)))

    def _confirm(self, kind: str, preview: Any, f: Field, **extra: str) -> FieldConfirmForm:
        base = preview.base_revision
        return FieldConfirmForm(document=json.dumps(preview.document, ensure_ascii=False),
                                base="" if base is None else str(base), kind=kind,
                                field_id=f.id, **extra)  # fmt: skip

    def _template_uses(self, proposal: RenameProposal, f: Field) -> list[Any]:
        before = self.overlay.effective_tree(self.overlay.document())
        ctx = template_rewriter(before, f.id, proposal.renamed.new)
        forms = PrintForms(self.c.platform, self.c.user(), self.c.locale())
        return [(u.form.text(self.c.locale()), u.stored, u.unresolved)
                for u in rename_templates.uses(forms, ctx)]  # fmt: skip

    def _choice_rows(self, f: Field) -> list[tuple[str, str, str, bool]]:
        """The choice editor's rows: each value with its labels and flag, then empty ones."""
        rows = []
        for c in f.choices:
            labels = thaw(c.label)
            rows.append((c.value, labels.get("ru", ""), labels.get("en", ""), c.retired))
        return rows + [("", "", "", False)] * NEW_ROWS if f.type == "choice" else []


def add_views(admin: Admin, c: WebContext) -> None:
    """Add the field page of the structure editor (no menu entry of its own)."""
    name = LazyString(lambda: c.gettext("Structure"))
    admin.add_view(FieldEditView(c, name, "uchet_structure_field", "/-/structure-field"))
