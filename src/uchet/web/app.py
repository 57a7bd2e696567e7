"""The app factory and the embeddable admin: the two ways to serve uchet over the web.

* :func:`create_app` returns a Flask app that serves the configuration at the site root
  (``uchet serve`` and gunicorn's ``"uchet.web:create_app()"`` use it).
* :class:`UchetAdmin` mounts the same screens under a prefix of an ISV's own Flask app::

      UchetAdmin(platform).init_app(app, url_prefix="/crm")

Both put a :class:`~uchet.web.hotswap.HotSwap` in front of the per-version inner app, so the
outer app object stays the same while configuration versions come and go.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from uchet.core import Platform
from uchet.platform.records.runtime import Runtime
from uchet.web.hotswap import HotSwap

SECRET_STATE_KEY = "web.secret_key"


@dataclass(frozen=True)
class WebSettings:
    """Settings of the web layer; each has an environment variable for deployments."""

    #: Signs session cookies and CSRF tokens. All processes of one site must share it.
    secret_key: str
    #: Minutes without a request after which the session locks (S01); 0 disables it.
    idle_minutes: int = 30
    #: Failed logins per login within ``throttle_minutes`` before further tries are refused.
    max_login_failures: int = 5
    throttle_minutes: int = 15
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
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, platform: Platform, **overrides: Any) -> WebSettings:
        """Settings from keyword arguments, then ``UCHET_*`` environment variables."""
        env = os.environ
        values: dict[str, Any] = {
            "secret_key": overrides.pop("secret_key", None) or env.get("UCHET_SECRET_KEY"),
            "idle_minutes": _number(overrides, "idle_minutes", "UCHET_IDLE_MINUTES", 30),
            "secure_cookies": _flag(
                overrides.pop("secure_cookies", env.get("UCHET_SECURE_COOKIES", "0"))
            ),
            "proxies": _number(overrides, "proxies", "UCHET_PROXIES", 0),
        }
        for name in (
            "max_login_failures", "throttle_minutes", "url_prefix", "reload_in_background"
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


class UchetAdmin:
    """The generated screens of one platform, ready to mount in any Flask app."""

    def __init__(self, platform: Platform, **settings: Any):
        self.platform = platform
        self._settings = settings
        self.settings: WebSettings | None = None
        self.hotswap: HotSwap | None = None

    def build(self, runtime: Runtime) -> Flask:
        """Build the inner app of one configuration version (see :mod:`uchet.web.builder`)."""
        from uchet.web.builder import build_app

        assert self.settings is not None
        return build_app(self.platform, runtime, self.settings)

    def init_app(self, app: Flask, url_prefix: str = "") -> UchetAdmin:
        """Serve the screens from ``app`` under ``url_prefix`` ("" means the whole app)."""
        url_prefix = url_prefix.rstrip("/")
        self.settings = WebSettings.from_env(self.platform, url_prefix=url_prefix, **self._settings)
        self.hotswap = HotSwap(
            self.platform, self.build, background=self.settings.reload_in_background
        )
        if url_prefix:
            app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
                app.wsgi_app, {url_prefix: self.hotswap}
            )
        else:
            app.wsgi_app = self.hotswap  # type: ignore[method-assign,assignment]
        app.extensions["uchet"] = self
        return self


def create_app(platform: Platform | None = None, **settings: Any) -> Flask:
    """The uchet web application.

    Without ``platform`` it opens ``UCHET_CONFIG`` (default: the bundled CRM) on
    ``UCHET_DATABASE_URL`` (default: ``sqlite:///uchet.db``). ``settings`` override the
    ``UCHET_*`` environment variables: ``secret_key`` (``UCHET_SECRET_KEY``),
    ``idle_minutes`` (``UCHET_IDLE_MINUTES``), ``secure_cookies`` (``UCHET_SECURE_COOKIES``),
    ``proxies`` (``UCHET_PROXIES``), and ``max_login_failures``, ``throttle_minutes``,
    ``reload_in_background``. See docs/deploy.md.
    """
    if platform is None:
        platform = Platform.open(settings.pop("config", None), settings.pop("database_url", None))
    app = Flask("uchet.web.site")
    admin = UchetAdmin(platform, **settings).init_app(app)
    assert admin.settings is not None
    # The outer app reads the same session cookie as the inner apps, so tools that look at
    # the session through it (``test_client().session_transaction()``) see the real one.
    from uchet.web.auth import session_config

    app.config.update(session_config(admin.settings))
    if admin.settings.proxies:
        hops = admin.settings.proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    return app
