"""Automatic messages: the ``message_rules`` of the manifest's settings (issue 19, S34).

A rule names a table, a template, its channel and when it fires:

* ``{"before": "visit_at", "hours": 24}``: 24 hours before a date(-time) field (an SMS
  before a visit, S34). The occasion is the field's value: a moved visit fires again.
* ``{"changed": "stage", "to": "ready"}``: when a change sets the field to the value (the
  ``uchet_after_update`` hook queues it in the change's own transaction). The occasion is
  the record's version after that change.
* ``{"yearly": "birthday"}``: every year on the date field's day and month. The occasion is
  the year. (A 29 February date fires only in leap years.)

Each firing is an outbox row whose ``dedup_key`` names the rule, the record and the
occasion, so it fires once however many workers tick. Rows of a rule belong to one mailing
of kind ``rule``; the recipient (address, opt-out, rights) is looked up when it is sent.
Rules run as the system actor. The administrator switches a rule on and off
(``uchet_message_rule_state``), which overrides the configuration's ``enabled``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.hookspecs import RecordChange
from uchet.platform.messaging import mailings as m
from uchet.platform.messaging import outbox
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import User
from uchet.platform.schema.database import write_transaction

log = logging.getLogger(__name__)

BEFORE, CHANGED, YEARLY = "before", "changed", "yearly"
#: The most occasions one rule queues per pass (the next pass takes the rest).
MAX_BATCH = 5000


@dataclass(frozen=True)
class Rule:
    """One automatic message rule as configured, with its current switch."""

    id: str
    label: Any
    table: str
    template: str
    channel: str
    when: Mapping[str, Any]
    enabled: bool

    @property
    def kind(self) -> str:
        """``before``, ``changed`` or ``yearly``."""
        return next(k for k in (BEFORE, CHANGED, YEARLY) if k in self.when)

    @property
    def field(self) -> str:
        return str(self.when[self.kind])


def configured(rt: Runtime) -> list[Rule]:
    """The rules of the configuration, with the administrator's switches applied."""
    raw = rt.config.manifest.settings.get("message_rules") or ()
    state = rt.model.system["uchet_message_rule_state"]
    with rt.engine.connect() as conn:
        switches = {r.rule_id: bool(r.enabled) for r in conn.execute(sa.select(state))}
    return [
        Rule(
            id=r["id"],
            label=r.get("label") or r["id"],
            table=r["table"],
            template=r["template"],
            channel=r["channel"],
            when=dict(r["when"]),
            enabled=switches.get(r["id"], bool(r.get("enabled", True))),
        )
        for r in raw
    ]


def set_enabled(rt: Runtime, rule_id: str, enabled: bool, user: User) -> None:
    """Switch a rule on or off (an administrator's page); KeyError for an unknown rule."""
    if rule_id not in {r.id for r in configured(rt)}:
        raise KeyError(rule_id)
    state = rt.model.system["uchet_message_rule_state"]
    values = {"enabled": enabled, "changed_by": user.id, "changed_at": outbox.now()}
    with write_transaction(rt.engine) as conn:
        done = conn.execute(state.update().where(state.c.rule_id == rule_id).values(values))
        if done.rowcount == 0:
            conn.execute(state.insert().values(rule_id=rule_id, **values))


def _mailing(conn: Connection, rt: Runtime, rule: Rule) -> int:
    """The rule's mailing (one per rule), made on its first firing."""
    mailings = rt.model.system["uchet_mailings"]
    found = conn.execute(
        sa.select(mailings.c.id).where(mailings.c.rule_id == rule.id, mailings.c.kind == m.RULE)
    ).scalar()
    if found is not None:
        return int(found)
    inserted = conn.execute(
        mailings.insert().values(
            kind=m.RULE,
            template=rule.template,
            channel=rule.channel,
            table_id=rt.table(rule.table).table.id,
            status=m.ACTIVE,
            created_by=None,
            created_at=outbox.now(),
            selection={"rule": rule.id},
            rule_id=rule.id,
        )
    ).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def _fire(
    conn: Connection, rt: Runtime, rule: Rule, occasions: Sequence[tuple[int, str]],
    at: dt.datetime,
) -> int:  # fmt: skip
    """Queue the rule's message for each (record id, occasion) not yet fired."""
    if not occasions:
        return 0
    mailing_id = _mailing(conn, rt, rule)
    table_id = rt.table(rule.table).table.id
    rows = [
        {"mailing_id": mailing_id, "template": rule.template, "channel": rule.channel,
         "table_id": table_id, "record_id": record_id, "status": outbox.QUEUED,
         "dedup_key": f"r:{rule.id}:{record_id}:{occasion}", "next_attempt_at": at}
        for record_id, occasion in occasions
    ]  # fmt: skip
    added = outbox.add_rows(conn, rt.model.system["uchet_outbox"], rows)
    if added:
        m.Mailings(rt).schedule(conn, mailing_id, at)
    return added


def _due(conn: Connection, rt: Runtime, rule: Rule, at: dt.datetime) -> list[tuple[int, str]]:
    """(record id, occasion) of a time rule's records due at ``at``."""
    ct = rt.table(rule.table)
    sql, column = ct.sql, ct.column(rule.field)
    if rule.kind == BEFORE:
        lead = dt.timedelta(hours=float(rule.when.get("hours", 0)))
        # Due once the event is within ``lead`` and has not yet passed.
        stmt = sa.select(sql.c.id, column).where(column > at, column <= at + lead)
        return [(int(i), _stamp(v)) for i, v in conn.execute(stmt.limit(MAX_BATCH))]
    yearly = sa.select(sql.c.id).where(
        sa.extract("month", column) == at.month, sa.extract("day", column) == at.day
    )
    return [(int(i), str(at.year)) for i in conn.execute(yearly.limit(MAX_BATCH)).scalars()]


def _stamp(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def tick(rt: Runtime, at: dt.datetime) -> int:
    """Queue the time rules' messages that are due at ``at`` (the worker calls it every
    pass). Returns how many were queued."""
    if not rt.config.manifest.settings.get("message_rules"):
        return 0  # most configurations: not even the switches are read
    added = 0
    for rule in configured(rt):
        if not rule.enabled or rule.kind == CHANGED:
            continue
        try:
            with write_transaction(rt.engine) as conn:
                added += _fire(conn, rt, rule, _due(conn, rt, rule, at), at)
        except sa.exc.IntegrityError:
            # Another worker queued the same occasion between our check and insert: it
            # is queued, once; the next pass finds nothing new.
            log.info("rule %s: another worker fired it first", rule.id)
    return added


def on_update(change: RecordChange) -> None:
    """``uchet_after_update``: queue the ``changed`` rules the change fires."""
    rt, old, new, conn = change.service.rt, change.old, change.new, change.conn
    if old is None or new is None or conn is None:
        return
    raw = rt.config.manifest.settings.get("message_rules") or ()
    table = change.service.table
    wanted = [
        r for r in raw
        if CHANGED in r["when"] and rt.table(r["table"]).table.id == table.id
        and new.get(r["when"]["changed"]) == r["when"]["to"]
        and old.get(r["when"]["changed"]) != r["when"]["to"]
    ]  # fmt: skip
    if not wanted:
        return
    rules = {r.id: r for r in configured(rt)}
    for r in wanted:
        rule = rules[r["id"]]
        if rule.enabled:
            _fire(conn, rt, rule, [(int(change.record_id), f"v{new.get('version')}")],
                  outbox.now())  # fmt: skip
