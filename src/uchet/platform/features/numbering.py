"""Document numbers (invoice and contract numbers): gap-free sequences declared per field.

A string field with ``"numbering": {"pattern": "INV-{year}-{seq:05d}", "reset": "yearly"}``
gets its value on create when none is given. Each field and period (the year, the month, or
one period for ``never``) has a counter row in ``uchet_counters``. The counter is advanced
with ``UPDATE ... RETURNING`` inside the transaction that inserts the document, so:

* the row lock it takes makes concurrent creators queue (PostgreSQL row lock; SQLite's
  writers already hold the database lock from ``BEGIN IMMEDIATE``);
* a failed insert rolls the counter back with it, so no number is ever skipped.

Patterns are parsed by :mod:`uchet.platform.model.numbering`, never passed to ``str.format``
(which would let a configuration reach attributes of the values).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from uchet.platform.model.config import Field, Table
from uchet.platform.model.numbering import parse_pattern

#: Period key of a date for each ``reset`` value.
PERIODS = {
    "never": lambda day: "",
    "yearly": lambda day: f"{day.year:04d}",
    "monthly": lambda day: f"{day.year:04d}-{day.month:02d}",
}


@dataclass(frozen=True)
class Numbering:
    """A parsed numbering rule of one field."""

    field: Field
    parts: tuple[str | tuple[str, int], ...]  # literal text, or (token, width)
    reset: str
    date_field: str | None  # field name

    def render(self, seq: int, day: dt.date) -> str:
        """The number with ``seq`` for a document dated ``day``."""
        values = {"seq": seq, "year": day.year, "month": day.month, "day": day.day}
        default_width = {"seq": 0, "year": 4, "month": 2, "day": 2}
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                name, width = part
                out.append(str(values[name]).zfill(width or default_width[name]))
        return "".join(out)


def numbering_of(table: Table, f: Field) -> Numbering:
    """The parsed numbering of field ``f`` (already checked by the configuration checks)."""
    spec = f.numbering or {}
    date_field = spec.get("date_field")
    return Numbering(
        f,
        parse_pattern(spec["pattern"]),
        spec.get("reset", "never"),
        table.field_by_id(date_field).name if date_field else None,
    )


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.today()


def allocate(conn: Connection, counters: sa.Table, key: str, period: str, count: int) -> int:
    """Reserve ``count`` numbers of the sequence ``key`` in ``period``; returns the first.

    The counter row stays locked until the caller's transaction ends.
    """
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(counters).values(key=key, period=period, value=0).on_conflict_do_nothing())
    last = conn.execute(
        counters.update()
        .where(counters.c.key == key, counters.c.period == period)
        .values(value=counters.c.value + count)
        .returning(counters.c.value)
    ).scalar_one()
    return int(last) - count + 1


def fill_numbers(
    conn: Connection, counters: sa.Table, table: Table, rows: Iterable[dict[str, Any]]
) -> None:
    """Give every row without a value in a numbered field its next number, in row order."""
    rows = list(rows)
    for f in table.fields:
        if not f.numbering:
            continue
        rule = numbering_of(table, f)
        pending: dict[str, list[tuple[dict[str, Any], dt.date]]] = {}
        for row in rows:
            if row.get(f.name) in (None, ""):
                day = _day(row.get(rule.date_field) if rule.date_field else None)
                pending.setdefault(PERIODS[rule.reset](day), []).append((row, day))
        for period in sorted(pending):
            batch = pending[period]
            first = allocate(conn, counters, f.id, period, len(batch))
            for i, (row, day) in enumerate(batch):
                row[f.name] = rule.render(first + i, day)
