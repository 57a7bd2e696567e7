"""In-app notifications of one user (the bell and its list in the web UI)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from uchet.platform.records.users import User
from uchet.platform.schema.database import write_transaction


@dataclass(frozen=True)
class Notification:
    """One notification: what, about which record, when, and whether it was read."""

    id: int
    title: str
    body: str
    table_id: str | None
    record_id: int | None
    rule_id: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None
    #: The user whose change it is about (None: the system, a reminder, or an older row).
    actor_id: int | None = None


class Inbox:
    """The notifications of ``user``: list them, count unread ones, mark them read."""

    def __init__(self, engine: Engine, table: sa.Table, user: User):
        if user.id is None:
            raise ValueError("the system actor has no notifications")
        self.engine, self.table, self.user = engine, table, user

    def list(
        self, *, unread_only: bool = False, limit: int = 50, before: int | None = None
    ) -> list[Notification]:
        """The newest notifications first; ``before``: only those older than that id (the
        next page of a long list)."""
        t = self.table
        stmt = sa.select(t).where(t.c.user_id == self.user.id)
        if unread_only:
            stmt = stmt.where(t.c.read_at.is_(None))
        if before is not None:
            stmt = stmt.where(t.c.id < before)
        stmt = stmt.order_by(t.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_notification(r) for r in conn.execute(stmt)]

    def get(self, notification_id: int) -> Notification | None:
        """One of the user's notifications; None when there is none with that id *for this
        user* (another user's notification is never returned)."""
        t = self.table
        stmt = sa.select(t).where(t.c.id == notification_id, t.c.user_id == self.user.id)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else _notification(row)

    def unread_count(self, limit: int | None = None) -> int:
        """How many notifications are unread (the number on the bell). With ``limit`` it
        stops counting after ``limit + 1`` (the bell shows "99+"), so every page pays the
        same small price however many notifications pile up."""
        t = self.table
        mine = sa.select(t.c.id).where(t.c.user_id == self.user.id, t.c.read_at.is_(None))
        if limit is not None:
            mine = mine.limit(limit + 1)
        stmt = sa.select(sa.func.count()).select_from(mine.subquery())
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def mark_read(self, ids: Iterable[Any] | None = None) -> int:
        """Mark ``ids`` (default: all) read; another user's notifications are never touched."""
        t = self.table
        stmt = t.update().where(t.c.user_id == self.user.id, t.c.read_at.is_(None))
        if ids is not None:
            stmt = stmt.where(t.c.id.in_([int(i) for i in ids]))
        with write_transaction(self.engine) as conn:
            return conn.execute(stmt.values(read_at=dt.datetime.now())).rowcount


def _notification(r: Any) -> Notification:
    return Notification(
        r.id,
        r.title,
        r.body or "",
        r.table_id,
        r.record_id,
        r.rule_id,
        r.created_at,
        r.read_at,
        getattr(r, "actor_id", None),
    )
