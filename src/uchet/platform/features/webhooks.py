"""Webhooks (issue 18, point 6; S42): an administrator's URL is called when records of a
table are created, updated or deleted.

* **Outbox.** The record hooks write a ``uchet_webhook_deliveries`` row and a ``webhook``
  job in the record change's own transaction, so a rolled-back change sends nothing and a
  committed one is never lost (the job survives any process dying).
* **Sending.** ``uchet worker`` claims the job (:mod:`.jobs`) and POSTs the JSON payload with
  ``X-Uchet-Signature: sha256=<HMAC-SHA256 of the body with the webhook's secret>``. A
  failure (no answer, or a status outside 2xx) raises, so the job system retries it with
  its backoff (30 s × attempt) up to its attempt limit; each attempt's outcome is logged on
  the delivery row (status, HTTP status, error).

Creates are taken from ``uchet_after_insert`` (one call per batch) rather than one
``uchet_after_create`` per row, so a bulk load asks for the table's webhooks once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.features import jobs as jobq
from uchet.platform.model.errors import NotFound, ValidationError
from uchet.platform.model.i18n import Text

EVENTS = ("create", "update", "delete")
JOB_KIND = "webhook"
PENDING, SENT, FAILED = "pending", "sent", "failed"
TIMEOUT = 10.0  # seconds per attempt
SIGNATURE_HEADER = "X-Uchet-Signature"


@dataclass(frozen=True)
class Webhook:
    """A registered webhook."""

    id: int
    table_id: str
    events: tuple[str, ...]
    url: str
    secret: str
    active: bool


def signature(secret: str, body: bytes) -> str:
    """The value of :data:`SIGNATURE_HEADER` for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    return str(value)


def _jsonable(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return json.loads(json.dumps(dict(record), default=_plain))


class WebhookStore:
    """Register, list and remove webhooks; read the delivery log."""

    def __init__(self, engine: Engine, system: Mapping[str, sa.Table]):
        self.engine = engine
        self.hooks, self.deliveries = system["uchet_webhooks"], system["uchet_webhook_deliveries"]

    def create(
        self, table_id: str, events: Iterable[str], url: str, *, created_by: int | None = None
    ) -> tuple[Webhook, str]:
        """Register a webhook; returns it with its signing secret."""
        chosen = tuple(e for e in EVENTS if e in set(events))
        problems: dict[str, list[Any]] = {}
        if not chosen:
            problems["events"] = [Text("required")]
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems["url"] = [Text("webhook_url")]
        if problems:
            raise ValidationError(problems)
        secret = secrets.token_urlsafe(32)
        row = {
            "table_id": table_id,
            "events": list(chosen),
            "url": url.strip(),
            "secret": secret,
            "active": True,
            "created_at": jobq.now(),
            "created_by": created_by,
        }
        with self.engine.begin() as conn:
            key = conn.execute(self.hooks.insert().values(row)).inserted_primary_key
        assert key is not None
        return self.get(int(key[0])), secret

    def get(self, hook_id: int) -> Webhook:
        """A webhook by id; NotFound when there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(self.hooks).where(self.hooks.c.id == hook_id)).first()
        if row is None:
            raise NotFound(Text("not_found", table="uchet_webhooks", id=hook_id))
        return _hook(row)

    def all(self) -> list[Webhook]:
        """Every webhook, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(self.hooks).order_by(self.hooks.c.id.desc()))
            return [_hook(r) for r in rows]

    def remove(self, hook_id: int) -> None:
        """Delete a webhook and its delivery log."""
        d = self.deliveries
        with self.engine.begin() as conn:
            conn.execute(d.delete().where(d.c.webhook_id == hook_id))
            if conn.execute(self.hooks.delete().where(self.hooks.c.id == hook_id)).rowcount != 1:
                raise NotFound(Text("not_found", table="uchet_webhooks", id=hook_id))

    def log(self, hook_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The latest deliveries (of one webhook), newest first."""
        d = self.deliveries
        stmt = sa.select(d).order_by(d.c.id.desc()).limit(limit)
        if hook_id is not None:
            stmt = stmt.where(d.c.webhook_id == hook_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]


def _hook(row: Any) -> Webhook:
    return Webhook(
        row.id, row.table_id, tuple(row.events or ()), row.url, row.secret, bool(row.active)
    )


# -- the outbox, written by the record hooks ------------------------------------------------
def record_events(
    rt: Any,
    conn: Connection,
    table_id: str,
    event: str,
    changes: Iterable[tuple[Any, Mapping[str, Any] | None]],
) -> None:
    """Queue deliveries of ``event`` for ``(record id, record)`` pairs in ``conn``'s
    transaction, to every active webhook of ``table_id`` that wants it."""
    system = rt.model.system
    hooks_t, deliveries, jobs_t = (
        system["uchet_webhooks"],
        system["uchet_webhook_deliveries"],
        system["uchet_jobs"],
    )
    wanted = [
        r.id
        for r in conn.execute(
            sa.select(hooks_t.c.id, hooks_t.c.events).where(
                hooks_t.c.table_id == table_id, hooks_t.c.active.is_(True)
            )
        )
        if event in (r.events or ())
    ]
    if not wanted:
        return
    created = jobq.now()
    table_name = rt.config.table(table_id).name
    for record_id, record in changes:
        payload = {
            "event": event,
            "table": table_name,
            "id": record_id,
            "record": _jsonable(record),
            "at": created.isoformat(),
        }
        for hook_id in wanted:
            key = conn.execute(
                deliveries.insert().values(
                    webhook_id=hook_id,
                    event=event,
                    table_id=table_id,
                    record_id=record_id,
                    payload=payload,
                    status=PENDING,
                    attempts=0,
                    created_at=created,
                )
            ).inserted_primary_key
            assert key is not None
            jobq.enqueue(conn, jobs_t, JOB_KIND, {"delivery": int(key[0])})


# -- sending, by the worker -----------------------------------------------------------------
class DeliveryFailed(Exception):
    """The receiver did not take the delivery; the job system will try again."""


def run_delivery(rt: Any, job: jobq.Job, conn: Connection | None) -> None:
    """The ``webhook`` job: POST one delivery, log the outcome, raise to be retried."""
    system = rt.model.system
    deliveries, hooks_t = system["uchet_webhook_deliveries"], system["uchet_webhooks"]
    delivery_id = int(job.payload["delivery"])
    with rt.engine.connect() as read:
        row = (
            read.execute(
                sa.select(deliveries, hooks_t.c.url, hooks_t.c.secret)
                .join(hooks_t, hooks_t.c.id == deliveries.c.webhook_id)
                .where(deliveries.c.id == delivery_id)
            )
            .mappings()
            .first()
        )
    if row is None or row["status"] == SENT:
        return  # the webhook was removed, or a retry after a lost lease: nothing to send
    body = json.dumps({"delivery": delivery_id, **row["payload"]}, ensure_ascii=False).encode()
    request = urllib.request.Request(
        row["url"],
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "uchet-webhooks",
            "X-Uchet-Event": row["event"],
            "X-Uchet-Delivery": str(delivery_id),
            SIGNATURE_HEADER: signature(row["secret"], body),
        },
    )
    status: int | None = None
    error: str | None = None
    try:
        with urllib.request.urlopen(
            request, timeout=TIMEOUT
        ) as answer:  # the URL was checked: http(s) only
            status = answer.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
        exc.close()  # the error is also the response: release its connection
    except (urllib.error.URLError, OSError) as exc:
        error = str(getattr(exc, "reason", exc))[:2000]
    ok = status is not None and 200 <= status < 300
    final = not ok and job.attempts >= jobq.MAX_ATTEMPTS
    with jobq.write_transaction(rt.engine) as write:
        write.execute(
            deliveries.update()
            .where(deliveries.c.id == delivery_id)
            .values(
                status=SENT if ok else FAILED if final else PENDING,
                attempts=job.attempts,
                response_status=status,
                last_error=error,
                sent_at=jobq.now() if ok else None,
            )
        )
    if not ok:
        raise DeliveryFailed(error or f"HTTP {status}")
