"""Checks of the ``grid`` property of a child table (issue 21): the rows of a table edited
inside their document's card. Every problem names the file and JSON pointer to edit.

A grid names fields by id only: ids never change on a rename, so no rename rule is needed
(tests/test_rename_guard.py walks the meta-schema and agrees).
"""

from __future__ import annotations

from collections.abc import Iterator

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Configuration, Table
from uchet.platform.model.errors import ConfigIssue

#: Types a total row can sum (a formula's or rollup's result type counts).
SUMMABLE = frozenset({"integer", "decimal", "money", "percent"})


def grid_problems(
    config: Configuration, table: Table, registry: FieldTypeRegistry
) -> Iterator[ConfigIssue]:
    """Every problem of ``table.grid``: an unknown field, a parent that is not a reference
    (or whose document table is missing), a total of a non-number or an order field that
    is not a stored integer."""
    grid = table.grid
    if grid is None:
        return
    at = table.source.child("grid")

    def issue(message: str, *path: str | int) -> ConfigIssue:
        spot = at.child(*path)
        return ConfigIssue(spot.file, spot.pointer, message)

    ids = {f.id: f for f in table.fields}
    parent = ids.get(grid.parent)
    if parent is None:
        yield issue(f"no field with id {grid.parent!r} in table {table.name!r}", "parent")
    elif parent.type != "reference" or not parent.target:
        yield issue(f"{grid.parent!r} is not a reference to the document", "parent")
    elif not any(t.id == parent.target for t in config.tables):
        yield issue(f"{grid.parent!r} points to no table of the configuration", "parent")
    elif parent.on_delete != "cascade":
        # Deleting the document must take its rows with it, or a document with lines
        # could never be deleted from its card.
        yield issue(f'{grid.parent!r} should have on_delete "cascade"', "parent")
    for i, fid in enumerate(grid.columns):
        if fid not in ids:
            yield issue(f"no field with id {fid!r} in table {table.name!r}", "columns", i)
        elif fid == grid.parent:
            yield issue("the reference to the document is not a column", "columns", i)
    for i, fid in enumerate(grid.totals):
        f = ids.get(fid)
        if f is None:
            yield issue(f"no field with id {fid!r} in table {table.name!r}", "totals", i)
            continue
        kind = f.result_type if f.type in ("formula", "rollup") else f.type
        if kind not in SUMMABLE:
            yield issue(f"{fid!r} is not a number and cannot be totalled", "totals", i)
        elif fid not in grid.columns:
            yield issue(f"{fid!r} is totalled but not among the columns", "totals", i)
    if grid.order is not None:
        f = ids.get(grid.order)
        if f is None:
            yield issue(f"no field with id {grid.order!r} in table {table.name!r}", "order")
        elif f.type != "integer" or not registry.has_column(f):
            yield issue(f"{grid.order!r} must be a stored integer field", "order")
