"""Per-user and per-role settings of screens (S05, S06), kept in ``uchet_prefs``.

A setting is a JSON value under ``(table_id, key)``: for example a list's ``columns`` (the
fields shown, in order) or ``widths`` (pixels by field). It can be stored for one user or
for one role; :meth:`Preferences.resolve` layers them: the user's own value, else the value
of the first of the user's roles that has one, else nothing (the caller falls back to the
configuration). Each key resolves on its own, so a user who only resized columns still
gets the role's column set.

Reading the settings of a screen is one indexed query whatever the table's size (the
``ix_uchet_prefs_owner`` index starts with ``table_id, key``), so lists stay O(page).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.model.errors import ValidationError
from uchet.platform.records.users import User
from uchet.platform.schema.database import write_transaction

#: A stored value is small: a list of names, a mapping of widths. Refuse anything bigger.
MAX_VALUE_BYTES = 20_000
MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class Resolved:
    """A setting's effective value and where it came from: ``"user"``, ``"role:<id>"``."""

    value: Any
    source: str


class Preferences:
    """Read and write ``uchet_prefs`` rows of users and roles."""

    def __init__(self, engine: Engine, table: sa.Table):
        self.engine, self.t = engine, table

    # -- reading -------------------------------------------------------------------------------
    def resolve(self, table_id: str, user: User, keys: Sequence[str]) -> dict[str, Resolved]:
        """The effective value of each of ``keys`` for ``user`` (missing keys are absent)."""
        layers = self.layers(table_id, user, keys)
        order = ["user", *(f"role:{r}" for r in user.roles)]
        result = {}
        for key in keys:
            for source in order:
                if source in layers.get(key, {}):
                    result[key] = Resolved(layers[key][source], source)
                    break
        return result

    def layers(self, table_id: str, user: User, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Every stored value of ``keys`` that applies to ``user``: key -> source -> value."""
        t = self.t
        owners = []
        if user.id is not None:
            owners.append(t.c.user_id == user.id)
        if user.roles:
            owners.append(sa.and_(t.c.user_id.is_(None), t.c.role.in_(list(user.roles))))
        if not owners or not keys:
            return {}
        stmt = (
            sa.select(t.c.key, t.c.user_id, t.c.role, t.c.value)
            .where(t.c.table_id == table_id, t.c.key.in_(list(keys)), sa.or_(*owners))
            .order_by(t.c.id)  # a later duplicate (a lost race) wins
        )
        found: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for key, user_id, role, value in conn.execute(stmt):
                source = "user" if user_id is not None else f"role:{role}"
                found.setdefault(key, {})[source] = value
        return found

    # -- writing -------------------------------------------------------------------------------
    def set_for_user(self, table_id: str, user: User, key: str, value: Any) -> None:
        """Store ``value`` as ``user``'s own setting (``None`` removes it)."""
        if user.id is None:
            raise ValidationError({"user": ["the system user has no preferences"]})
        self._set(table_id, key, value, user_id=user.id, role=None)

    def set_for_role(self, table_id: str, role: str, key: str, value: Any) -> None:
        """Store ``value`` as the default of everyone with ``role`` (``None`` removes it).
        The caller checks that the acting user may (the web layer: MAIN only)."""
        if not role:
            raise ValidationError({"role": ["a role id is required"]})
        self._set(table_id, key, value, user_id=None, role=role)

    def _set(self, table_id: str, key: str, value: Any, *, user_id: int | None,
             role: str | None) -> None:  # fmt: skip
        _check(key, value)
        with write_transaction(self.engine) as conn:
            self._delete(conn, table_id, key, user_id, role)
            if value is not None:
                conn.execute(self.t.insert().values(
                    user_id=user_id, role=role, table_id=table_id, key=key, value=value,
                    updated_at=dt.datetime.now().replace(microsecond=0),
                ))  # fmt: skip

    def _delete(self, conn: Connection, table_id: str, key: str, user_id: int | None,
                role: str | None) -> None:  # fmt: skip
        # Delete then insert rather than update: NULLs in the unique index never collide,
        # so a role row (user_id NULL) could otherwise be stored twice by two writers.
        t = self.t
        owner = t.c.user_id == user_id if user_id is not None else sa.and_(
            t.c.user_id.is_(None), t.c.role == role)  # fmt: skip
        conn.execute(t.delete().where(t.c.table_id == table_id, t.c.key == key, owner))

    def clear_user(self, table_id: str, user: User, keys: Iterable[str]) -> None:
        """Forget ``user``'s own values of ``keys`` (back to the role or configuration)."""
        for key in keys:
            self.set_for_user(table_id, user, key, None)


def _check(key: str, value: Any) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError({"key": [f"must be 1 to {MAX_KEY_LENGTH} characters"]})
    try:
        size = len(json.dumps(value))
    except (TypeError, ValueError):
        raise ValidationError({key: ["must be plain JSON data"]}) from None
    if size > MAX_VALUE_BYTES:
        raise ValidationError({key: [f"is too large ({size} bytes, at most {MAX_VALUE_BYTES})"]})


def names_list(value: Any, allowed: Iterable[str], key: str = "columns") -> list[str]:
    """``value`` checked as a list of distinct names out of ``allowed``."""
    allowed = set(allowed)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError({key: ["must be a list of field names"]})
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValidationError({key: [f"unknown field(s): {', '.join(unknown)}"]})
    return list(dict.fromkeys(value))


def widths_map(value: Any, allowed: Iterable[str], key: str = "widths") -> dict[str, int]:
    """``value`` checked as field name -> width in pixels (30 to 2000)."""
    allowed = set(allowed)
    if not isinstance(value, Mapping):
        raise ValidationError({key: ["must map field names to widths in pixels"]})
    result = {}
    for name, width in value.items():
        if name not in allowed:
            raise ValidationError({key: [f"unknown field {name!r}"]})
        if not isinstance(width, int | float) or isinstance(width, bool) or not 30 <= width <= 2000:
            raise ValidationError({key: [f"width of {name!r} must be 30 to 2000 pixels"]})
        result[name] = int(width)
    return result
