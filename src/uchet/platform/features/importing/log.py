"""The import log: every record an import creates or changes is tagged, in the write's own
transaction, with the import's id and its audit entry (issue 17, point 5).

While :func:`tagging` is active, ``ImportLogPlugin`` (:mod:`.plugin`, registered for every
platform by ``make_plugin_manager``) sees each insert batch and update of the record
service and writes one ``uchet_import_records`` row per record: the import's id, the
record, its version after the write, the changed fields' values before it, and the id of
the audit entry the service wrote. Nothing is tagged outside an import; the hooks cost one
context-variable read then.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.hookspecs import InsertBatch, RecordChange
from uchet.platform.records.runtime import Runtime

#: Values per IN (...) when reading back audit ids.
CHUNK = 500


@dataclass
class Tagging:
    """The import being written in this context."""

    import_id: int
    created: int = 0
    updated: int = 0


_CURRENT: contextvars.ContextVar[Tagging | None] = contextvars.ContextVar(
    "uchet_import", default=None
)


@contextlib.contextmanager
def tagging(import_id: int) -> Iterator[Tagging]:
    """Tag every record written in this block with ``import_id``."""
    state = Tagging(import_id)
    token = _CURRENT.set(state)
    try:
        yield state
    finally:
        _CURRENT.reset(token)


def _audit_ids(
    rt: Runtime, conn: Connection, table_id: str, action: str, ids: Sequence[Any]
) -> dict[Any, int]:
    """Record id -> the latest audit entry of ``action`` for it."""
    audit = rt.audit
    found: dict[Any, int] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        stmt = (
            sa.select(audit.c.record_id, sa.func.max(audit.c.id))
            .where(
                audit.c.table_id == table_id,
                audit.c.action == action,
                audit.c.record_id.in_(chunk),
            )
            .group_by(audit.c.record_id)
        )
        found.update({rid: aid for rid, aid in conn.execute(stmt).all()})
    return found


def tag_insert(batch: InsertBatch) -> None:
    """Tag the records of an insert batch, when an import is being written."""
    state = _CURRENT.get()
    if state is None or not batch.rows:
        return
    rt, table_id = batch.service.rt, batch.service.table.id
    ids = [row["id"] for row in batch.rows]
    audit = _audit_ids(rt, batch.conn, table_id, "create", ids)
    rows = [
        {"import_id": state.import_id, "table_id": table_id, "record_id": rid,
         "action": "create", "version": 1, "before": None, "audit_id": audit.get(rid)}
        for rid in ids
    ]  # fmt: skip
    batch.conn.execute(rt.model.system["uchet_import_records"].insert(), rows)
    state.created += len(rows)


def tag_update(change: RecordChange) -> None:
    """Tag an updated record (with its values before), when an import is being written."""
    state = _CURRENT.get()
    if state is None or change.conn is None or change.old is None or change.new is None:
        return
    rt, table = change.service.rt, change.service.table
    conn, old, new = change.conn, change.old, change.new
    before: dict[str, Any] = {}
    for f, _ in change.service.stored_fields:
        if f.name in new and old.get(f.name) != new.get(f.name):
            value = old.get(f.name)
            before[f.name] = None if value is None else rt.types.for_field(f).dump(f, value)
    audit = _audit_ids(rt, conn, table.id, "update", [change.record_id])
    conn.execute(
        rt.model.system["uchet_import_records"].insert(),
        {"import_id": state.import_id, "table_id": table.id, "record_id": change.record_id,
         "action": "update", "version": new["version"], "before": before,
         "audit_id": audit.get(change.record_id) if before else None},
    )  # fmt: skip
    state.updated += 1
