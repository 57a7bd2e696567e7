"""Who may change a field of an existing record: the field's ``changed_by`` (S16).

The table's update right says who may edit a record; some values need more. S16: an
employee marks a task done, and "the manager or the responsible person confirms the
execution" — the assignee may edit the task but must not confirm it. A field's
``changed_by`` holds conditions in the row-rule form that the record must meet for the
acting user, e.g. ``[{"any": [{"field": "author", "op": "eq", "value": "$user"},
{"field": "client.manager", "op": "eq", "value": "$user"}]}]``.

* On update, :func:`refused_changes` checks every such field whose value the write changes
  against the record as it is stored, inside the write's transaction and with the same
  SQL as row rules (dotted paths become correlated subqueries), so there is no window
  between the check and the write.
* Cards ask :func:`unchangeable_fields` which fields to show read-only.

The system user and superusers are never limited (they have no row rules either). Setting
a value on create is not limited: the creator writes a new record, which the conditions
describe only once it exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.model.i18n import message

if TYPE_CHECKING:
    from uchet.platform.model.config import Field, Table
    from uchet.platform.records.runtime import Runtime
    from uchet.platform.records.users import User
    from uchet.platform.schema.compiler import CompiledTable


class RecordService(Protocol):
    """What these checks need of the record service (a protocol: the service imports this
    module)."""

    rt: Runtime
    ct: CompiledTable
    table: Table
    user: User
    locale: str


def guarded_fields(service: RecordService) -> list[Field]:
    """The table's fields with a ``changed_by`` rule."""
    return [f for f in service.table.fields if f.changed_by]


def _unlimited(service: RecordService) -> bool:
    user = service.user
    return user.is_system or service.rt.permissions.access(user, service.table.id).unrestricted


def _allowed(service: RecordService, conn: Connection, record_id: Any, f: Field) -> bool:
    sql = service.ct.sql
    condition = service.rt.permissions.conditions(service.user, service.ct, f.changed_by)
    stmt = sa.select(sql.c.id).where(sql.c.id == record_id, condition)
    return conn.execute(stmt).first() is not None


def refused_changes(
    service: RecordService,
    conn: Connection,
    record_id: Any,
    old: Mapping[str, Any],
    data: Mapping[str, Any],
) -> dict[str, list[str]]:
    """Field name -> why the user may not change it, for the guarded fields ``data`` changes."""
    fields = [
        f for f in guarded_fields(service) if f.name in data and data[f.name] != old.get(f.name)
    ]
    if not fields or _unlimited(service):
        return {}
    return {
        f.name: [message("not_changed_by", service.locale)]
        for f in fields
        if not _allowed(service, conn, record_id, f)
    }


def unchangeable_fields(service: RecordService, record_id: Any) -> set[str]:
    """The guarded fields of ``record_id`` the user may not change (for the card)."""
    fields = guarded_fields(service)
    if not fields or _unlimited(service):
        return set()
    with service.rt.engine.connect() as conn:
        return {f.name for f in fields if not _allowed(service, conn, record_id, f)}
