"""A document saved with its rows in one transaction (issue 21, point 1).

A child table whose configuration has a ``grid`` (invoice lines of an invoice) is edited
inside its document's card. :func:`save_document` writes the header and every row the grid
sent -- new rows, changed rows, deleted rows, their order -- in ONE transaction
(:func:`~uchet.platform.schema.database.shared_write_transaction`), each write through the
record service of its table, so the create, update and delete rights, validation, audit,
rollups (the invoice's «Сумма») and hooks apply exactly as for a single record.

The document's version guards the whole save: the header is always written with the
version the card was opened with (even when no header field changed), so a document that
another user saved meanwhile is refused with :class:`ConflictError` and nothing is written.
A bad row rolls everything back; :class:`DocumentInvalid` names every bad row and field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from uchet.platform.model.config import Configuration, Table
from uchet.platform.model.errors import ConflictError, NotFound, ValidationError
from uchet.platform.model.i18n import message
from uchet.platform.query.listquery import Filter
from uchet.platform.records.bulk import BulkValidationError
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import User
from uchet.platform.schema.database import retrying, shared_write_transaction

#: Rows one grid may hold in one save (a guard against a runaway request, not a design limit).
MAX_ROWS = 1000


@dataclass
class Row:
    """One row of a grid as the card sent it: ``id``/``version`` of an existing row (None for
    a new one) and the values of its columns (text as typed, or JSON values)."""

    values: Mapping[str, Any]
    id: Any = None
    version: int | None = None


@dataclass
class GridInput:
    """What a grid sends: its rows in their order, and the ids of the rows removed."""

    rows: list[Row] = field(default_factory=list)
    deleted: list[Any] = field(default_factory=list)


class DocumentInvalid(ValidationError):
    """The document or some of its rows failed validation; nothing was written.

    ``messages`` holds the header's problems (field name -> messages) and ``rows`` the rows'
    problems: ``{child table id: {row index (0-based): {field name: [messages]}}}``."""

    def __init__(
        self,
        header: Mapping[str, Any],
        rows: Mapping[str, Mapping[int, Mapping[str, Any]]],
    ) -> None:
        super().__init__(dict(header))
        self.rows = {t: dict(r) for t, r in rows.items()}


def grids_of(config: Configuration, table_id: str) -> list[Table]:
    """The child tables edited as a grid in ``table_id``'s card, in configuration order."""
    found = []
    for t in config.tables:
        if t.grid is not None and _parent_target(t) == table_id:
            found.append(t)
    return found


def _parent_target(table: Table) -> str | None:
    assert table.grid is not None
    try:
        return table.field_by_id(table.grid.parent).target
    except KeyError:
        return None


def parent_name(table: Table) -> str:
    """The name of the grid table's reference to its document."""
    assert table.grid is not None
    return table.field_by_id(table.grid.parent).name


def order_name(table: Table) -> str | None:
    """The name of the grid table's order field, if it has one."""
    assert table.grid is not None
    return table.field_by_id(table.grid.order).name if table.grid.order else None


def current_rows(
    runtime: Runtime, user: User, child: Table, record_id: Any, locale: str | None = None
) -> list[dict[str, Any]]:
    """The rows of the document ``record_id`` in ``child`` that ``user`` may read, in the
    grid's order (then by id: the order they were added in)."""
    service = RecordService(runtime, child.id, user, locale)
    order = order_name(child)
    sort = [order, "id"] if order else ["id"]
    result = service.query(
        filters=[Filter(parent_name(child), "eq", record_id)], sort=sort, limit=MAX_ROWS,
        count=False,
    )  # fmt: skip
    return list(result.rows)


def save_document(
    runtime: Runtime,
    user: User,
    table_id: str,
    record_id: Any,
    version: int | None,
    values: Mapping[str, Any],
    grids: Mapping[str, GridInput],
    locale: str | None = None,
) -> Any:
    """Create (``record_id`` None) or change the document and its grids' rows in one
    transaction; returns the document's id.

    Raises :class:`DocumentInvalid` (bad header or rows), :class:`ConflictError` (the
    document, or one of its rows, was saved by someone else since ``version``),
    :class:`NotFound` and :class:`PermissionDenied` as the record service does. Nothing is
    written unless everything is."""
    return retrying(
        lambda: _save(runtime, user, table_id, record_id, version, values, grids, locale)
    )


def _save(
    runtime: Runtime,
    user: User,
    table_id: str,
    record_id: Any,
    version: int | None,
    values: Mapping[str, Any],
    grids: Mapping[str, GridInput],
    locale: str | None,
) -> Any:
    header = RecordService(runtime, table_id, user, locale)
    locale = header.locale
    children = {t.id: t for t in grids_of(runtime.config, table_id)}
    for name in grids:
        if name not in children:
            raise ValidationError({"_schema": [message("grid_unknown", locale, table=name)]})
    # The rows that belong to the document now, read before the transaction: a row id sent
    # that is not one of them (another document's line) is refused, never written.
    owned: dict[str, dict[Any, dict[str, Any]]] = {}
    if record_id is not None:
        for name in grids:
            owned[name] = {r["id"]: r for r in current_rows(runtime, user, children[name],
                                                             record_id, locale)}  # fmt: skip
    with shared_write_transaction(runtime.engine):
        try:
            if record_id is None:
                record_id = header.insert(values)
            else:
                # Always written, even unchanged: the version check and its bump guard the
                # whole document against a save by someone else since the card was opened.
                header.change(record_id, values, version)
        except ValidationError as exc:
            raise DocumentInvalid(exc.messages, {}) from exc
        problems: dict[str, dict[int, Any]] = {}
        for name, grid in grids.items():
            bad = _save_rows(runtime, user, children[name], record_id, grid,
                             owned.get(name, {}), locale)  # fmt: skip
            if bad:
                problems[name] = bad
        if problems:
            # Raised inside the block: the shared transaction rolls back, header included.
            raise DocumentInvalid({}, problems)
    return record_id


def _save_rows(
    runtime: Runtime,
    user: User,
    child: Table,
    record_id: Any,
    grid: GridInput,
    owned: Mapping[Any, dict[str, Any]],
    locale: str,
) -> dict[int, Any]:
    """Write one grid's rows inside the shared transaction; the problems of bad rows by
    their index (each write is a savepoint, so the other rows are still judged)."""
    service = RecordService(runtime, child.id, user, locale)
    parent, order = parent_name(child), order_name(child)
    if len(grid.rows) > MAX_ROWS:
        return {MAX_ROWS: {"_schema": [message("grid_too_many", locale, count=MAX_ROWS)]}}
    problems: dict[int, Any] = {}
    for row_id in grid.deleted:
        if row_id not in owned:
            raise NotFound(message("grid_foreign_row", locale, id=row_id))
        try:
            service.delete(row_id, owned[row_id]["version"])
        except ConflictError as exc:
            raise _row_conflict(child, row_id) from exc
    new: list[tuple[int, dict[str, Any]]] = []
    for index, row in enumerate(grid.rows):
        values = {k: v for k, v in row.values.items() if k not in (parent, "id", "version")}
        if order:
            values[order] = index + 1
        if row.id is None:
            new.append((index, {**values, parent: record_id}))
            continue
        if row.id not in owned:
            raise NotFound(message("grid_foreign_row", locale, id=row.id))
        try:
            service.change(row.id, values, row.version)
        except ValidationError as exc:
            problems[index] = exc.messages
        except ConflictError as exc:
            raise _row_conflict(child, row.id) from exc
    if new:
        # The new rows in one batch (validated together, rights and row rules checked, the
        # document's rollups recomputed once): a 50-line invoice is not 50 round trips.
        try:
            service.create_many([values for _, values in new])
        except BulkValidationError as exc:
            for number, per_field in exc.rows.items():
                problems[new[number - 1][0]] = per_field
    return problems


def _row_conflict(child: Table, row_id: Any) -> ConflictError:
    """A row changed or removed by someone else: the whole document is stale."""
    return ConflictError(child.name, row_id, None, None)


def parse_grids(data: Any, children: Sequence[Table], locale: str) -> dict[str, GridInput]:
    """The grids of a posted document (the card's hidden JSON field), checked for shape:
    ``{child table id: {"rows": [{"id", "version", "values": {...}}], "deleted": [ids]}}``.
    A malformed payload raises :class:`ValidationError` with a Russian/English message."""
    names = {t.id for t in children}
    if not isinstance(data, Mapping):
        raise ValidationError({"_schema": [message("grid_bad_payload", locale)]})
    grids: dict[str, GridInput] = {}
    for name, body in data.items():
        if name not in names or not isinstance(body, Mapping):
            raise ValidationError({"_schema": [message("grid_unknown", locale, table=name)]})
        rows, deleted = body.get("rows", []), body.get("deleted", [])
        if not isinstance(rows, list) or not isinstance(deleted, list):
            raise ValidationError({"_schema": [message("grid_bad_payload", locale)]})
        grid = GridInput(deleted=[_id(v, locale) for v in deleted])
        for row in rows:
            if not isinstance(row, Mapping) or not isinstance(row.get("values", {}), Mapping):
                raise ValidationError({"_schema": [message("grid_bad_payload", locale)]})
            rid = row.get("id")
            grid.rows.append(Row(dict(row.get("values", {})),
                                 None if rid in (None, "") else _id(rid, locale),
                                 _version(row.get("version"), locale)))  # fmt: skip
        grids[name] = grid
    return grids


def _id(value: Any, locale: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({"_schema": [message("grid_bad_payload", locale)]}) from None


def _version(value: Any, locale: str) -> int | None:
    return None if value in (None, "") else _id(value, locale)
