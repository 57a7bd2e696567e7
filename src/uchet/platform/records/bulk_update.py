"""Bulk update: many records changed in one transaction, all or none (issue 18, the API's
batch ``PATCH``).

Each change is judged as :meth:`RecordService.update` judges one (writable fields, the
compiled validator, references, unique values, row rules before and after, files, hooks,
audit, search terms, rollups), with the same messages. What a batch adds:

* every change is validated before anything is written; bad ones are reported by number
  (:class:`~uchet.platform.records.bulk.BulkValidationError`) and nothing is written;
* every record is locked and its version compared before the first write: one stale
  version refuses the whole batch with :class:`BulkConflictError`, naming *every* stale
  record with its current state, so a caller can re-read them all at once;
* a record the user may not see (or that is gone) refuses the batch with
  :class:`~uchet.platform.model.errors.NotFound`, as a single update does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from uchet.platform.model.config import Table
from uchet.platform.model.errors import ConflictError, ValidationError
from uchet.platform.model.i18n import Text
from uchet.platform.records.bulk import MAX_REPORTED_ROWS, BulkValidationError, RowProblems
from uchet.platform.records.permissions import Access

#: At most this many records in one batch update (each is locked and re-read).
MAX_BATCH = 1000


class BatchUpdater(Protocol):
    """What :func:`update_many` uses of the record service (it implements these)."""

    locale: str
    table: Table

    def _access(self, action: str) -> Access: ...
    def _check_writable(self, values: Mapping[str, Any], access: Access) -> None: ...
    def _prepare(
        self, values: Mapping[str, Any], creating: bool, row: int | None = None
    ) -> dict[str, Any]: ...
    def _transaction(self) -> Any: ...
    def _locked_row(
        self, conn: Connection, record_id: Any, access: Access, version: int | None
    ) -> dict[str, Any]: ...
    def _write_update(
        self,
        conn: Connection,
        record_id: Any,
        old: dict[str, Any],
        data: dict[str, Any],
        version: int | None,
        access: Access,
    ) -> None: ...
    def _current(self, record_id: Any) -> dict[str, Any] | None: ...
    def get(self, record_id: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Stale:
    """One stale change of a batch: the id, the version the caller edited, the record now."""

    record_id: Any
    expected: int
    current: dict[str, Any] | None


class BulkConflictError(ConflictError):
    """Some records of a batch changed since the caller read them; nothing was written.
    ``stale`` names each one (the first is also this error's ``record_id``/``current``)."""

    def __init__(self, table: str, stale: Sequence[Stale]):
        first = stale[0]
        super().__init__(table, first.record_id, first.expected, first.current)
        self.stale = list(stale)


def update_many(
    service: BatchUpdater, changes: Sequence[tuple[Any, Mapping[str, Any], int]]
) -> list[dict[str, Any]]:
    """See :meth:`RecordService.update_many`; returns the records after the change, in
    input order."""
    if len(changes) > MAX_BATCH:
        raise ValidationError({"_schema": [Text("batch_too_large", limit=MAX_BATCH)]})
    access = service._access("update")
    prepared: list[dict[str, Any]] = []
    problems: RowProblems = {}
    seen: set[Any] = set()
    for n, (record_id, values, _version) in enumerate(changes, start=1):
        try:
            if record_id in seen:  # a second change would meet its own first as stale
                raise ValidationError({"id": [Text("batch_repeated_id", id=record_id)]}, n)
            seen.add(record_id)
            service._check_writable(values, access)
            prepared.append(service._prepare(values, creating=False, row=n))
        except ValidationError as e:
            problems[n] = e.messages
            prepared.append({})
    if problems:
        shown = {n: problems[n] for n in sorted(problems)[:MAX_REPORTED_ROWS]}
        raise BulkValidationError(shown, len(problems))
    with service._transaction() as conn:
        # Lock and compare every row first: a stale one refuses the batch before any write.
        olds = [service._locked_row(conn, rid, access, None) for rid, _, _ in changes]
        stale = [
            Stale(rid, int(version), service._current(rid))
            for (rid, _, version), old in zip(changes, olds, strict=True)
            if old["version"] != int(version)
        ]
        if stale:
            raise BulkConflictError(service.table.name, stale)
        for n, ((rid, _, version), old, data) in enumerate(
            zip(changes, olds, prepared, strict=True), start=1
        ):
            try:
                service._write_update(conn, rid, old, data, version, access)
            except ValidationError as e:  # a reference or unique value found in the database
                raise BulkValidationError({n: e.messages}, 1) from None
    return [service.get(rid) for rid, _, _ in changes]
