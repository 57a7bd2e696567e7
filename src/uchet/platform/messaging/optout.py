"""Opting out of mailings: the signed unsubscribe link and the headers of a mass e-mail.

Every mass e-mail carries a link ``<public url>/unsubscribe/<token>``; the token is the
recipient's opt-out target (table, record, field) signed with the site's secret
(itsdangerous), so the link works without a login and cannot be forged for another record.
Following it sets the opt-out field through the record service as the system actor, so the
change is validated and audited like any other. The same URL is the ``List-Unsubscribe``
header, with ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), so mail
programs offer their own «Отписаться» button.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.engine import Engine

from uchet.platform.records.users import SYSTEM
from uchet.platform.schema.database import write_transaction

#: The key of the site's secret in ``uchet_state``: the one the web layer signs its
#: sessions with (web/settings.py), so links made by a worker work on the site.
SECRET_STATE_KEY = "web.secret_key"
SALT = "uchet.unsubscribe"
DEFAULT_PUBLIC_URL = "http://localhost:5000"


class BadUnsubscribeLink(Exception):
    """The link's token is damaged or was signed with another secret."""


def site_secret(engine: Engine, state: sa.Table) -> str:
    """``UCHET_SECRET_KEY``, else the random key kept in ``uchet_state`` (made when
    missing), as the web layer does."""
    configured = os.environ.get("UCHET_SECRET_KEY")
    if configured:
        return configured
    find = sa.select(state.c.value).where(state.c.key == SECRET_STATE_KEY)
    with engine.connect() as conn:
        value = conn.execute(find).scalar()
    if value:
        return str(value)
    # Made once, under the write lock (BEGIN IMMEDIATE on SQLite: a plain transaction that
    # read first could not take the lock when two workers race), looked up again inside.
    try:
        with write_transaction(engine) as conn:
            value = conn.execute(find).scalar()
            if value:
                return str(value)
            value = secrets.token_hex(32)
            conn.execute(state.insert().values(key=SECRET_STATE_KEY, value=value))
    except sa.exc.IntegrityError:  # PostgreSQL: another process inserted it first
        return site_secret(engine, state)
    return value


def public_url() -> str:
    """Where the site is reached from outside (``UCHET_PUBLIC_URL``), without a slash."""
    return (os.environ.get("UCHET_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")


class Unsubscribe:
    """Makes and checks unsubscribe tokens with one secret."""

    def __init__(self, secret: str, base_url: str | None = None):
        self._serializer = URLSafeSerializer(secret, salt=SALT)
        self.base_url = (base_url or public_url()).rstrip("/")

    def token(self, target: tuple[str, int, str]) -> str:
        """The signed token of an opt-out target (table, record id, field)."""
        table, record_id, field = target
        return str(self._serializer.dumps([table, int(record_id), field]))

    def link(self, target: tuple[str, int, str]) -> str:
        """The unsubscribe URL of a target."""
        return f"{self.base_url}/unsubscribe/{self.token(target)}"

    def headers(self, target: tuple[str, int, str]) -> dict[str, str]:
        """The ``List-Unsubscribe`` headers (RFC 2369 and the one-click RFC 8058)."""
        return {
            "List-Unsubscribe": f"<{self.link(target)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }

    def target(self, token: str) -> tuple[str, int, str]:
        """The target a token names; BadUnsubscribeLink when it is not one of ours."""
        try:
            data = self._serializer.loads(token)
        except BadSignature as e:
            raise BadUnsubscribeLink(str(e)) from None
        if not (
            isinstance(data, list) and len(data) == 3 and isinstance(data[0], str)
            and isinstance(data[1], int) and isinstance(data[2], str)
        ):  # fmt: skip
            raise BadUnsubscribeLink("malformed token")
        return data[0], data[1], data[2]


def apply(platform: Any, target: tuple[str, int, str]) -> bool:
    """Set the opt-out field of the target's record as the system actor (validated and
    audited by the record service). Returns False when it was already set. ``platform`` is
    a :class:`uchet.core.Platform` (typed Any: the engine does not import it). Raises the
    service's NotFound when the record is gone."""
    table, record_id, field = target
    records = platform.records(table, user=SYSTEM)
    current = records.get(record_id)
    if current.get(field):
        return False
    records.update(record_id, {field: True})
    return True
