"""What the import screens keep between requests (issue 17): the uploaded file, the named
mappings of a table, and the latest dry-run report of an upload.

- An upload is a row of ``uchet_files`` (``table_id`` ``uchet_imports``, ``field_id``
  ``upload:<table id>``) owned by the user who sent it: :func:`load_upload` finds it only
  for that user and table, so one user's file is nobody else's to map or import.
- A saved mapping is ``uchet_state`` ``import_mapping:<table id>:<name>``, shared by
  everyone who imports into the table and reused by the screen and ``uchet import``.
- A dry-run report is ``uchet_state`` ``import_report:<upload id>``, for its download.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from uchet.platform.features.importing.mapping import Mapping
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import User
from uchet.platform.schema.database import write_transaction

UPLOADS = "uchet_imports"
#: Longest mapping name (the state key is at most 100 characters).
NAME_LENGTH = 40


@dataclass(frozen=True)
class Upload:
    """A file sent to the import screen."""

    id: int
    name: str
    data: bytes


def save_upload(rt: Runtime, table_id: str, user: User, name: str, data: bytes) -> int:
    """Keep an uploaded file for ``user``; returns its id."""
    files = rt.model.system["uchet_files"]
    row = {
        "table_id": UPLOADS,
        "field_id": f"upload:{table_id}",
        "name": name[:255],
        "content_type": "application/octet-stream",
        "size": len(data),
        "data": data,
        "created_at": dt.datetime.now().replace(microsecond=0),
        "created_by": user.id,
    }
    with write_transaction(rt.engine) as conn:
        inserted = conn.execute(files.insert().values(row)).inserted_primary_key
        assert inserted is not None
        return int(inserted[0])


def _upload_where(rt: Runtime, upload_id: int, table_id: str, user: User) -> Any:
    files = rt.model.system["uchet_files"]
    return sa.and_(
        files.c.id == upload_id,
        files.c.table_id == UPLOADS,
        files.c.field_id == f"upload:{table_id}",
        files.c.created_by == user.id,
    )


def load_upload(rt: Runtime, upload_id: int, table_id: str, user: User) -> Upload | None:
    """The user's upload ``upload_id`` into ``table_id``, or None (not theirs, or gone)."""
    files = rt.model.system["uchet_files"]
    with rt.engine.connect() as conn:
        row = conn.execute(sa.select(files.c.id, files.c.name, files.c.data).where(
            _upload_where(rt, upload_id, table_id, user))).first()  # fmt: skip
    return None if row is None else Upload(int(row.id), row.name, bytes(row.data))


def delete_upload(rt: Runtime, upload_id: int, table_id: str, user: User) -> None:
    """Forget an upload (once its import is queued) and its dry-run report."""
    files, state = rt.model.system["uchet_files"], rt.model.system["uchet_state"]
    with write_transaction(rt.engine) as conn:
        conn.execute(files.delete().where(_upload_where(rt, upload_id, table_id, user)))
        conn.execute(state.delete().where(state.c.key == f"import_report:{upload_id}"))


def _put(rt: Runtime, key: str, value: Any) -> None:
    state = rt.model.system["uchet_state"]
    with write_transaction(rt.engine) as conn:
        conn.execute(state.delete().where(state.c.key == key))
        conn.execute(state.insert().values(key=key, value=json.dumps(value, ensure_ascii=False,
                                                                       default=str)))  # fmt: skip


def _get(rt: Runtime, key: str) -> Any:
    state = rt.model.system["uchet_state"]
    with rt.engine.connect() as conn:
        raw = conn.execute(sa.select(state.c.value).where(state.c.key == key)).scalar()
    return json.loads(raw) if raw else None


def save_report(rt: Runtime, upload_id: int, report: dict[str, Any]) -> None:
    """Keep the dry-run report of an upload (:func:`report_json`'s form) for its download."""
    _put(rt, f"import_report:{upload_id}", report)


def load_report(rt: Runtime, upload_id: int) -> dict[str, Any] | None:
    """The latest dry-run report of an upload, or None."""
    found = _get(rt, f"import_report:{upload_id}")
    return found if isinstance(found, dict) else None


def save_mapping(rt: Runtime, table_id: str, name: str, mapping: Mapping) -> str:
    """Save ``mapping`` for the table under ``name`` (replacing one of that name); returns
    the name as kept (stripped, at most :data:`NAME_LENGTH` characters)."""
    name = name.strip()[:NAME_LENGTH]
    if not name:
        raise ValueError("a saved mapping needs a name")
    _put(rt, f"import_mapping:{table_id}:{name}", mapping.to_json())
    return name


def saved_mappings(rt: Runtime, table_id: str) -> list[str]:
    """Names of the table's saved mappings, sorted."""
    state = rt.model.system["uchet_state"]
    prefix = f"import_mapping:{table_id}:"
    with rt.engine.connect() as conn:
        keys = conn.execute(sa.select(state.c.key).where(state.c.key.startswith(
            prefix, autoescape=True))).scalars().all()  # fmt: skip
    return sorted(k[len(prefix) :] for k in keys)


def load_mapping(rt: Runtime, table_id: str, name: str) -> Mapping | None:
    """The table's saved mapping ``name``, or None."""
    found = _get(rt, f"import_mapping:{table_id}:{name}")
    return Mapping.from_json(found) if found is not None else None


def import_entry(rt: Runtime, import_id: int) -> Any:
    """The log row of import ``import_id`` (table, user, counts, ``undone_at``), or None."""
    log = rt.model.system["uchet_imports"]
    with rt.engine.connect() as conn:
        return conn.execute(sa.select(log).where(log.c.id == import_id)).first()
