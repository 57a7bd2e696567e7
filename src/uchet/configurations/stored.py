"""The base tree and the upgrade report stored with each applied version (issue 16).

Every applied version records, next to its merged ``tree``, the bundle's own tree before any
overlay (``uchet_config.base_tree``): the old base a later ``uchet config upgrade`` merges
from, so an integrator needs only the new bundle. The version an upgrade applied also keeps
its merge report (``upgrade_report``). A database whose ``uchet_config`` predates these
columns reads as having neither (the next migration adds the columns).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.model.config import thaw
from uchet.platform.schema.system import system_table


def _table() -> sa.Table:
    return system_table("uchet_config")


def record(
    conn: Connection,
    version: int,
    *,
    base_tree: Mapping[str, Any] | None = None,
    report: Mapping[str, Any] | None = None,
) -> None:
    """Store ``base_tree`` and/or ``report`` on applied version ``version``."""
    values: dict[str, Any] = {}
    if base_tree is not None:
        values["base_tree"] = thaw(base_tree)
    if report is not None:
        values["upgrade_report"] = thaw(report)
    if values:
        table = _table()
        conn.execute(table.update().where(table.c.version == version).values(**values))


def _has_columns(conn: Connection) -> bool:
    inspector = sa.inspect(conn)
    if not inspector.has_table("uchet_config"):
        return False
    names = {c["name"] for c in inspector.get_columns("uchet_config")}
    return {"base_tree", "upgrade_report"} <= names


def applied_base(engine: Engine) -> tuple[int, dict[str, Any] | None] | None:
    """``(version, base tree)`` of the newest applied version (the tree None when it was
    applied before uchet stored it), or None for a database never migrated."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("uchet_config"):
            return None
        table = _table()
        columns = [table.c.version, table.c.base_tree] if _has_columns(conn) else [table.c.version]
        row = conn.execute(sa.select(*columns).order_by(table.c.version.desc()).limit(1)).first()
    if row is None:
        return None
    base = row[1] if len(row) > 1 else None
    return row[0], (thaw(base) if base is not None else None)


def version_tree(engine: Engine, version: int) -> dict[str, Any] | None:
    """The merged tree stored for applied version ``version``, None if there is none."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("uchet_config"):
            return None
        table = _table()
        row = conn.execute(sa.select(table.c.tree).where(table.c.version == version)).first()
    return None if row is None else thaw(row[0])


def upgrade_report(engine: Engine, version: int) -> dict[str, Any] | None:
    """The merge report stored with version ``version``, if an upgrade applied it."""
    with engine.connect() as conn:
        if not _has_columns(conn):
            return None
        table = _table()
        row = conn.execute(
            sa.select(table.c.upgrade_report).where(table.c.version == version)
        ).first()
    return None if row is None or row[0] is None else thaw(row[0])


def latest_overlay(engine: Engine) -> tuple[int, dict[str, Any]] | None:
    """``(revision, document)`` of the database overlay's latest revision, or None.

    Read without building any configuration: an upgrade needs the document before the new
    base can take it (it may name objects the new base removed).
    """
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("uchet_overlay_revisions"):
            return None
        table = system_table("uchet_overlay_revisions")
        row = conn.execute(
            sa.select(table.c.revision, table.c.overlay).order_by(table.c.revision.desc()).limit(1)
        ).first()
    return None if row is None else (row.revision, thaw(row.overlay))
