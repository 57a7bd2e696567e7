"""``/-/report-schedules/``: sending reports on a schedule (issue 20, S42, S46).

Anyone who may run a report schedules it for themselves; an administrator also for other
users. Each recipient later gets it computed under their own rights
(:mod:`uchet.platform.features.report_schedules`). A user sees and deletes the schedules
they made (an administrator: all). ``/file/<id>`` downloads a delivered report's xlsx, only
for the user it was made for (404 for anyone else): the notification links here.
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import Admin, BaseView, expose
from flask_babel import LazyString
from flask_login import current_user

from uchet.platform.features import report_schedules
from uchet.platform.features.schedules import FREQUENCIES, ScheduleError
from uchet.platform.model.errors import NotFound
from uchet.web.auth import check_csrf, here
from uchet.web.backupviews import FREQUENCY_LABELS, WEEKDAYS, recurrence_from, schedule_error
from uchet.web.context import WebContext
from uchet.web.reportviews import runnable
from uchet.web.screen import TranslatedRender

ENDPOINT = "uchet_report_schedules"


class ReportSchedulesView(TranslatedRender, BaseView):
    """The user's report schedules, the form that adds one, and delivered files."""

    def __init__(self, c: WebContext) -> None:
        self.c = c
        super().__init__(
            name=LazyString(lambda: c.gettext("Scheduled reports")),
            endpoint=ENDPOINT, url="/-/report-schedules",
        )  # fmt: skip

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def is_visible(self) -> bool:
        return False  # reached from a report's page

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("auth.login", next=here()))

    def _store(self) -> Any:
        return report_schedules.report_schedules(self.c.runtime)

    def _mine(self) -> list[Any]:
        if self.c.is_superuser():
            return self._store().list()
        return self._store().list(created_by=self.c.user().id)

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        me = self.c.user()
        if request.method == "POST":
            check_csrf()
            self._save()
            return redirect(url_for(".index"))
        reports = runnable(self.c)
        admin = self.c.is_superuser()
        users = [u for u in self.c.platform.users.all() if u.active] if admin else [me]
        names = {u.id: u.name for u in self.c.platform.users.all()}
        return self.render(
            "uchet/report_schedules.html",
            schedules=self._mine(), reports=reports, chosen=request.args.get("report", ""),
            users=users, me=me, names=names, is_admin=admin,
            report_label={s.id: self.c.label(s.label, s.id) for s in reports},
            frequencies=[(f, self.c.gettext(FREQUENCY_LABELS[f])) for f in FREQUENCIES],
            weekdays=[self.c.gettext(d) for d in WEEKDAYS],
        )  # fmt: skip

    def _save(self) -> None:
        form = request.form
        me = self.c.user()
        ids = form.getlist("recipients")
        if not all(i.isdigit() and len(i) <= 18 for i in ids):
            abort(400)
        if me.id is None:
            abort(403)
        recipients = [int(i) for i in ids] or [me.id]
        try:
            report_schedules.save(
                self.c.runtime, me, form.get("report", ""), recurrence_from(form), recipients
            )
        except ScheduleError as e:
            flash(schedule_error(self.c, e), "error")
        except NotFound:
            missing = self.c.gettext("There is no such report.")
            flash(self.c.gettext("Not saved: %(error)s", error=missing), "error")
        else:
            flash(self.c.gettext("The report will be sent on schedule."), "success")

    @expose("/<int:schedule_id>/delete/", methods=("POST",))
    def delete(self, schedule_id: int) -> Any:
        check_csrf()
        if not any(s.id == schedule_id for s in self._mine()):
            abort(404)
        self._store().delete(schedule_id)
        flash(self.c.gettext("The schedule was deleted."), "success")
        return redirect(url_for(".index"))

    @expose("/file/<int:file_id>")
    def file(self, file_id: int) -> Any:
        found = report_schedules.report_file(self.c.runtime, file_id, self.c.user())
        if found is None:
            abort(404)
        name, data = found
        return send_file(io.BytesIO(data), mimetype=report_schedules.XLSX, as_attachment=True,
                         download_name=name)  # fmt: skip


def file_url(file_id: int) -> str:
    """Where a delivered report's file is downloaded (the notification's link)."""
    return url_for(f"{ENDPOINT}.file", file_id=file_id)


def add_views(admin: Admin, c: WebContext) -> None:
    """Add the report schedules screen (linked from each report's page)."""
    admin.add_view(ReportSchedulesView(c))
