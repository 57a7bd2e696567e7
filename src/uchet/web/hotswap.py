"""Hot reload: one Flask app per configuration version, swapped atomically (ARCHITECTURE rule 7).

Flask-Admin cannot add or remove views once an app has served a request, so a new
configuration version gets a whole new inner app. :class:`HotSwap` is the WSGI callable that
stands in front of it. On each request it asks the platform for the applied version (the
platform re-reads it from the database at most every 0.5 s, so a migrate run by another process
is noticed within about a second), builds the new app when the version moved, and rebinds one
attribute. Requests already running keep the app object they started with; the old app, its
views and its compiled registry become garbage once they finish (the platform clears the
engine's compiled-statement cache, which would otherwise pin the old mapped classes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from uchet.core import NotMigrated, Platform
from uchet.platform.runtime import Runtime

log = logging.getLogger(__name__)

NOT_MIGRATED_PAGE = (
    "<!doctype html><meta charset=utf-8><title>uchet</title>"
    "<h1>The database has no configuration yet</h1>"
    "<p>Run <code>uchet migrate</code> (or <code>uchet init</code>) and reload this page.</p>"
)


class HotSwap:
    """A WSGI application that serves the app built for the applied configuration version."""

    def __init__(self, platform: Platform, build: Callable[[Runtime], Flask]):
        self.platform = platform
        self.build = build
        self.app: Flask | None = None
        self.version: int | None = None
        #: How many apps have been built: the first one, then one per swap.
        self.builds = 0
        self._lock = threading.Lock()

    def current(self) -> Flask:
        """The app of the applied version, building (once, under a lock) when it changed."""
        runtime = self.platform.runtime
        app = self.app
        if app is not None and self.version == runtime.version:
            return app
        with self._lock:
            # Another thread may have built it while this one waited for the lock.
            if self.app is None or self.version != runtime.version:
                new = self.build(runtime)
                self.app, self.version = new, runtime.version
                self.builds += 1
                log.info("uchet: serving configuration version %s", runtime.version)
            return self.app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            app = self.current()
        except NotMigrated:
            start_response("503 Service Unavailable", [("Content-Type", "text/html")])
            return [NOT_MIGRATED_PAGE.encode()]
        return app(environ, start_response)
