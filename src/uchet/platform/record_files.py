"""Files of file and image fields: stored in ``uchet_files`` in the write's transaction,
read back only through a record the user may read."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.errors import NotFound, ValidationError
from uchet.platform.fieldtypes import FileValue
from uchet.platform.i18n import message

if TYPE_CHECKING:
    from uchet.platform.model import Field, Table
    from uchet.platform.permissions import Access
    from uchet.platform.runtime import Runtime
    from uchet.platform.users import User


class FileFields:
    """File methods of the record service (mixed into ``RecordService``)."""

    # What the mixin uses of the service.
    rt: Runtime
    table: Table
    user: User
    locale: str
    file_fields: list[Field]

    if TYPE_CHECKING:

        def _access(self, action: str) -> Access: ...
        def get(self, record_id: Any) -> dict[str, Any]: ...

    def file(self, record_id: Any, field: str) -> tuple[str, str, bytes] | None:
        """``(name, content_type, data)`` of a file field of a record the user may read."""
        access = self._access("read")
        f = self.table.field_by_name(field)
        if f.type not in ("file", "image") or (
            not access.unrestricted and field not in access.readable()
        ):
            raise NotFound(f"{self.table.name}.{field} is not a readable file field")
        file_id = self.get(record_id).get(field)
        if file_id is None:
            return None
        files = self.rt.files
        with self.rt.engine.connect() as conn:
            row = conn.execute(sa.select(files).where(files.c.id == file_id)).first()
        return (row.name, row.content_type, row.data) if row else None

    def _check_file_sizes(self, loaded: dict[str, Any], row: int | None) -> None:
        """ValidationError for a new file larger than its field (or the platform) allows."""
        for f in self.file_fields:
            value = loaded.get(f.name)
            if isinstance(value, FileValue):
                limit = f.max_size or self.rt.max_file_size
                if len(value.data) > limit:
                    text = message("file_too_large", self.locale, size=len(value.data), limit=limit)
                    raise ValidationError({f.name: [text]}, row)

    def _store_files(self, conn: Connection, values: dict[str, Any]) -> None:
        """Store new files of ``values`` and put their ids in their place."""
        for f in self.file_fields:
            value = values.get(f.name)
            if isinstance(value, FileValue):
                result = conn.execute(
                    self.rt.files.insert().values(
                        table_id=self.table.id, field_id=f.id, name=value.name,
                        content_type=value.content_type, size=len(value.data), data=value.data,
                        created_at=dt.datetime.now().replace(microsecond=0),
                        created_by=self.user.id,
                    )
                )  # fmt: skip
                assert result.inserted_primary_key is not None
                values[f.name] = result.inserted_primary_key[0]
