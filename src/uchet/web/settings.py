"""The settings of the web layer (:class:`WebSettings`), read from keyword arguments and
``UCHET_*`` environment variables.

A module of its own at the bottom of :mod:`uchet.web`: the request context, login and the
app builder all read the settings, and none of them may import the app factory above them.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from uchet.core import Platform

SECRET_STATE_KEY = "web.secret_key"


@dataclass(frozen=True)
class WebSettings:
    """Settings of the web layer; each has an environment variable for deployments."""

    #: Signs session cookies and CSRF tokens. All processes of one site must share it.
    secret_key: str
    #: Minutes without a request after which the session locks (S01); 0 disables it.
    idle_minutes: int = 30
    #: Hours after login after which a session ends however active it is (issue 13); 0
    #: disables it. Also the cookie's own lifetime.
    session_hours: int = 12
    #: Failed logins from one address for one login within ``throttle_minutes`` before
    #: further tries from that address wait (1 s, then doubling; issue 13).
    max_login_failures: int = 5
    #: How long a failed login counts, and the longest wait it can cause.
    throttle_minutes: int = 15
    #: The clock of sessions and throttling (seconds since the epoch); tests inject one.
    clock: Callable[[], float] = time.time
    #: Send cookies over HTTPS only. On by default in production (see docs/deploy.md).
    secure_cookies: bool = False
    #: Where the screens are mounted ("" for the site root).
    url_prefix: str = ""
    #: How many reverse proxies in front set ``X-Forwarded-*`` headers (``create_app`` then
    #: trusts that many hops through werkzeug's ProxyFix); 0 trusts none.
    proxies: int = 0
    #: Build the app of a new configuration version in a background thread while the
    #: current one keeps serving (see :mod:`uchet.web.hotswap`); False builds it in the
    #: request that noticed the change.
    reload_in_background: bool = True
    #: Requests per API token (or session user) per window, in the ``limits`` notation
    #: ("600/minute"); "" turns the limit off (issue 18).
    api_rate_limit: str = "600/minute"
    #: Where the API's rate counters live: ``memory://`` counts in each process; for several
    #: processes or machines point every one at one store (``redis://host:6379``).
    api_rate_storage: str = "memory://"
    #: Origins whose pages may call the API from a browser (CORS); none by default.
    api_cors_origins: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, platform: Platform, **overrides: Any) -> WebSettings:
        """Settings from keyword arguments, then ``UCHET_*`` environment variables."""
        env = os.environ
        values: dict[str, Any] = {
            "secret_key": overrides.pop("secret_key", None) or env.get("UCHET_SECRET_KEY"),
            "idle_minutes": _number(overrides, "idle_minutes", "UCHET_IDLE_MINUTES", 30),
            "session_hours": _number(overrides, "session_hours", "UCHET_SESSION_HOURS", 12),
            "secure_cookies": _flag(
                overrides.pop("secure_cookies", env.get("UCHET_SECURE_COOKIES", "0"))
            ),
            "proxies": _number(overrides, "proxies", "UCHET_PROXIES", 0),
            "api_rate_limit": overrides.pop(
                "api_rate_limit", env.get("UCHET_API_RATE_LIMIT", "600/minute")
            ),
            "api_rate_storage": overrides.pop(
                "api_rate_storage", env.get("UCHET_API_RATE_STORAGE", "memory://")
            ),
            "api_cors_origins": tuple(
                o.strip()
                for o in overrides.pop(
                    "api_cors_origins", env.get("UCHET_API_CORS_ORIGINS", "").split(",")
                )
                if o.strip()
            ),
        }
        for name in (
            "max_login_failures", "throttle_minutes", "url_prefix", "reload_in_background",
            "clock",
        ):  # fmt: skip
            if name in overrides:
                values[name] = overrides.pop(name)
        if not values["secret_key"]:
            values["secret_key"] = _stored_secret(platform)
        return cls(extra=overrides, **values)


def _number(overrides: dict[str, Any], name: str, variable: str, default: int) -> int:
    """A whole number setting: the keyword argument, else the environment variable."""
    raw = overrides.pop(name, os.environ.get(variable, default))
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        raise ValueError(f"{variable} (setting {name!r}) must be a whole number >= 0, got {raw!r}")
    return value


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _stored_secret(platform: Platform) -> str:
    """A random key kept in ``uchet_state``, so every process of a development site agrees
    on it without configuration. Production sets ``UCHET_SECRET_KEY`` instead."""
    state = platform._system["uchet_state"]
    with platform.engine.begin() as conn:
        found = conn.execute(sa.select(state.c.value).where(state.c.key == SECRET_STATE_KEY))
        value = found.scalar()
        if value:
            return str(value)
        value = secrets.token_hex(32)
        try:
            conn.execute(state.insert().values(key=SECRET_STATE_KEY, value=value))
        except sa.exc.IntegrityError:  # another process won the race: use its key
            conn.rollback()
            return _stored_secret(platform)
    return value
