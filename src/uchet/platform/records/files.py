"""Files of file and image fields: stored in ``uchet_files`` in the write's transaction,
read back only through a record the user may read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.fieldtypes import FileValue
from uchet.platform.model.errors import NotFound, ValidationError
from uchet.platform.model.i18n import message
from uchet.platform.query.listquery import Filter

if TYPE_CHECKING:
    from uchet.platform.model.config import Field, Table
    from uchet.platform.records.permissions import Access
    from uchet.platform.records.runtime import Runtime
    from uchet.platform.records.users import User

#: Records (and files) read per query by :meth:`FileFields.files`.
FILE_BATCH = 500


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
        def query(self, **options: Any) -> Any: ...

    def _readable_file_field(self, field: str) -> None:
        access = self._access("read")
        f = self.table.field_by_name(field)
        if f.type not in ("file", "image") or (
            not access.unrestricted and field not in access.readable()
        ):
            raise NotFound(f"{self.table.name}.{field} is not a readable file field")

    def file(self, record_id: Any, field: str) -> tuple[str, str, bytes] | None:
        """``(name, content_type, data)`` of a file field of a record the user may read."""
        self._readable_file_field(field)
        file_id = self.get(record_id).get(field)
        if file_id is None:
            return None
        files = self.rt.files
        with self.rt.engine.connect() as conn:
            row = conn.execute(sa.select(files).where(files.c.id == file_id)).first()
        return (row.name, row.content_type, row.data) if row else None

    def files(
        self, record_ids: Iterable[Any], field: str, *, data: bool = True
    ) -> dict[Any, tuple[str, str, bytes | None]]:
        """The files of one field of many records: ``{record id: (name, content_type, data)}``.

        Only records the user may read appear (row rules apply), and only for a field they
        may read (:class:`NotFound` otherwise, as :meth:`file`). Two queries per
        :data:`FILE_BATCH` records however many there are, so printing a hundred child rows
        with pictures is not two hundred queries. ``data=False`` leaves the bytes out (None)
        for callers that only show the names.
        """
        self._readable_file_field(field)
        ids = list(dict.fromkeys(record_ids))
        file_ids: dict[Any, Any] = {}
        for i in range(0, len(ids), FILE_BATCH):
            chunk = ids[i : i + FILE_BATCH]
            rows = self.query(
                filters=[Filter("id", "in", chunk)], columns=[field], limit=len(chunk), count=False
            ).rows
            file_ids.update((r["id"], r[field]) for r in rows if r.get(field) is not None)
        files = self.rt.files
        columns = [files.c.id, files.c.name, files.c.content_type]
        if data:
            columns.append(files.c.data)
        stored: dict[Any, tuple[str, str, bytes | None]] = {}
        wanted = sorted(set(file_ids.values()))
        with self.rt.engine.connect() as conn:
            for i in range(0, len(wanted), FILE_BATCH):
                statement = sa.select(*columns).where(files.c.id.in_(wanted[i : i + FILE_BATCH]))
                for row in conn.execute(statement):
                    stored[row.id] = (row.name, row.content_type, row.data if data else None)
        return {rid: stored[fid] for rid, fid in file_ids.items() if fid in stored}

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
