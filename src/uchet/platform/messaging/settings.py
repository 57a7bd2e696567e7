"""Channel settings the administrator enters in the browser (issue 19), kept in ``uchet_state``.

One row per channel, key ``messaging.channel.<name>``, the settings as JSON. Every process of
a site reads the same row, so a change on the settings page applies to the web and to every
``uchet worker`` within :data:`CACHE_SECONDS`. A channel with no saved settings falls back to
environment variables (``UCHET_SMTP_*`` for e-mail, ``UCHET_SMS_*`` for SMS).

The password is stored as the administrator typed it: the database is the secret store of a
uchet site (as its users' sessions are); the settings page never shows it back.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from uchet.platform.schema.database import write_transaction

#: ``uchet_state`` key prefix of a channel's settings.
KEY_PREFIX = "messaging.channel."
#: How long a process trusts the settings it read.
CACHE_SECONDS = 10.0


class ChannelSettingsStore:
    """Read and save each channel's settings; reads are cached for a few seconds."""

    def __init__(
        self, engine: Engine, state: sa.Table, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.engine, self.state, self.clock = engine, state, clock
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def get(self, channel: str) -> dict[str, Any] | None:
        """The saved settings of ``channel``, or None when the administrator saved none."""
        now = self.clock()
        with self._lock:
            hit = self._cache.get(channel)
            if hit is not None and now - hit[0] < CACHE_SECONDS:
                return dict(hit[1]) if hit[1] is not None else None
        try:
            with self.engine.connect() as conn:
                raw = conn.execute(
                    sa.select(self.state.c.value).where(self.state.c.key == KEY_PREFIX + channel)
                ).scalar()
        except sa.exc.SQLAlchemyError:  # not migrated yet: nothing saved
            raw = None
        value = json.loads(raw) if raw else None
        with self._lock:
            self._cache[channel] = (now, value)
        return dict(value) if value is not None else None

    def save(self, channel: str, settings: Mapping[str, Any]) -> None:
        """Replace the settings of ``channel`` (one transaction)."""
        key = KEY_PREFIX + channel
        with write_transaction(self.engine) as conn:
            conn.execute(self.state.delete().where(self.state.c.key == key))
            conn.execute(self.state.insert().values(key=key, value=json.dumps(dict(settings))))
        with self._lock:
            self._cache.pop(channel, None)

    def clear(self, channel: str) -> None:
        """Forget the saved settings of ``channel``: the environment applies again."""
        with write_transaction(self.engine) as conn:
            conn.execute(self.state.delete().where(self.state.c.key == KEY_PREFIX + channel))
        with self._lock:
            self._cache.pop(channel, None)
