"""Rate limits per API token and CORS for the API (issue 18, point 4).

Limits are counted with ``limits``, the library flask-limiter is built on, rather than with
flask-limiter itself: flask-limiter is an extension of one Flask app and keeps its storage
there, while uchet builds a new inner app for every configuration version (hot swap,
ARCHITECTURE rule 7), so counts would restart at every swap. Here the storage is one per
process and storage URI, shared by every app of the process; ``memory://`` counts per
process, and a shared store (``redis://…``, ``memcached://…``, the backends ``limits``
supports) makes the limit hold across processes and machines.

CORS is off unless ``api_cors_origins`` lists origins. Allowed origins get the headers a
token call needs; credentials (cookies) are never allowed cross-origin, so another site's
page can use a token but never the user's session.
"""

from __future__ import annotations

import functools
import math
import time

from flask import request
from limits import RateLimitItem, parse, storage, strategies
from werkzeug.wrappers import Response

from uchet.web.api.problems import Problem
from uchet.web.context import WebContext

CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match, Accept-Language",
    "Access-Control-Expose-Headers": "ETag, Location, Retry-After, X-RateLimit-Remaining",
    "Access-Control-Max-Age": "600",
}


@functools.cache
def _limiter(uri: str) -> strategies.RateLimiter:
    """One limiter per storage URI in this process, kept across configuration versions."""
    return strategies.FixedWindowRateLimiter(storage.storage_from_string(uri))


@functools.cache
def _item(rule: str) -> RateLimitItem:
    return parse(rule)


def check(c: WebContext, key: str, retry_text: str) -> int | None:
    """Count one request of ``key``; :class:`Problem` 429 past the limit. Returns the requests
    left in the window (None when there is no limit)."""
    rule = c.settings.api_rate_limit
    if not rule:
        return None
    limiter, item = _limiter(c.settings.api_rate_storage), _item(rule)
    # Token ids are per database: one process (or one shared store) may serve several.
    site = c.platform.engine.url.render_as_string(hide_password=True)
    if limiter.hit(item, "uchet-api", site, key):
        return int(limiter.get_window_stats(item, "uchet-api", site, key).remaining)
    reset = limiter.get_window_stats(item, "uchet-api", site, key).reset_time
    wait = max(1, math.ceil(reset - time.time()))
    raise Problem(429, retry_text, headers={"Retry-After": str(wait)})


def add_cors(c: WebContext, response: Response) -> Response:
    """Add the CORS headers when the request's origin is an allowed one."""
    origin = request.headers.get("Origin")
    if origin and origin in c.settings.api_cors_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers.update(CORS_HEADERS)
        response.vary.add("Origin")
    return response
