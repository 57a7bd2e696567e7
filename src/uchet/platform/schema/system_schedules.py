"""The table of recurring work (issue 20): scheduled backups and scheduled reports.

One row per schedule. ``next_run_at`` is the next occasion; the worker that moves it on
(a compare-and-set UPDATE) is the one that enqueues that occasion's job, so every occasion
runs once however many workers look (see :mod:`uchet.platform.features.schedules`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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

SCHEDULE_TABLE_NAMES = ("uchet_schedules",)


def define_schedule_tables(metadata: MetaData, id_type: Any) -> dict[str, Table]:
    """Add ``uchet_schedules`` to ``metadata``."""
    schedules = Table(
        "uchet_schedules",
        metadata,
        Column("id", id_type, primary_key=True, autoincrement=True),
        Column("kind", String(20), nullable=False),  # backup, report
        Column("name", String(200), nullable=False),
        # What to do: {"folder", "keep"} of a backup, {"report", "params", "recipients"} of
        # a report.
        Column("payload", JSON, nullable=False),
        Column("frequency", String(10), nullable=False),  # daily, weekly, monthly
        Column("at_time", String(5), nullable=False),  # HH:MM, local time
        Column("weekday", Integer),  # 0 = Monday, weekly
        Column("monthday", Integer),  # 1..31, monthly (a short month: its last day)
        Column("active", Boolean, nullable=False, default=True),
        Column("next_run_at", DateTime, nullable=False),
        Column("last_run_at", DateTime),
        Column("last_status", String(10)),  # done, failed
        Column("last_message", Text),
        Column("created_by", BigInteger, ForeignKey("uchet_users.id", ondelete="SET NULL")),
        Column("created_at", DateTime, nullable=False),
        Index("ix_uchet_schedules_due", "active", "next_run_at"),
    )
    return {schedules.name: schedules}
