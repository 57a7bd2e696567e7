"""The record service: the one path to the data (ARCHITECTURE rule 5).

Every read and write of records goes through :class:`RecordService`: validation, table, field
and row permissions, optimistic locking, the audit trail, search terms, stored files and the
lifecycle hooks. The web screens, the API, import and print all use it (or its query builder
with the row condition it supplies), so none of them can skip a permission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from uchet.platform import query as q
from uchet.platform.attachments import AttachmentMixin
from uchet.platform.audit import audit_rows, changes_between
from uchet.platform.database import write_transaction
from uchet.platform.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from uchet.platform.fieldtypes import FileValue
from uchet.platform.i18n import message
from uchet.platform.lookup import LookupMixin
from uchet.platform.permissions import Access
from uchet.platform.runtime import Runtime
from uchet.platform.search import record_terms, term_rows
from uchet.platform.users import User

MAX_REPORTED_ROWS = 50


class BulkValidationError(ValidationError):
    """Some rows of a bulk load are invalid; ``rows`` maps a 1-based row number to messages."""

    def __init__(self, rows: Mapping[int, Mapping[str, list[str]]], total: int):
        self.rows = dict(rows)
        merged = {
            f"row {n}: {name}": msgs for n, per in self.rows.items() for name, msgs in per.items()
        }
        super().__init__(merged)
        self.args = (f"{total} invalid row(s); nothing was written. " + str(self),)


class RecordService(LookupMixin, AttachmentMixin):
    """Records of one table, acting as one user, in one locale.

    Lookups beyond the user's rows (:mod:`.lookup`) and attachments (:mod:`.attachments`)
    are mixed in from their own modules."""

    def __init__(self, runtime: Runtime, table: str, user: User, locale: str | None = None):
        self.rt = runtime
        self.ct = runtime.table(table)
        self.table = self.ct.table
        self.user = user
        self.locale = locale or user.locale or runtime.config.default_locale
        #: (field, type) of the fields that have a column, in table order.
        self.stored_fields = [
            (f, runtime.types.get(f.type))
            for f in self.table.fields
            if runtime.types.get(f.type).stored
        ]

    # -- reading ---------------------------------------------------------------------------
    def _access(self, action: str) -> Access:
        return self.rt.permissions.require(self.user, self.table.id, action)

    def _row_condition(self, access: Access) -> Any:
        return self.rt.permissions.row_condition(self.user, self.ct, access)

    def query(self, **options: Any) -> q.QueryResult:
        """List records: filters, sort, quick search, pages, group counts, a capped count.

        See :func:`uchet.platform.query.run_query` for the options. The user's row rules
        and field rights always apply.
        """
        access = self._access("read")
        options.setdefault("count_limit", self.rt.count_limit)
        with self.rt.engine.connect() as conn:
            return q.run_query(
                self.rt.model,
                self.table.id,
                connection=conn,
                row_condition=self._row_condition(access),
                readable=None if access.unrestricted else access.readable(),
                **options,
            )

    def get(self, record_id: Any) -> dict[str, Any]:
        """One record by id; :class:`NotFound` if it does not exist or the user may not see it."""
        result = self.query(filters=[q.Filter("id", "eq", record_id)], limit=1, count=False)
        if not result.rows:
            raise NotFound(f"{self.table.name} #{record_id} not found")
        return result.rows[0]

    def distinct_values(self, field: str, **options: Any) -> list[Any]:
        """Values a column filter offers, limited to the rows the user may see."""
        access = self._access("read")
        if not access.unrestricted and field not in access.readable():
            raise PermissionDenied(f"{self.user.login} may not read {self.table.name}.{field}")
        with self.rt.engine.connect() as conn:
            return q.distinct_values(
                self.rt.model, self.table.id, field, connection=conn,
                row_condition=self._row_condition(access), **options,
            )  # fmt: skip

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

    # -- writing ---------------------------------------------------------------------------
    def _check_writable(self, values: Mapping[str, Any], access: Access) -> None:
        if self.user.is_system:
            return
        names = {f.name: f for f in self.table.fields}
        problems = {}
        for name in values:
            if name in names and not access.unrestricted and name not in access.writable():
                problems[name] = [message("no_write", self.locale)]
            elif name in names and names[name].read_only:
                problems[name] = [message("read_only", self.locale)]
        if problems:
            raise ValidationError(problems)

    def _with_defaults(self, values: Mapping[str, Any]) -> dict[str, Any]:
        result = dict(values)
        for f in self.table.fields:
            if f.name not in result and f.default is not None and self.rt.types.get(f.type).stored:
                result[f.name] = f.default
        return result

    def _prepare(
        self, values: Mapping[str, Any], creating: bool, row: int | None = None
    ) -> dict[str, Any]:
        if not isinstance(values, Mapping):
            raise ValidationError(
                {"_schema": ["Values must be an object of field names to values."]}, row
            )
        data = self._with_defaults(values) if creating else dict(values)
        loaded = self.rt.validator(self.table.id).load(
            data, locale=self.locale, creating=creating, row=row
        )
        for f in self.table.fields:
            if f.type in ("file", "image") and isinstance(loaded.get(f.name), FileValue):
                limit = f.max_size or self.rt.max_file_size
                if len(loaded[f.name].data) > limit:
                    raise ValidationError(
                        {
                            f.name: [
                                message(
                                    "file_too_large",
                                    self.locale,
                                    size=len(loaded[f.name].data),
                                    limit=limit,
                                )
                            ]
                        },
                        row,
                    )
        return loaded

    def _store_files(self, conn: Connection, values: dict[str, Any]) -> None:
        for f in self.table.fields:
            value = values.get(f.name)
            if isinstance(value, FileValue):
                result = conn.execute(
                    self.rt.files.insert().values(
                        table_id=self.table.id, field_id=f.id, name=value.name,
                        content_type=value.content_type, size=len(value.data), data=value.data,
                        created_at=_now(), created_by=self.user.id,
                    )
                )  # fmt: skip
                assert result.inserted_primary_key is not None
                values[f.name] = result.inserted_primary_key[0]

    def _check_references(
        self, conn: Connection, rows: Sequence[Mapping[str, Any]]
    ) -> dict[int, dict[str, list[str]]]:
        """Friendly errors for references to missing records (the FK would only say "failed")."""
        problems: dict[int, dict[str, list[str]]] = {}
        for f in self.table.fields:
            if f.type not in ("reference", "user"):
                continue
            wanted = {r[f.name] for r in rows if r.get(f.name) is not None}
            if not wanted:
                continue
            target = (
                self.rt.table(f.target).sql
                if f.type == "reference" and f.target
                else self.rt.model.system["uchet_users"]
            )
            found: set[Any] = set()
            for chunk in _chunks(sorted(wanted), 500):
                found |= set(
                    conn.execute(sa.select(target.c.id).where(target.c.id.in_(chunk))).scalars()
                )
            for i, r in enumerate(rows):
                if r.get(f.name) is not None and r[f.name] not in found:
                    problems.setdefault(i, {})[f.name] = [
                        message("reference_missing", self.locale, id=r[f.name])
                    ]
        return problems

    def _check_unique(
        self, conn: Connection, values: Mapping[str, Any], exclude: Any = None
    ) -> None:
        problems = {}
        for f in self.table.fields:
            if f.unique and values.get(f.name) is not None:
                col = self.ct.sql.c[f.name]
                stmt = sa.select(self.ct.sql.c.id).where(col == values[f.name])
                if exclude is not None:
                    stmt = stmt.where(self.ct.sql.c.id != exclude)
                if conn.execute(stmt.limit(1)).first():
                    problems[f.name] = [message("unique", self.locale)]
        if problems:
            raise ValidationError(problems)

    def _write_terms(
        self, conn: Connection, record_id: Any, values: Mapping[str, Any], replace: bool
    ) -> None:
        search = self.ct.search
        if search is None:
            return
        if replace:
            conn.execute(search.delete().where(search.c.record_id == record_id))
        rows = term_rows(record_id, record_terms(self.table, values, self.rt.types))
        if rows:
            conn.execute(search.insert(), rows)

    def _ensure_visible(self, conn: Connection, record_id: Any, access: Access) -> None:
        """Refuse a write that leaves the record outside the user's rows (e.g. a manager
        assigning a client to someone else's name)."""
        condition = self._row_condition(access)
        if condition is None:
            return
        stmt = sa.select(self.ct.sql.c.id).where(self.ct.sql.c.id == record_id, condition)
        if conn.execute(stmt).first() is None:
            raise PermissionDenied(
                f"{self.user.login} may not place a {self.table.name} record outside their rows"
            )

    def create(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and insert one record; returns it as :meth:`get` would."""
        access = self._access("create")
        self._check_writable(values, access)
        data = self._prepare(values, creating=True)
        self.rt.pm.hook.uchet_before_create(table=self.table, values=data, user=self.user)
        with self._transaction() as conn:
            problems = self._check_references(conn, [data])
            if problems:
                raise ValidationError(problems[0])
            self._check_unique(conn, data)
            self._store_files(conn, data)
            self.rt.pm.hook.uchet_before_insert(service=self, conn=conn, rows=[data])
            now = _now()
            row = {**data, "version": 1, "created_at": now, "updated_at": now,
                   "created_by": self.user.id, "updated_by": self.user.id}  # fmt: skip
            record_id = conn.execute(self.ct.sql.insert().values(row)).inserted_primary_key[0]
            self._write_terms(conn, record_id, data, replace=False)
            self._ensure_visible(conn, record_id, access)
            conn.execute(
                self.rt.audit.insert(),
                audit_rows(self, "create", [(record_id, changes_between(self, {}, data))]),
            )
            record = {**data, "id": record_id, "version": 1}
            self.rt.pm.hook.uchet_after_create(table=self.table, record=record, user=self.user)
            self.rt.pm.hook.uchet_after_insert(service=self, conn=conn, records=[record])
        return self.get(record_id)

    def update(
        self, record_id: Any, values: Mapping[str, Any], version: int | None = None
    ) -> dict[str, Any]:
        """Change a record. A stale ``version`` raises ConflictError and changes nothing."""
        access = self._access("update")
        self._check_writable(values, access)
        data = self._prepare(values, creating=False)
        sql = self.ct.sql
        with self._transaction() as conn:
            old = self._locked_row(conn, record_id, access, version)
            self.rt.pm.hook.uchet_before_update(
                table=self.table, record_id=record_id, old=old, values=data, user=self.user
            )
            problems = self._check_references(conn, [data])
            if problems:
                raise ValidationError(problems[0])
            self._check_unique(conn, data, exclude=record_id)
            self._store_files(conn, data)
            changes = changes_between(self, old, data)
            new_version = old["version"] + 1
            stmt = (
                sql.update()
                .where(sql.c.id == record_id, sql.c.version == old["version"])
                .values(
                    {
                        **data,
                        "version": new_version,
                        "updated_at": _now(),
                        "updated_by": self.user.id,
                    }
                )
            )
            if conn.execute(stmt).rowcount != 1:
                raise ConflictError(self.table.name, record_id, version, self._current(record_id))
            merged = {**old, **data}
            if any(self.table.field_by_id(fid).name in data for fid in self.table.search_fields):
                self._write_terms(conn, record_id, merged, replace=True)
            self._ensure_visible(conn, record_id, access)
            if changes:
                conn.execute(
                    self.rt.audit.insert(), audit_rows(self, "update", [(record_id, changes)])
                )
            self.rt.pm.hook.uchet_after_update(
                table=self.table, old=old, record={**merged, "version": new_version},
                user=self.user, service=self, conn=conn,
            )  # fmt: skip
        return self.get(record_id)

    def delete(self, record_id: Any, version: int | None = None) -> None:
        """Delete a record. A stale ``version`` raises :class:`ConflictError`; records that
        others still reference (``on_delete: restrict``) raise :class:`ValidationError`."""
        access = self._access("delete")
        sql = self.ct.sql
        with self._transaction() as conn:
            old = self._locked_row(conn, record_id, access, version)
            self.rt.pm.hook.uchet_before_delete(table=self.table, record=old, user=self.user)
            for child_table, f in self.rt.config.children_of(self.table.id):
                if f.on_delete != "restrict":
                    continue
                child = self.rt.table(child_table.id).sql
                if conn.execute(
                    sa.select(child.c.id).where(child.c[f.name] == record_id).limit(1)
                ).first():
                    raise ValidationError(
                        {
                            "_schema": [
                                message(
                                    "reference_in_use",
                                    self.locale,
                                    table=child_table.text(self.locale),
                                )
                            ]
                        }
                    )
            if (
                conn.execute(
                    sql.delete().where(sql.c.id == record_id, sql.c.version == old["version"])
                ).rowcount
                != 1
            ):
                raise ConflictError(self.table.name, record_id, version, self._current(record_id))
            conn.execute(
                self.rt.audit.insert(),
                audit_rows(self, "delete", [(record_id, changes_between(self, old, None))]),
            )
            self.rt.pm.hook.uchet_after_delete(
                table=self.table, record=old, user=self.user, service=self, conn=conn
            )

    def create_many(self, rows: Iterable[Mapping[str, Any]]) -> list[Any]:
        """Validate every row, then insert them all in one transaction with executemany.

        Any invalid row raises :class:`BulkValidationError` naming the rows (1-based) and
        nothing is written. Returns the new ids in input order. This is the path that
        import and demo data use.
        """
        access = self._access("create")
        prepared: list[dict[str, Any]] = []
        errors: dict[int, dict[str, list[str]]] = {}
        for n, values in enumerate(rows, start=1):
            try:
                self._check_writable(values, access)
                prepared.append(self._prepare(values, creating=True, row=n))
            except ValidationError as e:
                if len(errors) < MAX_REPORTED_ROWS:
                    errors[n] = e.messages
                prepared.append({})
        if errors:
            raise BulkValidationError(errors, len(prepared))
        if not prepared:
            return []
        for data in prepared:
            self.rt.pm.hook.uchet_before_create(table=self.table, values=data, user=self.user)
        now = _now()
        with self._transaction() as conn:
            problems = self._check_references(conn, prepared)
            if problems:
                raise BulkValidationError(
                    {i + 1: p for i, p in list(problems.items())[:MAX_REPORTED_ROWS]}, len(problems)
                )
            for data in prepared:
                self._store_files(conn, data)
            self.rt.pm.hook.uchet_before_insert(service=self, conn=conn, rows=prepared)
            names = [f.name for f, _ in self.stored_fields]
            system = {
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "created_by": self.user.id,
                "updated_by": self.user.id,
            }
            # Every row gets every column so executemany sends one statement shape.
            params = [{**dict.fromkeys(names), **data, **system} for data in prepared]
            ids = self._allocate_ids(conn, len(params))
            for rid, row in zip(ids, params):
                row["id"] = rid
            try:
                # A plain executemany: RETURNING with ordered ids would make SQLite insert
                # row by row, ten times slower.
                conn.execute(self.ct.sql.insert(), params)
            except IntegrityError as e:
                raise ValidationError(
                    {"_schema": [f"{message('unique', self.locale)} ({e.orig})"]}
                ) from None
            if self.ct.search is not None:
                terms = [
                    row
                    for rid, data in zip(ids, prepared)
                    for row in term_rows(rid, record_terms(self.table, data, self.rt.types))
                ]
                if terms:
                    conn.execute(self.ct.search.insert(), terms)
            self._ensure_all_visible(conn, ids, access)
            conn.execute(
                self.rt.audit.insert(),
                audit_rows(
                    self,
                    "create",
                    [(rid, changes_between(self, {}, d)) for rid, d in zip(ids, prepared)],
                ),
            )
            records = [{**data, "id": rid, "version": 1} for rid, data in zip(ids, prepared)]
            for record in records:
                self.rt.pm.hook.uchet_after_create(table=self.table, record=record, user=self.user)
            self.rt.pm.hook.uchet_after_insert(service=self, conn=conn, records=records)
        return ids

    # -- helpers ---------------------------------------------------------------------------
    def _ensure_all_visible(self, conn: Connection, ids: list[Any], access: Access) -> None:
        condition = self._row_condition(access)
        if condition is None:
            return
        sql = self.ct.sql
        for chunk in _chunks(ids, 500):
            seen = conn.execute(
                sa.select(sa.func.count()).select_from(sql).where(sql.c.id.in_(chunk), condition)
            ).scalar()
            if seen != len(chunk):
                raise PermissionDenied(
                    f"{self.user.login} may not place {self.table.name} records outside their rows"
                )

    def _allocate_ids(self, conn: Connection, count: int) -> list[int]:
        """Ids for ``count`` new rows, reserved inside the current write transaction.

        PostgreSQL hands out a block from the id sequence; SQLite holds the write lock
        (BEGIN IMMEDIATE) for the whole transaction, so the ids after the current maximum
        are ours.
        """
        sql = self.ct.sql
        if conn.dialect.name == "postgresql":
            seq = sa.func.pg_get_serial_sequence(sql.name, "id")
            series = sa.func.generate_series(1, count).table_valued("n")
            return list(conn.execute(sa.select(sa.func.nextval(seq)).select_from(series)).scalars())
        start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(sql.c.id), 0))).scalar_one()
        return list(range(start + 1, start + count + 1))

    def _transaction(self) -> Any:
        return write_transaction(self.rt.engine)

    def _locked_row(
        self, conn: Connection, record_id: Any, access: Access, version: int | None
    ) -> dict[str, Any]:
        sql = self.ct.sql
        stmt = sa.select(sql).where(sql.c.id == record_id)
        condition = self._row_condition(access)
        if condition is not None:
            stmt = stmt.where(condition)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"{self.table.name} #{record_id} not found")
        if version is not None and row["version"] != int(version):
            raise ConflictError(self.table.name, record_id, version, self._current(record_id))
        return dict(row)

    def _current(self, record_id: Any) -> dict[str, Any] | None:
        try:
            return self.get(record_id)
        except NotFound:
            return None


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
