"""Sending the outbox: claim due rows, render each through its template, hand it to its
channel, write the result (see :mod:`.outbox` for the exactly-once rules).

At send time each recipient is looked up again, as the mailing's sender: someone who opted
out (or whose record the sender may no longer read) after the mailing was made is skipped
then. Mass and automatic e-mails get the signed unsubscribe link, in the body and as the
``List-Unsubscribe`` headers (:mod:`.optout`).

The channel's rate limit (:mod:`.ratelimit`) is taken per message; when it is reached the
rest of the claimed rows go back to the queue until a token is free, so the worker moves
on instead of sleeping. :func:`run_mailing_job` is the ``messages.mailing`` job: it sends
what is due and queues itself again for what is left (retries, the rate limit).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from uchet.platform.features import jobs as queue
from uchet.platform.messaging import mailings as m
from uchet.platform.messaging import outbox
from uchet.platform.messaging.contract import (
    ChannelRegistry,
    DeliveryResult,
    OutgoingMessage,
    PreparedTemplate,
)
from uchet.platform.messaging.optout import Unsubscribe, site_secret
from uchet.platform.messaging.ratelimit import Limiter, Rate, SharedRateLimiter
from uchet.platform.messaging.sources import TemplateSource, hook_templates, site_channels
from uchet.platform.model.errors import NotFound, PermissionDenied
from uchet.platform.model.i18n import own_message
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import SYSTEM, User
from uchet.platform.schema.database import write_transaction

log = logging.getLogger(__name__)

UNSUBSCRIBE_TEXT = {"ru": "Отписаться от рассылки", "en": "Unsubscribe"}
NO_CHANNEL = {"ru": "Канал «{name}» не настроен", "en": "The channel {name!r} is not set up"}


@dataclass
class Report:
    """What one :meth:`Sender.deliver` did, counted by outcome."""

    sent: int = 0
    failed: int = 0
    bounced: int = 0
    retried: int = 0
    skipped: int = 0
    #: Set when the rate limit stopped the pass: when the next message may go.
    deferred_until: dt.datetime | None = None


def rates_from_settings(settings: Any) -> dict[str, Rate]:
    """``message_rates`` of the manifest's settings: ``{"email": {"count": 20, "per": 1}}``."""
    raw = (settings or {}).get("message_rates") or {}
    return {name: Rate(int(r["count"]), float(r.get("per", 1))) for name, r in raw.items()}


def default_limiter(rt: Runtime) -> SharedRateLimiter:
    """The site's limiter for this configuration version: its buckets are in the database,
    shared by every worker process (issue 19)."""
    return rt.cached(
        ("messaging", "limiter"),
        lambda: SharedRateLimiter(rt.engine, rt.model.system["uchet_state"],
                                  rates_from_settings(rt.config.manifest.settings)),
    )  # fmt: skip


class Sender:
    """Sends due outbox rows. Any number of senders, in any number of processes, may run."""

    def __init__(
        self,
        rt: Runtime,
        *,
        channels: ChannelRegistry | None = None,
        templates: TemplateSource | None = None,
        limiter: Limiter | None = None,
        unsubscribe: Unsubscribe | None = None,
        worker_id: str | None = None,
        lease: float = outbox.DEFAULT_LEASE,
        max_attempts: int = outbox.MAX_ATTEMPTS,
        batch: int = 50,
        clock: Callable[[], dt.datetime] = outbox.now,
    ):
        self.rt = rt
        self.channels = channels if channels is not None else site_channels(rt)
        self.templates = templates or hook_templates(rt)
        self.limiter = limiter or default_limiter(rt)
        self._unsubscribe = unsubscribe
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease, self.max_attempts, self.batch, self.clock = lease, max_attempts, batch, clock
        system = rt.model.system
        self.outbox, self.mailings = system["uchet_outbox"], system["uchet_mailings"]
        self._prepared: dict[tuple[str, int | None], PreparedTemplate] = {}
        self._users: dict[int | None, User | None] = {None: SYSTEM}
        self._kinds: dict[int, str] = {}

    @property
    def unsubscribe(self) -> Unsubscribe:
        if self._unsubscribe is None:
            secret = site_secret(self.rt.engine, self.rt.model.system["uchet_state"])
            self._unsubscribe = Unsubscribe(secret)
        return self._unsubscribe

    def deliver(self, *, at: dt.datetime | None = None, mailing_id: int | None = None) -> Report:
        """Send the rows due at ``at`` (default: now), of one mailing or all, until none
        is left or the rate limit stops the pass."""
        report = Report()
        while True:
            at_now = at or self.clock()
            rows = outbox.claim(
                self.rt.engine, self.outbox, self.worker_id, at=at_now, limit=self.batch,
                lease=self.lease, mailing_id=mailing_id,
            )  # fmt: skip
            if not rows:
                return report
            for i, row in enumerate(rows):
                wait = self.limiter.take(row.channel)
                if wait > 0:
                    until = at_now + dt.timedelta(seconds=max(1, int(wait + 0.999)))
                    outbox.release(self.rt.engine, self.outbox, rows[i:], self.worker_id, until)
                    report.deferred_until = until
                    return report
                self._send(row, at_now, report)

    # -- one row -------------------------------------------------------------------------
    def _send(self, row: outbox.OutboxRow, at: dt.datetime, report: Report) -> None:
        subject: str | None = None
        address: str | None = None
        try:
            message, skip = self._message(row)
            if skip is not None:
                self._skip(row, skip)
                report.skipped += 1
                return
            assert message is not None
            # A rule's row learns its address now; a mailing's may have changed since.
            subject, address = message.subject, message.to
            channel = self.channels.get(row.channel)
            if channel is None:
                text = own_message(NO_CHANNEL, self.rt.config.default_locale, name=row.channel)
                result = DeliveryResult(outcome="failed", reason=text)
            else:
                result = channel.send(message)
        except Exception as e:  # a template or channel bug: a temporary failure, retried
            log.exception("outbox row %s: sending failed", row.id)
            result = DeliveryResult(outcome="retry", reason=f"{type(e).__name__}: {e}"[:2000])
        status = outbox.record_result(
            self.rt.engine, self.outbox, row, self.worker_id, result, at=at,
            max_attempts=self.max_attempts, subject=subject, address=address,
        )  # fmt: skip
        if status == outbox.SENT:
            report.sent += 1
        elif status == outbox.QUEUED:
            report.retried += 1
        elif status == outbox.BOUNCED:
            report.bounced += 1
        elif status == outbox.FAILED:
            report.failed += 1

    def _message(self, row: outbox.OutboxRow) -> tuple[OutgoingMessage | None, str | None]:
        """The rendered message, or the reason to skip the row now."""
        user = self._user(row.sent_by)
        if user is None:  # the sender's account was removed or switched off
            return None, outbox.NO_RIGHT
        prepared = self._template(row.template, user)
        try:
            recipient = prepared.recipient(row.record_id)
            if row.test:
                return prepared.render(row.record_id, to=row.address), None
            if recipient.opted_out:
                return None, outbox.OPTED_OUT
            if not recipient.address:
                return None, outbox.NO_ADDRESS
            bulk = self._kind(row.mailing_id) in (m.MASS, m.RULE)
            if bulk and row.channel == "email" and recipient.opt_out_target is not None:
                target = recipient.opt_out_target
                message = prepared.render(
                    row.record_id, to=recipient.address, headers=self.unsubscribe.headers(target)
                )
                return self._with_link(message, self.unsubscribe.link(target)), None
            return prepared.render(row.record_id, to=recipient.address), None
        except (PermissionDenied, NotFound):
            return None, outbox.NO_RIGHT

    def _with_link(self, message: OutgoingMessage, link: str) -> OutgoingMessage:
        """The message with the unsubscribe link at the end of its text and HTML."""
        label = own_message(UNSUBSCRIBE_TEXT, self.rt.config.default_locale)
        text = f"{message.body_text.rstrip()}\n\n--\n{label}: {link}\n"
        body_html = message.body_html
        if body_html is not None:
            link_html = f'<p><a href="{html.escape(link)}">{html.escape(label)}</a></p>'
            body_html = (
                body_html.replace("</body>", link_html + "</body>", 1)
                if "</body>" in body_html else body_html + link_html
            )  # fmt: skip
        return dataclasses.replace(message, body_text=text, body_html=body_html)

    def _skip(self, row: outbox.OutboxRow, reason: str) -> None:
        with write_transaction(self.rt.engine) as conn:
            conn.execute(
                self.outbox.update()
                .where(
                    self.outbox.c.id == row.id,
                    self.outbox.c.locked_by == self.worker_id,
                    self.outbox.c.status == outbox.SENDING,
                )
                .values(status=outbox.SKIPPED, reason=reason, locked_until=None)
            )

    def _template(self, name: str, user: User) -> PreparedTemplate:
        key = (name, user.id)
        if key not in self._prepared:
            self._prepared[key] = self.templates(name, user)
        return self._prepared[key]

    def _user(self, user_id: int | None) -> User | None:
        if user_id not in self._users:
            users = self.rt.model.system["uchet_users"]
            with self.rt.engine.connect() as conn:
                r = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
            self._users[user_id] = (
                None if r is None or not r.active
                else User(r.id, r.login, r.name, tuple(r.roles or ()), r.locale, email=r.email)
            )  # fmt: skip
        return self._users[user_id]

    def _kind(self, mailing_id: int) -> str:
        if mailing_id not in self._kinds:
            with self.rt.engine.connect() as conn:
                kind = conn.execute(
                    sa.select(self.mailings.c.kind).where(self.mailings.c.id == mailing_id)
                ).scalar()
            self._kinds[mailing_id] = str(kind or m.MASS)
        return self._kinds[mailing_id]


def settle(rt: Runtime, mailing_id: int, at: dt.datetime | None = None) -> dt.datetime | None:
    """After a pass: mark the mailing done when nothing is left to send, or queue its job
    again for when the next row is due. Returns that time (None: done)."""
    mailings = m.Mailings(rt)
    due = outbox.next_due(rt.engine, mailings.outbox, mailing_id)
    with write_transaction(rt.engine) as conn:
        if due is None:
            # A rule's mailing stays active: its rule fires again on later occasions.
            conn.execute(
                mailings.mailings.update()
                .where(
                    mailings.mailings.c.id == mailing_id,
                    mailings.mailings.c.status == m.ACTIVE,
                    mailings.mailings.c.kind != m.RULE,
                )
                .values(status=m.DONE, finished_at=at or outbox.now())
            )
            return None
        mailings.schedule(conn, mailing_id, max(due, (at or outbox.now())))
    return due


def run_mailing_job(rt: Runtime, job: queue.Job, conn: Any) -> None:
    """The ``messages.mailing`` job: send the mailing's due rows, then settle it."""
    mailing_id = int(job.payload["mailing"])
    # The job's own time when it is later than the clock: a worker run with an injected
    # clock (``run_once(at=...)``) claimed it then, and its rows are due then.
    at = max(outbox.now(), job.due_at)
    Sender(rt).deliver(at=at, mailing_id=mailing_id)
    settle(rt, mailing_id, at)
