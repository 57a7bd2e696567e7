"""New nullable columns of the system tables, added to databases made by an older uchet.

``ensure_system_tables`` creates the ``uchet_*`` tables a database lacks; a column added
to an existing system table in a later release (``uchet_config.base_tree`` and
``upgrade_report`` of issue 16) needs an ``ALTER TABLE ... ADD COLUMN`` instead.
:func:`add_missing_columns` compares each system table with the database and adds the
columns it lacks, through Alembic (no SQL built from strings), inside the migration's
transaction. Only nullable columns are added this way: an existing row has no value for
them, so a new column of a system table must be nullable (a test checks it).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.engine import Connection

from uchet.platform.schema.system import define_system_tables


def missing_columns(conn: Connection) -> dict[str, list[sa.Column[Any]]]:
    """System table name -> its defined columns the database's table lacks."""
    inspector = sa.inspect(conn)
    found: dict[str, list[sa.Column[Any]]] = {}
    for name, table in define_system_tables(sa.MetaData()).items():
        if not inspector.has_table(name):
            continue  # created whole by create_all
        have = {c["name"] for c in inspector.get_columns(name)}
        lacking = [c for c in table.columns if c.name not in have]
        if lacking:
            found[name] = lacking
    return found


def add_missing_columns(conn: Connection) -> list[str]:
    """Add every missing nullable system-table column; return ``table.column`` of each."""
    added: list[str] = []
    lacking = missing_columns(conn)
    if not lacking:
        return added
    ops = Operations(MigrationContext.configure(conn))
    for name, columns in lacking.items():
        for column in columns:
            if not column.nullable:
                raise RuntimeError(f"system column {name}.{column.name} must be nullable")
            ops.add_column(name, sa.Column(column.name, column.type, nullable=True))
            added.append(f"{name}.{column.name}")
    return added
