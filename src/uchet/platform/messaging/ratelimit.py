"""A rate limit per channel: at most N messages per period (a token bucket).

The clock is injected (``clock()`` returns seconds), so tests step time instead of
sleeping. The limiter never sleeps either: ``take`` says how long to wait, and the sender
gives the row back to the queue until then (outbox.release), so a worker is never blocked
by a slow channel's limit.

Two limiters share the bucket arithmetic (:func:`refill`):

* :class:`SharedRateLimiter`, the sender's default, keeps each channel's bucket in the
  database (a ``uchet_state`` row), taken under the row's write lock, so every worker
  process of a site draws on one bucket: the configured rate is the site's, however many
  workers send (issue 19; a provider's limit is per account, not per process). Its clock
  is the wall clock, the one all processes share.
* :class:`RateLimiter` keeps buckets in the process, for an embedder's single sender.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from uchet.platform.schema.database import write_transaction

Clock = Callable[[], float]


@dataclass(frozen=True)
class Rate:
    """``count`` messages per ``per`` seconds (``count`` is also the largest burst)."""

    count: int
    per: float = 1.0

    def __post_init__(self) -> None:
        if self.count < 1 or self.per <= 0:
            raise ValueError(f"a rate needs count >= 1 and per > 0, not {self}")


class Limiter(Protocol):
    """What the sender asks of a limiter."""

    def take(self, channel: str) -> float:
        """0.0: one message of ``channel`` may go now (its token taken); otherwise the
        seconds until one may (nothing taken)."""
        ...


def refill(rate: Rate, tokens: float, last: float, t: float) -> tuple[float, float]:
    """Take one token from a bucket that held ``tokens`` at ``last`` and is asked at ``t``:
    ``(tokens left, 0.0)`` when one was taken, else ``(tokens, seconds until one is free)``.
    A clock that went back (another machine's, a corrected one) refills nothing."""
    per_second = rate.count / rate.per
    tokens = min(float(rate.count), tokens + max(t - last, 0.0) * per_second)
    if tokens >= 1.0:
        return tokens - 1.0, 0.0
    return tokens, (1.0 - tokens) / per_second


class RateLimiter:
    """Token buckets by channel name; channels without a rate are unlimited."""

    def __init__(self, rates: Mapping[str, Rate], clock: Clock = time.monotonic):
        self.rates, self.clock = dict(rates), clock
        self._tokens: dict[str, float] = {name: float(r.count) for name, r in self.rates.items()}
        self._stamp: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, channel: str) -> float:
        """Take one message's token: 0.0 when it may go now, otherwise how many seconds
        until a token is free (nothing taken then)."""
        rate = self.rates.get(channel)
        if rate is None:
            return 0.0
        with self._lock:
            t = self.clock()
            last = self._stamp.get(channel, t)
            self._tokens[channel], wait = refill(rate, self._tokens[channel], last, t)
            self._stamp[channel] = t
            return wait


#: ``uchet_state`` key of a channel's shared bucket.
STATE_KEY = "rate:{channel}"


class SharedRateLimiter:
    """Token buckets by channel name kept in the database, one for all worker processes
    (``uchet_state`` rows ``rate:<channel>`` holding ``{"tokens", "stamp"}``). Each take is
    one short write transaction that locks the channel's row (``FOR UPDATE`` on PostgreSQL,
    ``BEGIN IMMEDIATE`` on SQLite); channels without a rate take no transaction at all."""

    def __init__(
        self, engine: Engine, state: sa.Table, rates: Mapping[str, Rate], clock: Clock = time.time
    ) -> None:
        self.engine, self.state, self.rates, self.clock = engine, state, dict(rates), clock

    def take(self, channel: str) -> float:
        """As :meth:`RateLimiter.take`, on the site's shared bucket."""
        rate = self.rates.get(channel)
        if rate is None:
            return 0.0
        key = STATE_KEY.format(channel=channel)
        try:
            return self._take(rate, key)
        except sa.exc.IntegrityError:
            # PostgreSQL: another worker made the channel's row between our read and insert
            # (there was no row to lock yet); the row exists now, so this take locks it.
            return self._take(rate, key)

    def _take(self, rate: Rate, key: str) -> float:
        c = self.state.c
        with write_transaction(self.engine) as conn:
            raw = conn.execute(sa.select(c.value).where(c.key == key).with_for_update()).scalar()
            t = self.clock()
            tokens, last = float(rate.count), t
            if raw:
                try:
                    saved = json.loads(raw)
                    tokens, last = float(saved["tokens"]), float(saved["stamp"])
                except (ValueError, KeyError, TypeError):
                    pass  # a damaged row: a full bucket, as a new one (rewritten below)
            tokens, wait = refill(rate, tokens, last, t)
            # The stamp never goes back: a worker whose clock is behind would otherwise let
            # the next one with a right clock refill the gap twice (a burst over the rate).
            value = json.dumps({"tokens": tokens, "stamp": max(last, t)})
            if raw is None:
                conn.execute(self.state.insert().values(key=key, value=value))
            else:
                conn.execute(self.state.update().where(c.key == key).values(value=value))
            return wait
