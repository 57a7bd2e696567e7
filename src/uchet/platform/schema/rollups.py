"""Stored rollups: aggregate columns kept up to date in the writing transaction.

A rollup marked ``"stored": true`` is a real column of its parent table (an invoice's
``total``), so lists filter, sort, sum and index it like any column instead of running a
correlated subquery per row. The value is written only here, always with the compiled
rollup expression itself (:attr:`CompiledTable.rollups`, the subquery a computed rollup
reads), so a stored and a computed rollup can never differ in definition::

    UPDATE invoices SET total = coalesce((SELECT sum(<amount>) FROM invoice_lines
                                          WHERE invoice_lines.invoice = invoices.id), 0)
    WHERE invoices.id IN (...)

The record service calls :func:`after_write` after every create, update, delete and bulk
create, in the same transaction, with the child rows before and after the write; only the
parents whose value can have changed are recomputed (the old and the new parent when a row
moves; nothing when no input of the rollup changed, see :mod:`.rollup_deps`). A changed
stored rollup is itself an input of the rollups over its table (a client's debt sums its
invoices' ``total - paid``): :class:`RollupGraph` orders the rollups so each is recomputed
after those it reads, once per write. The updates are derived data: they write no audit
entries and do not bump the parent's ``version`` (a user editing the invoice meanwhile
does not get a conflict for a payment someone else added).

:func:`recompute` computes whole columns again: the migration that makes a rollup stored
or changes its definition, and ``uchet recompute`` after data changed outside uchet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.checks.rollup_deps import rollup_inputs
from uchet.platform.fieldtypes import stored_rollup
from uchet.platform.model.config import Configuration, Field
from uchet.platform.schema.compiler import CompiledModel

#: Parent ids per UPDATE (well under SQLite's and PostgreSQL's bound-parameter limits).
CHUNK = 500


@dataclass(frozen=True)
class StoredRollup:
    """One stored rollup: ``field`` of table ``parent`` over the rows of ``child``."""

    field: Field
    parent: str
    child: str
    #: The child's reference column to the parent.
    via: str
    #: Child columns whose change can change the value (``via`` among them).
    inputs: frozenset[str]


class RollupGraph:
    """The stored rollups of a configuration, in the order they must be recomputed."""

    def __init__(self, config: Configuration):
        found = []
        for t, f in config.all_fields():
            if stored_rollup(f) and f.rollup is not None:
                via = config.table(f.rollup.table).field_by_id(f.rollup.via).name
                inputs = rollup_inputs(config, f).columns
                found.append(StoredRollup(f, t.id, f.rollup.table, via, inputs))
        #: Stored rollups by child table id.
        self.by_child: dict[str, list[StoredRollup]] = {}
        for r in found:
            self.by_child.setdefault(r.child, []).append(r)
        #: For each stored rollup (by field id), the rollups that read it.
        self.readers: dict[str, list[StoredRollup]] = {
            r.field.id: [d for d in self.by_child.get(r.parent, ()) if r.field.name in d.inputs]
            for r in found
        }
        self.order = _topological(found, self.readers)
        self.by_id = {r.field.id: r for r in found}

    def __bool__(self) -> bool:
        return bool(self.order)

    def over(self, table_id: str) -> list[StoredRollup]:
        """The stored rollups whose rows live in ``table_id``."""
        return self.by_child.get(table_id, [])

    def closure(self, field_ids: Iterable[str]) -> list[StoredRollup]:
        """``field_ids`` and every stored rollup reading them (directly or not), in order."""
        wanted = set(field_ids)
        stack = list(wanted)
        while stack:
            for reader in self.readers.get(stack.pop(), ()):
                if reader.field.id not in wanted:
                    wanted.add(reader.field.id)
                    stack.append(reader.field.id)
        return [r for r in self.order if r.field.id in wanted]


def _topological(
    rollups: list[StoredRollup], readers: Mapping[str, list[StoredRollup]]
) -> list[StoredRollup]:
    """``rollups`` with every one before the rollups that read it (Kahn's algorithm; the
    configuration check refuses cycles, and a cycle would only keep its given order)."""
    waiting = {r.field.id: 0 for r in rollups}
    for r in rollups:
        for d in readers[r.field.id]:
            waiting[d.field.id] += 1
    ready = [r for r in rollups if waiting[r.field.id] == 0]
    order: list[StoredRollup] = []
    while ready:
        r = ready.pop(0)
        order.append(r)
        for d in readers[r.field.id]:
            waiting[d.field.id] -= 1
            if waiting[d.field.id] == 0:
                ready.append(d)
    return order + [r for r in rollups if r not in order]


def graph(model: CompiledModel) -> RollupGraph:
    """The (cached) rollup graph of a compiled model."""
    return model.cached(("rollup_graph",), lambda: RollupGraph(model.config))


# ------------------------------------------------------------------------------------------
# Keeping values up to date after a write


def parents_to_update(
    model: CompiledModel,
    table_id: str,
    rows: Iterable[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]],
) -> dict[str, set[Any]]:
    """The parent ids whose stored rollups a write of ``table_id`` can change, per rollup.

    ``rows`` are ``(old, new)`` pairs of the written rows (None for the side that does not
    exist: a create has no old row, a delete no new one). An update changes a rollup only
    when one of its inputs changed; then both the old and the new parent are recomputed.
    """
    pending: dict[str, set[Any]] = {}
    rollups = graph(model).over(table_id)
    if not rollups:
        return pending
    for old, new in rows:
        for r in rollups:
            if (
                old is not None
                and new is not None
                and all(old.get(c) == new.get(c) for c in r.inputs if c in new)
            ):
                continue
            ids = pending.setdefault(r.field.id, set())
            for side in (old, new):
                if side is not None and side.get(r.via) is not None:
                    ids.add(side[r.via])
    return {k: v for k, v in pending.items() if v}


def cascaded_parents(conn: Connection, model: CompiledModel, table_id: str,
                     ids: Sequence[Any], depth: int = 0) -> dict[str, set[Any]]:  # fmt: skip
    """Before deleting ``ids`` of ``table_id``: the parents of stored rollups over rows the
    database will delete (``cascade``, followed down any number of tables) or detach
    (``set_null``) with them."""
    pending: dict[str, set[Any]] = {}
    g = graph(model)
    if not g:
        return pending
    for child, ref in model.config.children_of(table_id):
        if ref.on_delete not in ("cascade", "set_null"):
            continue
        sql = model.tables[child.id].sql
        for r in g.over(child.id):
            if r.parent == table_id and r.via == ref.name:
                continue  # the parent itself is being deleted
            if ref.on_delete == "set_null" and ref.name not in r.inputs:
                continue
            for chunk in _chunks(ids):
                stmt = sa.select(sql.c[r.via]).where(
                    sql.c[ref.name].in_(chunk), sql.c[r.via].isnot(None)
                )
                pending.setdefault(r.field.id, set()).update(
                    conn.execute(stmt.distinct()).scalars()
                )
        if ref.on_delete == "cascade" and depth < MAX_CASCADE and _feeds_rollups(model, child.id):
            gone = [
                rid
                for chunk in _chunks(ids)
                for rid in conn.execute(
                    sa.select(sql.c.id).where(sql.c[ref.name].in_(chunk))
                ).scalars()
            ]
            if gone:
                for key, found in cascaded_parents(conn, model, child.id, gone, depth + 1).items():
                    pending.setdefault(key, set()).update(found)
    return {k: v for k, v in pending.items() if v}


#: How many tables down a cascaded delete is followed (reference cycles end there).
MAX_CASCADE = 8


def _feeds_rollups(model: CompiledModel, table_id: str) -> bool:
    """Whether deleting rows of ``table_id`` can cascade to or detach rows that stored
    rollups aggregate (so the rows it deletes must be looked up first)."""

    def build() -> bool:
        g, seen, stack = graph(model), {table_id}, [table_id]
        while stack:
            for child, ref in model.config.children_of(stack.pop()):
                if ref.on_delete not in ("cascade", "set_null"):
                    continue
                if g.over(child.id):
                    return True
                if ref.on_delete == "cascade" and child.id not in seen:
                    seen.add(child.id)
                    stack.append(child.id)
        return False

    return model.cached(("rollup_feeds", table_id), build)


def after_write(conn: Connection, model: CompiledModel, pending: Mapping[str, set[Any]]) -> None:
    """Recompute the stored rollups ``pending`` names for the given parent ids, then those
    that read them, in dependency order: one UPDATE per rollup per chunk of parents."""
    if not pending:
        return
    g = graph(model)
    todo = {k: set(v) for k, v in pending.items()}
    for r in g.closure(todo):
        ids = sorted(todo.pop(r.field.id, ()))
        if not ids:
            continue
        statements = _statements(model, r)
        for chunk in _chunks(ids):
            if conn.dialect.name == "postgresql":
                # Lock the parents first, in id order: the UPDATE then runs with a snapshot
                # taken after any concurrent writer of the same parents committed, so its
                # subquery sees their rows (READ COMMITTED would otherwise re-check only the
                # WHERE of a row updated meanwhile and keep a sum without the other line).
                conn.execute(statements.lock, {"ids": list(chunk)})
            conn.execute(statements.update, {"ids": list(chunk)})
        for reader in g.readers[r.field.id]:
            # Stored rollups over the parent table that read this one: their parents.
            via = statements.parents_of(reader)
            for chunk in _chunks(ids):
                found = conn.execute(via, {"ids": list(chunk)}).scalars()
                todo.setdefault(reader.field.id, set()).update(found)


@dataclass(frozen=True)
class _Statements:
    """The statements maintaining one stored rollup, built once per compiled model (their
    parent ids are an expanding parameter ``ids``, so SQLAlchemy compiles each once)."""

    update: Any
    lock: Any
    parents: Mapping[str, Any]

    def parents_of(self, reader: StoredRollup) -> Any:
        """SELECT DISTINCT the parents (in ``reader``'s parent table) of rows ``ids``."""
        return self.parents[reader.field.id]


def _statements(model: CompiledModel, r: StoredRollup) -> _Statements:
    def build() -> _Statements:
        parent = model.tables[r.parent]
        sql = parent.sql
        ids: Any = sa.bindparam("ids", expanding=True)
        update = sa.update(sql).where(sql.c.id.in_(ids))
        update = update.values({r.field.name: parent.rollups[r.field.name]})
        lock = sa.select(sql.c.id).where(sql.c.id.in_(ids)).order_by(sql.c.id).with_for_update()
        parents = {
            d.field.id: sa.select(sql.c[d.via])
            .where(sql.c.id.in_(ids), sql.c[d.via].isnot(None))
            .distinct()
            for d in graph(model).readers[r.field.id]
        }
        return _Statements(update, lock, parents)

    return model.cached(("rollup_statements", r.field.id), build)


def _chunks(ids: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


# ------------------------------------------------------------------------------------------
# Whole columns


def recompute(
    conn: Connection, model: CompiledModel, field_ids: Iterable[str] | None = None
) -> dict[str, int]:
    """Compute stored rollups ``field_ids`` (None: all) again for every parent row, with the
    rollups that read them; returns the number of rows whose value was wrong, per field id.

    Only rows whose value differs are written (``IS DISTINCT FROM``), so a recompute of a
    correct column changes nothing.
    """
    fixed: dict[str, int] = {}
    ids = list(graph(model).by_id) if field_ids is None else list(field_ids)
    for fid, stmt in recompute_statements(model, ids):
        fixed[fid] = conn.execute(stmt).rowcount
    return fixed


def recompute_statements(model: CompiledModel, field_ids: Iterable[str]) -> list[tuple[str, Any]]:
    """``(field id, UPDATE)`` computing ``field_ids`` and the stored rollups reading them for
    every row whose value differs, in dependency order."""
    result = []
    for r in graph(model).closure(field_ids):
        parent = model.tables[r.parent]
        column, expr = parent.sql.c[r.field.name], parent.rollups[r.field.name]
        stmt = sa.update(parent.sql).where(column.is_distinct_from(expr)).values({column: expr})
        result.append((r.field.id, stmt))
    return result


def select_fields(model: CompiledModel, target: str | None) -> list[str]:
    """The stored rollups ``target`` names: ``TABLE`` (its stored rollups), ``TABLE.FIELD``
    (by names or ids), or None (all). Raises KeyError naming the stored rollups."""
    g = graph(model)
    if target is None:
        return list(g.by_id)
    known: dict[str, list[str]] = {}
    names = []
    for r in g.order:
        table = model.tables[r.parent].table
        names.append(f"{table.name}.{r.field.name}")
        for key in {names[-1], r.field.id, table.name, table.id}:
            known.setdefault(key, []).append(r.field.id)
    if target not in known:
        raise KeyError(f"no stored rollup {target!r}; stored rollups: "
                       f"{', '.join(sorted(names)) or 'none'}")  # fmt: skip
    return known[target]
