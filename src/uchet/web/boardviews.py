"""Calendar and kanban screens of the tables that declare them (issue 21 point 6).

The data and the moves are :mod:`uchet.platform.features.boards` (the record service acting
as the logged-in user); this module is the pages, their JSON endpoints and the menu entries
(next to the table's own entry, in its section). The pages' scripts are
``static/uchet/calendar.js`` (FullCalendar) and ``static/uchet/kanban.js`` (SortableJS).

A move is a POST with the CSRF token in the ``X-CSRFToken`` header and a JSON body. The
answer is ``{"ok": true, "version": n}`` or ``{"error": "…"}`` in the user's language with
403 (no right), 404 (no such record, or not theirs), 409 (changed by someone else) or 422
(refused by validation); the script then puts the item back where it was.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from flask import Response, abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.menu import MenuLink
from flask_babel import LazyString
from flask_login import current_user

from uchet.platform.features import boards
from uchet.platform.model.config import Table
from uchet.platform.model.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    UchetError,
    ValidationError,
)
from uchet.web.auth import check_csrf
from uchet.web.context import WebContext, here
from uchet.web.screen import TranslatedRender

if TYPE_CHECKING:
    from flask_admin import Admin

#: HTTP status of each refusal of a move.
STATUS = ((PermissionDenied, 403), (NotFound, 404), (ConflictError, 409), (ValidationError, 422))
#: The longest range one calendar request may ask for (a month view asks for six weeks).
MAX_RANGE = dt.timedelta(days=62)


def _json(data: Any, status: int = 200) -> Response:
    """A JSON answer (UTF-8, not \\u-escaped) that no cache keeps: it is one user's data."""
    response = Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _day(text: str | None) -> dt.date | None:
    """A date from FullCalendar's ``start``/``end`` parameters (``2026-12-01T00:00:00``...)."""
    try:
        return dt.date.fromisoformat((text or "")[:10])
    except ValueError:
        return None


class BoardsView(TranslatedRender, BaseView):
    """The calendar and the kanban board of one table (no menu entry of its own)."""

    def __init__(self, c: WebContext, table: Table) -> None:
        self.c, self.table = c, table
        self.calendar = boards.calendar_spec(table)
        self.kanban = boards.kanban_spec(table)
        super().__init__(
            name=LazyString(lambda: c.table_label(table)),
            endpoint=f"b_{table.name}",
            url=f"/-/boards/{table.name}",
        )

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated) and self.c.access(self.table.id).can("read")

    def is_visible(self) -> bool:
        return False

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if request.method == "POST" or request.endpoint.endswith(("items", "move")):  # type: ignore[union-attr]
            return _json({"error": self.c.gettext("You may not see these records.")}, 403)
        if current_user.is_authenticated:
            abort(403)
        return redirect(url_for("auth.login", next=here()))

    def _card_url(self) -> str:
        return url_for(f"t_{self.table.name}.edit_view", id="0")[:-1]

    def _refused(self, exc: UchetError) -> Response:
        status = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
        return _json({"error": self.c.error_text(exc, self.table)}, status)

    def _body(self) -> dict[str, Any]:
        check_csrf()
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or "id" not in data:
            abort(_json({"error": self.c.gettext("The request is not understood.")}, 400))
        return data

    @staticmethod
    def _version(data: dict[str, Any]) -> int | None:
        version = data.get("version")
        return version if isinstance(version, int) and not isinstance(version, bool) else None

    @expose("/")
    def index(self) -> Any:
        """The calendar if the table has one, else its board."""
        return redirect(url_for(".calendar_page" if self.calendar else ".kanban_page"))

    # -- calendar --------------------------------------------------------------------------
    @expose("/calendar/")
    def calendar_page(self) -> Any:
        if self.calendar is None:
            abort(404)
        spec = self.calendar
        title = self.c.label(spec.label, "") or self.c.table_label(self.table)
        field = self.table.field_by_name(spec.start)
        return self.render(
            "uchet/calendar.html",
            title=title,
            table=self.table,
            field_label=self.c.label(field.label, field.name),
            initial={"day": "timeGridDay", "week": "timeGridWeek"}.get(
                spec.initial, "dayGridMonth"
            ),
            items_url=url_for(".calendar_items"),
            move_url=url_for(".calendar_move"),
            card_url=self._card_url(),
            list_url=url_for(f"t_{self.table.name}.index_view"),
        )

    @expose("/calendar/items")
    def calendar_items(self) -> Response:
        if self.calendar is None:
            abort(404)
        start, end = _day(request.args.get("start")), _day(request.args.get("end"))
        if start is None or end is None or not start < end <= start + MAX_RANGE:
            return _json({"error": self.c.gettext("Give a period of at most two months.")}, 400)
        try:
            items = boards.calendar_items(self.c.records(self.table.id), self.calendar, start, end)
        except UchetError as exc:
            return self._refused(exc)
        return _json(items)

    @expose("/calendar/move", methods=("POST",))
    def calendar_move(self) -> Response:
        check_csrf()  # before anything that could answer a forged request differently
        if self.calendar is None:
            abort(404)
        data = self._body()
        service = self.c.records(self.table.id)
        try:
            record = boards.move_item(
                service, self.calendar, data["id"], data.get("start"), self._version(data)
            )
        except UchetError as exc:
            return self._refused(exc)
        return _json({"ok": True, "version": record["version"]})

    # -- kanban ----------------------------------------------------------------------------
    @expose("/kanban/")
    def kanban_page(self) -> Any:
        if self.kanban is None:
            abort(404)
        spec = self.kanban
        try:
            columns = boards.kanban_columns(self.c.records(self.table.id), spec, self.c.locale())
        except PermissionDenied:
            abort(403)
        field = self.table.field_by_name(spec.field)
        colors = {ch.value: ch.color for ch in field.choices}
        return self.render(
            "uchet/kanban.html",
            title=self.c.label(spec.label, "") or self.c.table_label(self.table),
            table=self.table,
            columns=columns,
            colors=colors,
            editable=bool(columns and columns[0]["editable"]),
            move_url=url_for(".kanban_move"),
            card_url=self._card_url(),
            list_url=url_for(f"t_{self.table.name}.index_view"),
        )

    @expose("/kanban/move", methods=("POST",))
    def kanban_move(self) -> Response:
        check_csrf()  # before anything that could answer a forged request differently
        if self.kanban is None:
            abort(404)
        data = self._body()
        service = self.c.records(self.table.id)
        try:
            record = boards.move_card(
                service, self.kanban, data["id"], data.get("value"), self._version(data)
            )
        except UchetError as exc:
            return self._refused(exc)
        return _json({"ok": True, "version": record["version"]})


class BoardLink(MenuLink):
    """A menu entry of a table's calendar or board, shown to those who may read the table."""

    def __init__(self, c: WebContext, view: BoardsView, kind: str, name: Any) -> None:
        self.c, self.view, self.kind = c, view, kind
        super().__init__(name=name, category=view.table.section)

    def get_url(self) -> str:
        return url_for(f"{self.view.endpoint}.{self.kind}_page")

    def is_accessible(self) -> bool:
        return self.view.is_accessible()

    def is_visible(self) -> bool:
        return self.is_accessible()


def add_views(admin: Admin, c: WebContext, table: Table) -> None:
    """The calendar and board of ``table`` with their menu entries, if it declares any;
    called right after the table's own view so the entries follow it in its section."""
    view = BoardsView(c, table)
    if view.calendar is None and view.kanban is None:
        return
    admin.add_view(view)
    if view.calendar is not None:
        spec = view.calendar
        name = LazyString(lambda: c.label(spec.label, "") or c.gettext("Calendar"))
        admin.add_link(BoardLink(c, view, "calendar", name))
    if view.kanban is not None:
        kspec = view.kanban
        name = LazyString(lambda: c.label(kspec.label, "") or c.gettext("Board"))
        admin.add_link(BoardLink(c, view, "kanban", name))
