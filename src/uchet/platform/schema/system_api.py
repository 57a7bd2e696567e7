"""The engine's tables for the HTTP API (issue 18, S42): personal API tokens (``uchet_*``).

They live beside :mod:`uchet.platform.schema.system` and are added to the same MetaData by
:func:`~uchet.platform.schema.system.define_system_tables`, so ``migrate`` creates them in
existing databases (``create_all`` with ``checkfirst``), exactly as the job tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
)

API_TABLE_NAMES = ("uchet_api_tokens",)


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
    return {t.name: t for t in (tokens,)}
