"""The idle lock of the screen (S48; issue 20 point 6).

After ``idle minutes`` without the user touching the page, the screen locks: an overlay over
the page asks for the password (``static/uchet/screenlock.js``). It is an overlay and not a
navigation, so a half-typed card stays as it was under it; after the password the user goes
on typing and saves as usual.

The lock is the server's too, not only a picture: the session cookie carries ``uchet_locked``,
and while it is set every request of that session except the lock's own endpoints, login and
logout is refused — 423 for the screens' AJAX calls, a redirect to the lock page for a page
opened in a new tab. The session locks on the server

* when the page reports the user idle (``POST /session/lock``), and
* on the first request after ``idle minutes`` without one (the page's ``POST /session/alive``
  while the user types or moves the mouse keeps that from happening to an active user).

Unlocking (``POST /session/unlock``) checks the password on the server, throttled exactly
like the login form (issue 13): failures count per login and address, and after too many the
answer is 429 with ``Retry-After``, the password not even checked.

The idle time is the administrator's setting (the users page, «Блокировка экрана»), kept in
``uchet_state`` so that every process of the site applies the same; until one is saved,
``UCHET_IDLE_MINUTES`` (default 30) holds. 0 turns the lock off.
"""

from __future__ import annotations

import math
import time
import weakref
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from uchet.web import auth
from uchet.web.context import WebContext, ctx, here

LOCKED_KEY = "uchet_locked"
#: ``uchet_state`` key of the administrator's idle time (minutes, as text).
IDLE_STATE_KEY = "web.idle_minutes"
#: How long a process trusts the stored idle time before reading it again (seconds).
IDLE_CACHE_SECONDS = 5.0
#: Endpoints a locked session may still reach: the lock's own, login, logout, static files.
OPEN_WHILE_LOCKED = {
    "screenlock.lock", "screenlock.unlock", "screenlock.alive", "screenlock.locked_page",
    "auth.login", "auth.logout", "auth.logout_everywhere", "static", "admin.static",
}  # fmt: skip

bp = Blueprint("screenlock", __name__)
#: platform -> (when read, minutes); weak, so a closed platform's entry goes with it.
_cache: weakref.WeakKeyDictionary[Any, tuple[float, int | None]] = weakref.WeakKeyDictionary()


def stored_idle_minutes(c: WebContext) -> int | None:
    """The administrator's idle time, or None when none was saved (cached a few seconds)."""
    key = c.platform
    found = _cache.get(key)
    if found and time.monotonic() - found[0] < IDLE_CACHE_SECONDS:
        return found[1]
    state = c.platform._system["uchet_state"]
    with c.platform.engine.connect() as conn:
        raw = conn.execute(sa.select(state.c.value).where(state.c.key == IDLE_STATE_KEY))
        value = raw.scalar()
    minutes = int(value) if value is not None and str(value).isdigit() else None
    _cache[key] = (time.monotonic(), minutes)
    return minutes


def idle_minutes(c: WebContext) -> int:
    """The idle time in force: the administrator's, else the deployment's setting."""
    stored = stored_idle_minutes(c)
    return c.settings.idle_minutes if stored is None else stored


def save_idle_minutes(c: WebContext, minutes: int) -> None:
    """Store the administrator's idle time for every process (0 turns the lock off)."""
    if minutes < 0 or minutes > 24 * 60:
        raise ValueError(minutes)
    state = c.platform._system["uchet_state"]
    with c.platform.engine.begin() as conn:
        updated = conn.execute(
            state.update().where(state.c.key == IDLE_STATE_KEY).values(value=str(minutes))
        )
        if not updated.rowcount:
            conn.execute(state.insert().values(key=IDLE_STATE_KEY, value=str(minutes)))
    _cache.pop(c.platform, None)


def _wants_json() -> bool:
    return (
        request.is_json
        or request.accept_mimetypes.best == "application/json"
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
    )


def check(c: WebContext) -> Response | None:
    """``before_request``: lock an idle session; refuse a locked one's data requests."""
    if not current_user.is_authenticated:
        return None
    now, minutes = c.settings.clock(), idle_minutes(c)
    seen = float(session.get(auth.SEEN_KEY, now))
    if minutes and now - seen > minutes * 60:
        session[LOCKED_KEY] = True
    if not session.get(LOCKED_KEY):
        session[auth.SEEN_KEY] = now
        return None
    if request.endpoint in OPEN_WHILE_LOCKED:
        return None
    if _wants_json() or request.method != "GET":
        response = jsonify(error=c.gettext("The screen is locked. Enter your password."),
                           locked=True)  # fmt: skip
        response.status_code = 423
        return response
    return redirect(url_for("screenlock.locked_page", next=here()))


@bp.route("/session/alive", methods=["POST"])
def alive() -> Response:
    """The page's sign of life while the user works (the idle clock restarts in check())."""
    auth.check_csrf()
    return jsonify(locked=bool(session.get(LOCKED_KEY)), idle_minutes=idle_minutes(ctx()))


@bp.route("/session/lock", methods=["POST"])
def lock() -> Response:
    """The page saw the user idle: lock the session now."""
    auth.check_csrf()
    if current_user.is_authenticated:
        session[LOCKED_KEY] = True
    return jsonify(locked=True)


@bp.route("/session/locked")
def locked_page() -> Any:
    """The lock as a page of its own: a locked session opening a page in a new tab."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if not session.get(LOCKED_KEY):
        return redirect(auth.safe_next(request.args.get("next")))
    return render_template("uchet/locked.html", next=request.args.get("next", ""), error=None)


@bp.route("/session/unlock", methods=["POST"])
def unlock() -> Any:
    """Check the password (throttled like the login form) and lift the lock."""
    auth.check_csrf()
    c = ctx()
    if not current_user.is_authenticated:
        return _answer(c.gettext("Please log in to continue."), 401)
    login, address = current_user.user.login, request.remote_addr
    wait = math.ceil(auth.login_wait(c, login, address))
    if wait > 0:
        text = c.gettext("Too many failed attempts. Try again in %(seconds)s s.", seconds=wait)
        return _answer(text, 429, {"Retry-After": str(wait)})
    if c.platform.users.authenticate(login, request.form.get("password", "")) is None:
        auth.record_failure(c, login, address)
        return _answer(c.gettext("Wrong password."), 401)
    auth.clear_failures(c, login, address)
    session.pop(LOCKED_KEY, None)
    session[auth.SEEN_KEY] = c.settings.clock()
    if _wants_json():
        return jsonify(locked=False)
    return redirect(auth.safe_next(request.form.get("next")))


def _answer(text: str, status: int, headers: dict[str, str] | None = None) -> Any:
    response: Response
    if _wants_json():
        response = jsonify(error=text, locked=True)
        response.status_code = status
    else:
        page = render_template("uchet/locked.html", next=request.form.get("next", ""),
                               error=text)  # fmt: skip
        response = Response(page, status, mimetype="text/html")
    response.headers.update(headers or {})
    return response


def init_app(app: Flask, c: WebContext) -> None:
    """The lock's endpoints and its check before every request (after login's own)."""
    app.before_request(lambda: check(c))
    app.register_blueprint(bp)

    # A global, not a context processor: Flask-Admin's pages and included templates see it.
    app.jinja_env.globals["uchet_idle_minutes"] = lambda: idle_minutes(c)
