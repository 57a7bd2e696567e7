"""The visual card designer (issue 15): a table's card, with a real record's data, that
holders of the ``configure`` right rearrange by dragging (SortableJS) or from the keyboard.

* ``GET /-/designer/<table>`` the page: the palette (fields not placed yet, new section,
  tab, child tab, text and heading blocks) and the canvas, the card drawn by the card's own
  layout model and field macros; ``?record=`` chooses the record, ``?role=`` edits a role's
  layout (``role_layouts``) instead of the one for everyone.
* ``POST .../op`` applies one operation (:mod:`uchet.formdesigner.designops`) to the layout
  the page holds, checks the result and answers JSON: the new layout, the canvas and palette
  drawn again, and the problems, each on its element. The page keeps the layouts it got as
  its undo/redo stack; undo and redo send the state back to be checked and drawn again.
* ``POST .../save`` writes the layout as ONE revision of the database overlay (the whole
  form, as the structure editor writes forms), with the comment; a save whose base revision
  is no longer the latest is refused with what changed. History, diff and revert are the
  structure editor's.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_admin import Admin, expose
from flask_babel import LazyString
from werkzeug.wrappers import Response

from uchet.configurations.overlay_diff import EMPTY_DOCUMENT
from uchet.configurations.revisions import NothingToSave, StaleRevision
from uchet.formdesigner import designops
from uchet.formdesigner import layout as L
from uchet.formdesigner.model import card_layout, form_document
from uchet.formdesigner.render import ChildList, child_list
from uchet.formdesigner.views import ConfigureOnly
from uchet.platform.model.config import Field, Table, thaw
from uchet.platform.model.errors import ConfigError, MigrationError, NotFound, PermissionDenied
from uchet.web import forms as cards
from uchet.web.display import display_html
from uchet.web.widgets import WidgetContext


class CanvasScreen:
    """The table's own view as the card's macros see it, with its URLs made absolute: the
    canvas is drawn on the designer's page, where ``.download`` names nothing."""

    def __init__(self, view: Any):
        self._view = view

    def __getattr__(self, name: str) -> Any:
        return getattr(self._view, name)

    def file_url(self, record_id: Any, field: str) -> str:
        return url_for(f"{self._view.endpoint}.download", record_id=record_id, field=field)

    def cell(self, field: Field, row: dict[str, Any]) -> Any:
        v = self._view
        return display_html(field, row, v.types, v.c.locale(), self.file_url, v._yes_no(),
                            v._no_access())  # fmt: skip


class DesignerView(ConfigureOnly):
    """The card designer of each table (not in the menu: reached from the card)."""

    def is_visible(self) -> bool:
        return False

    # -- the pieces ------------------------------------------------------------------------
    def table_view(self, table: Table) -> Any:
        for v in self.admin._views:
            if getattr(v, "table", None) is table:
                return v
        abort(404)

    def form_doc(self, table: Table) -> dict[str, Any]:
        """The effective form of ``table`` (a new one laid out two fields a row if none)."""
        doc = form_document(self.c.config.forms, table)
        if doc is not None:
            return thaw(doc.data)
        ids = [f.id for f in table.fields if not f.hidden]
        rows = [ids[i : i + 2] for i in range(0, len(ids), 2)]
        label = thaw(table.item_label or table.label)
        return {"id": f"form_{table.id}", "table": table.id,
                "layout": [{"id": "tab_main", "label": label,
                            "sections": [{"id": "sec_main", "rows": rows}]}]}  # fmt: skip

    def layout_of(self, form: dict[str, Any], role: str) -> list[dict[str, Any]]:
        """The layout the designer edits: a role's (a copy of the default until it has one)
        or the one for everyone."""
        if role and role in form.get("role_layouts", {}):
            return list(form["role_layouts"][role])
        return list(form.get("layout", []))

    def _role(self) -> str:
        role = str(request.values.get("role", "") or "")
        if role and role not in {r.id for r in self.c.config.roles}:
            abort(404)
        return role

    def problems(self, table: Table, tabs: list[dict[str, Any]]) -> list[dict[str, str]]:
        refs = [f.id for _t, f in self.c.config.children_of(table.id)]
        found = L.check(tabs, [f.id for f in table.fields], [r.id for r in self.c.config.roles],
                        refs)  # fmt: skip
        return [self.problem(p) for p in found]

    def problem(self, p: L.LayoutError) -> dict[str, str]:
        return {"element": p.element, "message": self.c.gettext(p.msgid, **p.params)}

    def record(self, table: Table, view: Any, record_id: Any) -> dict[str, Any] | None:
        """The record whose data fills the canvas: the chosen one, else the first."""
        records = self.c.records(table.id)
        try:
            if record_id:
                return dict(records.get(int(record_id)))
            rows = records.query(limit=1).rows
            return dict(records.get(rows[0]["id"])) if rows else None
        except (NotFound, PermissionDenied, ValueError):
            return None

    def choices(self, table: Table) -> list[tuple[Any, str]]:
        """Records to choose from (the first 50 by the list's order)."""
        title = table.field_by_id(table.title_field).name if table.title_field else None
        try:
            rows = self.c.records(table.id).query(limit=50).rows
        except PermissionDenied:
            return []
        return [(r["id"], str(r.get(title) or f"#{r['id']}") if title else f"#{r['id']}")
                for r in rows]  # fmt: skip

    def canvas(self, table: Table, tabs: list[dict[str, Any]], record: dict[str, Any] | None,
               problems: list[dict[str, str]]) -> str:  # fmt: skip
        """The card drawn with ``tabs`` by the card's layout model and field macros."""
        view = self.table_view(table)
        fields = cards.editable_fields(table, view.types, None)
        wctx = WidgetContext(locale=self.c.locale(),
                             lookup_url=lambda name: url_for(f"{view.endpoint}.lookup",
                                                             field=name),
                             max_file_size=self.c.runtime.max_file_size)  # fmt: skip
        form = cards.form_class(table, fields, view.types, wctx)(None)
        if record is not None:
            cards.fill(form, record, fields, self.c.gettext("no access"))
        shown = {f.name for f in table.fields}
        screen = CanvasScreen(view)

        def children(tab_id: str, ref_field_id: str) -> ChildList | None:
            # The real card's child list (rights applied), of the record on the canvas.
            return None if record is None else child_list(screen, tab_id, ref_field_id, record)

        card_tabs = card_layout(self.c, table, None, shown, existing=False, draft=tabs,
                                designing=True, children=children)  # fmt: skip
        refs = {f.id: (t, f) for t, f in self.c.config.children_of(table.id)}
        by_element: dict[str, list[str]] = {}
        for p in problems:
            by_element.setdefault(p["element"], []).append(p["message"])
        return render_template(
            "uchet/designer_canvas.html", view=screen, form=form, record=record,
            fields=fields, card_tabs=card_tabs, tabs_doc=tabs, fixed={}, conflict=None,
            loose=[], reupload=set(), duplicates=None, refs=refs, problems=by_element,
            role_labels=self.role_labels(),
            _t=self.c.gettext, uchet=self.c,
        )  # fmt: skip

    def role_labels(self) -> dict[str, str]:
        return {r.id: self.c.label(r.data.get("label") or {}, r.id) for r in self.c.config.roles}

    def palette(self, table: Table, tabs: list[dict[str, Any]]) -> list[Field]:
        placed = set(L.placed_fields(tabs))
        return [f for f in table.fields if not f.hidden and f.id not in placed]

    def child_choices(self, table: Table, tabs: list[dict[str, Any]]) -> list[tuple[str, str]]:
        used = {t.get("children") for t in tabs}
        return [(f.id, self.c.table_label(t)) for t, f in self.c.config.children_of(table.id)
                if f.id not in used and not t.hidden]  # fmt: skip

    # -- routes ----------------------------------------------------------------------------
    @expose("/")
    def index(self) -> Any:
        """No table chosen: the structure editor's list of tables."""
        return redirect(url_for("uchet_structure.index"))

    @expose("/<table_id>")
    def designer(self, table_id: str) -> Any:
        table = self._table(table_id)
        role = self._role()
        form = self.form_doc(table)
        tabs = self.layout_of(form, role)
        view = self.table_view(table)
        record = self.record(table, view, request.args.get("record"))
        problems = self.problems(table, tabs)
        return self.render(
            "uchet/designer.html", table=table, tabs=tabs, role=role,
            roles=self.c.config.roles, record=record, records=self.choices(table),
            canvas=self.canvas(table, tabs, record, problems), problems=problems,
            palette=self.palette(table, tabs), children=self.child_choices(table, tabs),
            base=self.base_revision(), has_role_layout=bool(role and role in
                                                            form.get("role_layouts", {})),
            card_url=url_for(f"{view.endpoint}.edit_view", id=record["id"]) if record
            else url_for(f"{view.endpoint}.index_view"),
            add_field_url=url_for("uchet_structure.table_view", table_id=table.id,
                                  back=request.full_path.rstrip("?")),
        )  # fmt: skip

    @expose("/<table_id>/op", methods=("POST",))
    def op(self, table_id: str) -> Response:
        table = self._table(table_id)
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("layout"), list):
            return self._refused(self.c.gettext("The request is incomplete."))
        tabs = body["layout"]
        error = None
        try:
            tabs = designops.apply(tabs, str(body.get("op") or "show"), body.get("args") or {})
        except L.LayoutError as exc:
            error = self.problem(exc)
        except (KeyError, TypeError, AttributeError):
            return self._refused(self.c.gettext("The layout sent is not a form layout."))
        try:
            problems = self.problems(table, tabs)
            view = self.table_view(table)
            record = self.record(table, view, body.get("record"))
            canvas = self.canvas(table, tabs, record, problems)
        except (KeyError, TypeError, AttributeError, ValueError):
            return self._refused(self.c.gettext("The layout sent is not a form layout."))
        palette = render_template("uchet/designer_palette.html", palette=self.palette(table, tabs),
                                  children=self.child_choices(table, tabs),
                                  _t=self.c.gettext, uchet=self.c)  # fmt: skip
        return jsonify(ok=error is None, layout=tabs, canvas=canvas, palette=palette,
                       problems=problems, error=error)  # fmt: skip

    @expose("/<table_id>/save", methods=("POST",))
    def save(self, table_id: str) -> Response:
        table = self._table(table_id)
        t = self.c.gettext
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("layout"), list):
            return self._refused(t("The request is incomplete."))
        role = str(body.get("role") or "")
        if role and role not in {r.id for r in self.c.config.roles}:
            return self._refused(t("There is no role %(role)s.", role=role))
        tabs = body["layout"]
        # «Применить мои изменения к новой версии» after a stale refusal: the same layout,
        # now on the revision the refusal named. A layout is a whole document, so re-applying
        # it is replacing the form's layout on the new base, checked against that base.
        rebase = body.get("rebase") is True
        base = body.get("base")
        base = int(base) if isinstance(base, int | str) and str(base).isdigit() else None
        latest = self.overlay.latest()
        if not rebase and (latest.number if latest else 0) != (base or 0):
            # Stale first: the layout's problems would be those of a version the user has
            # not seen; re-applying checks it against that version and names them.
            old = self.overlay.get(base).overlay if base else EMPTY_DOCUMENT
            changes = self.overlay.describe(old, self.overlay.document(latest))
            return self._refused(t("Someone changed the structure meanwhile: %(changes)s",
                                   changes="; ".join(changes)),
                                 stale=True, latest=latest.number if latest else 0)  # fmt: skip
        problems = self.problems(table, tabs)
        if problems:
            message = (t("Your layout does not fit the new version: %(problems)s",
                         problems="; ".join(p["message"] for p in problems)) if rebase
                       else t("The layout has errors; nothing was saved."))  # fmt: skip
            return jsonify(ok=False, problems=problems, message=message)
        form = self.form_doc(table)
        if role:
            form.setdefault("role_layouts", {})[role] = tabs
        else:
            form["layout"] = tabs
        doc = copy.deepcopy(self.overlay.document())
        doc["forms"] = [*(f for f in doc.get("forms", ()) if f["id"] != form["id"]), form]
        comment = str(body.get("comment") or "").strip() or t("Card layout")
        try:
            rev = self.overlay.save(doc, base_revision=base, user=self.c.user(),
                                    comment=comment)  # fmt: skip
        except StaleRevision as exc:
            # The page offers to re-apply this layout on revision ``latest`` (see above).
            return self._refused(t("Someone changed the structure meanwhile: %(changes)s",
                                   changes="; ".join(exc.changes)),
                                 stale=True, latest=exc.current or 0)  # fmt: skip
        except NothingToSave:
            return self._refused(t("Nothing changed."))
        except ConfigError as exc:
            listed = "; ".join(str(i) for i in exc.issues)
            if rebase:
                return self._refused(t("Your layout does not fit the new version: %(problems)s",
                                       problems=listed))  # fmt: skip
            return self._refused(t("The configuration check failed: %(problem)s",
                                   problem=listed))  # fmt: skip
        except MigrationError as exc:
            return self._refused(t("Nothing was saved: %(problem)s", problem=str(exc)))
        return jsonify(ok=True, revision=rev.number,
                       message=t("Saved as revision %(number)s.", number=rev.number),
                       history_url=url_for("uchet_structure_history.index"))  # fmt: skip

    def _refused(self, message: str, **extra: Any) -> Response:
        response = jsonify(ok=False, message=message, problems=[], **extra)
        response.status_code = 400
        return response


def add_views(admin: Admin, c: Any) -> None:
    """Register the card designer (reached by «Настроить форму» on cards)."""
    admin.add_view(DesignerView(c, LazyString(lambda: c.gettext("Form designer")),
                                "uchet_designer", "/-/designer"))  # fmt: skip
