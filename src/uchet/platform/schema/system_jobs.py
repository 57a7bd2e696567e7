"""The engine's tables for background work and its results: jobs, notifications, document
number counters and attachments (``uchet_*``).

They live beside :mod:`uchet.platform.schema.system` and are added to the same MetaData by
:func:`define_system_tables`, so every compiled configuration can reference them and
``migrate`` creates them in existing databases (``create_all`` with ``checkfirst``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

JOB_TABLE_NAMES = ("uchet_jobs", "uchet_notifications", "uchet_counters", "uchet_attachments")


def define_job_tables(metadata: MetaData, id_type: Any) -> dict[str, Table]:
    """Add the job, notification, counter and attachment tables to ``metadata``."""
    jobs = Table(
        "uchet_jobs",
        metadata,
        Column("id", id_type, primary_key=True, autoincrement=True),
        Column("kind", String(50), nullable=False),
        # A rule and record a job belongs to, so a changed reminder replaces its job.
        Column("key", String(200)),
        Column("due_at", DateTime, nullable=False),
        Column("payload", JSON, nullable=False),
        Column("status", String(10), nullable=False),  # pending, running, done, failed
        Column("attempts", Integer, nullable=False, default=0),
        Column("locked_by", String(100)),
        Column("locked_until", DateTime),
        Column("last_error", Text),
        Column("created_at", DateTime, nullable=False),
        Column("finished_at", DateTime),
        Index("ix_uchet_jobs_due", "status", "due_at"),
        Index("ix_uchet_jobs_key", "key"),
    )
    notifications = Table(
        "uchet_notifications",
        metadata,
        Column("id", id_type, primary_key=True, autoincrement=True),
        Column(
            "user_id", BigInteger, ForeignKey("uchet_users.id", ondelete="CASCADE"), nullable=False
        ),
        Column("rule_id", String(100)),
        Column("title", String(500), nullable=False),
        Column("body", Text),
        Column("table_id", String(100)),
        Column("record_id", BigInteger),
        Column("created_at", DateTime, nullable=False),
        Column("read_at", DateTime),
        # Who made the change the notification is about (issue 21: "who"); NULL for the
        # system and for reminders. Nullable, so an older database gets it on migrate
        # (system_columns.py).
        Column("actor_id", BigInteger),
        Index("ix_uchet_notifications_user", "user_id", "read_at", "id"),
    )
    # One row per numbered field and period (a year, a month, or "" for never): the row is
    # locked by the transaction that inserts a document, so numbers have no gaps.
    counters = Table(
        "uchet_counters",
        metadata,
        Column("key", String(100), primary_key=True),
        Column("period", String(20), primary_key=True),
        Column("value", BigInteger, nullable=False),
    )
    attachments = Table(
        "uchet_attachments",
        metadata,
        Column("id", id_type, primary_key=True, autoincrement=True),
        Column("table_id", String(100), nullable=False),
        Column("record_id", BigInteger, nullable=False),
        Column(
            "file_id", BigInteger, ForeignKey("uchet_files.id", ondelete="CASCADE"), nullable=False
        ),
        Column("note", String(500)),
        Column("created_at", DateTime, nullable=False),
        Column("created_by", BigInteger),
        Index("ix_uchet_attachments_record", "table_id", "record_id"),
    )
    return {t.name: t for t in (jobs, notifications, counters, attachments)}
