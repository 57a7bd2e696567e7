"""The list screen's routes of a table view (S03, S05–S09).

:class:`ListRoutes` is mixed into :class:`uchet.web.views.TableView`:

* ``/`` the list (:class:`~uchet.web.listpage.ListPage`); ``?view=<id>`` alone opens a
  saved view at its URL;
* ``values/<field>/`` the values a header filter offers (JSON, with counts and titles);
* ``prefs/`` (POST, JSON, CSRF header) the user's columns, their order and widths, or a
  role's defaults (administrators);
* ``views/save/`` and ``views/<id>/delete/`` (POST forms with CSRF) named saved views;
* ``export/<fmt>/`` the list as a file (xlsx, ods, csv, json, xml, html, docx), for roles
  with the ``export`` right; a grouped list gets a header row per group where the format
  has rows for it.

Every read goes through the record service as the current user (rule 5); every write
checks the CSRF token.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl

from flask import abort, flash, jsonify, redirect, request, stream_with_context, url_for
from flask_admin.base import expose
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.platform.model.numbers import as_id
from uchet.web import prefs
from uchet.web.auth import check_csrf
from uchet.web.context import WebContext
from uchet.web.export import EXPORTERS, export_cell, iter_rows, max_rows
from uchet.web.export_jobs import JOB_ROWS, enqueue_export, export_file, export_job
from uchet.web.export_sections import GroupSections
from uchet.web.listpage import ListPage, query_options
from uchet.web.liststate import ListState

#: Values offered in a header filter at most (the search box narrows a longer list).
VALUES_LIMIT = 200


class ListRoutes:
    """List, header filter values, layout preferences, saved views and export."""

    c: WebContext
    table: Any

    # -- the list ------------------------------------------------------------------------------
    @expose("/")
    def index_view(self) -> Any:
        state = ListState.from_args(request.args)
        if state.view and state.is_empty():
            return self._open_saved_view(state.view)
        try:
            page = ListPage(self, request.args)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as exc:
            flash(self.c.error_text(exc, self.table), "danger")
            return redirect(url_for(".index_view"))
        return self.render(self.list_template, page=page, view=self)  # type: ignore[attr-defined]

    def _open_saved_view(self, view_id: int) -> Response:
        c = self.c
        try:
            view = prefs.saved_views(c).get(view_id, c.user(), prefs.is_admin(c, c.user()))
        except NotFound:
            flash(c.gettext("The saved view was not found."), "danger")
            return redirect(url_for(".index_view"))
        if view.table_id != self.table.id:
            abort(404)
        state = ListState.from_args(MultiDict(list(view.state)))
        return redirect(url_for(".index_view") + "?" + state.query_string(view=view.id))

    @expose("/values/<field>/")
    def values(self, field: str) -> Response:
        """Distinct values (titles, counts) a header filter offers (S08), among the rows
        the other active filters and the user's row rules leave."""
        if not self.table.has_field(field):
            return _error(f"no field {field!r} in {self.table.name}", 404)
        f = self.table.field_by_name(field)
        state = ListState.from_args(request.args)
        others = ListState(filters=tuple(x for x in state.filters if x[0] != field))
        id_fields = {x.name for x in self.table.fields if x.type in ("reference", "user")}
        try:
            found = self.records().distinct_values(  # type: ignore[attr-defined]
                field, search_prefix=request.args.get("q") or None, limit=VALUES_LIMIT + 1,
                filters=others.query_filters(id_fields),
            )  # fmt: skip
        except PermissionDenied as exc:
            return _error(self.c.error_text(exc, self.table), 403)
        except ValidationError as exc:
            return _error(self.c.error_text(exc, self.table), 400)
        except KeyError as exc:
            return _error(str(exc), 400)
        items = []
        for v in found[:VALUES_LIMIT]:
            title = v.title
            if title is None and v.value is not None:
                title = self.text(f, {f.name: v.value})  # type: ignore[attr-defined]
            items.append({"value": "" if v.value is None else _token(v.value),
                          "title": title if v.value is not None else "—",
                          "count": v.count})  # fmt: skip
        return jsonify(items=items, more=len(found) > VALUES_LIMIT,
                       chosen=list(state.filtered_values(field)))  # fmt: skip

    # -- layout preferences --------------------------------------------------------------------
    @expose("/prefs/", methods=("POST",))
    def save_prefs(self) -> Response:
        """Save columns (visibility and order) and widths; JSON body, CSRF header."""
        check_csrf()
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _error("send a JSON object with columns and/or widths", 400)
        c = self.c
        access = c.access(self.table.id)
        readable = [x.name for x in self.table.fields
                    if access.unrestricted or x.name in access.readable()]  # fmt: skip
        try:
            prefs.save_layout(c, self.table.id, c.user(), readable, data)
        except ValidationError as exc:
            return jsonify(error=str(exc), messages=exc.messages), 400  # type: ignore[return-value]
        except PermissionDenied as exc:
            return _error(str(exc), 403)
        return jsonify(ok=True)

    # -- saved views ---------------------------------------------------------------------------
    @expose("/views/save/", methods=("POST",))
    def save_view(self) -> Response:
        """Save the list's current state under a name: a new view (or the user's own view of
        that name), or, with ``view_id``, the view being edited (its owner or MAIN);
        private, shared with everyone or with a role."""
        check_csrf()
        c, user = self.c, self.c.user()
        query = request.form.get("state", "")
        state = ListState.from_args(MultiDict(parse_qsl(query, keep_blank_values=True)))
        view_id = request.form.get("view_id", "")
        as_new = bool(request.form.get("as_new"))
        try:
            view = prefs.saved_views(c).save(
                self.table.id, user, request.form.get("name", ""), state.saved_args(),
                shared_with=request.form.get("shared_with") or None,
                admin=prefs.is_admin(c, user),
                view_id=as_id(view_id) if not as_new else None,
            )  # fmt: skip
        except NotFound:
            abort(404)
        except PermissionDenied:
            abort(403)
        except ValidationError as exc:
            flash(c.gettext("The view was not saved: %(reason)s", reason=str(exc)), "danger")
            return redirect(url_for(".index_view") + ("?" + query if query else ""))
        flash(c.gettext("The view “%(name)s” was saved.", name=view.name), "success")
        return redirect(url_for(".index_view") + "?" + state.query_string(view=view.id))

    @expose("/views/<int:view_id>/delete/", methods=("POST",))
    def delete_view_saved(self, view_id: int) -> Response:
        """Delete a saved view: its owner or an administrator."""
        check_csrf()
        c, user = self.c, self.c.user()
        try:
            prefs.saved_views(c).delete(view_id, user, prefs.is_admin(c, user))
        except NotFound:
            abort(404)
        except PermissionDenied:
            abort(403)
        flash(c.gettext("The view was deleted."), "success")
        return redirect(url_for(".index_view"))

    # -- export --------------------------------------------------------------------------------
    @expose("/export/<fmt>/")
    def export(self, fmt: str) -> Response:
        """The list in its current state as a file; rows read in keyset pages."""
        exporter = EXPORTERS.get(fmt)
        if exporter is None:
            return _error(f"unknown export format {fmt!r}; known: {', '.join(EXPORTERS)}", 404)
        if not self.c.access(self.table.id).can("export"):
            # The role's own right (issue 17): reading a list is not taking it away.
            return _error(self.c.gettext("You may not export this list."), 403)
        try:
            page = ListPage(self, request.args, run=False)  # type: ignore[arg-type]
            service = self.records()  # type: ignore[attr-defined]
            options = query_options(page)
            service.query(**options, limit=1, count=False)  # validate before streaming
        except (ValidationError, PermissionDenied) as exc:
            return _error(str(exc), 400)
        limit = max_rows(self.c.settings.extra)
        threshold = int(self.c.settings.extra.get("export_job_rows", JOB_ROWS))
        counted = service.query(**options, limit=1, count=True)
        if counted.total_capped or min(counted.total or 0, limit) > threshold:
            return self._export_job(fmt, page, options, limit)
        headers = [self.label(f) for f in page.columns]  # type: ignore[attr-defined]

        groups = [self.table.field_by_name(g) for g in page.state.group]
        sections = GroupSections(groups, self.label, self.text)  # type: ignore[attr-defined]

        def cells() -> Any:
            for row in iter_rows(service, options, limit):
                if groups and exporter.sections:
                    yield from sections.starting(row)
                yield [self._export_cell(f, row, exporter.as_text) for f in page.columns]

        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
        name = f"{self.table.name}-{stamp}.{exporter.extension}"
        return Response(
            stream_with_context(exporter.write(headers, cells())),
            mimetype=exporter.mimetype,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def _export_cell(self, f: Any, row: dict[str, Any], as_text: bool) -> Any:
        return export_cell(f, row, as_text, self.text)  # type: ignore[attr-defined]

    def _export_job(self, fmt: str, page: ListPage, options: dict[str, Any], limit: int) -> Any:
        """Queue an export too large to stream in the request; its page links the file."""
        c = self.c
        job = enqueue_export(c.runtime, self.table.id, c.user(), fmt, options,
                             [f.name for f in page.columns], list(page.state.group), limit,
                             c.locale())  # fmt: skip
        return redirect(url_for(".export_job_view", job=job))

    @expose("/export/job/<int:job>/")
    def export_job_view(self, job: int) -> Any:
        """A queued export: waiting (the page reloads itself), or the link to its file."""
        c = self.c
        if not c.access(self.table.id).can("export"):
            abort(403)
        state = export_job(c.runtime, job, self.table.id, c.user())
        if state is None:
            abort(404)
        return self.render("uchet/export_job.html", view=self, job=job,  # type: ignore[attr-defined]
                           state=state)  # fmt: skip

    @expose("/export/file/<int:file_id>/")
    def export_file_download(self, file_id: int) -> Response:
        """The file an export job wrote (its owner only, with the export right)."""
        c = self.c
        if not c.access(self.table.id).can("export"):
            abort(403)
        found = export_file(c.runtime, file_id, self.table.id, c.user())
        if found is None:
            abort(404)
        return Response(
            bytes(found.data),
            mimetype=found.content_type,
            headers={"Content-Disposition": f'attachment; filename="{found.name}"'},
        )


def _token(value: Any) -> str:
    """A value as it travels in ``f.<field>=`` (booleans as true/false, as the engine reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error(message: str, status: int) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response
