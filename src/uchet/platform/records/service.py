"""The record service: the one path to the data (ARCHITECTURE rule 5).

Every read and write of records goes through :class:`RecordService`: validation, table, field
and row permissions, optimistic locking, the audit trail, search terms, stored files and the
lifecycle hooks. The web screens, the API, import and print all use it (or its query builder
with the row condition it supplies), so none of them can skip a permission.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.hookspecs import InsertBatch, RecordChange
from uchet.platform.model.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from uchet.platform.model.i18n import Text, message
from uchet.platform.query import listquery as q
from uchet.platform.query.cache import model_cache
from uchet.platform.query.names import Sight, TableSight
from uchet.platform.records import aggregate as record_aggregate
from uchet.platform.records import bulk, bulk_update, changerights
from uchet.platform.records.attachments import AttachmentMixin
from uchet.platform.records.audit import audit_rows, changes_between
from uchet.platform.records.bulk import BulkValidationError as BulkValidationError  # re-exported
from uchet.platform.records.checks import WriteChecks
from uchet.platform.records.files import FileFields
from uchet.platform.records.lookup import LookupMixin
from uchet.platform.records.permissions import Access
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import User
from uchet.platform.schema import rollups
from uchet.platform.schema.database import retrying, write_transaction
from uchet.platform.schema.search import record_terms, term_rows


@dataclass(frozen=True)
class ReadScope:
    """What one user may read of one table, for statements built outside :mod:`.query`
    (reports): the access, the row condition (None: every row), the readable field names
    (None: all) and the sight of the tables references lead to (None: everything)."""

    access: Access
    row_condition: Any
    readable: set[str] | None
    sight: Sight | None


@dataclass(frozen=True)
class _ReadRights:
    """What a list query needs of a user's read rights on a table (see
    :meth:`RecordService._read_rights`)."""

    row_condition: Any
    key: tuple[Any, ...]
    readable: frozenset[str] | None
    sight: Sight | None


class RecordService(WriteChecks, FileFields, LookupMixin, AttachmentMixin):
    """Records of one table, acting as one user, in one locale.

    The checks of a write (:mod:`.record_checks`) and file fields (:mod:`.record_files`)
    are mixed in from their own modules; the list queries are :mod:`.query`'s."""

    def __init__(self, runtime: Runtime, table: str, user: User, locale: str | None = None):
        self.rt = runtime
        self.ct = runtime.table(table)
        self.table = self.ct.table
        self.user = user
        self.locale = locale or user.locale or runtime.config.default_locale
        # Derived from the table alone: worked out once per model version and shared by
        # every service of the table (one is built per web or API request). Read-only.
        #: (field, type) of the fields that have a column, in table order; the defaults of
        #: stored fields, filled in on create; file and image fields (in ``uchet_files``).
        self.stored_fields, self.defaults, self.file_fields = runtime.cached(
            ("service_fields", self.table.id), lambda: _table_parts(runtime, self.table)
        )

    # -- reading ---------------------------------------------------------------------------
    def _access(self, action: str) -> Access:
        return self.rt.permissions.require(self.user, self.table.id, action)

    def _row_condition(self, access: Access) -> Any:
        return self.rt.permissions.row_condition(self.user, self.ct, access)

    def _sight(self, access: Access) -> Sight | None:
        """What the user may read of the tables references lead to (None: everything)."""
        if access.unrestricted:
            return None  # the system user or a superuser: every table, every row
        # It depends on nothing but the user and their roles (and the model version whose
        # cache holds it), so one sight serves all their queries and keys their statements.
        key = (self.user.id, tuple(self.user.roles))
        sight: Sight = model_cache(self.rt.model, "sights").get(
            key, lambda: Sight(self._table_sight, key)
        )
        return sight

    def _table_sight(self, table_id: str) -> TableSight | None:
        permissions = self.rt.permissions
        access = permissions.access(self.user, table_id)
        if not access.can("read"):
            return None
        rows = permissions.row_condition(self.user, self.rt.table(table_id), access)
        return TableSight(frozenset(access.readable()), rows)

    def read_scope(self) -> ReadScope:
        """The user's read rights on this table as SQL-ready parts; PermissionDenied when
        they may not read it. Reports build their statements from it, so they apply the
        same table, field and row rules as :meth:`query`."""
        access = self._access("read")
        return ReadScope(
            access,
            self._row_condition(access),
            None if access.unrestricted else access.readable(),
            self._sight(access),
        )

    def query(self, **options: Any) -> q.QueryResult:
        """List records: filters, sort, quick search, pages, group counts, a capped count.

        See :func:`uchet.platform.query.listquery.run_query` for the options. The user's row rules
        and field rights always apply.
        """
        rights = self._read_rights()
        options.setdefault("count_limit", self.rt.count_limit)
        options.setdefault("locale", self.locale)  # filter values are read, and refused, in it
        # The engine, not a connection: on SQLite the query then runs its statements on a
        # pooled driver connection directly (see query_driver).
        return q.run_query(
            self.rt.model,
            self.table.id,
            connection=self.rt.engine,
            row_condition=rights.row_condition,
            # The row rules depend on nothing but the user and their roles, so queries
            # of the same shape by the same user may share one statement.
            row_condition_key=rights.key,
            readable=rights.readable,
            sight=rights.sight,
            **options,
        )

    def _read_rights(self) -> _ReadRights:
        """:meth:`read_scope` for list queries, worked out once per table, user and roles in
        this model version (PermissionDenied, which is not remembered, when the user may
        not read the table). Rights come from the configuration's roles and row rules
        from the user's id, so nothing else can change the answer: a new configuration
        is a new model version, other roles are another key."""
        user = self.user
        key = (self.table.id, user.id, user.is_system, tuple(user.roles))

        def build() -> _ReadRights:
            access = self._access("read")
            readable = None if access.unrestricted else frozenset(access.readable())
            row_key = (user.id, tuple(user.roles))
            return _ReadRights(self._row_condition(access), row_key, readable,
                               self._sight(access))  # fmt: skip

        rights: _ReadRights = model_cache(self.rt.model, "read_rights").get(key, build)
        return rights

    def get(self, record_id: Any) -> dict[str, Any]:
        """One record by id; :class:`NotFound` if it does not exist or the user may not see it."""
        result = self.query(filters=[q.Filter("id", "eq", record_id)], limit=1, count=False)
        if not result.rows:
            raise NotFound(Text("not_found", table=self.table.name, id=record_id))
        return result.rows[0]

    def distinct_values(self, field: str, **options: Any) -> list[Any]:
        """Values a column filter offers, limited to the rows the user may see."""
        access = self._access("read")
        if not access.unrestricted and field not in access.readable():
            raise PermissionDenied(Text("may_not_read_field", name=f"{self.table.name}.{field}",
                                        label=self.table.field_by_name(field)
                                        if self.table.has_field(field) else field))  # fmt: skip
        with self.rt.engine.connect() as conn:
            return q.distinct_values(
                self.rt.model, self.table.id, field, connection=conn,
                row_condition=self._row_condition(access),
                # The other filters sent along may name fields too: check them the same way.
                readable=None if access.unrestricted else access.readable(),
                sight=self._sight(access), **options,
            )  # fmt: skip

    def aggregate(self, aggregate: str = "count", field: str | None = None, **options: Any) -> Any:
        """A count, sum, avg, min or max over the records the user may see (see
        :func:`uchet.platform.records.aggregate.aggregate` for ``filters``, ``search`` and
        ``count_limit``)."""
        return record_aggregate.aggregate(self, aggregate, field, **options)

    # -- writing ---------------------------------------------------------------------------
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

    # A write that met a lock or a serialization failure runs again as a whole (issue 13);
    # hooks run inside its transaction, so a rolled-back attempt leaves nothing behind.
    def create(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and insert one record; returns it as :meth:`get` would. A database busy
        beyond the retries raises :class:`~uchet.platform.model.errors.DatabaseBusy`."""
        return retrying(lambda: self._create(values))

    def update(
        self, record_id: Any, values: Mapping[str, Any], version: int | None = None
    ) -> dict[str, Any]:
        """Change a record. A stale ``version`` raises ConflictError and changes nothing."""
        return retrying(lambda: self._update(record_id, values, version))

    def delete(self, record_id: Any, version: int | None = None) -> None:
        """Delete a record. A stale ``version`` raises :class:`ConflictError`; records that
        others still reference (``on_delete: restrict``) raise :class:`ValidationError`."""
        retrying(lambda: self._delete(record_id, version))

    def insert(self, values: Mapping[str, Any]) -> Any:
        """:meth:`create` without reading the record back: returns the new id. For writes
        inside a :func:`~uchet.platform.schema.database.shared_write_transaction` (a
        document saved with its rows, issue 21), where a read on another connection would
        not see the uncommitted row yet."""
        return retrying(lambda: self._insert(values))

    def change(self, record_id: Any, values: Mapping[str, Any], version: int | None = None) -> None:
        """:meth:`update` without reading the record back (see :meth:`insert`)."""
        retrying(lambda: self._change(record_id, values, version))

    def _create(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return self.get(self._insert(values))

    def _insert(self, values: Mapping[str, Any]) -> Any:
        access = self._access("create")
        self._check_writable(values, access)
        data = self._prepare(values, creating=True)
        hook = self.rt.pm.hook
        hook.uchet_before_create(change=RecordChange(service=self, new=data))
        with self._transaction() as conn:
            problems = self._check_references(conn, [data])
            if problems:
                raise ValidationError(problems[0])
            self._check_unique(conn, data)
            self._store_files(conn, data)
            hook.uchet_before_insert(batch=InsertBatch(service=self, conn=conn, rows=[data]))
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
            self._maintain_rollups(conn, [(None, record)])
            hook.uchet_after_create(
                change=RecordChange(service=self, record_id=record_id, new=record, conn=conn)
            )
            hook.uchet_after_insert(batch=InsertBatch(service=self, conn=conn, rows=[record]))
        return record_id

    def _update(
        self, record_id: Any, values: Mapping[str, Any], version: int | None = None
    ) -> dict[str, Any]:
        self._change(record_id, values, version)
        return self.get(record_id)

    def _change(self, record_id: Any, values: Mapping[str, Any], version: int | None) -> None:
        access = self._access("update")
        self._check_writable(values, access)
        data = self._prepare(values, creating=False)
        with self._transaction() as conn:
            old = self._locked_row(conn, record_id, access, version)
            self._write_update(conn, record_id, old, data, version, access)

    def _write_update(
        self,
        conn: Connection,
        record_id: Any,
        old: dict[str, Any],
        data: dict[str, Any],
        version: int | None,
        access: Access,
    ) -> None:
        """Write the prepared ``data`` over the locked row ``old`` in ``conn``'s transaction
        (hooks, references, unique values, files, rollups, terms, audit): one record of
        :meth:`update` or of :meth:`update_many`."""
        sql = self.ct.sql
        refused = changerights.refused_changes(self, conn, record_id, old, data)
        if refused:
            raise ValidationError(refused)
        self._check_retired(data, old)
        self.rt.pm.hook.uchet_before_update(
            change=RecordChange(service=self, record_id=record_id, old=old, new=data, conn=conn)
        )
        problems = self._check_references(conn, [data])
        if problems:
            raise ValidationError(problems[0])
        self._check_unique(conn, data, exclude=record_id)
        self._store_files(conn, data)
        changes = changes_between(self, old, data)
        new_version = old["version"] + 1
        stmt = sql.update().where(sql.c.id == record_id, sql.c.version == old["version"])
        stmt = stmt.values({**data, "version": new_version, "updated_at": _now(),
                            "updated_by": self.user.id})  # fmt: skip
        if conn.execute(stmt).rowcount != 1:
            raise ConflictError(self.table.name, record_id, version, self._current(record_id))
        merged = {**old, **data}
        self._maintain_rollups(conn, [(old, merged)])
        if any(self.table.field_by_id(fid).name in data for fid in self.table.search_fields):
            self._write_terms(conn, record_id, merged, replace=True)
        self._ensure_visible(conn, record_id, access)
        if changes:
            conn.execute(self.rt.audit.insert(), audit_rows(self, "update", [(record_id, changes)]))
        record = {**merged, "version": new_version}
        self.rt.pm.hook.uchet_after_update(
            change=RecordChange(service=self, record_id=record_id, old=old, new=record, conn=conn)
        )

    def _delete(self, record_id: Any, version: int | None = None) -> None:
        access = self._access("delete")
        sql = self.ct.sql
        with self._transaction() as conn:
            old = self._locked_row(conn, record_id, access, version)
            self.rt.pm.hook.uchet_before_delete(
                change=RecordChange(service=self, record_id=record_id, old=old, conn=conn)
            )
            # Stored rollups over rows the database deletes or detaches with this one.
            cascaded = rollups.cascaded_parents(conn, self.rt.model, self.table.id, [record_id])
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
            self._maintain_rollups(conn, [(old, None)], cascaded)
            conn.execute(
                self.rt.audit.insert(),
                audit_rows(self, "delete", [(record_id, changes_between(self, old, None))]),
            )
            self.rt.pm.hook.uchet_after_delete(
                change=RecordChange(service=self, record_id=record_id, old=old, conn=conn)
            )

    def create_many(self, rows: Iterable[Mapping[str, Any]]) -> list[Any]:
        """Validate every row, then insert them all in one transaction.

        Rows are judged as :meth:`create` judges one record. Any invalid row (including a
        reference to a missing record or a value a unique field already has) raises
        :class:`BulkValidationError` naming the rows (1-based), and nothing is written.
        Every record gets its audit entry and search terms, and the create hooks run for
        each. Returns the new ids in input order. This is the path that import and demo
        data use; :mod:`uchet.platform.records.bulk` explains how it is fast.
        """
        return bulk.create_many(self, rows)

    def update_many(self, changes: Sequence[tuple[Any, Mapping[str, Any], int]]) -> list[dict]:
        """Change many records, each ``(id, values, version)``, in one transaction: all of
        them or none. Stale versions raise :class:`~.bulk_update.BulkConflictError` naming
        every stale record; see :func:`uchet.platform.records.bulk_update.update_many`."""
        return retrying(lambda: bulk_update.update_many(self, changes))

    # -- helpers ---------------------------------------------------------------------------
    def _maintain_rollups(
        self,
        conn: Connection,
        rows: Iterable[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]],
        more: Mapping[str, set[Any]] | None = None,
    ) -> None:
        """Recompute the stored rollups this write of ``(old, new)`` rows can change, in the
        write's transaction (derived values: no audit entries, see :mod:`.rollups`)."""
        pending = rollups.parents_to_update(self.rt.model, self.table.id, rows)
        for key, ids in (more or {}).items():
            pending.setdefault(key, set()).update(ids)
        rollups.after_write(conn, self.rt.model, pending)

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
            raise NotFound(Text("not_found", table=self.table.name, id=record_id))
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


def _table_parts(rt: Runtime, table: Any) -> tuple[list[Any], dict[str, Any], list[Any]]:
    stored = [(f, rt.types.get(f.type)) for f in table.fields if rt.types.get(f.type).stored]
    defaults = {f.name: f.default for f, _ in stored if f.default is not None}
    return stored, defaults, [f for f in table.fields if f.type in ("file", "image")]
