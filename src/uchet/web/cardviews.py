"""The card screens of a table view: create, edit and delete a record (S04, S10, S36, S37).

:class:`CardRoutes` is a mixin of :class:`~uchet.web.views.TableView`. Every read and write
goes through the record service as the logged-in user, so table, field and row rights hold;
a record outside the user's rows is 404. What a user expects of a card:

* the form follows the configuration's layout (:mod:`uchet.formdesigner.model`); required fields
  carry an asterisk; the engine's messages appear next to their inputs and the input is kept
  (a chosen reference keeps its title; a chosen file must be chosen again, and the card says
  so);
* a stale save shows what changed meanwhile and keeps the input (:mod:`uchet.web.conflict`);
* child records are added and edited in a modal dialog without leaving the parent's card:
  ``?modal=1`` renders the bare form, which the dialog posts with AJAX (the CSRF token in the
  form and in the ``X-CSRFToken`` header); success answers JSON, errors answer the form again;
  ``?fixed=<field>`` presets the reference to the parent and hides it;
* uploads larger than the site accepts get a clear message instead of a bare 413.

The lookups of reference fields and file downloads live in :mod:`uchet.web.cardajax`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort, flash, jsonify, make_response, redirect, request, url_for
from flask_admin.base import expose
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from uchet.formdesigner.render import card_layout, child_tab
from uchet.platform.model.config import Field
from uchet.platform.model.errors import (
    ConflictError,
    DatabaseBusy,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from uchet.platform.model.numbers import as_int
from uchet.platform.records import changerights
from uchet.web import forms as cards
from uchet.web.auth import check_csrf
from uchet.web.cardajax import LookupRoutes, human_size
from uchet.web.conflict import Conflict, explain_conflict, mine_text
from uchet.web.converters import arg_id, form_id
from uchet.web.history import card_history
from uchet.web.widgets import WidgetContext

#: The mixin's methods run on a TableView (its records(), label(), render()...).
_Base: Any = object


class CardRoutes(LookupRoutes, _Base):
    """Create, edit and delete screens, the modal variants, and the child-list refresh."""

    modal_template = "uchet/card_modal.html"

    # -- building the form ------------------------------------------------------------------
    def _wctx(self, locale: str | None = None) -> WidgetContext:
        return WidgetContext(
            locale=locale or self.c.locale(),
            lookup_url=lambda name: url_for(".lookup", field=name),
            max_file_size=self.c.runtime.max_file_size,
            # Once per configuration version, not per form (issue 12).
            field_names=self.c.runtime.model.cached(
                ("field_names", self.table.id), lambda: {f.id: f.name for f in self.table.fields}
            ),
        )

    def _form_parts(self) -> tuple[list[Field], type]:
        access = self.access()
        writable = None if access.unrestricted else access.writable()
        fields = cards.editable_fields(self.table, self.types, writable)
        return fields, cards.form_class(self.table, fields, self.types, self._wctx())

    def page_can_read(self, field: Field) -> bool:
        access = self.access()
        return access.unrestricted or field.name in access.readable()

    def card_title(self, record: dict[str, Any] | None) -> str:
        item = self.c.label(self.table.item_label or self.table.label, self.table.name)
        if record is None:
            return f"{item}: {self.c.gettext('New')}"
        title_id = self.table.title_field
        title = record.get(self.table.field_by_id(title_id).name) if title_id else None
        return f"{item}: {title or '#' + str(record['id'])}"

    def size_error(self, wf: Any) -> str:
        """The message the browser shows for a file over the input's size limit."""
        limit = int((wf.render_kw or {}).get("data-max-size") or self.c.runtime.max_file_size)
        return self.c.gettext(
            "The file is too large: at most %(limit)s.", limit=human_size(limit, self.c.locale())
        )

    def history(self, record: dict[str, Any]) -> list[Any]:
        """The History tab's entries (called by the template when the tab is shown)."""
        return card_history(self, record["id"])

    def _modal(self) -> bool:
        return request.args.get("modal") == "1"

    def _fixed(self, fields: list[Field]) -> dict[str, Field]:
        """Reference fields preset by the parent's card and not to be changed (``?fixed=``)."""
        names = set(request.args.getlist("fixed"))
        return {f.name: f for f in fields if f.name in names and f.type in ("reference", "user")}

    def _card(self, record: dict[str, Any] | None, form: Any, fields: list[Field], *,
              status: int = 200, loose: Iterable[str] = (), conflict: Conflict | None = None,
              reupload: Iterable[str] = (), duplicates: Any = None) -> Response:  # fmt: skip
        """Render the card (or its modal variant) for ``record`` (None: a new one)."""
        modal = self._modal()
        fixed = self._fixed(fields)
        # A fixed field has no visible input: its messages go to the top of the form.
        loose = [*loose, *(f"{self.label(f)}: {e}" for n, f in fixed.items()
                           for e in form[n].errors)]  # fmt: skip
        shown = {f.name for f in fields if f.name not in fixed}
        if record is not None:
            shown |= {f.name for f in self.table.fields if self.page_can_read(f)} - set(fixed)
        known = getattr(form, "uchet_titles", {})
        missing = [f for f in fields if f.name not in known]
        cards.keep_lookup_titles(form, self._titles(form, missing))
        template = self.modal_template if modal else self.edit_template
        html = self.render(
            template, view=self, form=form, record=record, fields=fields,
            card_tabs=card_layout(self, record, shown, modal), fixed=fixed, modal=modal,
            loose=list(loose), conflict=conflict, reupload=set(reupload), duplicates=duplicates,
            grids=self.card_grids(record, modal),
            title=self.card_title(record) if not (conflict and conflict.gone)
            else self.c.label(self.table.item_label or self.table.label, self.table.name),
        )  # fmt: skip
        return make_response(html, status)

    def _posted_form(self, form_cls: type) -> Any:
        """The submitted form, or None when the body exceeded the size Flask accepts."""
        try:
            data = cards.posted_data()
            request.files  # noqa: B018 - parse the body now, inside the try
        except RequestEntityTooLarge:
            return None
        return form_cls(data)

    def _too_large(self, form_cls: type, fields: list[Field], record: dict[str, Any] | None
                   ) -> Response:  # fmt: skip
        """The card again, as it was, with a clear message: nothing of the upload arrived."""
        form = form_cls(None)
        cards.fill(
            form,
            record if record is not None else self._preset(fields),
            fields,
            self.c.gettext("no access"),
        )
        limit = human_size(self.c.runtime.max_file_size, self.c.locale())
        text = self.c.gettext(
            "The upload is too large: a file may have at most %(limit)s. Nothing was saved; "
            "choose a smaller file.",
            limit=limit,
        )
        return self._card(record, form, fields, status=413, loose=[text])

    def _preset(self, fields: Iterable[Field]) -> dict[str, Any]:
        """A new record's starting values: field defaults, the current user in a user field
        the user's row rule requires (a manager's own clients), then values given in the
        URL (``?client=5`` when adding a contact from a client's tab)."""
        fields = list(fields)
        preset: dict[str, Any] = {
            f.name: self._default_value(f) for f in fields if f.default is not None
        }
        me = self.c.user()
        users = {f.name for f in fields if f.type == "user"}
        # A user field stamped with the actor on create («Ответственный») shows them at once
        # (issue 21: a new invoice's responsible person), as the save would fill it.
        stamped = {f.name for f in fields if f.type == "user" and f.stamp is not None
                   and not f.stamp.get("when")}  # fmt: skip
        for name in (self._own_user_fields() & users) | stamped:
            if me.id is not None:
                preset[name], preset[name + "__title"] = me.id, me.name
        for f in fields:
            if f.name in request.args:
                preset[f.name] = request.args[f.name]
                if f.type in ("reference", "user"):
                    try:
                        preset[f.name + "__title"] = self._title_of(f, request.args[f.name])
                    except (NotFound, ValueError, PermissionDenied):
                        preset.pop(f.name)
        return preset

    def _default_value(self, field: Field) -> Any:
        """A field's default as the form shows it: a relative one (``"today"`` of a date)
        worked out by the field type, as the engine does on create (an order's date)."""
        try:
            return self.types.get(field.type).parse(field, field.default)
        except Exception:  # a type that cannot read its default: show it as written
            return field.default

    def _own_user_fields(self) -> set[str]:
        """User fields that a row rule of the current user ties to themselves."""
        access = self.access()
        if access.unrestricted:
            return set()
        return {
            rule["field"]
            for rules in access.row_rules
            for rule in rules
            if rule.get("op") == "eq" and rule.get("value") == "$user" and "." not in rule["field"]
        }

    def _after_save(self, record: dict[str, Any]) -> str:
        back = request.args.get("url")
        if back and back.startswith("/") and not back.startswith("//"):
            return back
        if "_continue_editing" in request.form:
            return url_for(".edit_view", id=record["id"])
        return url_for(".index_view")

    def _saved(self, record: dict[str, Any], created: bool) -> Response:
        if self._modal():
            return jsonify(ok=True, id=record["id"], title=self.card_title(record))
        text = "Record was successfully created." if created else "Record was successfully saved."
        flash(self.c.gettext(text), "success")
        return redirect(self._after_save(record))

    def _refused(self) -> str:
        return self.c.gettext(
            "You may not save the record with these values: it would no longer be among the "
            "records you may work with."
        )

    # -- routes -----------------------------------------------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        if not self.can("create"):
            abort(403)
        fields, form_cls = self._form_parts()
        if request.method == "GET":
            form = form_cls(None)
            cards.fill(form, self._preset(fields), fields, self.c.gettext("no access"))
            return self._card(None, form, fields)
        form = self._posted_form(form_cls)
        if form is None:
            return self._too_large(form_cls, fields, None)
        loose: list[str] = []
        duplicates = None
        if form.validate():
            values = cards.submitted_values(form, fields)
            try:
                # Existing records with the same name, phone...: saved only once confirmed.
                duplicates = self.duplicate_warning(values, None, fields)
                if duplicates is None or duplicates.confirmed:
                    record = self.save_card(None, values, None)
                    return self._saved(record, created=True)
            except ValidationError as exc:
                loose = cards.show_errors(form, exc.messages)
            except PermissionDenied:
                loose = [self._refused()]
            except DatabaseBusy:
                return self._busy(None, form, fields)
        return self._card(None, form, fields, status=self._error_status(), loose=loose,
                          reupload=cards.uploaded(fields), duplicates=duplicates)  # fmt: skip

    def _busy(self, record: dict[str, Any] | None, form: Any, fields: list[Field]) -> Any:
        """The card again with everything typed, when the database stayed locked through the
        retries (issue 13): 503 with Retry-After, nothing was written."""
        text = self.c.gettext("The database is busy, try again.")
        response = self._card(record, form, fields, status=503, loose=[text],
                              reupload=cards.uploaded(fields))  # fmt: skip
        response.headers["Retry-After"] = "1"
        return response

    def _error_status(self) -> int:
        # A full page answers 200 like any form page; the modal's script needs to know.
        return 422 if self._modal() else 200

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        record_id = arg_id()
        if record_id is None:
            abort(404)
        record = self.get_one(record_id)
        fields, form_cls = self._form_parts()
        # Fields this user may not change on this record (``changed_by``, S16: the assignee
        # does not confirm their own task) show as values, and a posted value is not taken.
        locked = set()
        if record is not None:
            locked = changerights.unchangeable_fields(self.records(), record_id)
            fields = [f for f in fields if f.name not in locked]
        if request.method == "GET":
            if record is None:
                abort(404)  # absent, or outside the user's rows: the same answer
            form = _without(form_cls(None), locked)
            cards.fill(form, record, fields, self.c.gettext("no access"))
            return self._card(record, form, fields)
        if not self.can("update"):
            abort(403)
        form = self._posted_form(form_cls)
        if form is None:
            if record is None:
                abort(404)
            return self._too_large(form_cls, fields, record)
        form = _without(form, locked)
        if not form.validate():
            if record is None:
                abort(404)
            return self._card(record, form, fields, status=self._error_status())
        loose: list[str] = []
        conflict = duplicates = None
        if record is None:  # deleted (or taken out of the user's rows) while they edited
            conflict = Conflict([], gone=True)
        else:
            version = form[cards.VERSION_FIELD].data
            values = cards.submitted_values(form, fields)
            try:
                duplicates = self.duplicate_warning(values, record, fields)
                if duplicates is not None and not duplicates.confirmed:
                    return self._card(
                        record, form, fields, status=self._error_status(),
                        reupload=cards.uploaded(fields), duplicates=duplicates,
                    )  # fmt: skip
                saved = self.save_card(record_id, values, as_int(version, 0) if version else None)
            except ValidationError as exc:
                loose = cards.show_errors(form, exc.messages)
            except ConflictError as exc:
                conflict = self._explain(form, fields, exc.current)
                record = exc.current
            except NotFound:
                conflict, record = Conflict([], gone=True), None
            except PermissionDenied:
                loose = [self._refused()]
            except DatabaseBusy:
                return self._busy(record, form, fields)
            else:
                return self._saved(saved, created=False)
        status = 409 if conflict is not None else self._error_status()
        return self._card(record, form, fields, status=status, loose=loose, conflict=conflict,
                          reupload=cards.uploaded(fields), duplicates=duplicates)  # fmt: skip

    def _explain(self, form: Any, fields: list[Field], current: Any) -> Conflict:
        titles = self._titles(form, fields)
        locale, yes_no = self.c.locale(), self._yes_no()
        return explain_conflict(
            form, fields, current, label=self.label, text=self.text,
            mine=lambda f, text: mine_text(f, text, titles.get(f.name), self.types, locale,
                                           yes_no),
        )  # fmt: skip

    @expose("/delete/", methods=("POST",))
    def delete_view(self) -> Any:
        check_csrf()  # first, from the form or the X-CSRFToken header; names the problem
        if not self.can("delete"):
            abort(403)
        record_id = form_id()
        if record_id is None:
            abort(404)
        try:
            self.records().delete(record_id)
        except NotFound:
            abort(404)
        except (ValidationError, ConflictError, DatabaseBusy) as exc:
            text = (
                self.c.gettext("The database is busy, try again.")
                if isinstance(exc, DatabaseBusy)
                else self.c.error_text(exc, self.table)
            )
            if self._modal():
                return jsonify(ok=False, error=text), 409
            flash(text, "danger")
            return redirect(url_for(".edit_view", id=record_id))
        if self._modal():
            return jsonify(ok=True, id=record_id)
        flash(self.c.gettext("Record was successfully deleted."), "success")
        return redirect(self._after_save({"id": record_id}))

    @expose("/children/<tab>/")
    def children(self, tab: str) -> Any:
        """One child tab of a card, rendered again (after the modal dialog saved a child),
        or its next rows (``after=<cursor>``: the tab's "show more")."""
        record = self.get_one(arg_id() or 0)
        if record is None:
            abort(404)
        try:
            found = child_tab(self, tab, record, request.args.get("after") or None)
        except ValidationError:
            abort(400)  # a cursor of another order, or mangled
        if found is None:
            abort(404)
        return self.render("uchet/card_children.html", view=self, ch=found)


def _without(form: Any, names: set[str]) -> Any:
    """``form`` less the inputs of ``names`` (fields the user may not change here)."""
    for name in names:
        if name in form:
            del form[name]
    return form
