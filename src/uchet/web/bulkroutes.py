"""The list screen's bulk actions (issue 21, point 4), mixed into
:class:`uchet.web.views.TableView` next to :class:`~uchet.web.listroutes.ListRoutes`:

* ``bulk/`` (POST, CSRF) — the bulk bar's form. The selection is the ticked rows
  (``ids``: ``id:version`` pairs, kept by ``static/uchet/bulk.js`` across pages) or, with
  ``all=1``, everything the list's filter and search (``state``) match: that is evaluated
  again here through the record service, under the user's row rules. Print and export
  entries go on to the existing mass print and export routes with the selection as an
  ``f.id`` filter. A record action first shows a confirmation page — how many records it
  will touch, and for "change a field" the fields the user may edit with a value input of
  the field's type; confirmed, it runs here one record at a time, or beyond
  ``bulk_job_rows`` records (a web setting, default :data:`JOB_ROWS`) as a background job.
* ``bulk/job/<id>/`` — a queued action's progress (the page reloads itself) and, once done,
  its outcome: what was done and every skipped record with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, request, url_for
from flask_admin.base import expose
from werkzeug.datastructures import MultiDict

from uchet.platform.features.bulk_jobs import bulk_job, enqueue_bulk
from uchet.platform.model.config import Field, label_text
from uchet.platform.model.errors import PermissionDenied, UchetError, ValidationError
from uchet.platform.model.numbers import as_id, as_int
from uchet.platform.query.filters import Filter
from uchet.platform.records.bulk_actions import (
    ACTIONS,
    BulkAction,
    Outcome,
    Selection,
    count,
    editable_fields,
    resolve,
    run_action,
)
from uchet.web.auth import check_csrf
from uchet.web.bulkmenu import ACTION_LABELS, EXPORT, MAIL, PRINT, entry_label, pdf_available
from uchet.web.context import WebContext
from uchet.web.liststate import ListState

#: Records above which a confirmed action runs as a job, unless ``bulk_job_rows`` says.
JOB_ROWS = 200
#: Options listed in a reference field's value box at most.
REFERENCE_OPTIONS = 500
#: What each skip reason is called on the outcome page.
REASON_TEXTS = {
    "no_right": "no right",
    "row_rule": "outside your records",
    "not_found": "not found or not yours",
    "validation": "refused by a check",
    "stale": "changed by someone else meanwhile",
}
_INPUT_TYPES = {"date": "date", "datetime": "datetime-local", "integer": "number",
                "decimal": "number", "money": "number", "email": "email", "phone": "tel",
                "url": "url", "time": "time"}  # fmt: skip


@dataclass(frozen=True)
class ValueInput:
    """How the confirmation page asks for a field's new value."""

    kind: str  # "select", "textarea" or "input"
    input_type: str = "text"
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False


class BulkRoutes:
    """The bulk bar's form, its confirmation, the run and the job page."""

    c: WebContext
    table: Any

    @expose("/bulk/", methods=("POST",))
    def bulk(self) -> Any:
        check_csrf()
        c, form = self.c, request.form
        name = form.get("action", "")
        try:
            selection = self._bulk_selection()
        except ValidationError as exc:
            flash(c.error_text(exc, self.table), "danger")
            return redirect(self._bulk_list_url())
        reader = name.startswith((PRINT, EXPORT, MAIL))
        action: BulkAction | None = None
        if not reader:
            try:
                action = ACTIONS.get(name)
            except KeyError:
                flash(c.gettext("Choose an action."), "danger")
                return redirect(self._bulk_list_url())
            if not c.access(self.table.id).can(action.right):
                abort(403)
        service = self._bulk_service()
        try:
            total = count(service, selection)
        except UchetError as exc:  # a filter the engine refuses, or no right to read
            flash(c.error_text(exc, self.table), "danger")
            return redirect(self._bulk_list_url())
        if not total:
            flash(c.gettext("Nothing is selected."), "warning")
            return redirect(self._bulk_list_url())
        if action is None:
            # Print and export read: after the count is confirmed, their own routes (rights
            # and limits apply there) with the selection as a filter.
            url = self._bulk_reader_url(name, selection)
            if form.get("confirm"):
                return redirect(url)
            return self._bulk_reader_page(name, total, selection, url)
        error = None
        if form.get("confirm"):
            try:
                params = action.check(service, self._bulk_params())
                targets = resolve(service, selection)
            except (ValidationError, PermissionDenied) as exc:
                error = c.error_text(exc, self.table)
            else:
                limit = as_int(str(c.settings.extra.get("bulk_job_rows", JOB_ROWS)), 0) or JOB_ROWS
                if len(targets) > limit:
                    job = enqueue_bulk(c.runtime, self.table.id, c.user(), action.name,
                                       params, selection, c.locale())  # fmt: skip
                    return redirect(url_for(".bulk_job_view", job=job, back=self._bulk_state()))
                outcome = run_action(service, action, targets, params)
                return self._bulk_outcome_page(action.name, outcome, "done", None)
        return self._bulk_confirm_page(action, total, selection, error)

    @expose("/bulk/job/<int:job>/")
    def bulk_job_view(self, job: int) -> Any:
        """A queued bulk action: progress while it runs, then its outcome."""
        c = self.c
        state = bulk_job(c.runtime, job, self.table.id, c.user())
        if state is None:
            abort(404)
        outcome = state["outcome"] or Outcome()
        return self._bulk_outcome_page(state["action"] or "", outcome, state["status"], state)

    # -- the selection ---------------------------------------------------------------------
    def _bulk_service(self, table_id: str | None = None) -> Any:
        """The record service of ``table_id`` (this table) as the current user."""
        return self.c.records(table_id or self.table.id)

    def _bulk_state(self) -> str:
        return request.values.get("state") or request.values.get("back") or ""

    def _bulk_list_url(self) -> str:
        state = self._bulk_state()
        return url_for(".index_view") + ("?" + state if state else "")

    def _bulk_selection(self) -> Selection:
        """The ticked ``id:version`` pairs, or (``all``) the list state's filter and search."""
        if request.form.get("all"):
            state = ListState.from_args(MultiDict(parse_qsl(self._bulk_state())))
            id_fields = {f.name for f in self.table.fields if f.type in ("reference", "user")}
            return Selection(filters=tuple(state.query_filters(id_fields)),
                             search=state.search or None)  # fmt: skip
        ids: list[int] = []
        versions: dict[int, int] = {}
        for part in request.form.get("ids", "").split(","):
            if not part.strip():
                continue
            raw_id, _, raw_version = part.strip().partition(":")
            record_id = as_id(raw_id)
            if record_id is None:
                raise ValidationError(
                    {"_ids": [self.c.gettext("The selection is damaged: select the rows again.")]}
                )
            ids.append(record_id)
            version = as_int(raw_version, 1) if raw_version else None
            if version is not None:
                versions[record_id] = version
        return Selection(ids=tuple(ids), versions=versions)

    def _bulk_reader_url(self, name: str, selection: Selection) -> str:
        """Print and export read the selection: their routes, with it as a filter."""
        state = ListState.from_args(MultiDict(parse_qsl(self._bulk_state())))
        args: list[tuple[str, str]] = [(k, v) for k, v in state.args()
                                       if k not in ("page", "after", "size", "view")]  # fmt: skip
        if selection.ids is not None:
            args = [(k, v) for k, v in args if k not in ("q",) and not k.startswith("f.")]
            args += [("f.id", str(i)) for i in selection.ids]
        if name.startswith(MAIL):
            # The new-mailing page takes the ticked ids, or the list's filter and search.
            if selection.ids is not None:
                args = [("ids", ",".join(str(i) for i in selection.ids))]
            return url_for("uchet_mailings.new", table=self.table.id) + "&" + urlencode(args)
        if name.startswith(PRINT):
            args.append(("mode", "merge"))
            return url_for("print_out.many", form_id=name[len(PRINT) :]) + "?" + urlencode(args)
        return url_for(".export", fmt=name[len(EXPORT) :]) + "?" + urlencode(args)

    def _bulk_params(self) -> dict[str, Any]:
        return {"field": request.form.get("field", ""), "value": request.form.get("value", "")}

    # -- pages ------------------------------------------------------------------------------
    def _bulk_confirm_page(self, action: BulkAction, total: int, selection: Selection,
                      error: str | None) -> Any:  # fmt: skip
        c, service = self.c, self._bulk_service()
        fields: list[Field] = []
        chosen: Field | None = None
        value_input = None
        if action.name == "set_field":
            names = editable_fields(service)
            fields = [self.table.field_by_name(n) for n in names]
            field = request.form.get("field", "")
            chosen = self.table.field_by_name(field) if field in names else None
            if chosen is None and fields:
                chosen = fields[0]
            value_input = self._bulk_value_input(chosen) if chosen else None
        label = ACTION_LABELS.get(action.name) or getattr(action, "label", action.name)
        return self.render(  # type: ignore[attr-defined]
            "uchet/bulk_confirm.html", view=self, action=action, action_label=c.gettext(str(label)),
            total=total, by_filter=selection.by_filter, fields=fields, chosen=chosen,
            value_input=value_input, value=request.form.get("value", ""), error=error,
            carry={"action": action.name, "ids": request.form.get("ids", ""),
                   "all": request.form.get("all", ""), "state": self._bulk_state()},
            back=self._bulk_list_url(), job_rows=JOB_ROWS,
        )  # fmt: skip

    def _bulk_reader_page(self, name: str, total: int, selection: Selection, url: str) -> Any:
        """The confirmation of a print or an export: how many records, and the way on."""
        c = self.c
        if name.startswith(PRINT):
            label = entry_label(c, self.table, name) or name
            go = c.gettext("Print %(n)s records", n=total)
        elif name.startswith(MAIL):
            label = entry_label(c, self.table, name) or name
            go = c.gettext("Write to %(n)s records", n=total)
        else:
            label = c.gettext("Export: %(format)s", format=name[len(EXPORT) :])
            go = c.gettext("Export %(n)s records", n=total)
        return self.render(  # type: ignore[attr-defined]
            "uchet/bulk_confirm.html", view=self, action=None, action_label=label,
            total=total, by_filter=selection.by_filter, reader_url=url, reader_text=go,
            error=None, carry={}, back=self._bulk_list_url(), job_rows=JOB_ROWS,
            # One PDF of the selection, made by a background job (issue 21, point 8).
            pdf_url=url.replace("mode=merge", "mode=pdf")
            if name.startswith(PRINT) and pdf_available() else None,
        )  # fmt: skip

    def _bulk_outcome_page(self, name: str, outcome: Outcome, status: str,
                      job: dict[str, Any] | None) -> Any:  # fmt: skip
        c = self.c
        titles = self._bulk_titles([s.record_id for s in outcome.skipped])
        skipped = [
            {"id": s.record_id, "title": titles.get(s.record_id),
             "reason": c.gettext(REASON_TEXTS.get(s.reason, s.reason)), "message": s.message,
             "url": url_for(".edit_view", id=s.record_id) if s.record_id in titles else None}
            for s in outcome.skipped
        ]  # fmt: skip
        label = ACTION_LABELS.get(name, name)
        return self.render(  # type: ignore[attr-defined]
            "uchet/bulk_result.html", view=self, outcome=outcome, skipped=skipped,
            status=status, job=job, action_label=c.gettext(label), back=self._bulk_list_url(),
        )  # fmt: skip

    def _bulk_titles(self, ids: list[Any]) -> dict[Any, str]:
        """Titles of the skipped records the user may read (the others stay numbers)."""
        if not ids or not self.table.title_field:
            return {}
        title = self.table.field_by_id(self.table.title_field).name
        try:
            wanted = [Filter("id", "in", ids[:500])]
            rows = self._bulk_service().query(filters=wanted, columns=[title], limit=500).rows
        except UchetError:
            return {}
        return {r["id"]: str(r.get(title) or f"#{r['id']}") for r in rows}

    def _bulk_value_input(self, f: Field) -> ValueInput:
        """A value box of the field's type: choices, yes/no, users and records as lists."""
        c, locale = self.c, self.c.locale()
        required = f.required
        empty: tuple[tuple[str, str], ...] = () if required else (("", c.gettext("— clear —")),)
        if f.type == "choice":
            options = tuple((ch.value, label_text(ch.label, locale, default=ch.value))
                            for ch in f.choices if not ch.retired)  # fmt: skip
            return ValueInput("select", options=empty + options, required=required)
        if f.type == "boolean":
            yes_no = (("true", c.gettext("Yes")), ("false", c.gettext("No")))
            return ValueInput("select", options=empty + yes_no, required=required)
        if f.type == "user":
            users = tuple((str(u.id), u.name) for u in c.platform.users.all() if u.active)
            return ValueInput("select", options=empty + users, required=required)
        if f.type == "reference" and f.target:
            target = c.runtime.table(f.target).table
            if target.title_field:
                title = target.field_by_id(target.title_field).name
                try:
                    service = self._bulk_service(target.id)
                    limit = REFERENCE_OPTIONS + 1
                    rows = service.query(columns=[title], sort=[title], limit=limit).rows
                except UchetError:
                    rows = []
                if rows and len(rows) <= REFERENCE_OPTIONS:
                    found = tuple((str(r["id"]), str(r.get(title) or r["id"])) for r in rows)
                    return ValueInput("select", options=empty + found, required=required)
            return ValueInput("input", "number", required=required)  # too many: by number
        if f.type == "text":
            return ValueInput("textarea", required=required)
        return ValueInput("input", _INPUT_TYPES.get(f.type, "text"), required=required)
