"""Undoing an import (issue 17, point 5): delete what it created, restore what it changed.

The records the import tagged (``uchet_import_records``) are taken back newest first, in one
transaction, through the record service as the undoing user (so their rights apply). A
record changed after the import (its version moved on) is not silently overwritten: the
undo is refused and names those records. A record deleted since has nothing to undo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from uchet.platform.features.importing.texts import text
from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.platform.query.filters import Filter
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import SYSTEM, User
from uchet.platform.schema.database import shared_write_transaction

#: Records named at most when an undo is refused.
NAMED = 20


def undo_import(runtime: Runtime, import_id: int, user: User, locale: str | None = None) -> int:
    """Undo import ``import_id`` as ``user``; returns how many records were taken back.

    Raises :class:`ValidationError` naming the records edited since (nothing is undone),
    :class:`NotFound` for an unknown import, :class:`PermissionDenied` without the rights."""
    log = runtime.model.system["uchet_imports"]
    tags = runtime.model.system["uchet_import_records"]
    with runtime.engine.connect() as conn:
        head = conn.execute(sa.select(log).where(log.c.id == import_id)).first()
        entries = conn.execute(
            sa.select(tags).where(tags.c.import_id == import_id).order_by(tags.c.id.desc())
        ).all()
    loc = locale or user.locale or runtime.config.default_locale
    if head is None:
        raise NotFound(text("unknown_import", loc, id=import_id))
    if head.undone_at is not None:
        raise ValidationError({"_import": [text("undone", loc)]})
    services: dict[str, RecordService] = {}
    for e in entries:
        if e.table_id not in services:
            service = RecordService(runtime, e.table_id, user, locale)
            access = runtime.permissions.access(user, e.table_id)
            # The import's own table needs the import right; the references it created only
            # the right to delete them (checked by the service).
            if e.table_id == head.table_id and not access.can("import"):
                raise PermissionDenied(
                    text("no_right", service.locale, table=service.table.text(service.locale))
                )
            services[e.table_id] = service
    current = _versions(services, entries)
    # Records that still exist but that this user cannot see are not "deleted since": the
    # undo is not theirs to make.
    everyone = {t: RecordService(runtime, t, SYSTEM, locale) for t in services}
    hidden = set(_versions(everyone, entries)) - set(current)
    if hidden:
        t, _rid = sorted(hidden, key=str)[0]
        raise PermissionDenied(
            text("no_right", services[t].locale, table=services[t].table.text(services[t].locale))
        )
    # The version each record had after the import: that of its newest tag (entries are
    # newest first; a record created and then changed by the same import has two).
    expected: dict[tuple[str, Any], int] = {}
    for e in entries:
        expected.setdefault((e.table_id, e.record_id), e.version)
    edited = [k for k, v in expected.items() if k in current and current[k] != v]
    if edited:
        names = [_title(services[t], rid) for t, rid in edited[:NAMED]]
        service = services[edited[0][0]]
        raise ValidationError(
            {"_import": [text("edited_since", service.locale, records=", ".join(names))]}
        )
    done = 0
    with shared_write_transaction(runtime.engine) as conn:
        for e in entries:
            if (e.table_id, e.record_id) not in current:
                continue  # deleted since: nothing to take back
            service = services[e.table_id]
            if e.action == "create":
                service.delete(e.record_id)
                current.pop((e.table_id, e.record_id))
            else:
                service.update(e.record_id, dict(e.before or {}))
            done += 1
        conn.execute(log.update().where(log.c.id == import_id).values(undone_at=_now()))
    return done


def _versions(
    services: dict[str, RecordService], entries: Sequence[Any]
) -> dict[tuple[str, Any], int]:
    """(table, record id) -> current version, for the tagged records the user can see."""
    found: dict[tuple[str, Any], int] = {}
    by_table: dict[str, list[Any]] = {}
    for e in entries:
        by_table.setdefault(e.table_id, []).append(e.record_id)
    for table_id, ids in by_table.items():
        service = services[table_id]
        unique = sorted(set(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            page = service.query(filters=[Filter("id", "in", chunk)], columns=["version"],
                                 limit=len(chunk), count=False)  # fmt: skip
            for row in page.rows:
                found[(table_id, row["id"])] = row["version"]
    return found


def _title(service: RecordService, record_id: Any) -> str:
    """The record's title («Иванов»), or ``#id`` when the table has none."""
    table = service.table
    if table.title_field:
        name = table.field_by_id(table.title_field).name
        try:
            value = service.get(record_id).get(name)
        except NotFound:
            value = None
        if value:
            return f"«{value}»"
    return f"#{record_id}"


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
