"""Mailings: a message from a record's card, a test message to oneself, a mass mailing.

Making a mailing never sends anything: it works out the recipients (only records the sender
may read, through the template prepared for them and the record service), writes one outbox
row per record — ``queued``, or ``skipped`` with the reason (no address, opted out, no right
to read) — and queues the job that sends them (``messages.mailing``, run by ``uchet
worker``; see :mod:`.sender`). All of it in one transaction: a mailing exists whole or not.
:meth:`Mailings.plan` is the same work without writing, for the «will receive / skipped»
preview shown before sending.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from uchet.platform.features import jobs as queue
from uchet.platform.messaging import outbox
from uchet.platform.messaging.contract import PreparedTemplate, Recipient
from uchet.platform.messaging.rights import require_mail
from uchet.platform.messaging.sources import TemplateSource, hook_templates
from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.platform.query.listquery import MAX_LIMIT
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import User
from uchet.platform.schema.database import write_transaction

JOB_KIND = "messages.mailing"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class BadTestAddress(ValueError):
    """The address typed for a test message is none of its channel's."""


def test_address(channel: str, text: str) -> str | None:
    """``text`` as an address of ``channel`` for a test message (an e-mail address; a phone
    of 10 to 15 digits for SMS, kept as typed), or None when it is not one."""
    text = text.strip()
    if channel == "email":
        return text if _EMAIL.fullmatch(text) else None
    digits = sum(ch.isdigit() for ch in text)
    allowed = set("0123456789+-() ")
    return text if 10 <= digits <= 15 and set(text) <= allowed else None


#: Kinds of mailing: from a card, a test to oneself, from a list, an automatic rule.
SINGLE, TEST, MASS, RULE = "single", "test", "mass", "rule"
ACTIVE, CANCELLED, DONE = "active", "cancelled", "done"
#: A mass mailing larger than this is refused (split it, or raise the setting).
DEFAULT_MAX_RECIPIENTS = 100_000


@dataclass(frozen=True)
class Skipped:
    """A record that gets no message, and why (outbox.NO_ADDRESS, OPTED_OUT, NO_RIGHT)."""

    record_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class MailingPlan:
    """Who will receive a mailing and who is skipped, before anything is written."""

    template: str
    channel: str
    table: str
    recipients: list[Recipient] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """``send`` and one count per skip reason (zeros included)."""
        reasons = Counter(s.reason for s in self.skipped)
        return {"send": len(self.recipients)} | {r: reasons[r] for r in outbox.SKIP_REASONS}


@dataclass(frozen=True)
class Mailing:
    """A mailing's row."""

    id: int
    kind: str
    template: str
    channel: str
    table_id: str
    status: str
    created_by: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    selection: Mapping[str, Any] | None
    rule_id: str | None


class Mailings:
    """Plans, starts, cancels and reports mailings on one runtime."""

    def __init__(self, rt: Runtime, templates: TemplateSource | None = None):
        self.rt = rt
        self.templates = templates or hook_templates(rt)
        system = rt.model.system
        self.mailings, self.outbox = system["uchet_mailings"], system["uchet_outbox"]
        self.jobs = system["uchet_jobs"]

    # -- choosing recipients -------------------------------------------------------------
    def select(
        self, user: User, table: str, *, filters: Iterable[Any] = (),
        search: str | None = None,
    ) -> list[int]:  # fmt: skip
        """The ids of ``table``'s records ``user`` sees in a list with these filters and
        quick search (the list's own query: its row rules apply)."""
        service = RecordService(self.rt, table, user)
        ids: list[int] = []
        filters = list(filters)
        while True:
            page = service.query(
                filters=filters, search=search, columns=["id"], sort=["id"],
                limit=MAX_LIMIT, offset=len(ids), count=False,
            )  # fmt: skip
            ids += [int(r["id"]) for r in page.rows]
            if len(page.rows) < MAX_LIMIT:
                return ids
            if len(ids) > self.max_recipients:
                raise ValidationError(
                    {"recipients": [f"more than {self.max_recipients} recipients"]}
                )

    @property
    def max_recipients(self) -> int:
        settings = self.rt.config.manifest.settings
        return int(settings.get("mailing_max_recipients", DEFAULT_MAX_RECIPIENTS))

    def prepare(self, template: str, user: User) -> PreparedTemplate:
        """The template compiled for ``user``, once the ``mail`` right is checked."""
        prepared = self.templates(template, user)
        require_mail(self.rt.permissions, user, prepared.table)
        return prepared

    def plan(self, template: str, user: User, record_ids: Sequence[int]) -> MailingPlan:
        """Who among ``record_ids`` would get the message, and who not and why."""
        prepared = self.prepare(template, user)
        return self._plan(prepared, record_ids)

    def _plan(self, prepared: PreparedTemplate, record_ids: Sequence[int]) -> MailingPlan:
        if len(record_ids) > self.max_recipients:
            raise ValidationError({"recipients": [f"more than {self.max_recipients} recipients"]})
        result = MailingPlan(prepared.name, prepared.channel, prepared.table)
        for record_id in dict.fromkeys(int(i) for i in record_ids):
            try:
                recipient = prepared.recipient(record_id)
            except (PermissionDenied, NotFound):
                # Not told apart: a record the sender may not read might as well not exist.
                result.skipped.append(Skipped(record_id, "", outbox.NO_RIGHT))
                continue
            if not recipient.address:
                result.skipped.append(Skipped(record_id, recipient.name, outbox.NO_ADDRESS))
            elif recipient.opted_out:
                result.skipped.append(Skipped(record_id, recipient.name, outbox.OPTED_OUT))
            else:
                result.recipients.append(recipient)
        return result

    # -- starting ------------------------------------------------------------------------
    def start(
        self, template: str, user: User, record_ids: Sequence[int], *, kind: str = MASS,
        selection: Mapping[str, Any] | None = None, rule_id: str | None = None,
    ) -> int:  # fmt: skip
        """Make a mailing of ``template`` to ``record_ids`` as ``user`` and queue its
        sending; returns its id. PermissionDenied without the ``mail`` right."""
        prepared = self.prepare(template, user)
        plan = self._plan(prepared, record_ids)
        rows: list[dict[str, Any]] = [
            {"record_id": r.record_id, "recipient_name": r.name[:300],
             "address": (r.address or "")[:300], "status": outbox.QUEUED}
            for r in plan.recipients
        ]  # fmt: skip
        rows += [
            {"record_id": s.record_id, "recipient_name": s.name[:300] or None,
             "status": outbox.SKIPPED, "reason": s.reason}
            for s in plan.skipped
        ]  # fmt: skip
        return self._create(prepared, user, kind, rows, selection, rule_id)

    def test(self, template: str, user: User, record_id: int, to: str | None = None) -> int:
        """A test message about ``record_id`` to ``to`` (typed by the sender: their phone for
        an SMS, which their account does not hold) or else the sender's own e-mail; returns
        the mailing's id. A ``to`` that is no address of the channel raises
        :class:`BadTestAddress`."""
        prepared = self.prepare(template, user)
        recipient = prepared.recipient(record_id)  # the sender must be able to read it
        if to and to.strip():
            address: str | None = test_address(prepared.channel, to)
            if address is None:
                raise BadTestAddress(to)
        else:
            address = user.email if prepared.channel == "email" else None
        row = {"record_id": record_id, "recipient_name": recipient.name[:300], "test": True}
        if address:
            row |= {"address": address, "status": outbox.QUEUED}
        else:
            row |= {"status": outbox.SKIPPED, "reason": outbox.NO_ADDRESS}
        return self._create(prepared, user, TEST, [row], {"ids": [record_id]}, None)

    def single(self, template: str, user: User, record_id: int) -> int:
        """The message about one record to its recipient (from the record's card)."""
        return self.start(template, user, [record_id], kind=SINGLE,
                          selection={"ids": [record_id]})  # fmt: skip

    def _create(
        self, prepared: PreparedTemplate, user: User, kind: str, rows: list[dict[str, Any]],
        selection: Mapping[str, Any] | None, rule_id: str | None,
    ) -> int:  # fmt: skip
        at = outbox.now()
        with write_transaction(self.rt.engine) as conn:
            inserted = conn.execute(
                self.mailings.insert().values(
                    kind=kind,
                    template=prepared.name,
                    channel=prepared.channel,
                    table_id=self.rt.table(prepared.table).table.id,
                    status=ACTIVE,
                    created_by=user.id,
                    created_at=at,
                    selection=dict(selection or {}),
                    rule_id=rule_id,
                )
            ).inserted_primary_key
            assert inserted is not None
            mailing_id = inserted[0]
            table_id = self.rt.table(prepared.table).table.id
            for row in rows:
                key = "test" if row.get("test") else f"{table_id}:{row['record_id']}"
                row.update(
                    mailing_id=mailing_id, template=prepared.name, channel=prepared.channel,
                    table_id=table_id, sent_by=user.id,
                    dedup_key=f"m{mailing_id}:{key}:{prepared.channel}",
                )  # fmt: skip
            outbox.add_rows(conn, self.outbox, rows)
            self.schedule(conn, int(mailing_id), at)
        return int(mailing_id)

    def schedule(self, conn: sa.Connection, mailing_id: int, due: dt.datetime) -> None:
        """Queue (or move) the mailing's sending job to ``due``: one pending job a mailing."""
        key = f"mailing:{mailing_id}"
        queue.cancel(conn, self.jobs, [key])
        queue.enqueue(conn, self.jobs, JOB_KIND, {"mailing": mailing_id}, due, key)

    # -- following and stopping ----------------------------------------------------------
    def get(self, mailing_id: int) -> Mailing:
        """A mailing; NotFound when there is none."""
        with self.rt.engine.connect() as conn:
            row = (
                conn.execute(sa.select(self.mailings).where(self.mailings.c.id == mailing_id))
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound(f"no mailing {mailing_id}")
        return Mailing(**{k: row[k] for k in Mailing.__dataclass_fields__})

    def recent(self, created_by: int | None, limit: int = 100) -> list[Mailing]:
        """The latest mailings (not tests) of one sender, or everyone's with None."""
        t = self.mailings
        stmt = sa.select(t).where(t.c.kind != TEST).order_by(t.c.id.desc()).limit(limit)
        if created_by is not None:
            stmt = stmt.where(t.c.created_by == created_by)
        with self.rt.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [Mailing(**{k: r[k] for k in Mailing.__dataclass_fields__}) for r in rows]

    def visible_to(self, mailing: Mailing, user: User) -> bool:
        """Whether ``user`` may see and cancel the mailing: its sender or an administrator."""
        return (
            user.is_system or self.rt.permissions.is_superuser(user)
            or (user.id is not None and user.id == mailing.created_by)
        )  # fmt: skip

    def cancel(self, mailing_id: int, user: User) -> int:
        """Stop a mailing: its queued messages become ``cancelled`` (one being sent this
        moment still finishes). Returns how many were cancelled."""
        mailing = self.get(mailing_id)
        if not self.visible_to(mailing, user):
            raise PermissionDenied(f"{user} may not cancel mailing {mailing_id}")
        with write_transaction(self.rt.engine) as conn:
            n = outbox.cancel(conn, self.outbox, mailing_id)
            conn.execute(
                self.mailings.update()
                .where(self.mailings.c.id == mailing_id, self.mailings.c.status == ACTIVE)
                .values(status=CANCELLED, finished_at=outbox.now())
            )
            queue.cancel(conn, self.jobs, [f"mailing:{mailing_id}"])
        return n

    def progress(self, mailing_id: int) -> dict[str, int]:
        """The mailing's rows per status (see outbox.STATUSES) and ``total``."""
        counts = outbox.progress(self.rt.engine, self.outbox, mailing_id)
        return counts | {"total": sum(counts.values())}

    def log(
        self, *, mailing_id: int | None = None, table: str | None = None,
        record_id: int | None = None, limit: int = 1000,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Outbox rows of a mailing, or of one record (newest first), as dicts. The caller
        checks the user may see them (the mailing's sender, or a reader of the record)."""
        o = self.outbox
        stmt = sa.select(o, self.mailings.c.kind).join(
            self.mailings, self.mailings.c.id == o.c.mailing_id
        )
        if mailing_id is not None:
            stmt = stmt.where(o.c.mailing_id == mailing_id).order_by(o.c.id)
        if table is not None:
            stmt = stmt.where(o.c.table_id == self.rt.table(table).table.id)
        if record_id is not None:
            stmt = stmt.where(o.c.record_id == record_id).order_by(o.c.id.desc())
        with self.rt.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt.limit(limit)).mappings()]
