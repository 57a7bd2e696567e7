"""The structure editor's table-level screens (issue 14, points 2 and 4; S21, S23, S40).

* **Add a table**: a directory (lookup, titled by a required unique name) or a document
  table, in a menu section, optionally referring to another table (it then shows as a tab
  on that table's card), with rights for the roles picked. It gets a list, a card and a
  menu entry like any table.
* **Archive** a table is hiding it (:mod:`uchet.formdesigner.views`, «Видимость»): menu,
  lists and the child tabs of other cards; its rows are kept. **Purge** a table the editor
  added is separate: the plan names the rows, the referencing fields and the print
  templates lost, the table's name must be typed, and the migrator backs the data up first
  (:mod:`uchet.configurations.table_purge`).
* The layers of a property: :mod:`uchet.formdesigner.provenance`.

Same access rule, CSRF check and plan-then-apply flow as the other structure screens.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import LazyString
from wtforms import SelectField, SelectMultipleField, StringField, widgets

from uchet.configurations.overlay_tables import (
    add_child_tab,
    add_table,
    grant,
    new_table,
    plain_label,
)
from uchet.configurations.revisions import NothingToSave, PurgeNotConfirmed, StaleRevision
from uchet.configurations.table_purge import describe_loss, purge_table, purge_table_preview
from uchet.formdesigner.model import form_document
from uchet.formdesigner.views import NAME, ConfigureOnly, ConfirmForm
from uchet.platform.model.config import thaw
from uchet.platform.model.errors import ConfigError, MigrationError
from uchet.web.formbase import SecureForm

#: The kinds of table the editor adds, in words (message ids of the interface texts).
KINDS = {
    "directory": "Directory (a list of values to choose from)",
    "document": "Document table (records with fields)",
}


class TableForm(SecureForm):
    """A new table: its label, name, kind, menu section, a reference and the roles' rights."""

    label_ru = StringField("Label (Russian)")
    label_en = StringField("Label (English)")
    name = StringField("Name")
    kind = SelectField("Kind of table", validate_choice=False)
    section = SelectField("Menu section", validate_choice=False)
    target = SelectField("Reference to", validate_choice=False)
    roles = SelectMultipleField(
        "Roles that may work with it",
        validate_choice=False,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )


class TablesView(ConfigureOnly):
    """Add and purge tables (archive and restore are the table page's «Видимость»)."""

    def is_visible(self) -> bool:
        return False  # reached from the structure page, not a menu entry of its own

    @expose("/")
    def index(self) -> Any:
        return redirect(url_for("uchet_structure.index"))

    @expose("/new", methods=("GET", "POST"))
    def new(self) -> Any:
        form = self._table_form(request.form if request.method == "POST" else None)
        errors: list[str] = []
        if request.method == "POST":
            if not form.validate():
                errors += [str(e) for e in form.csrf_token.errors]
            else:
                doc = self._new_document(form)
                if doc is not None:
                    page = self.preview_page(doc, self._base(), errors)
                    if page is not None:
                        return page
        return self.render(
            "uchet/structure_new_table.html", form=form, errors=errors, base=self.base_revision()
        )

    @expose("/purge/<table_id>", methods=("POST",))
    def purge(self, table_id: str) -> Any:
        """The plan of purging an added table, naming what is lost; the typed name is
        checked here and again when applied."""
        t = self.c.gettext
        table = self._table(table_id)
        form = ConfirmForm(request.form)
        typed = request.form.get("typed_name", "").strip()
        problem = None
        if not form.validate():
            problem = " ".join(form.csrf_token.errors)
        elif typed != table.name:
            problem = t("Type the table's name %(name)s to confirm.", name=table.name)
        else:
            try:
                preview, loss = purge_table_preview(self.overlay, table_id, self._base())
            except KeyError:
                abort(404)
            except (ConfigError, StaleRevision, NothingToSave) as exc:
                problem = t("Nothing was saved: %(problem)s", problem=str(exc))
            else:
                confirm = ConfirmForm(
                    document=json.dumps(preview.document, ensure_ascii=False),
                    base="" if preview.base_revision is None else str(preview.base_revision),
                    purge=table_id,
                    typed_name=typed,
                )
                return self.render(
                    "uchet/structure_preview.html",
                    preview=preview,
                    form=confirm,
                    operations=self.operations(preview),
                    loss=" ".join(describe_loss(loss, t)),
                    sql=self.sql(preview),
                    apply_url=url_for(".apply_purge"),
                )
        flash(problem, "error")
        return redirect(url_for("uchet_structure.table_view", table_id=table_id))

    @expose("/apply-purge", methods=("POST",))
    def apply_purge(self) -> Any:
        t = self.c.gettext
        form = ConfirmForm(request.form)
        if not form.validate():
            flash(" ".join(form.csrf_token.errors), "error")
            return redirect(url_for("uchet_structure.index"))
        base = int(form.base.data) if (form.base.data or "").isdigit() else None
        try:
            rev = purge_table(
                self.overlay,
                form.purge.data or "",
                typed_name=form.typed_name.data or "",
                base_revision=base,
                user=self.c.user(),
                comment=(form.comment.data or "").strip() or None,
            )
        except (KeyError, ConfigError, NothingToSave, PurgeNotConfirmed, MigrationError) as exc:
            flash(t("Nothing was saved: %(problem)s", problem=str(exc)), "error")
        except StaleRevision as exc:
            flash(
                t(
                    "Someone changed the structure meanwhile: %(changes)s",
                    changes="; ".join(exc.changes),
                ),
                "error",
            )
        else:
            flash(t("Saved as revision %(number)s.", number=rev.number), "success")
        return redirect(url_for("uchet_structure.index"))

    # -- helpers ---------------------------------------------------------------------------
    def _table_form(self, data: Any) -> TableForm:
        t = self.c.gettext
        form = TableForm(data)
        form.kind.choices = [(v, t(text)) for v, text in KINDS.items()]
        form.section.choices = [("", "—")] + [
            (s.id, self.c.label(s.get("label"), s.id)) for s in self.c.config.manifest.sections
        ]
        form.target.choices = [("", "—")] + [
            (x.id, self.c.table_label(x)) for x in self.c.config.tables
        ]
        form.roles.choices = [
            (r.id, self.c.label(r.data.get("label") or {}, r.id))
            for r in self.c.config.roles
            if not r.data.get("superuser")
        ]
        return form

    def _new_document(self, form: TableForm) -> dict[str, Any] | None:
        """The database overlay with the new table, its rights and child tab; problems go
        next to their controls, in the user's language (None then)."""
        t = self.c.gettext
        config = self.c.config
        found = False

        def problem(control: Any, text: str, **args: Any) -> None:
            nonlocal found
            control.errors = [*control.errors, t(text, **args)]
            found = True

        name = (form.name.data or "").strip()
        taken = {x.id for x in config.tables} | {x.name for x in config.tables}
        if not NAME.fullmatch(name):
            problem(form.name, "Latin lowercase letters, digits and _, starting with a letter.")
        elif name in taken or name.startswith("uchet_"):
            problem(form.name, "There is already a table with this name.")
        label = {
            k: v
            for k, v in (
                ("ru", (form.label_ru.data or "").strip()),
                ("en", (form.label_en.data or "").strip()),
            )
            if v
        }
        if not label:
            problem(form.label_ru, "A label is required.")
        sections = {s.id for s in config.manifest.sections}
        section = form.section.data or None
        if section is not None and section not in sections:
            problem(form.section, "Choose a menu section.")
        target = config.find_table(form.target.data) if form.target.data in taken else None
        if form.target.data and target is None:
            problem(form.target, "Choose the table the field refers to.")
        roles = {r.id: r for r in config.roles if not r.data.get("superuser")}
        picked = [r for r in form.roles.data or () if r in roles]
        if found:
            return None
        directory = form.kind.data == "directory"
        fields: list[dict[str, Any]] = []
        if not directory:
            fields.append(
                {
                    "id": f"{name}.name",
                    "name": "name",
                    "type": "string",
                    "max_length": 200,
                    "label": {"ru": "Название", "en": "Name"},
                }
            )
        if target is not None:
            fields.append(
                {
                    "id": f"{name}.{target.name}",
                    "name": target.name,
                    "type": "reference",
                    "target": target.id,
                    "label": plain_label(thaw(target.item_label or target.label)),
                }
            )
        doc = add_table(
            self.overlay.document(), new_table(name, label, section, fields, directory=directory)
        )
        for role_id in picked:
            doc = grant(
                doc, thaw(roles[role_id].data), name, ("read", "create", "update", "delete")
            )
        if target is not None:
            parent = form_document(config.forms, target)
            doc = add_child_tab(
                doc,
                thaw(parent.data) if parent else None,
                target.id,
                f"{name}.{target.name}",
                label,
            )
        return doc


def add_views(admin: Any, c: Any) -> None:
    """Register the table screens (no menu entry: the structure page links to them)."""
    name = LazyString(lambda: c.gettext("Structure"))  # the page heading, as its parent's
    admin.add_view(TablesView(c, name, "uchet_structure_tables", "/-/structure-tables"))
