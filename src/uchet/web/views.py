"""The generated Flask-Admin view of one table (no per-table Python).

:class:`TableView` is a Flask-Admin ``BaseModelView`` whose backend is the record service:
lists, cards, lookups, filter values and downloads all read and write through it, so table,
field and row permissions hold on every path (ARCHITECTURE rule 5). A record the user may not
see is "not found" (404), never "forbidden": its existence is not revealed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from flask import abort, flash, g, jsonify, redirect, request, send_file, url_for
from flask_admin.base import expose
from flask_admin.form import SecureForm
from flask_admin.model import BaseModelView
from flask_babel import LazyString
from flask_login import current_user
from werkzeug.wrappers import Response

from uchet.platform.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from uchet.platform.model import Field, Table
from uchet.platform.query import Filter
from uchet.web import forms as cards
from uchet.web.cardlayout import card_layout
from uchet.web.context import WebContext, ctx, here
from uchet.web.display import display_html, display_text
from uchet.web.listpage import ListPage
from uchet.web.widgets import WidgetContext


class TranslatedRender:
    """Flask-Admin's templates translate through ``_gettext``: route it through the
    configuration's translations first (S43), then uchet's and Flask-Admin's catalogs."""

    def render(self, template: str, **kwargs: Any) -> str:
        c = ctx()
        self._template_args.update(  # type: ignore[attr-defined]
            _gettext=lambda s, **kw: c.gettext(s, **kw)
        )
        return super().render(template, **kwargs)  # type: ignore[misc,no-any-return]


class TableView(TranslatedRender, BaseModelView):
    """Screens of one configuration table: list, card (create/edit), delete, lookups."""

    list_template = "uchet/list.html"
    create_template = "uchet/card.html"
    edit_template = "uchet/card.html"
    can_view_details = False
    form_base_class = SecureForm

    def __init__(self, c: WebContext, table: Table, category: str | None = None):
        self.c, self.table = c, table
        self.types = c.runtime.types
        name = LazyString(lambda: c.table_label(table))
        super().__init__(table, name=name, category=category,  # type: ignore[arg-type]
                         endpoint=f"t_{table.name}", url=f"/{table.name}")  # fmt: skip

    # -- Flask-Admin's scaffolding: the record service is the backend ----------------------
    def get_pk_value(self, model: Any) -> Any:
        return model["id"]

    def scaffold_list_columns(self) -> list[str]:
        return [f.name for f in self.table.fields]

    def scaffold_sortable_columns(self) -> dict[str, str]:
        return {f.name: f.name for f in self.table.fields}

    def init_search(self) -> bool:
        return bool(self.table.search_fields)

    def scaffold_filters(self, name: str) -> None:
        return None

    def scaffold_form(self) -> Any:
        # Flask-Admin wants a form class at start-up; cards build their own per user.
        fields = cards.editable_fields(self.table, self.types, None)
        return cards.form_class(self.table, fields, self.types, WidgetContext("en", str))

    def get_list(self, page: Any, sort_field: Any, sort_desc: Any, search: Any, filters: Any,
                 execute: bool = True, page_size: Any = None) -> tuple[int, list[Any]]:  # fmt: skip
        sort = [("-" if sort_desc else "") + sort_field] if sort_field else []
        result = self.records().query(
            sort=sort, search=search or None, limit=page_size or self.table.page_size,
            offset=(page or 0) * (page_size or self.table.page_size),
        )  # fmt: skip
        return result.total or 0, result.rows

    def get_one(self, id: Any) -> Any:
        try:
            return self.records().get(int(id))
        except (NotFound, ValueError):
            return None

    # -- access ------------------------------------------------------------------------------
    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated) and self.access().can("read")

    def is_visible(self) -> bool:
        return not self.table.hidden

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=here()))
        abort(403)

    def access(self) -> Any:
        return self.c.access(self.table.id)

    def records(self, table_id: str | None = None) -> Any:
        return self.c.records(table_id or self.table.id)

    def can(self, action: str) -> bool:
        return self.access().can(action)

    # -- helpers for templates --------------------------------------------------------------
    def _wctx(self, locale: str | None = None) -> WidgetContext:
        return WidgetContext(
            locale=locale or self.c.locale(),
            lookup_url=lambda name: url_for(".lookup", field=name),
        )

    def file_url(self, record_id: Any, field: str) -> str:
        return url_for(".download", record_id=record_id, field=field)

    def cell(self, field: Field, row: dict[str, Any]) -> Any:
        return display_html(field, row, self.types, self.c.locale(), self.file_url,
                            self._yes_no())  # fmt: skip

    def text(self, field: Field, row: dict[str, Any]) -> str:
        return display_text(field, row, self.types, self.c.locale(), self._yes_no())

    def _yes_no(self) -> tuple[str, str]:
        # Asked for every cell of a list page: translate once per request.
        found = g.get("uchet_yes_no")
        if found is None:
            found = g.uchet_yes_no = (self.c.gettext("Yes"), self.c.gettext("No"))
        return found  # type: ignore[no-any-return]

    def label(self, field: Field) -> str:
        return self.c.label(field.label, field.name)

    def page_can_read(self, field: Field) -> bool:
        access = self.access()
        return access.unrestricted or field.name in access.readable()

    def layout(self, record: dict[str, Any] | None) -> list[Any]:
        return card_layout(self, record)

    def card_title(self, record: dict[str, Any] | None) -> str:
        item = self.c.label(self.table.item_label or self.table.label, self.table.name)
        if record is None:
            return f"{item}: {self.c.gettext('New')}"
        title_id = self.table.title_field
        title = record.get(self.table.field_by_id(title_id).name) if title_id else None
        return f"{item}: {title or '#' + str(record['id'])}"

    # -- list ------------------------------------------------------------------------------
    @expose("/")
    def index_view(self) -> Any:
        try:
            page = ListPage(self, request.args)
        except (ValidationError, PermissionDenied) as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".index_view"))
        return self.render(self.list_template, page=page, view=self)

    @expose("/values/<field>/")
    def values(self, field: str) -> Response:
        """Distinct values (with titles and counts) a column header filter offers (S06)."""
        try:
            found = self.records().distinct_values(
                field, search_prefix=request.args.get("q") or None, limit=200
            )
        except (ValidationError, PermissionDenied, KeyError) as exc:
            return jsonify(error=str(exc)), 400  # type: ignore[return-value]
        f = self.table.field_by_name(field) if self.table.has_field(field) else None
        items = []
        for v in found:
            title = v.title
            if title is None and f is not None and v.value is not None:
                title = self.text(f, {f.name: v.value})
            items.append(
                {
                    "value": "" if v.value is None else str(v.value),
                    "title": title if v.value is not None else "—",
                    "count": v.count,
                }
            )
        return jsonify(items=items)

    # -- card ------------------------------------------------------------------------------
    def _form_parts(self) -> tuple[list[Field], type]:
        access = self.access()
        writable = None if access.unrestricted else access.writable()
        fields = cards.editable_fields(self.table, self.types, writable)
        return fields, cards.form_class(self.table, fields, self.types, self._wctx())

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        if not self.can("create"):
            abort(403)
        fields, form_cls = self._form_parts()
        form = form_cls(request.form if request.method == "POST" else None)
        loose: list[str] = []
        if request.method == "GET":
            cards.fill(form, self._preset(fields), fields)
        elif form.validate():
            try:
                record = self.records().create(cards.submitted_values(form, fields))
            except ValidationError as exc:
                loose = cards.show_errors(form, exc.messages)
            else:
                flash(self.c.gettext("Record was successfully created."), "success")
                return redirect(self._after_save(record))
        cards.keep_lookup_titles(form, self._titles(form, fields))
        return self.render(self.create_template, view=self, form=form, record=None,
                           fields=fields, loose=loose, conflict=None)  # fmt: skip

    def _preset(self, fields: Iterable[Field]) -> dict[str, Any]:
        """Values given in the URL (``?client=5`` when adding a contact from a client's tab)."""
        preset: dict[str, Any] = {}
        for f in fields:
            if f.name in request.args:
                preset[f.name] = request.args[f.name]
                if f.type in ("reference", "user"):
                    try:
                        preset[f.name + "__title"] = self._title_of(f, request.args[f.name])
                    except (NotFound, ValueError):
                        preset.pop(f.name)
        return preset

    def _title_of(self, f: Field, value: Any) -> str:
        if f.type == "user":
            user = self.c.platform.users.get(int(value))
            if user is None:
                raise NotFound(f"user #{value}")
            return user.name
        target = self.c.runtime.table(f.target or "").table
        row = self.records(target.id).get(int(value))
        title_field = target.title_field
        return str(row.get(target.field_by_id(title_field).name) if title_field else row["id"])

    def _titles(self, form: Any, fields: list[Field]) -> dict[str, str]:
        titles = {}
        for f in fields:
            if f.type in ("reference", "user") and form[f.name].data:
                with contextlib.suppress(NotFound, ValueError, PermissionDenied):
                    titles[f.name] = self._title_of(f, form[f.name].data)
        return titles

    def _after_save(self, record: dict[str, Any]) -> str:
        back = request.args.get("url")
        if back and back.startswith("/") and not back.startswith("//"):
            return back
        if "_continue_editing" in request.form:
            return url_for(".edit_view", id=record["id"])
        return url_for(".index_view")

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        record_id = request.args.get("id", type=int)
        if record_id is None:
            abort(404)
        record = self.get_one(record_id)
        if record is None:
            abort(404)  # absent, or outside the user's rows: the same answer
        fields, form_cls = self._form_parts()
        form = form_cls(request.form if request.method == "POST" else None)
        loose: list[str] = []
        conflict = None
        if request.method == "GET":
            cards.fill(form, record, fields)
        elif not self.can("update"):
            abort(403)
        elif form.validate():
            version = form[cards.VERSION_FIELD].data
            try:
                saved = self.records().update(
                    record_id, cards.submitted_values(form, fields),
                    version=int(version) if version and version.isdigit() else None,
                )  # fmt: skip
            except ValidationError as exc:
                loose = cards.show_errors(form, exc.messages)
            except ConflictError as exc:
                conflict = self._conflict(exc, form, fields, record)
                record = exc.current or record
            except NotFound:
                abort(404)
            else:
                flash(self.c.gettext("Record was successfully saved."), "success")
                return redirect(self._after_save(saved))
        cards.keep_lookup_titles(form, self._titles(form, fields))
        return self.render(self.edit_template, view=self, form=form, record=record,
                           fields=fields, loose=loose, conflict=conflict)  # fmt: skip

    def _conflict(self, exc: ConflictError, form: Any, fields: list[Field],
                  started: dict[str, Any]) -> list[tuple[str, str, str]]:  # fmt: skip
        """What changed meanwhile: (label, value the user started from, current value).

        The form keeps the user's input; its version moves to the current one, so saving
        again is a deliberate overwrite of what they have now seen."""
        current = self.get_one(started["id"]) or {}
        changed = []
        for f in self.table.fields:
            before, now = started.get(f.name), current.get(f.name)
            if before != now:
                changed.append((self.label(f), self.text(f, started), self.text(f, current)))
        form[cards.VERSION_FIELD].data = current.get("version")
        return changed

    @expose("/delete/", methods=("POST",))
    def delete_view(self) -> Any:
        form = self.delete_form()
        if not self.can("delete") or not form.validate():
            abort(403 if form.validate() else 400)
        record_id = request.form.get("id", type=int)
        try:
            self.records().delete(record_id)
        except NotFound:
            abort(404)
        except ValidationError as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".edit_view", id=record_id))
        flash(self.c.gettext("Record was successfully deleted."), "success")
        return redirect(url_for(".index_view"))

    # -- ajax and files ---------------------------------------------------------------------
    @expose("/lookup/<field>/")
    def lookup(self, field: str) -> Response:
        """Records a reference field may point to, by prefix of their title (select2 ajax)."""
        if not self.table.has_field(field):
            abort(404)
        f = self.table.field_by_name(field)
        if f.type == "user":
            return self._user_lookup()
        if f.type != "reference" or not f.target:
            abort(404)
        target = self.c.runtime.table(f.target).table
        if not target.title_field:
            abort(404)
        title = target.field_by_id(target.title_field).name
        service = self.records(target.id)
        text = request.args.get("q", "").strip()
        filters = [Filter(title, "startswith", text)] if text else []
        try:
            rows = service.query(filters=filters, columns=[title], sort=[title], limit=20,
                                 count=False).rows  # fmt: skip
        except PermissionDenied:
            abort(403)
        return jsonify(results=[{"id": str(r["id"]), "text": str(r[title])} for r in rows])

    def _user_lookup(self) -> Response:
        text = request.args.get("q", "").strip().casefold()
        users = [u for u in self.c.platform.users.all()
                 if not text or u.name.casefold().startswith(text)
                 or u.login.casefold().startswith(text)]  # fmt: skip
        return jsonify(results=[{"id": str(u.id), "text": u.name} for u in users[:20]])

    @expose("/file/<int:record_id>/<field>")
    def download(self, record_id: int, field: str) -> Any:
        """A stored file of a record the user may read (404 otherwise)."""
        try:
            found = self.records().file(record_id, field)
        except (NotFound, KeyError):
            abort(404)
        if found is None:
            abort(404)
        name, content_type, data = found
        import io

        inline = content_type.startswith("image/") and content_type != "image/svg+xml"
        return send_file(io.BytesIO(data), mimetype=content_type, download_name=name,
                         as_attachment=not inline)  # fmt: skip
