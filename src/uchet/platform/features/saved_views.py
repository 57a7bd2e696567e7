"""Named list views (S05–S09): a list's filters, sort, columns and grouping under a name.

A view belongs to its owner. It is private (``shared_with`` NULL), shared with everyone
(``"*"``) or with the users of one role (the role id). Only the owner changes or deletes
it, or an administrator (the caller says who is one: the web layer passes MAIN).

The state is the list's URL parameters as ``[name, value]`` pairs (see
:mod:`uchet.web.liststate`): plain data, so a view opens as an ordinary list URL and can be
bookmarked or shared like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.platform.records.users import User
from uchet.platform.schema.database import write_transaction

EVERYONE = "*"
MAX_NAME = 200
MAX_PAIRS = 200


@dataclass(frozen=True)
class SavedView:
    """One stored view."""

    id: int
    table_id: str
    name: str
    owner_id: int | None
    shared_with: str | None
    state: tuple[tuple[str, str], ...]

    def editable_by(self, user: User, admin: bool = False) -> bool:
        """Whether ``user`` may change or delete it: the owner, or an administrator."""
        return admin or (user.id is not None and user.id == self.owner_id)


class SavedViews:
    """Store and find the saved views of tables."""

    def __init__(self, engine: Engine, table: sa.Table, role_ids: Iterable[str] = ()):
        self.engine, self.t = engine, table
        self.role_ids = frozenset(role_ids)

    def _visible(self, user: User) -> Any:
        t = self.t
        seen = [t.c.shared_with == EVERYONE]
        if user.id is not None:
            seen.append(t.c.owner_id == user.id)
        if user.roles:
            seen.append(t.c.shared_with.in_(list(user.roles)))
        return sa.or_(*seen)

    def visible(self, table_id: str, user: User, admin: bool = False) -> list[SavedView]:
        """The views of ``table_id`` that ``user`` may open: their own, and those shared
        with everyone or one of their roles. An administrator sees every view."""
        t = self.t
        stmt = sa.select(t).where(t.c.table_id == table_id)
        if not admin:
            stmt = stmt.where(self._visible(user))
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(t.c.name, t.c.id)).mappings().all()
        return [_view(r) for r in rows]

    def get(self, view_id: int, user: User, admin: bool = False) -> SavedView:
        """One view ``user`` may open; :class:`NotFound` otherwise (its existence is
        not revealed)."""
        t = self.t
        stmt = sa.select(t).where(t.c.id == view_id)
        if not admin:
            stmt = stmt.where(self._visible(user))
        with self.engine.connect() as conn:
            row = conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"saved view #{view_id} not found")
        return _view(row)

    def save(self, table_id: str, user: User, name: str, state: Sequence[Sequence[str]],
             shared_with: str | None = None, admin: bool = False,
             view_id: int | None = None) -> SavedView:  # fmt: skip
        """Create the view ``name`` of ``user``, or overwrite their view of that name; with
        ``view_id``, change that view (name, state, sharing): its owner or an administrator
        may, others get PermissionDenied."""
        if view_id is not None:
            current = self.get(view_id, user, admin)
            if not current.editable_by(user, admin) or current.table_id != table_id:
                raise PermissionDenied(f"{user.login} may not change the view {current.name!r}")
        name = (name or "").strip()
        problems: dict[str, list[str]] = {}
        if not name or len(name) > MAX_NAME:
            problems["name"] = [f"a name of 1 to {MAX_NAME} characters is required"]
        shared_with = shared_with or None
        if shared_with not in (None, EVERYONE) and shared_with not in self.role_ids:
            problems["shared_with"] = [f"unknown role {shared_with!r}"]
        elif shared_with not in (None, EVERYONE) and not admin and shared_with not in user.roles:
            problems["shared_with"] = ["only an administrator shares a view with another role"]
        pairs = _pairs(state, problems)
        if user.id is None and view_id is None:
            problems["owner"] = ["the system user cannot own views"]
        if problems:
            raise ValidationError(problems)
        t = self.t
        owner_id = user.id
        with write_transaction(self.engine) as conn:
            if view_id is not None:
                existing: Any = view_id
                owner_id = current.owner_id
                clash = (t.c.table_id == table_id, t.c.owner_id == owner_id, t.c.name == name,
                         t.c.id != view_id)  # fmt: skip
                if conn.execute(sa.select(t.c.id).where(*clash)).first() is not None:
                    raise ValidationError({"name": [f"another view is named {name!r}"]})
            else:
                mine = (t.c.table_id == table_id, t.c.owner_id == user.id, t.c.name == name)
                existing = conn.execute(sa.select(t.c.id).where(*mine)).scalar()
            values = {"name": name, "shared_with": shared_with,
                      "state": [list(p) for p in pairs]}  # fmt: skip
            if existing is not None:
                conn.execute(t.update().where(t.c.id == existing).values(values))
                view_id = existing
            else:
                now = dt.datetime.now().replace(microsecond=0)
                inserted = conn.execute(t.insert().values(
                    table_id=table_id, owner_id=user.id, created_at=now, **values
                ))  # fmt: skip
                assert inserted.inserted_primary_key is not None
                view_id = inserted.inserted_primary_key[0]
        assert view_id is not None
        return SavedView(int(view_id), table_id, name, owner_id, shared_with, pairs)

    def delete(self, view_id: int, user: User, admin: bool = False) -> None:
        """Delete a view: the owner or an administrator may; others get PermissionDenied
        (or NotFound for a view they cannot even see)."""
        view = self.get(view_id, user, admin)
        if not view.editable_by(user, admin):
            raise PermissionDenied(f"{user.login} may not delete the view {view.name!r}")
        with write_transaction(self.engine) as conn:
            conn.execute(self.t.delete().where(self.t.c.id == view_id))


def _pairs(state: Any, problems: dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    ok = isinstance(state, list | tuple) and len(state) <= MAX_PAIRS and all(
        isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(x, str) for x in p)
        for p in state
    )  # fmt: skip
    if not ok:
        problems["state"] = [f"must be a list of at most {MAX_PAIRS} [name, value] pairs"]
        return ()
    return tuple((str(a), str(b)) for a, b in state)


def _view(row: Any) -> SavedView:
    state = tuple((str(a), str(b)) for a, b in row["state"] or ())
    return SavedView(int(row["id"]), row["table_id"], row["name"], row["owner_id"],
                     row["shared_with"], state)  # fmt: skip
