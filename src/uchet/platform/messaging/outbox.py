"""The outbox: one row per (mailing, recipient record, channel), the queue and the log.

A row moves ``queued`` → ``sending`` (claimed by one worker under a lease) → ``sent`` /
``failed`` / ``bounced``, or back to ``queued`` with a later ``next_attempt_at`` after a
temporary failure (exponential backoff), or ``cancelled`` when its mailing is cancelled.
Rows that cannot be sent are written ``skipped`` with the reason when the mailing is made.

Exactly once, and its honest limit: a row is claimed by one worker only (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite, as :mod:`..features.jobs` does), and
the result is written only while that worker's lease holds. A row marked ``sent`` is never
claimed again. A worker killed *after* the SMTP server accepted a message but *before* it
wrote ``sent`` leaves the row ``sending``; when the lease expires another worker sends it
again. SMTP has no idempotency key, so that window (one message per killed worker, at most
the one in flight) is at least once; everything else is exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.features.leases import claim_leased
from uchet.platform.messaging.contract import DeliveryResult
from uchet.platform.schema.database import write_transaction

QUEUED, SENDING, SENT, FAILED, BOUNCED, SKIPPED, CANCELLED = (
    "queued", "sending", "sent", "failed", "bounced", "skipped", "cancelled",
)  # fmt: skip
STATUSES = (QUEUED, SENDING, SENT, FAILED, BOUNCED, SKIPPED, CANCELLED)
#: Why a recipient is skipped (the message keys of texts_delivery.py).
NO_ADDRESS, OPTED_OUT, NO_RIGHT = "no_address", "opted_out", "no_right"
SKIP_REASONS = (NO_ADDRESS, OPTED_OUT, NO_RIGHT)

DEFAULT_LEASE = 300.0  # seconds: far longer than one SMTP send (its timeout is 30 s)
MAX_ATTEMPTS = 6
BACKOFF_BASE = 60.0  # seconds; doubled per attempt
BACKOFF_MAX = 6 * 3600.0


def now() -> dt.datetime:
    """The current local time as stored (naive, whole seconds), like jobs.now()."""
    return dt.datetime.now().replace(microsecond=0)


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed try: 1, 2, 4 … minutes, capped."""
    return dt.timedelta(seconds=min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


@dataclass(frozen=True)
class OutboxRow:
    """A claimed outbox row."""

    id: int
    mailing_id: int
    template: str
    channel: str
    table_id: str
    record_id: int
    address: str | None
    attempts: int
    sent_by: int | None
    test: bool


def add_rows(conn: Connection, outbox: sa.Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert outbox rows in the caller's transaction, leaving out those whose
    ``dedup_key`` is already there (the same mailing and record); returns how many were
    added. Each row needs mailing_id, template, channel, table_id, record_id, dedup_key,
    status and may have address, recipient_name, reason, sent_by, test."""
    items = [dict(r) for r in rows]
    if not items:
        return 0
    created = now()
    keys = [r["dedup_key"] for r in items]
    present: set[str] = set()
    for i in range(0, len(keys), 500):
        present |= set(
            conn.execute(
                sa.select(outbox.c.dedup_key).where(outbox.c.dedup_key.in_(keys[i : i + 500]))
            ).scalars()
        )
    fresh = []
    seen: set[str] = set()
    for r in items:
        if r["dedup_key"] in present or r["dedup_key"] in seen:
            continue
        seen.add(r["dedup_key"])
        # One executemany needs the same keys in every row.
        fresh.append({"address": None, "recipient_name": None, "reason": None,
                      "sent_by": None, "attempts": 0, "test": False,
                      "next_attempt_at": created, **r, "created_at": created})  # fmt: skip
    if fresh:
        # The UNIQUE key still guards a concurrent insert of the same key: that transaction
        # fails and its caller's retry finds the row present.
        conn.execute(outbox.insert(), fresh)
    return len(fresh)


def _claimable(outbox: sa.Table, at: dt.datetime) -> Any:
    return sa.or_(
        sa.and_(outbox.c.status == QUEUED, outbox.c.next_attempt_at <= at),
        # A lease that ran out: its worker died mid-send. The message may have gone out
        # (see the module's docstring); it is sent again, at least once.
        sa.and_(outbox.c.status == SENDING, outbox.c.locked_until < at),
    )


def claim(
    engine: Engine,
    outbox: sa.Table,
    worker_id: str,
    *,
    at: dt.datetime,
    limit: int = 50,
    lease: float = DEFAULT_LEASE,
    mailing_id: int | None = None,
    channel: str | None = None,
) -> list[OutboxRow]:
    """Claim up to ``limit`` due rows (of one mailing / channel) for ``worker_id``."""
    claimable = _claimable(outbox, at)
    if mailing_id is not None:
        claimable = sa.and_(claimable, outbox.c.mailing_id == mailing_id)
    if channel is not None:
        claimable = sa.and_(claimable, outbox.c.channel == channel)
    with write_transaction(engine) as conn:
        rows = claim_leased(
            conn, outbox, claimable, order_by=(outbox.c.next_attempt_at, outbox.c.id),
            worker_id=worker_id, busy=SENDING, at=at, lease=lease, limit=limit,
        )  # fmt: skip
        return [
            OutboxRow(
                r["id"],
                r["mailing_id"],
                r["template"],
                r["channel"],
                r["table_id"],
                r["record_id"],
                r["address"],
                r["attempts"],
                r["sent_by"],
                bool(r["test"]),
            )
            for r in rows
        ]


def _ours(outbox: sa.Table, row: OutboxRow, worker_id: str) -> Any:
    return sa.and_(
        outbox.c.id == row.id, outbox.c.locked_by == worker_id, outbox.c.status == SENDING
    )


def record_result(
    engine: Engine,
    outbox: sa.Table,
    row: OutboxRow,
    worker_id: str,
    result: DeliveryResult,
    *,
    at: dt.datetime,
    max_attempts: int = MAX_ATTEMPTS,
    subject: str | None = None,
    address: str | None = None,
) -> str | None:
    """Write what the channel said; a ``retry`` goes back to the queue with backoff until
    ``max_attempts``, then fails. Returns the new status, or None when the lease was lost
    (another worker took the row over and writes its own result)."""
    values: dict[str, Any] = {"locked_until": None, "reason": result.reason or None}
    if subject is not None:
        values["subject"] = subject[:500]
    if address is not None:
        values["address"] = address[:300]
    if result.outcome == "sent":
        values.update(status=SENT, sent_at=at, provider_id=result.provider_id, reason=None)
    elif result.outcome == "retry" and row.attempts < max_attempts:
        values.update(status=QUEUED, next_attempt_at=at + backoff(row.attempts), locked_by=None)
    elif result.outcome == "bounced":
        values.update(status=BOUNCED)
    else:
        values.update(status=FAILED)
    with write_transaction(engine) as conn:
        done = conn.execute(outbox.update().where(_ours(outbox, row, worker_id)).values(values))
    return str(values["status"]) if done.rowcount == 1 else None


def release(
    engine: Engine, outbox: sa.Table, rows: Iterable[OutboxRow], worker_id: str,
    next_attempt_at: dt.datetime,
) -> None:  # fmt: skip
    """Give claimed rows back unsent (the channel's rate limit is reached): queued again
    at ``next_attempt_at``, this attempt not counted."""
    ids = [r.id for r in rows]
    if not ids:
        return
    with write_transaction(engine) as conn:
        conn.execute(
            outbox.update()
            .where(
                outbox.c.id.in_(ids), outbox.c.locked_by == worker_id, outbox.c.status == SENDING
            )
            .values(
                status=QUEUED,
                locked_by=None,
                locked_until=None,
                next_attempt_at=next_attempt_at,
                attempts=outbox.c.attempts - 1,
            )
        )


def cancel(conn: Connection, outbox: sa.Table, mailing_id: int) -> int:
    """Cancel the mailing's rows not yet sent; a row being sent right now finishes (its
    worker's result is still written). Returns how many were cancelled."""
    result = conn.execute(
        outbox.update()
        .where(outbox.c.mailing_id == mailing_id, outbox.c.status == QUEUED)
        .values(status=CANCELLED, locked_by=None, locked_until=None)
    )
    return int(result.rowcount or 0)


def progress(bind: Connection | Engine, outbox: sa.Table, mailing_id: int) -> dict[str, int]:
    """How many of the mailing's rows are in each status (every status, zeros included)."""
    counts = dict.fromkeys(STATUSES, 0)
    stmt = (
        sa.select(outbox.c.status, sa.func.count())
        .where(outbox.c.mailing_id == mailing_id)
        .group_by(outbox.c.status)
    )
    with _connection(bind) as conn:
        for status, n in conn.execute(stmt):
            counts[status] = int(n)
    return counts


def next_due(bind: Connection | Engine, outbox: sa.Table, mailing_id: int) -> dt.datetime | None:
    """When the mailing's next queued row is due (None: nothing left to send)."""
    mine = outbox.c.mailing_id == mailing_id
    queued = sa.select(sa.func.min(outbox.c.next_attempt_at)).where(mine, outbox.c.status == QUEUED)
    # A row being sent comes back when its lease ends, should its worker die.
    leased = sa.select(sa.func.min(outbox.c.locked_until)).where(mine, outbox.c.status == SENDING)
    with _connection(bind) as conn:
        values = [conn.execute(queued).scalar(), conn.execute(leased).scalar()]
    times = [v for v in values if isinstance(v, dt.datetime)]
    return min(times) if times else None


class _connection:
    """Use a given connection as is, or open one from an engine (and close it)."""

    def __init__(self, bind: Connection | Engine):
        self.bind = bind
        self.opened: Connection | None = None

    def __enter__(self) -> Connection:
        if isinstance(self.bind, Connection):
            return self.bind
        self.opened = self.bind.connect()
        return self.opened

    def __exit__(self, *exc: object) -> None:
        if self.opened is not None:
            self.opened.close()
