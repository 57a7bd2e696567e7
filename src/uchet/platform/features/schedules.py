"""Recurring work run by ``uchet worker`` (issue 20): scheduled backups and reports.

A schedule says how often (daily, weekly on a weekday, monthly on a day of the month) and
at what local time. On each pass the worker calls :func:`enqueue_due`: for each schedule
whose ``next_run_at`` has come, a compare-and-set UPDATE moves ``next_run_at`` to the next
occasion *after now* and, only if that UPDATE changed the row, enqueues the occasion's job
(``schedule_<kind>``) in the same transaction. Two workers looking at once cannot both win
the UPDATE, and the job queue then runs the job once (row lock and lease): every occasion
runs exactly once. Occasions missed while no worker ran are not replayed one by one: the
next pass runs the latest one and moves on (a backup or report of "now" is what is wanted).
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.features import jobs as queue
from uchet.platform.model.errors import UchetError
from uchet.platform.schema.database import write_transaction

log = logging.getLogger(__name__)

FREQUENCIES = ("daily", "weekly", "monthly")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ScheduleError(UchetError):
    """A schedule that cannot be kept: the message names the setting, and ``field`` is its
    key (a screen shows its own text for it, in the user's language)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Recurrence:
    """When a schedule runs."""

    frequency: str
    at_time: str = "02:00"
    weekday: int | None = None  # 0 = Monday
    monthday: int | None = None  # 1..31

    def check(self) -> Recurrence:
        """Self, when valid; ScheduleError naming the wrong setting otherwise."""
        if self.frequency not in FREQUENCIES:
            raise ScheduleError(
                f"frequency: one of {', '.join(FREQUENCIES)}, not {self.frequency!r}", "frequency"
            )
        if not _TIME.match(self.at_time or ""):
            raise ScheduleError(f"time: HH:MM (00:00 to 23:59), not {self.at_time!r}", "at_time")
        if self.frequency == "weekly" and self.weekday not in range(7):
            raise ScheduleError(
                "weekday: 0 (Monday) to 6 (Sunday) for a weekly schedule", "weekday"
            )
        if self.frequency == "monthly" and self.monthday not in range(1, 32):
            raise ScheduleError("day of the month: 1 to 31 for a monthly schedule", "monthday")
        return self

    def _on(self, day: dt.date) -> dt.datetime:
        hour, minute = map(int, self.at_time.split(":"))
        return dt.datetime.combine(day, dt.time(hour, minute))

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first occasion strictly after ``moment``."""
        day = moment.date()
        for _ in range(400):  # at most a year and a bit ahead: always found well before
            candidate = self._on(day)
            if candidate > moment and self._matches(day):
                return candidate
            day += dt.timedelta(days=1)
        raise ScheduleError("no next occasion found")  # unreachable for a checked recurrence

    def _matches(self, day: dt.date) -> bool:
        if self.frequency == "daily":
            return True
        if self.frequency == "weekly":
            return day.weekday() == self.weekday
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(int(self.monthday or 1), last)  # the 31st in April: the 30th


@dataclass(frozen=True)
class Schedule:
    """One stored schedule."""

    id: int
    kind: str
    name: str
    payload: Mapping[str, Any]
    recurrence: Recurrence
    active: bool
    next_run_at: dt.datetime
    last_run_at: dt.datetime | None
    last_status: str | None
    last_message: str | None
    created_by: int | None


def _schedule(r: Any) -> Schedule:
    return Schedule(
        r.id, r.kind, r.name, r.payload or {},
        Recurrence(r.frequency, r.at_time, r.weekday, r.monthday),
        bool(r.active), r.next_run_at, r.last_run_at, r.last_status, r.last_message,
        r.created_by,
    )  # fmt: skip


class Schedules:
    """The schedules of one kind kept in ``uchet_schedules``."""

    def __init__(self, engine: Engine, table: sa.Table, kind: str):
        self.engine, self.table, self.kind = engine, table, kind

    def list(self, **where: Any) -> list[Schedule]:
        """The schedules of this kind (``created_by=`` narrows), by id."""
        t = self.table
        stmt = sa.select(t).where(t.c.kind == self.kind).order_by(t.c.id)
        for name, value in where.items():
            stmt = stmt.where(t.c[name] == value)
        with self.engine.connect() as conn:
            return [_schedule(r) for r in conn.execute(stmt)]

    def get(self, schedule_id: int) -> Schedule | None:
        """The schedule ``schedule_id`` of this kind, or None."""
        t = self.table
        stmt = sa.select(t).where(t.c.id == schedule_id, t.c.kind == self.kind)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else _schedule(row)

    def save(
        self,
        name: str,
        payload: Mapping[str, Any],
        recurrence: Recurrence,
        *,
        schedule_id: int | None = None,
        active: bool = True,
        created_by: int | None = None,
        now: dt.datetime | None = None,
    ) -> int:
        """Create a schedule, or replace ``schedule_id``'s settings; the next occasion is
        worked out from ``now``. Returns the id."""
        recurrence.check()
        moment = now or queue.now()
        values = {
            "name": name[:200], "payload": dict(payload), "frequency": recurrence.frequency,
            "at_time": recurrence.at_time, "weekday": recurrence.weekday,
            "monthday": recurrence.monthday, "active": active,
            "next_run_at": recurrence.next_after(moment),
        }  # fmt: skip
        t = self.table
        with write_transaction(self.engine) as conn:
            if schedule_id is None:
                values |= {"kind": self.kind, "created_by": created_by, "created_at": moment}
                key = conn.execute(t.insert().values(**values)).inserted_primary_key
                assert key is not None
                return int(key[0])
            done = conn.execute(
                t.update().where(t.c.id == schedule_id, t.c.kind == self.kind).values(**values)
            )
            if done.rowcount != 1:
                raise ScheduleError(f"there is no schedule #{schedule_id}")
            return schedule_id

    def delete(self, schedule_id: int) -> bool:
        """Delete one schedule of this kind; False when there was none."""
        t = self.table
        with write_transaction(self.engine) as conn:
            gone = conn.execute(t.delete().where(t.c.id == schedule_id, t.c.kind == self.kind))
            return gone.rowcount == 1


def record_outcome(
    conn: Connection, table: sa.Table, schedule_id: int, status: str, message: str
) -> None:
    """Note how the last occasion of a schedule ended (shown on its settings page)."""
    conn.execute(
        table.update()
        .where(table.c.id == schedule_id)
        .values(last_status=status, last_message=message[:2000])
    )


def job_kind(kind: str) -> str:
    """The job that runs an occasion of a schedule of ``kind``."""
    return f"schedule_{kind}"


def enqueue_due(engine: Engine, schedules: sa.Table, jobs: sa.Table, at: dt.datetime) -> int:
    """Enqueue one job per schedule whose occasion has come (see the module's text);
    returns how many were enqueued."""
    t = schedules
    enqueued = 0
    with write_transaction(engine) as conn:
        due = sa.select(t).where(t.c.active.is_(True), t.c.next_run_at <= at).order_by(t.c.id)
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        for row in conn.execute(due).all():
            s = _schedule(row)
            try:
                following = s.recurrence.check().next_after(at)
            except ScheduleError as e:
                log.error("schedule %s is broken: %s", s.id, e)
                continue
            won = conn.execute(
                t.update()
                .where(t.c.id == s.id, t.c.next_run_at == s.next_run_at)
                .values(next_run_at=following, last_run_at=s.next_run_at)
            )
            if won.rowcount != 1:
                continue  # another worker took this occasion
            occasion = s.next_run_at
            key = f"schedule:{s.id}:{occasion:%Y%m%d%H%M}"
            payload = {"schedule": s.id, "occasion": occasion.isoformat(), "at": at.isoformat()}
            queue.enqueue(conn, jobs, job_kind(s.kind), payload, due_at=occasion, key=key)
            enqueued += 1
    return enqueued
