"""The engine's tables for messages to clients (issue 19): mailings and the outbox.

``uchet_mailings`` holds one row per mailing (a single message from a card, a test message,
a mass mailing, an automatic rule's occasion); ``uchet_outbox`` holds one row per
(mailing, recipient record, channel) and is both the queue and the delivery log.

``uchet_outbox.dedup_key`` is UNIQUE: it names the mailing (or the rule and its occasion),
the record and the channel, so a record gets one message per mailing however many times the
enqueueing runs (a retried job, two workers ticking the same rule). Rows are claimed with a
lease (``locked_by``, ``locked_until``) as jobs are (features/jobs.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

MESSAGING_TABLE_NAMES = ("uchet_mailings", "uchet_outbox", "uchet_message_rule_state")


def define_messaging_tables(metadata: MetaData, id_type: Any) -> dict[str, Table]:
    """Add the mailing, outbox and rule-state tables to ``metadata``."""
    mailings = Table(
        "uchet_mailings",
        metadata,
        Column("id", id_type, primary_key=True, autoincrement=True),
        # single, test, mass, rule
        Column("kind", String(10), nullable=False),
        Column("template", String(100), nullable=False),
        Column("channel", String(50), nullable=False),
        Column("table_id", String(100), nullable=False),
        # active, cancelled, done
        Column("status", String(10), nullable=False),
        Column("created_by", BigInteger),
        Column("created_at", DateTime, nullable=False),
        Column("finished_at", DateTime),
        # How the recipients were chosen (filters, search, ids, a saved view), for the page.
        Column("selection", JSON),
        Column("rule_id", String(100)),
    )
    outbox = Table(
        "uchet_outbox",
        metadata,
        Column("id", id_type, primary_key=True, autoincrement=True),
        Column("dedup_key", String(300), nullable=False, unique=True),
        Column("mailing_id", BigInteger, nullable=False),
        Column("template", String(100), nullable=False),
        Column("channel", String(50), nullable=False),
        Column("table_id", String(100), nullable=False),
        Column("record_id", BigInteger, nullable=False),
        Column("recipient_name", String(300)),
        Column("address", String(300)),
        # queued, sending, sent, failed, bounced, skipped, cancelled
        Column("status", String(10), nullable=False),
        Column("reason", Text),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", DateTime, nullable=False),
        Column("locked_by", String(100)),
        Column("locked_until", DateTime),
        Column("sent_at", DateTime),
        Column("sent_by", BigInteger),
        Column("provider_id", String(200)),
        Column("subject", String(500)),
        # A test message to oneself: not the record's recipient, never opted out.
        Column("test", Boolean, nullable=False, default=False),
        Column("created_at", DateTime, nullable=False),
        Index("ix_uchet_outbox_due", "status", "next_attempt_at"),
        Index("ix_uchet_outbox_mailing", "mailing_id", "status"),
        Index("ix_uchet_outbox_record", "table_id", "record_id"),
    )
    # Automatic rules (messaging/rules.py): the administrator's on/off switch per rule.
    rule_state = Table(
        "uchet_message_rule_state",
        metadata,
        Column("rule_id", String(100), primary_key=True),
        Column("enabled", Boolean, nullable=False),
        Column("changed_by", BigInteger),
        Column("changed_at", DateTime),
    )
    return {t.name: t for t in (mailings, outbox, rule_state)}
