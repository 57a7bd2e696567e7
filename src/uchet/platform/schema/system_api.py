"""The engine's tables for the HTTP API (issue 18, S42): personal API tokens, webhooks and
their deliveries (``uchet_*``).

They live beside :mod:`uchet.platform.schema.system` and are added to the same MetaData by
:func:`~uchet.platform.schema.system.define_system_tables`, so ``migrate`` creates them in
existing databases (``create_all`` with ``checkfirst``), exactly as the job tables.
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

API_TABLE_NAMES = ("uchet_api_tokens", "uchet_webhooks", "uchet_webhook_deliveries")


def define_api_tables(metadata: MetaData, id_type: Any) -> dict[str, Table]:
    """Add the API token table to ``metadata``.

    A token is shown once, when it is made; only its SHA-256 is stored (a token is 256
    random bits, so a slow password hash would add nothing but time on every request).
    ``prefix`` is the token's first characters, kept to tell tokens apart on the screens.
    """
    tokens = Table(
        "uchet_api_tokens",
        metadata,
        Column("id", id_type, primary_key=True, autoincrement=True),
        Column(
            "user_id", BigInteger, ForeignKey("uchet_users.id", ondelete="CASCADE"), nullable=False
        ),
        Column("name", String(200), nullable=False),
        Column("prefix", String(16), nullable=False),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("read_only", Boolean, nullable=False, default=False),
        Column("expires_at", DateTime),
        Column("created_at", DateTime, nullable=False),
        Column("created_by", BigInteger),
        Column("last_used_at", DateTime),
        Column("revoked_at", DateTime),
        Index("ix_uchet_api_tokens_user", "user_id"),
    )
    # Webhooks registered by the administrator: a URL called on create, update or delete of
    # one table's records, signed with ``secret`` (HMAC-SHA256).
    webhooks = Table(
        "uchet_webhooks",
        metadata,
        Column("id", id_type, primary_key=True, autoincrement=True),
        Column("table_id", String(100), nullable=False),
        Column("events", JSON, nullable=False),
        Column("url", String(2000), nullable=False),
        Column("secret", String(200), nullable=False),
        Column("active", Boolean, nullable=False, default=True),
        Column("created_at", DateTime, nullable=False),
        Column("created_by", BigInteger),
        Index("ix_uchet_webhooks_table", "table_id", "active"),
    )
    # The outbox and the delivery log in one: a row is written in the transaction of the
    # record change (so it exists only if the change commits), and the worker that sends it
    # records each attempt's outcome on it.
    deliveries = Table(
        "uchet_webhook_deliveries",
        metadata,
        Column("id", id_type, primary_key=True, autoincrement=True),
        Column(
            "webhook_id",
            BigInteger,
            ForeignKey("uchet_webhooks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("event", String(10), nullable=False),
        Column("table_id", String(100), nullable=False),
        Column("record_id", BigInteger, nullable=False),
        Column("payload", JSON, nullable=False),
        Column("status", String(10), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("response_status", Integer),
        Column("last_error", Text),
        Column("created_at", DateTime, nullable=False),
        Column("sent_at", DateTime),
        Index("ix_uchet_webhook_deliveries_hook", "webhook_id", "id"),
    )
    return {t.name: t for t in (tokens, webhooks, deliveries)}
