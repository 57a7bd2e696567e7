"""The app factory and the embeddable admin: the two ways to serve uchet over the web.

* :func:`create_app` returns a Flask app that serves the configuration at the site root
  (``uchet serve`` and gunicorn's ``"uchet.web:create_app()"`` use it).
* :class:`UchetAdmin` mounts the same screens under a prefix of an ISV's own Flask app::

      UchetAdmin(platform).init_app(app, url_prefix="/crm")

Both put a :class:`~uchet.web.hotswap.HotSwap` in front of the per-version inner app, so the
outer app object stays the same while configuration versions come and go.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from uchet.core import Platform
from uchet.platform.records.runtime import Runtime
from uchet.printeditor.printjob import register as register_print_jobs
from uchet.web.auth import session_config
from uchet.web.builder import build_app
from uchet.web.export_jobs import register as register_export_jobs
from uchet.web.hotswap import HotSwap
from uchet.web.settings import WebSettings

__all__ = ["UchetAdmin", "WebSettings", "create_app"]


class UchetAdmin:
    """The generated screens of one platform, ready to mount in any Flask app."""

    def __init__(self, platform: Platform, **settings: Any):
        self.platform = platform
        self._settings = settings
        register_export_jobs(platform.jobs)  # large exports run as jobs (issue 17)
        register_print_jobs(platform.jobs, platform)  # mass print to one PDF (issue 21)
        self.settings: WebSettings | None = None
        self.hotswap: HotSwap | None = None

    def build(self, runtime: Runtime) -> Flask:
        """Build the inner app of one configuration version (see :mod:`uchet.web.builder`)."""
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
            app.wsgi_app = self.hotswap  # type: ignore[method-assign]
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

    app.config.update(session_config(admin.settings))
    if admin.settings.proxies:
        hops = admin.settings.proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    return app
