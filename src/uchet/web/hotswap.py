"""Hot reload: one Flask app per configuration version, swapped atomically (ARCHITECTURE rule 7).

Flask-Admin cannot add or remove views once an app has served a request, so a new
configuration version gets a whole new inner app. :class:`HotSwap` is the WSGI callable that
stands in front of it:

* On each request it asks the platform for the applied version. The platform re-reads it
  from the database at most every 0.5 s, so a ``migrate`` run by another process (or another
  machine) is noticed within about half a second, by every worker on its own.
* When the version moved, the new app is built **in a background thread** (by default) while
  requests keep being served by the current app; once built (and its templates loaded) it
  replaces the current one with a single attribute rebind. Building takes a few hundred
  milliseconds of CPU, and in a threaded server requests would otherwise queue behind it.
  The price: for that fraction of a second requests still see the previous version. That is
  safe for additive changes (the old app selects only the columns it knows); a destructive
  migration (a dropped column) may fail a request of the old app in that window, which is why
  destructive migrations are a maintenance operation (docs/deploy.md). With
  ``background=False`` the request that notices the change builds the new app itself and
  waits for it.
* A request keeps the app it started with until its response is fully sent, so in-flight
  requests finish on the old version. When the last of them is done, the old app is released:
  the engine's compiled-statement cache (which would pin the old tables and mapped classes,
  tech-feasibility.md §1) is cleared and nothing else refers to the old app, its views or its
  compiled registry, so they are garbage. ``tests/test_web_hotswap.py`` checks 20 swaps.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from jinja2 import TemplateNotFound
from werkzeug.wsgi import ClosingIterator

from uchet.core import NotMigrated, Platform
from uchet.platform.records.runtime import Runtime

log = logging.getLogger(__name__)

NOT_MIGRATED_PAGE = (
    "<!doctype html><meta charset=utf-8><title>uchet</title>"
    "<h1>The database has no configuration yet</h1>"
    "<p>Run <code>uchet migrate</code> (or <code>uchet init</code>) and reload this page.</p>"
)
#: Templates loaded into a new app before it is swapped in, so that its first list or card
#: page does not pay for loading them (the bytecode itself is shared, see builder.py).
WARM_TEMPLATES = ("uchet/master.html", "uchet/login.html", "uchet/home.html",
                  "uchet/list.html", "uchet/card.html")  # fmt: skip
#: After a failed build, wait this long before trying the same version again.
RETRY_SECONDS = 5.0


@dataclass
class Served:
    """An inner app with the number of requests it is serving right now."""

    app: Flask
    version: int
    inflight: int = 0
    retired: bool = False


@dataclass(frozen=True)
class SwapEvent:
    """One build: which version, how long it took, and how long its warm-up took."""

    version: int
    build_ms: float
    warm_ms: float


class HotSwap:
    """A WSGI application serving the app built for the applied configuration version."""

    def __init__(
        self, platform: Platform, build: Callable[[Runtime], Flask], background: bool = True
    ):
        self.platform = platform
        self.build = build
        self.background = background
        self.served: Served | None = None
        #: The recent builds (the first one, then one per swap), newest last.
        self.events: deque[SwapEvent] = deque(maxlen=100)
        self.builds = 0
        self._lock = threading.Lock()  # guards served, inflight counters and the builder
        self._build_lock = threading.Lock()  # one build at a time
        self._building: int | None = None  # the version a background thread is building
        self._failed: tuple[int, float] | None = None

    # -- public ----------------------------------------------------------------------------
    @property
    def app(self) -> Flask | None:
        """The app serving new requests (None before the first request)."""
        served = self.served
        return served.app if served else None

    @property
    def version(self) -> int | None:
        served = self.served
        return served.version if served else None

    def current(self) -> Flask:
        """The app new requests go to; starts (or runs) a rebuild when the version moved."""
        return self._acquire(count=False).app

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no background build is running (tests and warm-up scripts)."""
        deadline = time.monotonic() + timeout
        while self._building is not None:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            served = self._acquire(count=True)
        except NotMigrated:
            start_response("503 Service Unavailable", [("Content-Type", "text/html")])
            return [NOT_MIGRATED_PAGE.encode()]
        try:
            body = served.app(environ, start_response)
        except BaseException:
            self._release(served)
            raise
        # The request holds its app until the server closes the response body.
        return ClosingIterator(body, [lambda: self._release(served)])

    # -- choosing and building -------------------------------------------------------------
    def _acquire(self, count: bool) -> Served:
        runtime = self.platform.runtime
        served = self.served
        if served is None or (served.version != runtime.version and not self.background):
            served = self._build_now(runtime)
        elif served.version != runtime.version:
            self._start_background(runtime)
        with self._lock:
            served = self.served
            assert served is not None
            if count:
                served.inflight += 1
            return served

    def _build_now(self, runtime: Runtime) -> Served:
        with self._build_lock:
            # Another thread may have built it while this one waited for the lock.
            served = self.served
            if served is None or served.version != runtime.version:
                self._swap(self._make(runtime), runtime.version)
            assert self.served is not None
            return self.served

    def _start_background(self, runtime: Runtime) -> None:
        with self._lock:
            if self._building is not None:
                return
            failed = self._failed
            if (
                failed is not None
                and time.monotonic() - failed[1] < RETRY_SECONDS
                and failed[0] == runtime.version
            ):
                return  # it failed a moment ago: wait before building it again
            self._building = runtime.version
        thread = threading.Thread(
            target=self._build_background, args=(runtime,), name="uchet-hotswap", daemon=True
        )
        thread.start()

    def _build_background(self, runtime: Runtime) -> None:
        try:
            with self._build_lock:
                if self.version != runtime.version:
                    self._swap(self._make(runtime), runtime.version)
        except Exception:
            # The current app keeps serving; the same version is tried again a bit later.
            log.exception("uchet: building the app of version %s failed", runtime.version)
            self._failed = (runtime.version, time.monotonic())
        finally:
            self._building = None

    def _make(self, runtime: Runtime) -> Flask:
        started = time.perf_counter()
        app = self.build(runtime)
        built = time.perf_counter()
        for name in WARM_TEMPLATES:
            with contextlib.suppress(TemplateNotFound):
                app.jinja_env.get_template(name)
        warm = time.perf_counter()
        self.builds += 1
        self.events.append(
            SwapEvent(runtime.version, (built - started) * 1000, (warm - built) * 1000)
        )
        return app

    def _swap(self, app: Flask, version: int) -> None:
        idle = False
        with self._lock:
            old, self.served = self.served, Served(app, version)
            if old is not None:
                old.retired = True
                idle = old.inflight == 0
        log.info("uchet: serving configuration version %s", version)
        if old is not None and idle:
            self._dispose(old)

    # -- releasing -------------------------------------------------------------------------
    def _release(self, served: Served) -> None:
        with self._lock:
            served.inflight -= 1
            last = served.retired and served.inflight == 0
        if last:
            self._dispose(served)

    def _dispose(self, served: Served) -> None:
        """Forget a retired app that serves no request any more.

        The engine's compiled-statement cache holds the old tables in its keys; requests of
        the old app may have put entries there after the platform cleared it, so clear it
        again now that the old app is done.
        """
        self.platform.engine.clear_compiled_cache()
        log.debug("uchet: released the app of version %s", served.version)
