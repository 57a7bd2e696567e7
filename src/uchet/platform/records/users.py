"""Users of the platform (S01): logins with hashed passwords and roles from the configuration.

Users live in the platform, not in Flask, so the CLI, the API and the web screens share them.
Passwords are hashed with argon2id (argon2-cffi). The :data:`SYSTEM` user is the explicit actor
of CLI tasks and migrations; it is never stored and cannot log in.

Each user has a *session generation* in ``uchet_sessions`` (issue 13). A new password, new
roles, deactivation and :meth:`UserStore.end_sessions` (logout, "log out everywhere") bump it,
so a session issued under an older generation is refused by every process at its next request.
Changing it here, not in the web layer, covers the CLI and any API as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from uchet.platform.model.errors import ValidationError

_hasher = PasswordHasher()
# Verifying against this keeps the time of a failed login the same whether or not the
# login exists, so response times do not reveal which logins are valid.
_DUMMY_HASH = _hasher.hash("uchet-dummy-password")


@dataclass(frozen=True)
class User:
    """An acting user. ``roles`` are role ids of the configuration."""

    id: int | None
    login: str
    name: str
    roles: tuple[str, ...] = ()
    locale: str | None = None
    is_system: bool = False
    email: str | None = None
    active: bool = True

    def __str__(self) -> str:
        return self.login


#: The explicit actor of command-line tasks: has every right, is audited as "system".
SYSTEM = User(id=None, login="system", name="System", roles=(), is_system=True)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (constant work either way)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def _email_problem(email: str) -> str:
    """What is wrong with ``email`` ('' when nothing; an empty address is no address)."""
    local, at, domain = email.rpartition("@")[0], "@" in email, email.rpartition("@")[2]
    if email and (not at or not local or not domain or any(ch.isspace() for ch in email)):
        return f"{email!r} is not an e-mail address."
    return ""


class UserStore:
    """Create, find and authenticate users in ``uchet_users``."""

    def __init__(self, engine: Engine, table: sa.Table, role_ids: Sequence[str]):
        self.engine, self.table, self.role_ids = engine, table, tuple(role_ids)
        # The sibling system tables, defined in the same metadata as uchet_users.
        self.sessions = table.metadata.tables["uchet_sessions"]
        self.audit = table.metadata.tables["uchet_audit"]

    # -- sessions (issue 13) -------------------------------------------------------------------

    def session_generation(self, user_id: int) -> int:
        """The current session generation of a user (0 before any was ended)."""
        query = sa.select(self.sessions.c.generation).where(self.sessions.c.user_id == user_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def session_user(self, user_id: int) -> tuple[User, int] | None:
        """The active user with ``user_id`` and their session generation, in one query (it
        runs on every web request), or None."""
        gen = sa.func.coalesce(self.sessions.c.generation, 0).label("uchet_generation")
        query = (
            sa.select(self.table, gen)
            .select_from(self.table.outerjoin(self.sessions,
                                              self.sessions.c.user_id == self.table.c.id))
            .where(self.table.c.id == user_id)
        )  # fmt: skip
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or not row.active:
            return None
        return self._user(row), int(row.uchet_generation)

    def end_sessions(self, user_id: int, conn: sa.Connection | None = None) -> None:
        """End every session of a user: bump the generation their cookies must match."""
        if conn is None:
            with self.engine.begin() as conn:
                self.end_sessions(user_id, conn)
            return
        now = dt.datetime.now().replace(microsecond=0)
        table = self.sessions
        bumped = conn.execute(
            table.update()
            .where(table.c.user_id == user_id)
            .values(generation=table.c.generation + 1, ended_at=now)
        )
        if bumped.rowcount == 0:
            try:  # the first end: a savepoint, so a concurrent first insert only retries
                with conn.begin_nested():
                    conn.execute(table.insert().values(user_id=user_id, generation=1, ended_at=now))
            except sa.exc.IntegrityError:
                conn.execute(
                    table.update()
                    .where(table.c.user_id == user_id)
                    .values(generation=table.c.generation + 1, ended_at=now)
                )

    def record_event(
        self, action: str, login: str, user_id: int | None, details: dict[str, Any]
    ) -> None:
        """Write an account event (``lock``, ``unlock``, ``logout_all``) to ``uchet_audit``
        under the table id ``uchet_users``; ``record_id`` is the user's id, 0 for an unknown
        login."""
        with self.engine.begin() as conn:
            conn.execute(
                self.audit.insert().values(
                    at=dt.datetime.now().replace(microsecond=0),
                    user_id=user_id,
                    user_login=login,
                    table_id="uchet_users",
                    record_id=user_id or 0,
                    action=action[:10],
                    changes=details,
                )
            )

    def _user(self, row: Any) -> User:
        return User(row.id, row.login, row.name, tuple(row.roles or ()), row.locale,
                    email=row.email, active=bool(row.active))  # fmt: skip

    def create(
        self,
        login: str,
        password: str | None,
        *,
        name: str | None = None,
        roles: Sequence[str] = (),
        email: str | None = None,
        locale: str | None = None,
    ) -> User:
        """Add a user. Unknown roles, a taken login or a short password are refused."""
        problems: dict[str, list[str]] = {}
        login = login.strip()
        if not login:
            problems["login"] = ["A login is required."]
        unknown = [r for r in roles if r not in self.role_ids]
        if unknown:
            problems["roles"] = [
                f"Unknown role(s): {', '.join(unknown)}; known: {', '.join(self.role_ids)}."
            ]
        if password is not None and len(password) < 8:
            problems["password"] = ["A password needs at least 8 characters."]
        if self.find(login) is not None:
            problems["login"] = [f"The login {login!r} is taken."]
        if email and _email_problem(email.strip()):
            problems["email"] = [_email_problem(email.strip())]
        if problems:
            raise ValidationError(problems)
        with self.engine.begin() as conn:
            result = conn.execute(
                self.table.insert().values(
                    login=login,
                    name=name or login,
                    email=email,
                    password_hash=hash_password(password) if password else None,
                    roles=list(roles),
                    locale=locale,
                    active=True,
                    created_at=dt.datetime.now().replace(microsecond=0),
                )
            )
            assert result.inserted_primary_key is not None
            user_id = result.inserted_primary_key[0]
        return User(user_id, login, name or login, tuple(roles), locale, email=email)

    def find(self, login: str) -> User | None:
        """The active or inactive user with ``login``, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(self.table).where(self.table.c.login == login)).first()
        return self._user(row) if row else None

    def get(self, user_id: int, *, active_only: bool = False) -> User | None:
        """The user with ``user_id``, or None (also when ``active_only`` and disabled)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(self.table).where(self.table.c.id == user_id)).first()
        if row is None or (active_only and not row.active):
            return None
        return self._user(row)

    def all(self) -> list[User]:
        """Every user, by login."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(self.table).order_by(self.table.c.login)).all()
        return [self._user(r) for r in rows]

    def authenticate(self, login: str, password: str) -> User | None:
        """The user if ``password`` is right and the user is active; otherwise None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(self.table).where(self.table.c.login == login)).first()
        ok = verify_password(row.password_hash if row else None, password)
        if not ok or row is None or not row.active:
            return None
        return self._user(row)

    def set_password(self, user_id: int, password: str) -> None:
        """Change a user's password."""
        if len(password) < 8:
            raise ValidationError({"password": ["A password needs at least 8 characters."]})
        with self.engine.begin() as conn:
            conn.execute(
                self.table.update()
                .where(self.table.c.id == user_id)
                .values(password_hash=hash_password(password))
            )
            self.end_sessions(user_id, conn)

    def set_roles(self, user_id: int, roles: Sequence[str]) -> None:
        """Replace a user's roles."""
        unknown = [r for r in roles if r not in self.role_ids]
        if unknown:
            raise ValidationError({"roles": [f"Unknown role(s): {', '.join(unknown)}."]})
        with self.engine.begin() as conn:
            conn.execute(
                self.table.update().where(self.table.c.id == user_id).values(roles=list(roles))
            )
            self.end_sessions(user_id, conn)

    def update(
        self,
        user_id: int,
        *,
        name: str | None = None,
        email: str | None = None,
        roles: Sequence[str] | None = None,
        locale: str | None = None,
        active: bool | None = None,
    ) -> User:
        """Change a user's profile; only the arguments given change (``email=""`` clears it).

        Everything is checked before anything is written: a blank name, an e-mail without
        "@" or an unknown role raise :class:`ValidationError` naming the field."""
        problems: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        if name is not None:
            if not name.strip():
                problems["name"] = ["A name is required."]
            values["name"] = name.strip()
        if email is not None:
            email = email.strip()
            if _email_problem(email):
                problems["email"] = [_email_problem(email)]
            values["email"] = email or None
        if roles is not None:
            unknown = [r for r in roles if r not in self.role_ids]
            if unknown:
                problems["roles"] = [f"Unknown role(s): {', '.join(unknown)}."]
            values["roles"] = list(roles)
        if locale is not None:
            values["locale"] = locale or None
        if active is not None:
            values["active"] = bool(active)
        if problems:
            raise ValidationError(problems)
        if values:
            with self.engine.begin() as conn:
                before = conn.execute(
                    sa.select(self.table.c.roles, self.table.c.active).where(
                        self.table.c.id == user_id
                    )
                ).first()
                conn.execute(self.table.update().where(self.table.c.id == user_id).values(**values))
                # New rights or a disabled login end the sessions issued under the old ones.
                if before is not None and (
                    ("roles" in values and list(before.roles or ()) != values["roles"])
                    or ("active" in values and bool(before.active) != values["active"])
                ):
                    self.end_sessions(user_id, conn)
        found = self.get(user_id)
        if found is None:
            raise ValidationError({"id": [f"There is no user #{user_id}."]})
        return found

    def set_locale(self, user_id: int, locale: str | None) -> None:
        """Remember the interface language a user chose."""
        with self.engine.begin() as conn:
            conn.execute(
                self.table.update().where(self.table.c.id == user_id).values(locale=locale)
            )

    def set_active(self, user_id: int, active: bool) -> None:
        """Enable or disable a user's login."""
        with self.engine.begin() as conn:
            conn.execute(
                self.table.update().where(self.table.c.id == user_id).values(active=active)
            )
            self.end_sessions(user_id, conn)
