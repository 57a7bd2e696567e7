"""The notification bell and the list of one's notifications (S15, S16, S27, S30).

Everything is read and changed through the engine's :class:`~uchet.platform.features.inbox.Inbox` of
the logged-in user, which only ever touches that user's own notifications: another user's
notification is "not found", and marking it read changes nothing. Every page's top bar shows
the bell with the unread count (one capped, indexed count); the dropdown fetches the newest
notifications only when opened. Marking read and opening a notification are POSTs with the
CSRF token; opening one marks it read and goes to its record (the card, where the record
service's rights decide what is shown).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from flask import abort, jsonify, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import LazyString
from flask_login import current_user

from uchet.platform.features.inbox import Inbox, Notification
from uchet.platform.features.report_schedules import FILE_TABLE
from uchet.platform.model.config import Field
from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.model.numbers import as_id
from uchet.platform.query.listquery import Filter
from uchet.web.auth import check_csrf, safe_next
from uchet.web.context import WebContext, ctx, here
from uchet.web.screen import TranslatedRender

#: The bell counts up to this many unread notifications, then shows "99+".
BELL_LIMIT = 99
#: How many notifications the dropdown shows, and a page of the list.
MENU_SIZE = 8
PAGE_SIZE = 50


def inbox(c: WebContext) -> Inbox:
    """The logged-in user's notifications."""
    return c.platform.notifications(c.user())


def record_url(c: WebContext, note: Notification) -> str | None:
    """The card of the record a notification is about, if its table still exists and the
    user may open it (whether the record itself is theirs, the card decides: 404)."""
    if note.table_id is None or note.record_id is None:
        return None
    if note.table_id == FILE_TABLE:  # a scheduled report's file (issue 20)
        return url_for("uchet_report_schedules.file", file_id=note.record_id)
    try:
        table = c.config.table(note.table_id)
    except KeyError:
        return None
    if table.hidden or not c.access(table.id).can("read"):
        return None
    return url_for(f"t_{table.name}.edit_view", id=note.record_id)


def _key(note: Notification) -> tuple[str, int]:
    return (note.table_id or "", note.record_id or 0)


def record_titles(c: WebContext, notes: list[Notification]) -> dict[tuple[str, int], str | None]:
    """(table id, record id) -> the record's title, or None for a record the user may not
    read (one query per table, through the record service: a record outside the user's
    rows shows as «нет доступа» and gets no link)."""
    wanted: dict[str, set[int]] = {}
    for n in notes:
        if n.table_id is not None and n.record_id is not None:
            wanted.setdefault(n.table_id, set()).add(n.record_id)
    titles: dict[tuple[str, int], str | None] = {}
    for table_id, ids in wanted.items():
        try:
            table = c.config.table(table_id)
        except KeyError:
            continue
        if not table.title_field:
            continue
        title = table.field_by_id(table.title_field).name
        with contextlib.suppress(PermissionDenied, ValidationError):
            rows = c.records(table_id).query(
                filters=[Filter("id", "in", sorted(ids))], columns=[title],
                limit=len(ids), count=False,
            ).rows  # fmt: skip
            titles.update({(table_id, r["id"]): str(r[title]) for r in rows})
    for n in notes:  # about a record the user cannot read: say so, never its id
        key = _key(n)
        if n.record_id is not None and key not in titles and _titled(c, n.table_id):
            titles[key] = None
    return titles


def _titled(c: WebContext, table_id: str | None) -> bool:
    """Whether ``table_id`` is a configuration table with a title (a notification may also
    be about a system object, such as a scheduled report's file, which has its own link)."""
    try:
        return bool(c.config.table(table_id or "").title_field)
    except KeyError:
        return False


def actor_names(c: WebContext, notes: list[Notification]) -> dict[int, str]:
    """User id -> name, for whoever made the changes of ``notes``."""
    users = c.platform.users
    ids = {n.actor_id for n in notes if n.actor_id is not None}
    return {i: u.name for i in ids if (u := users.get(i)) is not None}


def table_label(c: WebContext, table_id: str | None) -> str | None:
    """The singular label of a notification's table («Задача»), if the table still exists."""
    if table_id is None:
        return None
    try:
        table = c.config.table(table_id)
    except KeyError:
        return None
    return c.label(table.item_label or table.label, table.name)


def day_label(c: WebContext, day: dt.date, today: dt.date) -> str:
    """The heading of a day's notifications: «Сегодня», «Вчера», or the date."""
    if day == today:
        return c.gettext("Today")
    if day == today - dt.timedelta(days=1):
        return c.gettext("Yesterday")
    date = Field(id="day", name="day", type="date", label={})
    return str(c.runtime.types.get("date").format(date, day, c.locale()))


def by_day(items: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """``items`` (newest first) as (day heading, that day's items), in the same order."""
    days: list[tuple[str, list[dict[str, Any]]]] = []
    for item in items:
        if not days or days[-1][0] != item["day"]:
            days.append((item["day"], []))
        days[-1][1].append(item)
    return days


def bell_count() -> str:
    """The bell's number: the unread count, "99+" beyond; empty for none (the Jinja global
    ``uchet_bell``)."""
    if not current_user.is_authenticated:
        return ""
    count = inbox(ctx()).unread_count(limit=BELL_LIMIT)
    if count > BELL_LIMIT:
        return f"{BELL_LIMIT}+"
    return str(count) if count else ""


class NotificationsView(TranslatedRender, BaseView):
    """``/notifications/``: the list, the dropdown's part (``menu/``), mark read, open."""

    def __init__(self, c: WebContext) -> None:
        self.c = c
        super().__init__(
            name=LazyString(lambda: c.gettext("Notifications")),
            endpoint="notifications",
            url="/notifications",
        )

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def is_visible(self) -> bool:
        return False  # reached from the bell, not the menu

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if request.method == "POST" or request.headers.get("X-Requested-With"):
            abort(401)
        return redirect(url_for("auth.login", next=here()))

    def _items(self, notes: list[Notification]) -> list[dict[str, Any]]:
        """Each notification with its context (issue 21): the record it is about (its table
        and title, as the user may read it), who made the change, when, and its day."""
        stamp = Field(id="created_at", name="created_at", type="datetime", label={})
        datetime, locale = self.c.runtime.types.get("datetime"), self.c.locale()
        titles = record_titles(self.c, notes)
        hidden = {k for k, v in titles.items() if v is None}
        people = actor_names(self.c, notes)
        today = dt.date.today()
        return [
            {
                "note": n,
                # No link to a record the user cannot open (its card would be "not found").
                "url": record_url(self.c, n) if _key(n) not in hidden else None,
                "when": datetime.format(stamp, n.created_at, locale),
                "day": day_label(self.c, n.created_at.date(), today),
                "record": titles[_key(n)] or self.c.gettext("no access")
                if _key(n) in titles
                else None,
                "table": table_label(self.c, n.table_id),
                "who": people.get(n.actor_id) if n.actor_id is not None else None,
            }
            for n in notes
        ]

    @expose("/")
    def index(self) -> Any:
        """The user's notifications, newest first; ``?unread=1`` only unread ones,
        ``?before=<id>`` the next page."""
        unread_only = request.args.get("unread") == "1"
        before = request.args.get("before", "")
        box = inbox(self.c)
        notes = box.list(
            unread_only=unread_only,
            limit=PAGE_SIZE + 1,
            before=as_id(before),
        )
        shown = notes[:PAGE_SIZE]
        items = self._items(shown)
        return self.render(
            "uchet/notifications.html",
            items=items,
            days=by_day(items),
            unread_only=unread_only,
            unread=box.unread_count(),
            # The next page starts below the last one shown (ids only grow).
            more=shown[-1].id if len(notes) > PAGE_SIZE else None,
        )

    @expose("/menu/")
    def dropdown(self) -> Any:
        """The newest notifications as the bell's dropdown shows them (an HTML fragment)."""
        box = inbox(self.c)
        return self.render(
            "uchet/notifications_menu.html",
            items=self._items(box.list(limit=MENU_SIZE)),
            unread=box.unread_count(limit=BELL_LIMIT),
        )

    @expose("/read/", methods=("POST",))
    def read(self) -> Any:
        """Mark the notifications ``id`` (repeated) read, or all of them with ``all=1``.

        Answers JSON (``marked``, ``unread``) to a script, else goes back."""
        check_csrf()
        box = inbox(self.c)
        if request.form.get("all") == "1":
            marked = box.mark_read()
        else:
            ids = [as_id(i) for i in request.form.getlist("id")]
            if not ids or None in ids:
                abort(400, description="give the ids of the notifications to mark read")
            marked = box.mark_read(ids)  # another user's ids simply match nothing
        if request.headers.get("X-Requested-With") or request.accept_mimetypes.best == (
            "application/json"
        ):
            return jsonify(marked=marked, unread=box.unread_count())
        return redirect(safe_next(request.form.get("next") or url_for(".index")))

    @expose("/<int:notification_id>/open/", methods=("POST",))
    def open(self, notification_id: int) -> Any:
        """Mark one notification read and go to its record (or back to the list)."""
        check_csrf()
        box = inbox(self.c)
        note = box.get(notification_id)
        if note is None:
            abort(404)
        box.mark_read([note.id])
        return redirect(record_url(self.c, note) or url_for(".index"))


def init_app(app: Any, admin: Any, c: WebContext) -> None:
    """Add the notification screens to an inner app and the ``uchet_bell`` Jinja global
    the top bar uses."""
    admin.add_view(NotificationsView(c))
    app.jinja_env.globals["uchet_bell"] = bell_count
