"""The engine's tables for imports (issue 17): one row per import, and one per record an
import created or changed, which tags that record's audit entry with the import's id.

``uchet_audit`` itself keeps its columns (an existing database gains new tables on
``migrate``, never new columns of old ones): ``uchet_import_records.audit_id`` is the tag, so
"which import wrote this audit entry" and "what did import N write" are each one query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table

IMPORT_TABLE_NAMES = ("uchet_imports", "uchet_import_records")


def define_import_tables(metadata: MetaData, id_type: Any) -> dict[str, Table]:
    """Add the import tables to ``metadata``."""
    imports = Table(
        "uchet_imports",
        metadata,
        Column("id", id_type, primary_key=True, autoincrement=True),
        Column("table_id", String(100), nullable=False),
        Column("user_id", BigInteger),
        Column("user_login", String(100)),
        Column("at", DateTime, nullable=False),
        Column("file_name", String(255)),
        Column("mode", String(10), nullable=False),  # create, upsert, update
        Column("created", Integer, nullable=False, default=0),
        Column("updated", Integer, nullable=False, default=0),
        Column("skipped", Integer, nullable=False, default=0),
        Column("undone_at", DateTime),
    )
    records = Table(
        "uchet_import_records",
        metadata,
        Column("id", id_type, primary_key=True, autoincrement=True),
        Column("import_id", BigInteger, nullable=False),
        Column("table_id", String(100), nullable=False),
        Column("record_id", BigInteger, nullable=False),
        Column("action", String(10), nullable=False),  # create, update
        # The record's version right after the import: undo refuses a record edited since.
        Column("version", Integer, nullable=False),
        # For an update, the changed fields' values before it (as the audit dumps them).
        Column("before", JSON),
        Column("audit_id", BigInteger),
        Index("ix_uchet_import_records_import", "import_id", "id"),
        Index("ix_uchet_import_records_audit", "audit_id"),
    )
    return {t.name: t for t in (imports, records)}
