"""Claiming queued rows with a lease: the one way background work is shared by workers.

Jobs (:mod:`.jobs`) and the message outbox (:mod:`uchet.platform.messaging.outbox`) queue rows
that any number of worker processes take. A worker *claims* due rows by marking them busy
with its id and a lease time. Each row is claimed by one worker only: PostgreSQL skips rows
another transaction holds (``FOR UPDATE SKIP LOCKED``), SQLite serialises writers, and the
UPDATE repeats the claimable condition, so a row taken meanwhile is not taken twice. A worker
that dies leaves its lease to run out, and the row becomes claimable again (the caller's
``claimable`` condition says so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping


def claim_leased(
    conn: Connection,
    table: sa.Table,
    claimable: Any,
    *,
    order_by: Sequence[Any],
    worker_id: str,
    busy: str,
    at: dt.datetime,
    lease: float,
    limit: int,
) -> list[RowMapping]:
    """Claim up to ``limit`` rows of ``table`` matching ``claimable`` (in ``order_by``
    order) for ``worker_id``: status ``busy``, locked until ``at + lease``, attempts + 1.
    Returns the rows this worker now holds, ordered by id. ``table`` needs the columns
    ``id``, ``status``, ``locked_by``, ``locked_until`` and ``attempts``."""
    pick = sa.select(table.c.id).where(claimable).order_by(*order_by).limit(limit)
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = list(conn.execute(pick).scalars())
    if not ids:
        return []
    until = at + dt.timedelta(seconds=lease)
    # The claimable condition is repeated: the UPDATE itself only takes free rows.
    conn.execute(
        table.update()
        .where(table.c.id.in_(ids), claimable)
        .values(status=busy, locked_by=worker_id, locked_until=until, attempts=table.c.attempts + 1)
    )
    return list(
        conn.execute(
            sa.select(table)
            .where(
                table.c.id.in_(ids),
                table.c.locked_by == worker_id,
                table.c.status == busy,
                table.c.locked_until == until,
            )
            .order_by(table.c.id)
        ).mappings()
    )
