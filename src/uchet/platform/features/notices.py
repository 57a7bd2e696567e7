"""Telling people that scheduled work was done (issue 20, S42): an in-app notification and,
when SMTP is configured and the person has an address, an e-mail job in the same
transaction (sent by the worker afterwards, so a slow mail server holds no transaction).

Texts are the engine's own, in Russian and English (:data:`TEXTS`), chosen by the
recipient's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.features import jobs as queue
from uchet.platform.features.mailer import smtp_settings
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import User

#: The e-mail job that carries a stored file as an attachment.
MAIL_WITH_FILE = "email_file"

TEXTS: dict[str, dict[str, str]] = {
    "backup_done": {
        "ru": "Резервная копия готова: {name}",
        "en": "Backup done: {name}",
    },
    "backup_done_body": {
        "ru": "Файл {path}, {size} байт, файлов из базы: {files}. Удалено старых копий: {removed}.",
        "en": "File {path}, {size} bytes, files from the database: {files}. Old copies "
        "deleted: {removed}.",
    },
    "backup_failed": {
        "ru": "Резервная копия не сделана",
        "en": "Backup failed",
    },
    "backup_failed_body": {
        "ru": "Плановая копия «{schedule}» не сделана: {error}",
        "en": "The scheduled backup “{schedule}” failed: {error}",
    },
    "report_ready": {
        "ru": "Отчёт «{report}» за {day}",
        "en": "Report “{report}” of {day}",
    },
    "report_ready_body": {
        "ru": "Строк: {rows}. Файл xlsx приложен к письму; его можно скачать и из уведомления.",
        "en": "Rows: {rows}. The xlsx file is attached to the e-mail and can be downloaded "
        "from the notification.",
    },
    "report_failed": {
        "ru": "Плановый отчёт «{report}» не отправлен",
        "en": "The scheduled report “{report}” was not sent",
    },
}


def text(key: str, locale: str | None, **params: Any) -> str:
    """The text ``key`` in ``locale`` (Russian unless English is asked for)."""
    texts = TEXTS[key]
    chosen = texts["en"] if (locale or "ru").startswith("en") else texts["ru"]
    return chosen.format(**params)


@dataclass(frozen=True)
class Person:
    """Who is told: a user's id, language and e-mail address."""

    id: int
    locale: str | None
    email: str | None


def people(rt: Runtime, conn: Connection, ids: list[int] | None = None) -> list[Person]:
    """Active users (those with ``ids``, or all), as :class:`Person` objects."""
    users = rt.model.system["uchet_users"]
    stmt = sa.select(users).where(users.c.active.is_(True)).order_by(users.c.id)
    if ids is not None:
        stmt = stmt.where(users.c.id.in_(ids))
    return [Person(r.id, r.locale or rt.config.default_locale, r.email) for r in conn.execute(stmt)]


def superusers(rt: Runtime, conn: Connection) -> list[Person]:
    """The active holders of a superuser role: the administrators."""
    users = rt.model.system["uchet_users"]
    rows = conn.execute(sa.select(users).where(users.c.active.is_(True))).all()
    admins = [
        r.id
        for r in rows
        if rt.permissions.is_superuser(User(r.id, r.login, r.name, tuple(r.roles or ())))
    ]
    return people(rt, conn, admins) if admins else []


def tell(
    rt: Runtime,
    conn: Connection,
    person: Person,
    title: str,
    body: str,
    *,
    rule_id: str,
    link: tuple[str, int] | None = None,
    attachment: Mapping[str, Any] | None = None,
) -> bool:
    """Notify ``person`` in the app, and enqueue an e-mail when SMTP is set and they have an
    address (with ``attachment``: ``{"file": id}`` of a stored file). ``link``: the
    (table id, record id) the notification points at. Returns whether an e-mail was queued."""
    conn.execute(
        rt.model.system["uchet_notifications"].insert(),
        {
            "user_id": person.id, "rule_id": rule_id[:100], "title": title[:500], "body": body,
            "table_id": link[0] if link else None, "record_id": link[1] if link else None,
            "created_at": queue.now(),
        },
    )  # fmt: skip
    if smtp_settings() is None or not person.email:
        return False
    payload: dict[str, Any] = {"to": person.email, "subject": title, "body": body}
    kind = "email"
    if attachment:
        payload |= dict(attachment)
        kind = MAIL_WITH_FILE
    queue.enqueue(conn, rt.model.system["uchet_jobs"], kind, payload)
    return True
