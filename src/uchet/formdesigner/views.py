"""The structure editor (issue 14, S21, S23, S40): end users change the configuration in the
browser, under the «Настройка» menu, for holders of a superuser role or of a role with the
``configure`` right.

* **Structure**: the tables with their menu sections; a page per table lists its fields
  (type, label per locale, where the field is used) and adds a field of any registered type,
  changes labels and help, hides and shows fields, tables (and so their menu entries) and
  menu sections, and renames table and section labels.
* Every change is first shown as a plan (the changes in words, the schema operations, the
  SQL on request) and applied only when confirmed, through the database overlay
  (:class:`~uchet.configurations.revisions.DatabaseOverlay`): one transaction, the same
  planner and migrator as ``uchet migrate``, every web process hot-swapping to the new
  version. A check error is shown next to the form that caused it and nothing is saved.
* **History**: the revisions with their changes in words and a button to return to any of
  them (a revert archives what was added since: hidden, its data kept).

Screens built on the web base (``uchet.web``), registered by the builder: at the level of
``uchet.printeditor.views`` in ``tests/test_layers.py``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import Admin, BaseView, expose
from flask_babel import LazyString
from flask_login import current_user
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from uchet.configurations.overlay_diff import EMPTY_DOCUMENT, archive_dropped
from uchet.configurations.overlay_edit import (
    add_field,
    added_field_ids,
    set_hidden,
    set_part_hidden,
    set_properties,
)
from uchet.configurations.overlay_tables import add_child_tab, added_table_ids
from uchet.configurations.revisions import NothingToSave, Preview, PurgeNotConfirmed, StaleRevision
from uchet.formdesigner.model import form_document
from uchet.formdesigner.provenance import field_layers
from uchet.platform.model.config import Table, thaw
from uchet.platform.model.errors import ConfigError, DestructiveChangeError, MigrationError
from uchet.web.auth import check_csrf, here
from uchet.web.context import WebContext
from uchet.web.formbase import SecureForm
from uchet.web.screen import TranslatedRender

CATEGORY = "uchet_configure"
#: A field's machine name, as the meta-schema requires (``common.json#/$defs/name``).
NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
#: Types whose field needs an expression (not offered by this editor yet).
NEEDS_EXPRESSION = frozenset({"formula", "rollup"})
#: The built-in types in words (message ids of ``texts.py``); a plug-in's type shows its name.
TYPE_LABELS = {
    "boolean": "Yes / no", "choice": "Choice from a list", "date": "Date",
    "datetime": "Date and time", "decimal": "Decimal number", "email": "E-mail",
    "file": "File", "image": "Image", "integer": "Whole number", "json": "JSON data",
    "money": "Money", "percent": "Percent", "phone": "Phone", "reference": "Reference",
    "string": "Line of text", "text": "Long text", "time": "Time", "url": "Web address",
    "user": "User", "formula": "Formula", "rollup": "Rollup",
}  # fmt: skip


class FieldForm(SecureForm):
    """Add a field: the properties the structure editor offers."""

    name = StringField("Name")
    type = SelectField("Type", validate_choice=False)
    label_ru = StringField("Label (Russian)")
    label_en = StringField("Label (English)")
    help_ru = StringField("Help")
    required = BooleanField("Required")
    default = StringField("Default value")
    choices = TextAreaField("Choices, one per line")
    target = SelectField("Reference to", validate_choice=False)


class EditForm(SecureForm):
    """Labels and help of a field, table or section."""

    label_ru = StringField("Label (Russian)")
    label_en = StringField("Label (English)")
    help_ru = StringField("Help")


class ConfirmForm(SecureForm):
    """Apply a previewed change: the document, the revision it was made on, a comment."""

    document = HiddenField()
    base = HiddenField()
    comment = StringField("Comment")
    #: A purge: the field's id and the name the user typed (applied by ``purge_field``).
    purge = HiddenField()
    typed_name = HiddenField()
    #: Where to go after applying (the card designer's «Новое поле…» comes back to it).
    back = HiddenField()


class ConfigureOnly(TranslatedRender, BaseView):
    """A screen for superusers and roles with the ``configure`` right."""

    def __init__(self, c: WebContext, name: Any, endpoint: str, url: str):
        self.c = c
        super().__init__(name=name, category=CATEGORY, endpoint=endpoint, url=url)

    def is_accessible(self) -> bool:
        return can_configure(self.c)

    def is_visible(self) -> bool:
        return can_configure(self.c)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=here()))
        abort(403)

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        refused = super()._handle_view(name, **kwargs)
        if refused is None and request.method == "POST":
            # Every change is refused without the CSRF token before anything is looked up,
            # with the site's usual 400 page (the forms' own check stays, next to the control).
            check_csrf()
        return refused

    # -- shared by the screens -------------------------------------------------------------
    @property
    def overlay(self) -> Any:
        return self.c.platform.overlay

    def base_revision(self) -> int | None:
        latest = self.overlay.latest()
        return latest.number if latest else None

    def _table(self, table_id: str) -> Table:
        """The table of the URL, or 404."""
        try:
            return self.c.config.table(table_id)
        except KeyError:
            abort(404)

    def _base(self) -> int | None:
        """The revision the posted form started from (else the latest): a stale save is
        refused with what changed."""
        raw = request.form.get("base", "")
        return int(raw) if raw.isdigit() else self.base_revision()

    def preview_page(self, document: dict[str, Any], base: int | None, errors: list[str]) -> Any:
        """The plan of ``document`` for confirmation, or None with ``errors`` filled in (in
        the user's language) when it cannot be saved."""
        t = self.c.gettext
        try:
            preview = self.overlay.preview(document, base, self.c.locale())
        except ConfigError as exc:
            errors += [t("The configuration check failed: %(problem)s", problem=str(i))
                       for i in exc.issues]  # fmt: skip
            return None
        except StaleRevision as exc:
            errors.append(t("Someone changed the structure meanwhile: %(changes)s",
                            changes="; ".join(exc.changes)))  # fmt: skip
            return None
        except NothingToSave:
            errors.append(t("Nothing changed."))
            return None
        form = ConfirmForm(document=json.dumps(preview.document, ensure_ascii=False),
                           base="" if base is None else str(base),
                           back=local_url(request.args.get("back")) or "")  # fmt: skip
        return self.render("uchet/structure_preview.html", preview=preview, form=form,
                           operations=self.operations(preview),
                           sql=self.sql(preview) if preview.plan.operations else "")  # fmt: skip

    def operations(self, preview: Preview) -> list[str]:
        return [op.describe() for op in preview.plan.operations]

    def sql(self, preview: Preview) -> str:
        """The plan's SQL for the database's dialect (shown folded, for those who want it)."""
        dialect = self.c.platform.engine.dialect.name
        found = preview.plan.sql(dialect)
        return found if isinstance(found, str) else "\n".join(f"{s};" for s in found)

    def type_label(self, name: str) -> str:
        """A field type in words in the user's language; a plug-in's type by its name."""
        return self.c.gettext(TYPE_LABELS[name]) if name in TYPE_LABELS else name


def local_url(url: str | None) -> str | None:
    """``url`` if it is a path on this site (never another site's address), else None."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None


def can_configure(c: WebContext) -> bool:
    """Whether the logged-in user may change the structure: a superuser, or a holder of a
    role with ``"configure": true``."""
    if not current_user or not current_user.is_authenticated:
        return False
    if c.is_superuser():
        return True
    roles = set(c.user().roles)
    return any(r.id in roles and r.data.get("configure") for r in c.config.roles)


class StructureView(ConfigureOnly):
    """Tables, sections and fields, and the changes to them."""

    @expose("/")
    def index(self) -> Any:
        config = self.c.config
        return self.render("uchet/structure_index.html", tables=config.tables,
                           sections=config.manifest.sections)  # fmt: skip

    @expose("/table/<table_id>", methods=("GET", "POST"))
    def table_view(self, table_id: str) -> Any:
        table = self._table(table_id)
        add = self._field_form(request.form if request.form.get("action") == "add" else None)
        posted = request.form.get("action") in ("label", "hide", "part")
        edit = EditForm(request.form if posted else None,
                        **self._labels(table.label))  # fmt: skip
        errors: dict[str, list[str]] = {"add": [], "label": [], "hide": [], "part": []}
        if request.method == "POST":
            action = request.form.get("action", "")
            form = add if action == "add" else edit
            if action in errors and form.validate():
                doc = self._change(action, table, add, edit, errors[action])
                if doc is not None:
                    page = self.preview_page(doc, self._base(), errors[action])
                    if page is not None:
                        return page
            elif action in errors:
                errors[action] += [str(e) for e in form.csrf_token.errors]
        return self.render("uchet/structure_table.html", table=table, add=add, edit=edit,
                           errors=errors, uses=self.uses, hide_form=ConfirmForm(),
                           parts=self.parts(table), type_label=self.type_label,
                           layers=field_layers(self.overlay, table.id, self.c),
                           purgeable=table.id in added_table_ids(self.overlay.document()),
                           base=self.base_revision())  # fmt: skip

    @expose("/field/<table_id>/<field_name>", methods=("GET", "POST"))
    def field_view(self, table_id: str, field_name: str) -> Any:
        table = self._table(table_id)
        if not table.has_field(field_name):
            abort(404)
        f = table.field_by_name(field_name)
        data = request.form if request.method == "POST" else None
        form = EditForm(data, **self._labels(f.label), help_ru=self.c.label(f.help or {}, ""))
        errors: list[str] = []
        purgeable = f.id in added_field_ids(self.overlay.document())
        if request.method == "POST" and request.form.get("action") == "purge":
            page = self._purge_page(f, form, errors) if purgeable else abort(404)
            if page is not None:
                return page
        elif request.method == "POST":
            doc = self.overlay.document()
            if not form.validate():  # the CSRF token, for every action
                errors += [str(e) for e in form.csrf_token.errors]
            elif request.form.get("action") in ("hide", "show"):
                doc = set_hidden(doc, f.id, request.form["action"] == "hide")
            else:
                doc = self._with_labels(doc, f.id, form, errors)
            if not errors:
                page = self.preview_page(doc, self._base(), errors)
                if page is not None:
                    return page
        return self.render("uchet/structure_field.html", table=table, field=f, form=form,
                           errors=errors, uses=self.uses(table, f), purgeable=purgeable,
                           type_label=self.type_label,
                           layers=field_layers(self.overlay, f.id, self.c))  # fmt: skip

    def _purge_page(self, f: Any, form: EditForm, errors: list[str]) -> Any:
        """The plan of purging ``f``, naming what is lost; the typed name is checked here
        and again when applied."""
        t = self.c.gettext
        if not form.validate():
            errors += [str(e) for e in form.csrf_token.errors]
            return None
        typed = request.form.get("typed_name", "").strip()
        if typed != f.name:
            errors.append(t("Type the field's name %(name)s to confirm.", name=f.name))
            return None
        try:
            preview, values = self.overlay.purge_preview(f.id, self._base())
        except (ConfigError, StaleRevision, NothingToSave) as exc:
            errors.append(t("Nothing was saved: %(problem)s", problem=str(exc)))
            return None
        confirm = ConfirmForm(document=json.dumps(preview.document, ensure_ascii=False),
                              base="" if preview.base_revision is None
                              else str(preview.base_revision),
                              purge=f.id, typed_name=typed)  # fmt: skip
        loss = t("%(count)s values of this field will be deleted; a backup copy of them is "
                 "kept in the database.", count=values)  # fmt: skip
        return self.render("uchet/structure_preview.html", preview=preview, form=confirm,
                           operations=self.operations(preview), loss=loss,
                           sql=self.sql(preview))  # fmt: skip

    @expose("/section/<section_id>", methods=("POST",))
    def section_view(self, section_id: str) -> Any:
        section = next((s for s in self.c.config.manifest.sections if s.id == section_id), None)
        form = EditForm(request.form)
        if section is None:
            abort(404)
        errors: list[str] = []
        if not form.validate():
            errors += [str(e) for e in form.csrf_token.errors]
        else:
            doc = self.overlay.document()
            action = request.form.get("action")
            if action in ("hide", "show"):
                doc = set_hidden(doc, section_id, action == "hide")
            else:
                doc = self._with_labels(doc, section_id, form, errors)
            page = None if errors else self.preview_page(doc, self._base(), errors)
            if page is not None:
                return page
        for e in errors:
            flash(e, "error")
        return redirect(url_for(".index"))

    @expose("/apply", methods=("POST",))
    def apply(self) -> Any:
        form = ConfirmForm(request.form)
        t = self.c.gettext
        if not form.validate():
            flash(" ".join(form.csrf_token.errors), "error")
            return redirect(url_for(".index"))
        try:
            document = json.loads(form.document.data or "{}")
            base = int(form.base.data) if form.base.data else None
            comment = (form.comment.data or "").strip() or None
            if form.purge.data:
                typed = form.typed_name.data or ""
                rev = self.overlay.purge_field(form.purge.data, typed_name=typed,
                                               base_revision=base, user=self.c.user(),
                                               comment=comment)  # fmt: skip
            else:
                rev = self.overlay.save(document, base_revision=base, user=self.c.user(),
                                        comment=comment)  # fmt: skip
        except (ValueError, KeyError, ConfigError, NothingToSave, PurgeNotConfirmed) as exc:
            flash(t("Nothing was saved: %(problem)s", problem=str(exc)), "error")
        except StaleRevision as exc:
            flash(t("Someone changed the structure meanwhile: %(changes)s",
                    changes="; ".join(exc.changes)), "error")  # fmt: skip
        except DestructiveChangeError:
            flash(t("Nothing was saved: the change would lose data; hide it instead."), "error")
        except MigrationError as exc:
            flash(t("Nothing was saved: %(problem)s", problem=str(exc)), "error")
        else:
            flash(t("Saved as revision %(number)s.", number=rev.number), "success")
            if local_url(form.back.data):
                return redirect(str(form.back.data))
        return redirect(url_for(".index"))

    # -- helpers ---------------------------------------------------------------------------
    def _labels(self, labels: Any) -> dict[str, str]:
        labels = thaw(labels) if not isinstance(labels, str) else {"ru": labels, "en": labels}
        return {"label_ru": labels.get("ru", ""), "label_en": labels.get("en", "")}

    def _field_form(self, data: Any) -> FieldForm:
        form = FieldForm(data)
        form.type.choices = [
            (n, self.type_label(n))
            for n in self.c.platform.types.names()
            if n not in NEEDS_EXPRESSION
        ]
        form.target.choices = [("", "—")] + [(x.id, self.c.table_label(x))
                                             for x in self.c.config.tables]  # fmt: skip
        return form

    def _with_labels(self, doc: Any, target: str, form: Any, errors: list[str]) -> Any:
        label = {k: v for k, v in (("ru", form.label_ru.data.strip()),
                                   ("en", form.label_en.data.strip())) if v}  # fmt: skip
        if not label:
            errors.append(self.c.gettext("A label is required."))
            return doc
        props: dict[str, Any] = {"label": label}
        if (form.help_ru.data or "").strip():
            props["help"] = {"ru": form.help_ru.data.strip()}
        return set_properties(doc, target, props)

    def _change(self, action: str, table: Table, add: FieldForm, edit: EditForm,
                errors: list[str]) -> Any:  # fmt: skip
        doc = self.overlay.document()
        if action == "label":
            return self._with_labels(doc, table.id, edit, errors)
        if action == "hide":
            return set_hidden(doc, table.id, not table.hidden)
        if action == "part":
            form = form_document(self.c.config.forms, table)
            if form is None:
                abort(404)
            try:
                return set_part_hidden(doc, thaw(form.data), request.form.get("part", ""),
                                       request.form.get("hidden") == "1")  # fmt: skip
            except KeyError:
                abort(404)
        field, ok = self._new_field(table, add)
        if ok and field["type"] == "reference":
            # The referenced table's card lists these records on a tab of its own.
            parent = self.c.config.table(field["target"])
            form = form_document(self.c.config.forms, parent)
            doc = add_child_tab(doc, thaw(form.data) if form else None, parent.id, field["id"],
                                thaw(table.label))  # fmt: skip
        return add_field(doc, table.id, field) if ok else None

    def _new_field(self, table: Table, form: FieldForm) -> tuple[dict[str, Any], bool]:
        """The field document the form describes, and whether it is complete; problems go
        next to their controls, in the user's language."""
        t = self.c.gettext
        found: list[str] = []

        def problem(control: Any, text: str) -> None:
            control.errors = [*control.errors, t(text)]
            found.append(text)

        name = (form.name.data or "").strip()
        if not NAME.fullmatch(name):
            problem(form.name, "Latin lowercase letters, digits and _, starting with a letter.")
        elif table.has_field(name):
            problem(form.name, "The table already has a field with this name.")
        label = {k: v for k, v in (("ru", (form.label_ru.data or "").strip()),
                                   ("en", (form.label_en.data or "").strip())) if v}  # fmt: skip
        if not label:
            problem(form.label_ru, "A label is required.")
        ftype = form.type.data or ""
        if ftype not in self.c.platform.types or ftype in NEEDS_EXPRESSION:
            problem(form.type, "Choose a type.")
        field: dict[str, Any] = {"id": f"{table.id}.{name}", "name": name, "type": ftype,
                                 "label": label}  # fmt: skip
        if (form.help_ru.data or "").strip():
            field["help"] = {"ru": form.help_ru.data.strip()}
        if form.required.data:
            field["required"] = True
        if (form.default.data or "").strip():
            field["default"] = form.default.data.strip()
        if ftype in ("choice", "multichoice"):
            values = [v.strip() for v in (form.choices.data or "").splitlines() if v.strip()]
            if not values:
                problem(form.choices, "Give at least one choice.")
            field["choices"] = [{"value": f"v{i}", "label": v} for i, v in enumerate(values, 1)]
        if ftype == "reference":
            if not form.target.data:
                problem(form.target, "Choose the table the field refers to.")
            field["target"] = form.target.data
        return field, not found

    def parts(self, table: Table) -> list[tuple[str, str, bool, bool]]:
        """The card's tabs and sections: (id, label, is a tab, hidden)."""
        form = form_document(self.c.config.forms, table)
        found = []
        for tab in form.data.get("layout", ()) if form else ():
            found.append((tab["id"], self.c.label(tab.get("label", {}), tab["id"]), True,
                          bool(tab.get("hidden"))))  # fmt: skip
            for sec in tab.get("sections", ()):
                if sec.get("label"):
                    found.append((sec["id"], self.c.label(sec["label"], sec["id"]), False,
                                  bool(sec.get("hidden"))))  # fmt: skip
        return found

    def uses(self, table: Table, f: Any) -> list[str]:
        """Where field ``f`` is used: the documents and formulas that name it."""
        found = []
        names = {f.id, f.name, f"{table.name}.{f.name}"}
        for other in table.fields:
            text = other.formula or ""
            if other.name != f.name and re.search(rf"\b{re.escape(f.name)}\b", text):
                label = self.c.label(other.label, other.name)
                found.append(self.c.gettext("formula of «%(label)s»", label=label))
        config = self.c.config
        kinds = (("form", config.forms), ("report", config.reports),
                 ("dashboard", config.dashboards), ("role", config.roles))  # fmt: skip
        for kind, docs in kinds:
            for doc in docs:
                strings = set(_strings(thaw(doc.data)))
                about = table.id in strings or table.name in strings or f.id in strings
                if about and strings & names:
                    label = self.c.label(doc.data.get("label") or doc.data.get("title")
                                         or {}, doc.id)  # fmt: skip
                    found.append(self.c.gettext(kind + " «%(label)s»", label=label))
        return found


class HistoryView(ConfigureOnly):
    """The revisions of the database overlay, with a return to any of them."""

    @expose("/")
    def index(self) -> Any:
        revisions = self.overlay.revisions()
        rows = []
        for i, rev in enumerate(revisions):
            before = revisions[i + 1].overlay if i + 1 < len(revisions) else EMPTY_DOCUMENT
            rows.append((rev, self.overlay.describe(before, rev.overlay, self.c.locale())))
        return self.render("uchet/structure_history.html", rows=rows, form=ConfirmForm(),
                           base=revisions[0].number if revisions else None,
                           orphans=self.overlay.orphans())  # fmt: skip

    @expose("/revert", methods=("POST",))
    def revert(self) -> Any:
        form = ConfirmForm(request.form)
        errors: list[str] = []
        if form.validate():
            to = request.form.get("to", type=int)
            if to is None:
                abort(400)
            target = EMPTY_DOCUMENT if to == 0 else self.overlay.get(to).overlay
            doc = archive_dropped(self.overlay.document(), target)
            base = int(form.base.data) if (form.base.data or "").isdigit() else None
            page = self.preview_page(doc, base, errors)
            if page is not None:
                return page
        for e in [*errors, *form.csrf_token.errors]:
            flash(e, "error")
        return redirect(url_for(".index"))


def _strings(value: Any) -> Any:
    """Every string in JSON data, and each dotted part of the dotted ones."""
    if isinstance(value, str):
        yield value
        yield from value.split(".")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def add_views(admin: Admin, c: WebContext) -> None:
    """Add the «Настройка» menu: the structure and its history."""
    t = c.gettext
    admin.add_view(StructureView(c, LazyString(lambda: t("Structure")), "uchet_structure",
                                 "/-/structure"))  # fmt: skip
    admin.add_view(HistoryView(c, LazyString(lambda: t("Change history")),
                               "uchet_structure_history", "/-/structure-history"))  # fmt: skip
    for item in admin.menu():
        if item.name == CATEGORY:
            item.name = LazyString(lambda: t("Configure"))
