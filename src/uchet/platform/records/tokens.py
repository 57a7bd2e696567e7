"""Personal API tokens (issue 18, S42): made, listed, checked and revoked.

A token acts as its user: the API builds a record service for that user, so a token can do
nothing its user could not do on the screens, and ``read_only`` takes the writes away too.
The secret is shown once, when the token is made; ``uchet_api_tokens`` keeps its SHA-256
only (256 random bits need no slow hash, and every API request checks one).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from uchet.platform.model.errors import NotFound, ValidationError
from uchet.platform.model.i18n import Text
from uchet.platform.records.users import User, UserStore

#: Every token starts with it, so a leaked one is easy to recognise (secret scanners).
TOKEN_PREFIX = "uchet_"
#: ``last_used_at`` is written at most this often per token: a busy token would otherwise
#: write a row on every request (and take SQLite's write lock for it).
LAST_USE_GRANULARITY = dt.timedelta(minutes=1)
#: A token found valid is trusted this many seconds without asking the database again: the
#: look-up was the largest single cost of an API request. A revoke in this process takes
#: effect at once (it drops the token from the memo); one made by another process (another
#: gunicorn worker, the CLI), a user disabled or given other roles, within this many
#: seconds. Expiry is checked on every request all the same.
RECHECK_SECONDS = 2.0
#: At most this many tokens are remembered per process (then the memo starts afresh).
MAX_REMEMBERED = 10_000
#: The memo: (database, token hash) -> (when checked, on the store's clock; the caller).
#: Per process, shared by every store, so a revoke through any store reaches it.
_recent: dict[tuple[str, str], tuple[float, Caller]] = {}


@dataclass(frozen=True)
class ApiToken:
    """A token as the screens show it (never its secret)."""

    id: int
    user_id: int
    name: str
    prefix: str
    read_only: bool
    expires_at: dt.datetime | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def active(self, now: dt.datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class Caller:
    """Who a valid token acts as, and whether it may write."""

    user: User
    token: ApiToken


def token_hash(secret: str) -> str:
    """The stored form of a token's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def utcnow() -> dt.datetime:
    """Now in UTC, naive (as every ``uchet_*`` time is stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class TokenStore:
    """The ``uchet_api_tokens`` table, for the API and the token screens."""

    def __init__(
        self,
        engine: Engine,
        table: sa.Table,
        users: UserStore,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.engine, self.table, self.users = engine, table, users
        #: The clock of the memo (tests pass their own).
        self.clock = clock
        self._database = engine.url.render_as_string(hide_password=True)

    @staticmethod
    def _token(row: sa.Row) -> ApiToken:
        return ApiToken(
            row.id,
            row.user_id,
            row.name,
            row.prefix,
            bool(row.read_only),
            row.expires_at,
            row.created_at,
            row.last_used_at,
            row.revoked_at,
        )

    def create(
        self,
        user_id: int,
        name: str,
        *,
        read_only: bool = False,
        expires_at: dt.datetime | None = None,
        created_by: int | None = None,
        now: dt.datetime | None = None,
    ) -> tuple[ApiToken, str]:
        """Make a token for ``user_id``; returns it and its secret (shown once, never stored)."""
        name = (name or "").strip()
        if not name:
            raise ValidationError({"name": [Text("required")]})
        now = now or utcnow()
        if expires_at is not None and expires_at <= now:
            raise ValidationError({"expires_at": [Text("api_token_expiry_past")]})
        if self.users.get(user_id) is None:
            raise NotFound(Text("not_found", table="uchet_users", id=user_id))
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = {
            "user_id": user_id,
            "name": name[:200],
            "prefix": secret[:12],
            "token_hash": token_hash(secret),
            "read_only": read_only,
            "expires_at": expires_at,
            "created_at": now,
            "created_by": created_by,
        }
        with self.engine.begin() as conn:
            inserted = conn.execute(self.table.insert().values(row)).inserted_primary_key
        assert inserted is not None
        token_id = inserted[0]
        token = self.get(int(token_id))
        assert token is not None
        return token, secret

    def get(self, token_id: int) -> ApiToken | None:
        """A token by id, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(self.table).where(self.table.c.id == token_id)).first()
        return None if row is None else self._token(row)

    def of_user(self, user_id: int | None = None) -> list[ApiToken]:
        """The tokens of one user (None: every user's), newest first, revoked ones too."""
        stmt = sa.select(self.table).order_by(self.table.c.id.desc())
        if user_id is not None:
            stmt = stmt.where(self.table.c.user_id == user_id)
        with self.engine.connect() as conn:
            return [self._token(r) for r in conn.execute(stmt)]

    def revoke(
        self, token_id: int, *, user_id: int | None = None, now: dt.datetime | None = None
    ) -> None:
        """Revoke a token (``user_id``: only if it is that user's; NotFound otherwise)."""
        t = self.table
        stmt = t.update().where(t.c.id == token_id, t.c.revoked_at.is_(None))
        if user_id is not None:
            stmt = stmt.where(t.c.user_id == user_id)
        with self.engine.begin() as conn:
            if conn.execute(stmt.values(revoked_at=now or utcnow())).rowcount != 1:
                raise NotFound(Text("not_found", table="uchet_api_tokens", id=token_id))
        for key, (_, caller) in list(_recent.items()):
            if key[0] == self._database and caller.token.id == token_id:
                _recent.pop(key, None)

    @functools.cached_property
    def _lookup(self) -> sa.Select[Any]:
        """Token and user in one statement, built once: it runs on every API request, and
        SQLAlchemy then reuses its compiled form (building it anew cost more than running it)."""
        t, u = self.table, self.users.table
        return (
            sa.select(
                t,
                u.c.login,
                u.c.name.label("user_name"),
                u.c.email,
                u.c.roles,
                u.c.locale,
                u.c.active,
            )
            .join(u, u.c.id == t.c.user_id)
            .where(t.c.token_hash == sa.bindparam("hash"))
        )

    def authenticate(self, secret: str, now: dt.datetime | None = None) -> Caller | None:
        """The caller a token secret stands for; None when it is unknown, revoked or expired,
        or its user is disabled. Notes the use (at most once a minute). A valid token is
        remembered for :data:`RECHECK_SECONDS` (see there)."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        now = now or utcnow()
        key = (self._database, token_hash(secret))
        checked = self.clock()
        hit = _recent.get(key)
        if hit is not None and checked - hit[0] < RECHECK_SECONDS:
            found: Caller | None = hit[1]
            checked = hit[0]
        else:
            found = self._look_up(key[1])
        if found is None or not found.token.active(now):
            _recent.pop(key, None)
            return None
        last = found.token.last_used_at
        if last is None or now - last >= LAST_USE_GRANULARITY:
            t = self.table
            with self.engine.begin() as conn:
                conn.execute(t.update().where(t.c.id == found.token.id).values(last_used_at=now))
            found = Caller(found.user, dataclasses.replace(found.token, last_used_at=now))
        if len(_recent) >= MAX_REMEMBERED:
            _recent.clear()
        _recent[key] = (checked, found)
        return found

    def _look_up(self, digest: str) -> Caller | None:
        """The token of hash ``digest`` and its user, from the database (None: no such
        token, or its user is disabled)."""
        with self.engine.connect() as conn:
            row = conn.execute(self._lookup, {"hash": digest}).first()
        if row is None or not row.active:
            return None
        user = User(
            row.user_id,
            row.login,
            row.user_name,
            tuple(row.roles or ()),
            row.locale,
            email=row.email,
            active=True,
        )
        return Caller(user, self._token(row))
