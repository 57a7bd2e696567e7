"""Nullable columns a newer uchet adds to an existing system table (issue 16).

``create_all(checkfirst=True)`` creates the ``uchet_*`` tables a database lacks, but never
touches a table that exists: a database made by an older release would miss the columns
added since (``uchet_config.source`` and ``summary``...). :func:`add_missing_columns` adds
them, through Alembic's ``add_column``, on every migrate (an inspection of a dozen tables).
Only nullable columns without a default can be added this way, which is the rule for new
system columns: old rows simply have NULL there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.engine import Connection


def add_missing_columns(conn: Connection, tables: dict[str, sa.Table]) -> list[str]:
    """Add to the existing tables of ``tables`` the columns the database lacks; returns
    ``table.column`` of each column added. A missing column that is not nullable is a
    programming error (it would fail on existing rows) and raises ValueError."""
    inspector = sa.inspect(conn)
    existing = set(inspector.get_table_names())
    added: list[str] = []
    ops: Operations | None = None
    for name, table in tables.items():
        if name not in existing:
            continue
        have = {c["name"] for c in inspector.get_columns(name)}
        for column in table.columns:
            if column.name in have:
                continue
            if not column.nullable or column.primary_key:
                raise ValueError(f"system column {name}.{column.name} must be nullable to be added")
            ops = ops or Operations(MigrationContext.configure(conn))
            ops.add_column(name, sa.Column(column.name, column.type, nullable=True))
            added.append(f"{name}.{column.name}")
    return added
