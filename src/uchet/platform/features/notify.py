"""Notification and reminder rules declared on tables (S15, S16, S27, S30).

A rule names a trigger, an optional condition (a formula), a recipient (a user field or a
path to one) and title/body templates (Jinja in a sandbox, ARCHITECTURE rule 8):

* ``created`` and ``changed`` rules fire inside the transaction of the change: the in-app
  notification is written with the record, or not at all;
* ``time_reached`` rules schedule a ``reminder`` job in ``uchet_jobs`` at the field's time
  (minus ``days_before``/``minutes_before``); a changed time replaces the job. The worker
  re-checks the record and the condition when the time comes.

E-mail, when SMTP is configured and the recipient has an address, is a separate ``email``
job, so a slow or failing mail server never holds a database transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.engine import Connection

from uchet.platform.features import jobs as queue
from uchet.platform.features.mailer import send_mail, smtp_settings
from uchet.platform.formula import sql as formulas
from uchet.platform.model.config import Labels, Table, as_labels, label_text
from uchet.platform.query.filters import Filter
from uchet.platform.query.listquery import run_query
from uchet.platform.records.runtime import Runtime

#: A reminder whose time passed less than this long ago when it is saved still fires.
GRACE = dt.timedelta(minutes=5)
_TEMPLATES = SandboxedEnvironment(autoescape=False)


@dataclass(frozen=True)
class Rule:
    """A parsed notification rule of a table."""

    id: str
    trigger: str
    field: str | None  # field name
    recipient: str
    title: Labels
    body: Labels
    condition: str | None = None
    days_before: int = 0
    minutes_before: int = 0
    at: dt.time = dt.time(9, 0)
    notify_actor: bool = False
    email: bool = True

    def due(self, value: Any) -> dt.datetime | None:
        """When a reminder for the field value ``value`` fires."""
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, self.at)
        return value - dt.timedelta(days=self.days_before, minutes=self.minutes_before)

    def key(self, record_id: Any) -> str:
        """The job key of this rule's reminder for one record."""
        return f"{self.id}:{record_id}"


def rules_of(table: Table) -> list[Rule]:
    """The notification rules of ``table``."""
    rules = []
    for r in table.notifications:
        field = table.field_by_id(r["field"]).name if r.get("field") else None
        at = dt.time.fromisoformat(r["at"]) if r.get("at") else dt.time(9, 0)
        rules.append(
            Rule(
                r["id"],
                r["trigger"],
                field,
                r["recipient"],
                as_labels(r["title"]),
                as_labels(r.get("body")),
                r.get("condition"),
                r.get("days_before", 0),
                r.get("minutes_before", 0),
                at,
                r.get("notify_actor", False),
                r.get("email", True),
            )
        )
    return rules


# -- triggers --------------------------------------------------------------------------------
def on_insert(rt: Runtime, conn: Connection, table: Table, records: list[dict], actor: Any) -> None:
    """Rules after records were created."""
    for rule in rules_of(table):
        if rule.trigger == "time_reached":
            schedule(rt, conn, table, rule, records, replace=False)
        elif rule.trigger == "created" or (rule.trigger == "changed" and rule.field is not None):
            ids = [
                r["id"]
                for r in records
                if rule.trigger == "created" or r.get(rule.field or "") is not None
            ]
            deliver(rt, conn, table, rule, ids, actor)


def on_update(
    rt: Runtime, conn: Connection, table: Table, old: Mapping[str, Any], record: dict, actor: Any
) -> None:
    """Rules after a record was changed."""
    for rule in rules_of(table):
        if rule.field is None or old.get(rule.field) == record.get(rule.field):
            continue
        if rule.trigger == "time_reached":
            schedule(rt, conn, table, rule, [record], replace=True)
        elif rule.trigger == "changed":
            deliver(rt, conn, table, rule, [record["id"]], actor)


def on_delete(rt: Runtime, conn: Connection, table: Table, record: Mapping[str, Any]) -> None:
    """Drop the pending reminders of a deleted record."""
    keys = [r.key(record["id"]) for r in rules_of(table) if r.trigger == "time_reached"]
    if keys:
        queue.cancel(conn, rt.model.system["uchet_jobs"], keys)


def schedule(
    rt: Runtime,
    conn: Connection,
    table: Table,
    rule: Rule,
    records: Iterable[Mapping[str, Any]],
    *,
    replace: bool,
) -> None:
    """(Re)schedule the reminders of ``rule`` for ``records``."""
    jobs = rt.model.system["uchet_jobs"]
    records = list(records)
    if replace:
        queue.cancel(conn, jobs, [rule.key(r["id"]) for r in records])
    earliest = queue.now() - GRACE
    items = []
    for r in records:
        due = rule.due(r.get(rule.field or ""))
        if due is not None and due >= earliest:
            payload = {"rule": rule.id, "table": table.id, "record": r["id"]}
            items.append(("reminder", payload, due, rule.key(r["id"])))
    queue.enqueue_many(conn, jobs, items)


# -- delivery --------------------------------------------------------------------------------
def deliver(
    rt: Runtime, conn: Connection, table: Table, rule: Rule, ids: list[Any], actor: Any
) -> int:
    """Write the notifications of ``rule`` for the records ``ids`` (condition, recipient
    and actor checked in SQL); returns how many were written."""
    if not ids:
        return 0
    ct = rt.table(table.id)
    recipient = rt.model.path_expression(ct, tuple(rule.recipient.split(".")), set())
    columns = [ct.sql.c.id, recipient.label("recipient")]
    if rule.condition:
        cond = formulas.compile_expr(
            formulas.parse(rule.condition),
            lambda path: rt.model.path_expression(ct, path, set()),
            rt.model.dialect,
        )
        columns.append(sa.case((cond, 1), else_=0).label("ok"))
    targets: dict[Any, Any] = {}
    for chunk in _chunks(ids, 500):
        for row in conn.execute(sa.select(*columns).where(ct.sql.c.id.in_(chunk))).mappings():
            if row["recipient"] is None or (rule.condition and not row["ok"]):
                continue
            if not rule.notify_actor and row["recipient"] == actor:
                continue
            targets[row["id"]] = row["recipient"]
    if not targets:
        return 0
    users = rt.model.system["uchet_users"]
    people = {
        u.id: u
        for u in conn.execute(
            sa.select(users.c.id, users.c.name, users.c.locale, users.c.email).where(
                users.c.id.in_(set(targets.values()))
            )
        )
    }
    records = _records(rt, conn, table, list(targets))
    notes, mails = [], []
    settings = smtp_settings() if rule.email else None
    created = queue.now()
    for rid, uid in targets.items():
        person = people.get(uid)
        if person is None or rid not in records:
            continue
        locale = person.locale or rt.config.default_locale
        context = {
            "record": records[rid],
            "user": {"id": uid, "name": person.name},
            "table": table.text(locale),
        }
        title = render(label_text(rule.title, locale), context)[:500]
        body = render(label_text(rule.body, locale), context) if rule.body else ""
        notes.append(
            {
                "user_id": uid,
                "rule_id": rule.id,
                "title": title,
                "body": body,
                "table_id": table.id,
                "record_id": rid,
                "created_at": created,
                "actor_id": actor,
            }
        )
        if settings is not None and person.email:
            mails.append(
                ("email", {"to": person.email, "subject": title, "body": body}, None, None)
            )
    if notes:
        conn.execute(rt.model.system["uchet_notifications"].insert(), notes)
    queue.enqueue_many(conn, rt.model.system["uchet_jobs"], mails)
    return len(notes)


def _records(rt: Runtime, conn: Connection, table: Table, ids: list[Any]) -> dict[Any, dict]:
    found: dict[Any, dict] = {}
    for chunk in _chunks(ids, 500):
        result = run_query(
            rt.model,
            table.id,
            connection=conn,
            count=False,
            filters=[Filter("id", "in", list(chunk))],
            limit=len(chunk),
        )
        found.update({r["id"]: r for r in result.rows})
    return found


@functools.lru_cache(maxsize=256)
def _compiled(template: str) -> Template:
    # Compiling costs a thousand times more than rendering; a rule has a few templates.
    return _TEMPLATES.from_string(template)


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render a user-written template in the sandbox; a broken one shows as written."""
    try:
        return _compiled(template).render(**context)
    except Exception:  # a template error must not lose the notification
        return template


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- job kinds -------------------------------------------------------------------------------
def run_reminder(rt: Runtime, job: queue.Job, conn: Connection | None) -> None:
    """The ``reminder`` job: the record's time has come; notify if it still applies."""
    assert conn is not None
    payload = job.payload
    try:
        table = rt.config.table(payload["table"])
        rule = next(r for r in rules_of(table) if r.id == payload["rule"])
    except (KeyError, StopIteration):
        return  # the rule or table left the configuration: nothing to remind of
    ct = rt.table(table.id)
    value = conn.execute(
        sa.select(ct.sql.c[rule.field or "id"]).where(ct.sql.c.id == payload["record"])
    ).first()
    if value is None:
        return  # the record is gone
    due = rule.due(value[0])
    if due is None or abs((due - job.due_at).total_seconds()) > 60:
        return  # the time changed since; the newer job reminds
    deliver(rt, conn, table, rule, [payload["record"]], actor=None)


def run_email(rt: Runtime, job: queue.Job, conn: Connection | None) -> None:
    """The ``email`` job: send one message (when SMTP is still configured)."""
    settings = smtp_settings()
    if settings is None:
        return
    p = job.payload
    send_mail(settings, p["to"], p.get("subject", ""), p.get("body", ""))
