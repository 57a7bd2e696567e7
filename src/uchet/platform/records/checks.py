"""What the record service checks before and after a write.

Every write (:meth:`~uchet.platform.records.service.RecordService.create`, ``update``, ``delete``
and the bulk path in :mod:`uchet.platform.records.bulk`) goes through these checks: the fields the
user may write, validation against the generated schema, references to records that exist,
unique values, and, after the write, that the record is still inside the user's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.model.config import label_text
from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.model.i18n import Text, message
from uchet.platform.records.permissions import Access

if TYPE_CHECKING:
    from uchet.platform.model.config import Field, Table
    from uchet.platform.records.runtime import Runtime
    from uchet.platform.records.users import User
    from uchet.platform.schema.compiler import CompiledTable

#: Values per ``IN (...)`` when looking records up by id.
IN_CHUNK = 500


class WriteChecks:
    """The write checks of the record service (mixed into ``RecordService``)."""

    # What the mixin uses of the service.
    rt: Runtime
    ct: CompiledTable
    table: Table
    user: User
    locale: str
    defaults: dict[str, Any]
    file_fields: list[Field]

    if TYPE_CHECKING:

        def _row_condition(self, access: Access) -> Any: ...
        def _check_file_sizes(self, loaded: dict[str, Any], row: int | None) -> None: ...

    def _refused_fields(self, access: Access) -> dict[str, str]:
        """Field name -> why the user may not write it (empty for the system user)."""
        if self.user.is_system:
            return {}
        refused = {}
        for f in self.table.fields:
            if not access.unrestricted and f.name not in access.writable():
                refused[f.name] = message("no_write", self.locale)
            elif f.read_only:
                refused[f.name] = message("read_only", self.locale)
        return refused

    def _check_writable(self, values: Mapping[str, Any], access: Access) -> None:
        refused = self._refused_fields(access)
        problems = {name: [refused[name]] for name in values if name in refused}
        if problems:
            raise ValidationError(problems)

    def _prepare(
        self, values: Mapping[str, Any], creating: bool, row: int | None = None
    ) -> dict[str, Any]:
        """``values`` validated and converted (defaults filled in on create)."""
        checks = self.rt.validator(self.table.id).checks(self.locale, creating)
        return self._prepare_with(checks.load, values, creating, row)

    def _preparer(self) -> Callable[[Mapping[str, Any], int | None], dict[str, Any]]:
        """:meth:`_prepare` for the rows of one bulk create (``Checks.bulk``: a repeated
        value is checked once per load)."""
        load = self.rt.validator(self.table.id).checks(self.locale, True).bulk()
        return lambda values, row: self._prepare_with(load, values, True, row)

    def _prepare_with(
        self,
        load: Callable[[Mapping[str, Any], int | None], dict[str, Any]],
        values: Mapping[str, Any],
        creating: bool,
        row: int | None,
    ) -> dict[str, Any]:
        if not isinstance(values, Mapping):
            raise ValidationError(
                {"_schema": ["Values must be an object of field names to values."]}, row
            )
        data = dict(values)
        if creating:
            for name, default in self.defaults.items():
                data.setdefault(name, default)
        loaded = load(data, row)
        if creating:
            self._check_retired(loaded, None, row)
        if self.file_fields:
            self._check_file_sizes(loaded, row)
        return loaded

    def _check_retired(
        self, values: Mapping[str, Any], old: Mapping[str, Any] | None, row: int | None = None
    ) -> None:
        """Refuse a retired choice (issue 14) given to a new record (``old`` None) or as a
        changed value; a record that already holds it keeps it through other edits."""
        problems: dict[str, list[str]] = {}
        for f in self.table.fields:
            value = values.get(f.name)
            unchanged = old is not None and old.get(f.name) == value
            if f.type != "choice" or value is None or unchanged:
                continue
            found = next((c for c in f.choices if c.value == value and c.retired), None)
            if found is not None:
                label = label_text(found.label, self.locale, default=found.value)
                problems[f.name] = [message("choice_retired", self.locale, label=label)]
        if problems:
            raise ValidationError(problems, row)

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
            for chunk in chunks(sorted(wanted), IN_CHUNK):
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

    def _ensure_visible(self, conn: Connection, record_id: Any, access: Access) -> None:
        """Refuse a write that leaves the record outside the user's rows (e.g. a manager
        assigning a client to someone else's name)."""
        self._ensure_all_visible(conn, [record_id], access)

    def _ensure_all_visible(self, conn: Connection, ids: list[Any], access: Access) -> None:
        condition = self._row_condition(access)
        if condition is None:
            return
        sql = self.ct.sql
        for chunk in chunks(ids, IN_CHUNK):
            seen = conn.execute(
                sa.select(sa.func.count()).select_from(sql).where(sql.c.id.in_(chunk), condition)
            ).scalar()
            if seen != len(chunk):
                what = (f"{self.table.name} records" if len(ids) > 1
                        else f"a {self.table.name} record")  # fmt: skip
                raise PermissionDenied(Text("outside_rows", login=self.user.login, what=what))


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """``items`` in slices of at most ``size``."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
