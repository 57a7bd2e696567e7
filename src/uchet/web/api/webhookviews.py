"""``/-/webhooks/``: the administrator registers webhooks and reads their delivery log
(issue 18, point 6; S42). A new webhook's signing secret is shown once, when it is made."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import LazyString

from uchet.platform.features.webhooks import EVENTS, WebhookStore
from uchet.platform.model.errors import NotFound, ValidationError
from uchet.web.adminviews import SuperuserOnly
from uchet.web.auth import check_csrf
from uchet.web.context import WebContext

#: The screen's words for the events (message ids).
EVENT_TEXTS = {"create": "Created", "update": "Changed", "delete": "Deleted"}


class WebhooksView(SuperuserOnly):
    """The list of webhooks with the form that adds one, removal and the delivery log."""

    def __init__(self, c: WebContext) -> None:
        super().__init__(
            c, LazyString(lambda: c.gettext("Webhooks")), "uchet_webhooks", "/-/webhooks"
        )

    def _store(self) -> WebhookStore:
        return WebhookStore(self.c.platform.engine, self.c.runtime.model.system)

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        secret = None
        if request.method == "POST":
            check_csrf()
            table_id = request.form.get("table", "")
            if table_id not in {t.id for t in self.c.config.tables}:
                abort(400)
            try:
                _, secret = self._store().create(
                    table_id,
                    request.form.getlist("events"),
                    request.form.get("url", ""),
                    created_by=self.c.user().id,
                )
            except ValidationError as exc:
                flash(self.c.error_text(exc), "error")
        store = self._store()
        tables = {t.id: self.c.table_label(t) for t in self.c.config.tables}
        return self.render(
            "uchet/api_webhooks.html",
            hooks=store.all(),
            log=store.log(limit=50),
            tables=tables,
            events=EVENTS,
            event_texts=EVENT_TEXTS,
            secret=secret,
        )

    @expose("/<int:hook_id>/remove/", methods=("POST",))
    def remove(self, hook_id: int) -> Any:
        check_csrf()
        try:
            self._store().remove(hook_id)
        except NotFound:
            abort(404)
        flash(self.c.gettext("The webhook was removed."), "success")
        return redirect(url_for(".index"))
