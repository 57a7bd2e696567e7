"""Values the engine fills in on a write: defaults copied through references
(``default_from``) or from a single-record table such as the company's details
(``default_from_single``), and stamps of the acting user or the time (``stamp``).

Both run inside the write transaction, after validation, so a copied price or a stamped
user is stored with the record or not at all. Lookups are batched: a bulk load of ten
thousand invoice lines costs one query per referenced table, not one per line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.model.config import Field, Table

if TYPE_CHECKING:
    from uchet.platform.records.runtime import Runtime


def fill_from_references(
    rt: Runtime, conn: Connection, table: Table, rows: list[dict[str, Any]]
) -> None:
    """For each ``default_from`` field without a value, copy it from the referenced record."""
    for f in table.fields:
        if not f.default_from:
            continue
        ref_name, *rest = f.default_from.split(".")
        ref = table.field_by_name(ref_name)
        wanted = [r for r in rows if r.get(f.name) is None and r.get(ref_name) is not None]
        if not wanted or not ref.target:
            continue
        target = rt.table(ref.target)
        expr = rt.model.path_expression(target, tuple(rest), set())
        ids = sorted({r[ref_name] for r in wanted})
        values: dict[Any, Any] = {}
        for i in range(0, len(ids), 500):
            stmt = sa.select(target.sql.c.id, expr).where(target.sql.c.id.in_(ids[i : i + 500]))
            values.update({rid: value for rid, value in conn.execute(stmt)})
        for r in wanted:
            value = values.get(r[ref_name])
            if value is not None:
                r[f.name] = value
    fill_from_single(rt, conn, table, rows)


def fill_from_single(
    rt: Runtime, conn: Connection, table: Table, rows: list[dict[str, Any]]
) -> None:
    """For each ``default_from_single`` field still without a value, copy the value of the
    named field of its table's first record (lowest id): the company's default VAT rate
    for an invoice line whose product names none. Runs after :func:`fill_from_references`,
    so a value found through a reference wins. One query per field and batch."""
    for f in table.fields:
        if not f.default_from_single:
            continue
        wanted = [r for r in rows if r.get(f.name) is None]
        if not wanted:
            continue
        source_table = rt.table(f.default_from_single.split(".", 1)[0])
        column = source_table.sql.c[source_table.table.field_by_id(f.default_from_single).name]
        stmt = sa.select(column).order_by(source_table.sql.c.id).limit(1)
        value = conn.execute(stmt).scalar()
        if value is not None:
            for r in wanted:
                r[f.name] = value


def _stamp_value(f: Field, actor: Any) -> Any:
    if f.type == "user":
        return actor
    now = dt.datetime.now().replace(microsecond=0)
    return now.date() if f.type == "date" else now


def _stamped(table: Table) -> Iterator[tuple[Field, str | None]]:
    for f in table.fields:
        if f.stamp is not None:
            when = f.stamp.get("when")
            yield f, table.field_by_id(when).name if when else None


#: Marks a stamp without ``equals`` (None is not a usable value to wait for).
_ANY = object()


def _reached(f: Field, value: Any) -> bool:
    """Whether the watched field's ``value`` sets ``f``'s stamp: equal to ``equals`` when
    the stamp names one (an order's stage reaching «готова»), any true value otherwise."""
    equals = (f.stamp or {}).get("equals", _ANY)
    return bool(value) if equals is _ANY else value == equals


def stamp_created(table: Table, rows: list[dict[str, Any]], actor: Any) -> None:
    """Stamps on create: always for ``stamp: {}``, when the watched field is set (or has the
    ``equals`` value) otherwise. A value the caller gave explicitly is kept (imports carry
    their history)."""
    for f, when in _stamped(table):
        for r in rows:
            if r.get(f.name) is None and (when is None or _reached(f, r.get(when))):
                r[f.name] = _stamp_value(f, actor)


def stamp_updated(table: Table, old: Mapping[str, Any], values: dict[str, Any], actor: Any) -> None:
    """Stamps on update: set when the watched field becomes set, cleared when it is cleared.
    A stamp with ``equals`` is set each time the field takes that value and kept when it
    moves on: the date each stage of an order was (last) reached stays on the record."""
    for f, when in _stamped(table):
        if when is None or when not in values or f.name in values:
            continue
        if "equals" in (f.stamp or {}):
            if _reached(f, values[when]) and not _reached(f, old.get(when)):
                values[f.name] = _stamp_value(f, actor)
            continue
        if values[when] and not old.get(when):
            values[f.name] = _stamp_value(f, actor)
        elif not values[when] and old.get(when):
            values[f.name] = None
