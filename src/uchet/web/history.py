"""The History tab of a card: the audit trail (S46) as people read it.

``Platform.history`` returns the raw trail: who, when, and each field's old and new value in
its JSON form. This module turns it into rows for the card: the user's name, the field's
label, values formatted like the card shows them (a reference's title, a choice's label, a
file's name). Fields the user may not read, and hidden fields, are left out, so the trail
never shows what the card would not. Reference titles are fetched in one query per target
table through the record service, as the current user: a record they may not see stays "#id".
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from uchet.platform.model.config import Field
from uchet.platform.model.errors import NotFound, PermissionDenied
from uchet.platform.query.listquery import Filter
from uchet.platform.records.audit import AuditEntry
from uchet.platform.records.users import SYSTEM
from uchet.web.screen import TableScreen

#: The newest entries a card shows; older ones stay in the trail.
MAX_ENTRIES = 200
FILES = "uchet_files"
AT_FORMATS = {"ru": "%d.%m.%Y %H:%M", "en": "%Y-%m-%d %H:%M"}
ACTIONS = {"create": "Created", "update": "Changed", "delete": "Deleted"}


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    user: str
    action: str
    changes: list[FieldChange]
    locale: str = "en"

    @property
    def at_text(self) -> str:
        """When, as people in the locale write it (31.12.2025 14:05 / 2025-12-31 14:05)."""
        return self.at.strftime(AT_FORMATS.get(self.locale, AT_FORMATS["en"]))


def card_history(view: TableScreen, record_id: Any) -> list[HistoryEntry]:
    """The record's trail for the current user, newest first."""
    c = view.c
    try:
        entries = c.platform.history(view.table.id, record_id, user=c.user())
    except (NotFound, PermissionDenied):
        return []
    entries = entries[-MAX_ENTRIES:][::-1]
    locale = c.locale()
    access = view.access()
    readable = None if access.unrestricted else access.readable()
    fields = {
        f.name: f
        for f in view.table.fields
        if not f.hidden and (readable is None or f.name in readable)
    }
    titles = _reference_titles(view, entries, fields)
    titles.update(_file_names(view, entries, fields))
    names = _user_names(view, entries, fields)
    result = []
    for e in entries:
        changes = [
            FieldChange(
                view.label(fields[name]),
                _text(view, fields[name], old, titles, names),
                _text(view, fields[name], new, titles, names),
            )
            for name, (old, new) in e.changes.items()
            if name in fields
        ]
        if e.action == "update" and not changes:
            continue  # only fields this user may not read changed
        who = names.get(e.user_id) if e.user_id is not None else None
        if e.user_id is None and e.user_login == SYSTEM.login:
            who = c.gettext("System")  # command-line tasks and the worker, not a person
        action = c.gettext(ACTIONS.get(e.action, e.action))
        result.append(HistoryEntry(e.at, who or e.user_login or "—", action, changes, locale))
    return result


def _values(entries: Iterable[AuditEntry], f: Field) -> set[int]:
    found = set()
    for e in entries:
        for value in e.changes.get(f.name, ()):
            if isinstance(value, int) and not isinstance(value, bool):
                found.add(value)
    return found


def _reference_titles(view: TableScreen, entries: list[AuditEntry], fields: dict[str, Field]
                      ) -> dict[tuple[str, int], str]:  # fmt: skip
    """(target table id, record id) -> title, for every reference value in the trail."""
    titles: dict[tuple[str, int], str] = {}
    for f in fields.values():
        if f.type != "reference" or not f.target:
            continue
        ids = _values(entries, f)
        target = view.c.runtime.table(f.target).table
        if not ids or not target.title_field:
            continue
        title = target.field_by_id(target.title_field).name
        with contextlib.suppress(PermissionDenied):
            rows = view.records(target.id).query(
                filters=[Filter("id", "in", sorted(ids))], columns=[title],
                limit=len(ids), count=False,
            ).rows  # fmt: skip
            titles.update({(target.id, r["id"]): str(r[title]) for r in rows})
    return titles


def _file_names(view: TableScreen, entries: list[AuditEntry], fields: dict[str, Field]
                ) -> dict[tuple[str, int], str]:  # fmt: skip
    """(FILES, file id) -> file name, for the file fields of this table in the trail."""
    wanted = {f.id: _values(entries, f) for f in fields.values() if f.type in ("file", "image")}
    ids = set().union(*wanted.values()) if wanted else set()
    if not ids:
        return {}
    files = view.c.runtime.files
    stmt = sa.select(files.c.id, files.c.name).where(
        files.c.id.in_(sorted(ids)),
        files.c.table_id == view.table.id,
        files.c.field_id.in_(list(wanted)),
    )
    with view.c.runtime.engine.connect() as conn:
        return {(FILES, row.id): row.name for row in conn.execute(stmt)}


def _user_names(view: TableScreen, entries: list[AuditEntry], fields: dict[str, Field]
                ) -> dict[int, str]:  # fmt: skip
    ids = {e.user_id for e in entries if e.user_id is not None}
    for f in fields.values():
        if f.type == "user":
            ids |= _values(entries, f)
    users = view.c.platform.users
    return {i: u.name for i in ids if (u := users.get(i)) is not None}


def _text(view: TableScreen, f: Field, value: Any, titles: dict[tuple[str, int], str],
          names: dict[int, str]) -> str:  # fmt: skip
    """A value of the trail (JSON form) as the card would show it."""
    if value is None:
        return ""
    if f.type == "reference":
        return titles.get((f.target or "", value), f"#{value}")
    if f.type == "user":
        return names.get(value, f"#{value}")
    if f.type in ("file", "image"):
        return titles.get((FILES, value), f"#{value}")
    try:
        parsed = view.types.get(f.type).parse(f, value)
    except Exception:  # a value written under an older type: show it as stored
        return str(value)
    return view.text(f, {f.name: parsed})
