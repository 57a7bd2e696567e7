"""Bulk create: many validated records in one transaction (import, demo data, the API's
batch endpoint).

It is :meth:`RecordService.create` for many rows, with the same rules and messages (each
row goes through the same defaults, writable-field check and compiled validator as a single
create), the same audit entries, search terms and hooks, and the same permissions. What
differs is how the rows reach the database:

* every row is validated before anything is written; bad rows are reported by number
  (:class:`BulkValidationError`) and nothing is written. References to missing records and
  values already used by a unique field are reported by row number too, from one ``IN``
  query per field and chunk rather than one query per row;
* each INSERT (records, search terms, audit entries) is compiled once and sent with the
  DB-API driver's ``executemany``. SQLAlchemy's per-row parameter handling cost more than
  the database's own work; here the columns' own bind processors are applied column by
  column, so values are stored exactly as SQLAlchemy would store them;
* search terms are inserted in term order, so the B-tree of ``<table>__sk`` is walked
  once per batch instead of jumping to a random page for every term;
* on SQLite the transaction runs with a larger page cache, so the indexes' pages changed
  by the batch stay in memory until the commit instead of spilling to the WAL one by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from uchet.hookspecs import InsertBatch, RecordChange
from uchet.platform.fieldtypes import FileValue
from uchet.platform.model.config import Field
from uchet.platform.model.errors import ValidationError
from uchet.platform.model.i18n import message
from uchet.platform.records.audit import Audited, creation_changes, creation_json
from uchet.platform.records.bulk_insert import DriverInsert, Raw, Same, deferred_indexes
from uchet.platform.records.permissions import Access
from uchet.platform.records.runtime import Runtime
from uchet.platform.schema.compiler import CompiledTable
from uchet.platform.schema.database import write_transaction
from uchet.platform.schema.search import SEARCH_FIELD_COLUMN, term_columns


def _owner(service: BulkWriter) -> Any:
    """The record service itself, for the hooks' contexts: they carry the whole
    :class:`RecordService`, of which :class:`BulkWriter` names only what this module calls
    (importing the service here would be an import cycle)."""
    return service


class BulkWriter(Audited, Protocol):
    """What :func:`create_many` needs of the record service: its table and user, and the
    steps of a single create it repeats for many rows (the service implements them)."""

    rt: Runtime
    ct: CompiledTable
    locale: str
    file_fields: list[Field]

    def _access(self, action: str) -> Access: ...
    def _refused_fields(self, access: Access) -> dict[str, str]: ...
    def _preparer(self) -> Callable[[Mapping[str, Any], int | None], dict[str, Any]]: ...
    def _check_references(
        self, conn: Connection, rows: Sequence[Mapping[str, Any]]
    ) -> dict[int, dict[str, list[str]]]: ...
    def _store_files(self, conn: Connection, values: dict[str, Any]) -> None: ...
    def _allocate_ids(self, conn: Connection, count: int) -> list[int]: ...
    def _ensure_all_visible(self, conn: Connection, ids: list[Any], access: Access) -> None: ...
    def _maintain_rollups(
        self,
        conn: Connection,
        rows: Iterable[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]],
    ) -> None: ...


#: At most this many bad rows are described in a BulkValidationError.
MAX_REPORTED_ROWS = 50
#: SQLite page cache of a bulk transaction, in KiB (the connection's own is 2 MiB).
BULK_CACHE_KIB = 128 * 1024
#: Values per ``IN (...)`` when looking up references and unique values.
IN_CHUNK = 500

RowProblems = dict[int, dict[str, list[str]]]


class BulkValidationError(ValidationError):
    """Some rows of a bulk load are invalid; ``rows`` maps a 1-based row number to messages."""

    def __init__(self, rows: Mapping[int, Mapping[str, list[str]]], total: int):
        self.rows = dict(rows)
        merged = {
            f"row {n}: {name}": msgs for n, per in self.rows.items() for name, msgs in per.items()
        }
        super().__init__(merged)
        self.args = (f"{total} invalid row(s); nothing was written. " + str(self),)


def create_many(
    service: BulkWriter, rows: Iterable[Mapping[str, Any]], *, checked: bool = False
) -> list[Any]:
    """See :meth:`RecordService.create_many`. With ``checked``, ``rows`` are the prepared
    rows :func:`check_rows` returned (the importer validates once, reports every row, then
    writes the good ones); the rights are checked again all the same."""
    access = service._access("create")
    if checked:
        prepared = [dict(r) for r in rows]
    else:
        prepared = _validated(service, rows, service._refused_fields(access))
    if not prepared:
        return []
    hook = service.rt.pm.hook
    before = bool(hook.uchet_before_create.get_hookimpls())
    if before:
        for data in prepared:
            hook.uchet_before_create(change=RecordChange(service=_owner(service), new=data))
    sql, search = service.ct.sql, service.ct.search
    if before:  # a hook may add a key; an unknown one must fail as a single create would
        _check_columns(sql, [f.name for f, _ in service.stored_fields], prepared)
    with write_transaction(service.rt.engine, sqlite_cache_kib=BULK_CACHE_KIB) as conn:
        # Checked rows had their references and unique values judged by check_rows in this
        # same transaction (the importer's); the database's constraints still hold.
        problems = {} if checked else service._check_references(conn, prepared)
        if not checked:
            for i, per_field in _unique_problems(service, conn, prepared).items():
                problems.setdefault(i, {}).update(per_field)
        if problems:
            numbered = {i + 1: problems[i] for i in sorted(problems)[:MAX_REPORTED_ROWS]}
            raise BulkValidationError(numbered, len(problems))
        files = [f.name for f in service.file_fields]
        for data in prepared:
            if files and any(isinstance(data.get(name), FileValue) for name in files):
                service._store_files(conn, data)
        hook.uchet_before_insert(
            batch=InsertBatch(service=_owner(service), conn=conn, rows=prepared)
        )
        ids = service._allocate_ids(conn, len(prepared))
        # Only the columns some row has a value for (the hooks above may have added some):
        # the others stay NULL, as in a single create.
        given = set().union(*prepared)
        names = [f.name for f, _ in service.stored_fields if f.name in given]
        columns = ["id", "version", "created_at", "updated_at", "created_by", "updated_by"]
        columns += names
        now, user_id = Same(_now()), Same(service.user.id)
        values: list[Sequence[Any] | Same | Raw] = [ids, Same(1), now, now, user_id, user_id]
        values += [[data.get(name) for data in prepared] for name in names]
        insert = _statement(service, conn, sql, columns)
        tables = [sql] if search is None else [sql, search]
        with deferred_indexes(conn, tables, len(prepared), existing=ids[0] - 1 if ids else 0):
            try:
                insert.run(conn, values)
            except IntegrityError as e:
                raise ValidationError(
                    {"_schema": [f"{message('unique', service.locale)} ({e.orig})"]}
                ) from None
            if search is not None:
                terms = service.rt.cached(
                    ("bulk_terms", service.table.id),
                    lambda: term_columns(service.table, service.rt.types),
                )
                _statement(service, conn, search, ["term", "record_id", SEARCH_FIELD_COLUMN]).run(
                    conn, list(terms(ids, prepared))
                )
        service._ensure_all_visible(conn, ids, access)
        _write_audit(service, conn, ids, prepared)
        records = [{**data, "id": rid, "version": 1} for rid, data in zip(ids, prepared)]
        # Once per batch: every affected parent in one UPDATE per rollup (per 500 parents).
        service._maintain_rollups(conn, [(None, record) for record in records])
        if hook.uchet_after_create.get_hookimpls():
            for record in records:
                hook.uchet_after_create(
                    change=RecordChange(
                        service=_owner(service), record_id=record["id"], new=record, conn=conn
                    )
                )
        hook.uchet_after_insert(batch=InsertBatch(service=_owner(service), conn=conn, rows=records))
    return ids


def _validated(
    service: BulkWriter, rows: Iterable[Mapping[str, Any]], refused: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Every row through the single-create path (defaults, writable fields, validator;
    a value repeated across rows is checked once, see ``validation.Checks.bulk``)."""
    prepare = service._preparer()
    prepared: list[dict[str, Any]] = []
    errors: RowProblems = {}
    failed = 0
    for n, values in enumerate(rows, start=1):
        try:
            if refused and isinstance(values, Mapping) and not refused.keys().isdisjoint(values):
                raise ValidationError({k: [refused[k]] for k in values if k in refused}, n)
            prepared.append(prepare(values, n))
        except ValidationError as e:
            failed += 1
            if len(errors) < MAX_REPORTED_ROWS:
                errors[n] = e.messages
            prepared.append({})
    if errors:
        raise BulkValidationError(errors, failed)
    return prepared


def check_rows(
    service: BulkWriter, conn: Connection, rows: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any] | None], RowProblems]:
    """Judge ``rows`` as :func:`create_many` would, writing nothing: the prepared rows
    (None for a bad one) and the problems of *every* bad row, by 0-based index (a dry run
    reports them all, where :class:`BulkValidationError` names the first
    :data:`MAX_REPORTED_ROWS`). References and unique values are checked on ``conn``."""
    access = service._access("create")
    refused = service._refused_fields(access)
    prepare = service._preparer()
    prepared: list[dict[str, Any] | None] = []
    problems: RowProblems = {}
    for i, values in enumerate(rows):
        try:
            if refused and not refused.keys().isdisjoint(values):
                raise ValidationError({k: [refused[k]] for k in values if k in refused})
            prepared.append(prepare(values, i + 1))
        except ValidationError as e:
            problems[i] = e.messages
            prepared.append(None)
    good = [(i, data) for i, data in enumerate(prepared) if data is not None]
    found = service._check_references(conn, [data for _, data in good])
    for j, per_field in _unique_problems(service, conn, [data for _, data in good]).items():
        found.setdefault(j, {}).update(per_field)
    for j, per_field in found.items():
        i = good[j][0]
        problems.setdefault(i, {}).update(per_field)
        prepared[i] = None
    return prepared, problems


def _unique_problems(
    service: BulkWriter, conn: Connection, rows: Sequence[Mapping[str, Any]]
) -> RowProblems:
    """Rows whose value of a unique field is taken: by an existing record, or by an earlier
    row of the same load. The messages are those of a single create."""
    problems: RowProblems = {}
    for f in service.table.fields:
        if not f.unique:
            continue
        col = service.ct.sql.c[f.name]
        first: dict[Any, int] = {}  # value -> index of the first row holding it
        clashes: list[tuple[int, Any]] = []
        for i, data in enumerate(rows):
            value = data.get(f.name)
            if value is None:
                continue
            if value in first:
                clashes.append((i, value))
            else:
                first[value] = i
        wanted = list(first)
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            for taken in conn.execute(sa.select(col).where(col.in_(chunk))).scalars():
                if taken in first:
                    clashes.append((first[taken], taken))
        for i, _value in clashes:
            problems.setdefault(i, {})[f.name] = [message("unique", service.locale)]
    return problems


def _write_audit(
    service: BulkWriter, conn: Connection, ids: Sequence[Any], rows: Sequence[Mapping]
) -> None:
    """One audit entry per new record, as a single create writes it (the same changes;
    on SQLite their JSON text is built here, see :func:`audit.creation_json`)."""
    audit, user = service.rt.audit, service.user
    columns = ["at", "user_id", "user_login", "table_id", "record_id", "action", "changes"]
    shared = [Same(_now()), Same(user.id), Same(user.login), Same(service.table.id)]
    changes: Sequence[Any] | Raw
    if conn.dialect.name == "sqlite":
        encode = service.rt.cached(
            ("bulk_audit_json", service.table.id), lambda: creation_json(service.stored_fields)
        )
        changes = Raw([encode(data) for data in rows])
    else:
        as_dict = creation_changes(service.stored_fields)
        changes = [as_dict(data) for data in rows]
    values: list[Sequence[Any] | Same | Raw] = [*shared, ids, Same("create"), changes]
    _statement(service, conn, audit, columns).run(conn, values)


def _statement(
    service: BulkWriter, conn: Connection, table: sa.Table, columns: Sequence[str]
) -> DriverInsert:
    key = ("bulk_insert", table.name, tuple(columns))
    return service.rt.cached(key, lambda: DriverInsert(table, columns, conn.dialect))


def _check_columns(sql: sa.Table, names: Sequence[str], rows: Sequence[Mapping]) -> None:
    known = set(names)
    for n, data in enumerate(rows, start=1):
        extra = data.keys() - known
        if extra:
            raise sa.exc.ArgumentError(
                f"row {n}: a before-create hook set {', '.join(sorted(extra))}, "
                f"which {sql.name} has no stored field for"
            )


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
