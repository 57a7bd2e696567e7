"""``/-/backups/``: the administrator's backups (issue 20, S42).

The settings of the scheduled backup (how often, at what time, the folder on the server,
how many copies to keep), how the last one went, and the backups in the folder, each
downloadable. Only holders of a superuser role reach it (403 for anyone else): a backup is
the whole database, passwords' hashes included. A download names a file by its name only,
which :func:`~uchet.platform.features.backup.resolve` accepts only when it is a backup's
name inside the folder: ``..``, other files and paths are refused (404).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import Admin, expose
from flask_babel import LazyString

from uchet.platform.features.backup import BackupError, list_backups, resolve
from uchet.platform.features.backup import scheduled as scheduled_backup
from uchet.platform.features.schedules import FREQUENCIES, Recurrence, ScheduleError
from uchet.web.adminviews import SuperuserOnly
from uchet.web.auth import check_csrf
from uchet.web.context import WebContext

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FREQUENCY_LABELS = {"daily": "Every day", "weekly": "Every week", "monthly": "Every month"}
#: What a wrong setting of a schedule form is told, by ScheduleError.field.
FIELD_ERRORS = {
    "frequency": "Choose how often.",
    "at_time": "The time is HH:MM, from 00:00 to 23:59.",
    "weekday": "Choose the day of the week.",
    "monthday": "The day of the month is from 1 to 31.",
    "folder": "Give the folder on the server to keep the backups in.",
    "keep": "Keep from 1 to 1000 copies.",
    "report": "You may not run this report.",
    "recipients": "Choose the recipients: yourself, or anyone if you are an administrator.",
}


def schedule_error(c: WebContext, error: ScheduleError) -> str:
    """A schedule form's error in the user's language."""
    text = FIELD_ERRORS.get(error.field)
    return c.gettext("Not saved: %(error)s", error=c.gettext(text) if text else str(error))


def recurrence_from(form: Any) -> Recurrence:
    """The recurrence a schedule form asks for (checked by the caller's save)."""

    def number(name: str) -> int | None:
        value = (form.get(name) or "").strip()
        return int(value) if value.isdigit() and len(value) <= 2 else None

    frequency = form.get("frequency", "")
    return Recurrence(
        frequency,
        (form.get("at_time") or "").strip(),
        number("weekday") if frequency == "weekly" else None,
        number("monthday") if frequency == "monthly" else None,
    )


class BackupsView(SuperuserOnly):
    """The backup settings and the list of backups."""

    def _store(self) -> Any:
        return scheduled_backup.backup_schedules(self.c.runtime)

    @expose("/")
    def index(self) -> Any:
        current = scheduled_backup.settings(self._store())
        folder = str(current.payload.get("folder", "")) if current else ""
        return self.render(
            "uchet/admin_backups.html",
            current=current,
            folder=folder,
            keep=int(current.payload.get("keep", scheduled_backup.DEFAULT_KEEP))
            if current
            else scheduled_backup.DEFAULT_KEEP,
            backups=list_backups(folder) if folder else [],
            frequencies=[(f, self.c.gettext(FREQUENCY_LABELS[f])) for f in FREQUENCIES],
            weekdays=[self.c.gettext(d) for d in WEEKDAYS],
            size_text=self._size,
        )

    def _size(self, size: int) -> str:
        """A file's size for people: KB below a megabyte, MB with one decimal above."""
        if size < 1024 * 1024:
            return self.c.gettext("%(n)s KB", n=max(1, round(size / 1024)))
        mb = f"{size / 1048576:.1f}"
        return self.c.gettext("%(n)s MB", n=mb.replace(".", ",") if self.c.locale() == "ru" else mb)

    @expose("/settings/", methods=("POST",))
    def save(self) -> Any:
        check_csrf()
        form = request.form
        keep = (form.get("keep") or "").strip()
        try:
            scheduled_backup.save_settings(
                self._store(), form.get("folder", ""),
                int(keep) if keep.isdigit() and len(keep) <= 4 else 0,
                recurrence_from(form), active=bool(form.get("active")),
                user_id=self.c.user().id,
            )  # fmt: skip
        except ScheduleError as e:
            flash(schedule_error(self.c, e), "error")
        else:
            flash(self.c.gettext("The backup schedule is saved."), "success")
        return redirect(url_for(".index"))

    @expose("/download/<file_name>")
    def download(self, file_name: str) -> Any:
        current = scheduled_backup.settings(self._store())
        if current is None:
            abort(404)
        try:
            path = resolve(str(current.payload.get("folder", "")), file_name)
        except BackupError:
            abort(404)
        return send_file(path, as_attachment=True, download_name=path.name,
                         mimetype="application/zip")  # fmt: skip


def add_views(admin: Admin, c: WebContext) -> None:
    """Add the backups screen to the administration menu."""
    admin.add_view(
        BackupsView(c, LazyString(lambda: c.gettext("Backups")), "uchet_backups", "/-/backups")
    )
