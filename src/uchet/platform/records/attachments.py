"""Files attached to any record (S37): scans, photos, receipts, stored in the database.

A table with ``"attachments": true`` lets its records carry any number of files. They are
kept in ``uchet_files`` and linked by ``uchet_attachments(table_id, record_id)``, so no
table needs a column per file. Rights follow the record: whoever may read the record sees
its attachments, whoever may change it attaches and removes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.fieldtypes import FileValue
from uchet.platform.model.errors import NotFound, ValidationError
from uchet.platform.model.i18n import message

if TYPE_CHECKING:
    from uchet.platform.model.config import Table
    from uchet.platform.records.permissions import Access
    from uchet.platform.records.runtime import Runtime
    from uchet.platform.records.users import User


@dataclass(frozen=True)
class Attachment:
    """A file attached to a record."""

    id: int
    name: str
    content_type: str
    size: int
    note: str | None
    created_at: dt.datetime
    created_by: int | None


class AttachmentMixin:
    """Attachment methods of the record service (mixed into ``RecordService``)."""

    if TYPE_CHECKING:  # provided by RecordService
        rt: Runtime
        table: Table
        user: User
        locale: str

        def get(self, record_id: Any) -> dict[str, Any]: ...
        def _access(self, action: str) -> Access: ...
        def _transaction(self) -> Any: ...
        def _locked_row(
            self, conn: Connection, record_id: Any, access: Access, version: int | None
        ) -> dict[str, Any]: ...

    def _attachments_on(self) -> None:
        if not self.table.attachments:
            raise ValidationError(
                {"_schema": [f"table {self.table.name!r} does not take attachments"]}
            )

    def attachments(self, record_id: Any) -> list[Attachment]:
        """The files attached to a record the user may read."""
        self._attachments_on()
        self.get(record_id)  # NotFound outside the user's rows
        att, files = self.rt.model.system["uchet_attachments"], self.rt.files
        stmt = (
            sa.select(
                att.c.id,
                files.c.name,
                files.c.content_type,
                files.c.size,
                att.c.note,
                att.c.created_at,
                att.c.created_by,
            )
            .join(files, files.c.id == att.c.file_id)
            .where(att.c.table_id == self.table.id, att.c.record_id == record_id)
            .order_by(att.c.id)
        )
        with self.rt.engine.connect() as conn:
            return [Attachment(*row) for row in conn.execute(stmt)]

    def attach(self, record_id: Any, file: Any, note: str | None = None) -> Attachment:
        """Attach ``file`` (a FileValue, or ``{"name", "data"[, "content_type"]}``) to a
        record the user may change; the size limit of the configuration applies."""
        self._attachments_on()
        self._access("update")
        if isinstance(file, dict):
            file = FileValue(
                file.get("name", "file"),
                file.get("data", b""),
                file.get("content_type") or "application/octet-stream",
            )
        if not isinstance(file, FileValue) or not file.data:
            raise ValidationError({"file": [message("required", self.locale)]})
        if len(file.data) > self.rt.max_file_size:
            raise ValidationError(
                {
                    "file": [
                        message(
                            "file_too_large",
                            self.locale,
                            size=len(file.data),
                            limit=self.rt.max_file_size,
                        )
                    ]
                }
            )
        with self._transaction() as conn:
            self._locked_row(conn, record_id, self._access("update"), None)
            now = dt.datetime.now().replace(microsecond=0)
            file_id = conn.execute(
                self.rt.files.insert().values(
                    table_id=self.table.id,
                    field_id="",
                    name=file.name,
                    content_type=file.content_type,
                    size=len(file.data),
                    data=file.data,
                    created_at=now,
                    created_by=self.user.id,
                )
            ).inserted_primary_key[0]
            att = self.rt.model.system["uchet_attachments"]
            att_id = conn.execute(
                att.insert().values(
                    table_id=self.table.id,
                    record_id=record_id,
                    file_id=file_id,
                    note=note,
                    created_at=now,
                    created_by=self.user.id,
                )
            ).inserted_primary_key[0]
        return Attachment(
            att_id, file.name, file.content_type, len(file.data), note, now, self.user.id
        )

    def attachment(self, record_id: Any, attachment_id: Any) -> tuple[str, str, bytes]:
        """``(name, content_type, data)`` of one attachment of a record the user may read."""
        self._attachments_on()
        self.get(record_id)
        att, files = self.rt.model.system["uchet_attachments"], self.rt.files
        stmt = (
            sa.select(files.c.name, files.c.content_type, files.c.data)
            .join(att, files.c.id == att.c.file_id)
            .where(
                att.c.id == attachment_id,
                att.c.table_id == self.table.id,
                att.c.record_id == record_id,
            )
        )
        with self.rt.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            raise NotFound(f"attachment #{attachment_id} not found")
        return row.name, row.content_type, row.data

    def detach(self, record_id: Any, attachment_id: Any) -> None:
        """Remove an attachment (and its file) from a record the user may change."""
        self._attachments_on()
        with self._transaction() as conn:
            self._locked_row(conn, record_id, self._access("update"), None)
            if not remove_attachments(self.rt, conn, self.table.id, record_id, [attachment_id]):
                raise NotFound(f"attachment #{attachment_id} not found")


def remove_attachments(
    rt: Runtime, conn: Connection, table_id: str, record_id: Any, ids: list[Any] | None = None
) -> int:
    """Delete attachments of a record (all when ``ids`` is None) with their files."""
    att, files = rt.model.system["uchet_attachments"], rt.files
    where = [att.c.table_id == table_id, att.c.record_id == record_id]
    if ids is not None:
        where.append(att.c.id.in_(ids))
    file_ids = list(conn.execute(sa.select(att.c.file_id).where(*where)).scalars())
    if not file_ids:
        return 0
    conn.execute(att.delete().where(*where))
    conn.execute(files.delete().where(files.c.id.in_(file_ids)))
    return len(file_ids)
