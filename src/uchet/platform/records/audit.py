"""The audit trail (S46): who changed what and when, with each field's old and new value.

Audit rows are written in the same transaction as the change they describe, so the trail
and the data can never disagree.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import sqlalchemy as sa

from uchet.platform.fieldtypes import FieldType, FileValue
from uchet.platform.fieldtypes.special import FileType
from uchet.platform.model.config import Field, Table
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import User


class Audited(Protocol):
    """What the audit needs of a writer of records (the record service is one)."""

    table: Table
    user: User
    #: The table's stored fields with their types.
    stored_fields: list[tuple[Field, FieldType]]


@dataclass(frozen=True)
class AuditEntry:
    """One change of one record."""

    id: int
    at: dt.datetime
    user_id: int | None
    user_login: str | None
    action: str
    #: Field name -> [old, new], JSON-compatible.
    changes: Mapping[str, list[Any]]


def changes_between(
    service: Audited, old: Mapping[str, Any], new: Mapping[str, Any] | None
) -> dict[str, list[Any]]:
    """Field name -> [old, new] for every stored field whose value differs.

    ``old`` is empty on create; ``new`` is None on delete, and on update holds only the
    fields being written. Values are in their JSON form (the field type's ``dump``).
    """
    changes: dict[str, list[Any]] = {}
    for f, ftype in service.stored_fields:
        before = old.get(f.name)
        after = None if new is None else new.get(f.name, before)
        if before != after:
            changes[f.name] = [_dump(ftype, f, before), _dump(ftype, f, after)]
    return changes


def creation_changes(
    stored_fields: Sequence[tuple[Any, FieldType]],
) -> Callable[[Mapping[str, Any]], dict[str, list[Any]]]:
    """``changes_between(service, {}, values)`` for many new records (a bulk load): what
    each field's value needs to become JSON is decided once, not once per row."""
    fields: list[tuple[str, Callable[[Any], Any] | None]] = [
        (f.name, None)  # the stored value is its own JSON form
        if type(ftype).dump is FieldType.dump and not isinstance(ftype, FileType)
        else (f.name, partial(_dump, ftype, f))
        for f, ftype in stored_fields
    ]

    def changes(values: Mapping[str, Any]) -> dict[str, list[Any]]:
        found = {}
        for name, dump in fields:
            value = values.get(name)
            if value is not None:
                found[name] = [None, value if dump is None else dump(value)]
        return found

    return changes


def creation_json(
    stored_fields: Sequence[tuple[Any, FieldType]],
) -> Callable[[Mapping[str, Any]], str]:
    """:func:`creation_changes` as JSON text, for a bulk load's audit rows: the same
    object, built from pieces (each field's ``"name": [null, `` once per load, strings by
    the ``json`` module's C encoder) rather than by ``json.dumps`` of a dict per row.
    Non-ASCII text stays as it is (UTF-8), which makes the rows about half as long as
    ``json.dumps``'s escapes would for Cyrillic."""
    order = {f.name: i for i, (f, _) in enumerate(stored_fields)}
    pieces: dict[str, tuple[str, Callable[[Any], Any] | None]] = {
        f.name: (
            encode_text(f.name) + ": [null, ",
            None
            if type(ftype).dump is FieldType.dump and not isinstance(ftype, FileType)
            else partial(_dump, ftype, f),
        )
        for f, ftype in stored_fields
    }
    shapes: dict[tuple[str, ...], list[tuple[str, str, Callable[[Any], Any] | None]]] = {}

    def encode(values: Mapping[str, Any]) -> str:
        keys = tuple(values)
        shape = shapes.get(keys)
        if shape is None:  # the rows of a load mostly share one set of keys
            known = sorted((k for k in keys if k in order), key=order.__getitem__)
            shape = shapes[keys] = [(k, *pieces[k]) for k in known]
        out = []
        for name, prefix, dump in shape:
            value = values[name]
            if value is None:
                continue
            if dump is not None:
                value = dump(value)
            cls = value.__class__
            if cls is str:
                text = encode_text(value)
            elif cls is int:
                text = int.__repr__(value)
            else:
                text = _encoder.encode(value)
            out.append(prefix + text + "]")
        return "{" + ", ".join(out) + "}"

    return encode


#: JSON for values other than str and int (the same output as ``json.dumps`` but for
#: non-ASCII text, which stays as it is).
_encoder = json.JSONEncoder(ensure_ascii=False)
#: A str as a JSON string literal (the ``json`` module's C function).
encode_text: Callable[[str], str] = json.encoder.encode_basestring


def _dump(ftype: Any, f: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, FileValue):
        return {"name": value.name, "size": len(value.data)}
    return ftype.dump(f, value)


def audit_rows(
    service: Audited, action: str, entries: Sequence[tuple[Any, Mapping[str, list[Any]]]]
) -> list[dict[str, Any]]:
    """Rows for ``uchet_audit``, one per (record id, changes)."""
    now = dt.datetime.now().replace(microsecond=0)
    user = service.user
    return [
        {
            "at": now,
            "user_id": user.id,
            "user_login": user.login,
            "table_id": service.table.id,
            "record_id": record_id,
            "action": action,
            "changes": dict(changes),
        }
        for record_id, changes in entries
    ]


def history(runtime: Runtime, table_id: str, record_id: Any) -> list[AuditEntry]:
    """The audit trail of one record, oldest first."""
    audit = runtime.audit
    stmt = (
        sa.select(audit)
        .where(audit.c.table_id == table_id, audit.c.record_id == record_id)
        .order_by(audit.c.id)
    )
    with runtime.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [AuditEntry(r.id, r.at, r.user_id, r.user_login, r.action, r.changes) for r in rows]
