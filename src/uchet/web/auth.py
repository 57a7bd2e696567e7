"""Login, logout, session lifetimes and login throttling (S01, S46, S48; issue 13).

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax, Secure when configured or served
over HTTPS), so any web process can serve any request. A cookie carries the user's *session
generation* at login (``uchet_sessions``, see :mod:`uchet.platform.records.users`); logout, a
new password, new roles and deactivation bump it, so every older cookie is refused at its next
request in every process. A session also ends ``session_hours`` after login and after
``idle_minutes`` without a request.

Failed logins are counted in ``uchet_login_failures``, which every process shares, per login
*and* client address: after ``max_login_failures`` within ``throttle_minutes`` that address
waits before its next try for that login (1 s, then doubling, at most ``throttle_minutes``),
answered 429 with ``Retry-After`` and without checking the password. The account is never
locked: its owner from another address logs in as usual. An address failing on many logins
(``ADDRESS_FACTOR`` × the limit) is slowed for every login. Each slowing down and each
release by a right password is written to the audit (table id ``uchet_users``).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from uchet.platform.records.users import User
from uchet.web.context import WebContext, ctx, here
from uchet.web.formbase import SecureForm
from uchet.web.settings import WebSettings

SEEN_KEY = "uchet_seen"
#: The session generation a cookie was issued under, and when (epoch seconds) it was issued.
GENERATION_KEY = "uchet_gen"
BORN_KEY = "uchet_born"
#: An address failing this many times the per-login limit, over any logins, is slowed for all.
ADDRESS_FACTOR = 10


class LoginUser(UserMixin):
    """Flask-Login's view of a platform user."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)


class LoginForm(SecureForm):
    login = StringField(validators=[InputRequired()])
    password = PasswordField(validators=[InputRequired()])


def _now(c: WebContext) -> dt.datetime:
    """The settings' clock as a naive UTC datetime (the failures table stores those)."""
    return dt.datetime.fromtimestamp(c.settings.clock(), dt.UTC).replace(tzinfo=None)


def _failure_times(c: WebContext, login: str | None, address: str | None) -> list[dt.datetime]:
    """When ``address`` failed within the window, for ``login`` (None: for any login)."""
    table = c.runtime.model.system["uchet_login_failures"]
    since = _now(c) - dt.timedelta(minutes=c.settings.throttle_minutes)
    query = sa.select(table.c.at).where(table.c.address == address, table.c.at >= since)
    if login is not None:
        query = query.where(table.c.login == login)
    with c.runtime.engine.connect() as conn:
        return list(conn.execute(query.order_by(table.c.at)).scalars())


def _wait(times: list[dt.datetime], limit: int, c: WebContext) -> float:
    """Seconds until the next try is allowed after these failures: none below ``limit``,
    then 1 s after the last failure, doubling with each further one, capped at the window."""
    if limit <= 0 or len(times) < limit:
        return 0.0
    delay = min(2.0 ** (len(times) - limit), c.settings.throttle_minutes * 60.0)
    return max(0.0, (times[-1] - _now(c)).total_seconds() + delay)


def login_wait(c: WebContext, login: str, address: str | None) -> float:
    """Seconds ``address`` must still wait before trying ``login`` again (0: it may now)."""
    limit = c.settings.max_login_failures
    own = _wait(_failure_times(c, login, address), limit, c)
    everyone = _wait(_failure_times(c, None, address), limit * ADDRESS_FACTOR, c)
    return max(own, everyone)


def _record_failure(c: WebContext, login: str, address: str | None) -> None:
    table = c.runtime.model.system["uchet_login_failures"]
    with c.runtime.engine.begin() as conn:
        conn.execute(table.insert().values(login=login, address=address, at=_now(c)))
    failures = len(_failure_times(c, login, address))
    if failures == c.settings.max_login_failures:  # this failure starts the slowing down
        _audit(c, "lock", login, address, failures)


def _clear_failures(c: WebContext, login: str, address: str | None) -> None:
    """A right password from ``address``: its failures for ``login`` no longer count."""
    failures = len(_failure_times(c, login, address))
    table = c.runtime.model.system["uchet_login_failures"]
    with c.runtime.engine.begin() as conn:
        conn.execute(table.delete().where(table.c.login == login, table.c.address == address))
    if failures >= c.settings.max_login_failures:
        _audit(c, "unlock", login, address, failures)


def _audit(c: WebContext, action: str, login: str, address: str | None, failures: int) -> None:
    users = c.platform.users
    found = users.find(login)
    users.record_event(action, login, found.id if found else None,
                       {"address": address, "failures": failures})  # fmt: skip


bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    c = ctx()
    form = LoginForm(request.form)
    error, status = None, 200
    if request.method == "POST" and form.validate():
        name, address = form.login.data.strip(), request.remote_addr
        wait = math.ceil(login_wait(c, name, address))
        if wait > 0:
            text = c.gettext("Too many failed attempts. Try again in %(seconds)s s.", seconds=wait)
            page = render_template("uchet/login.html", form=form, error=text)
            return page, 429, {"Retry-After": str(wait)}
        user = c.platform.users.authenticate(name, form.password.data)
        if user is None:
            _record_failure(c, name, address)
            error, status = c.gettext("Wrong login or password."), 401
        else:
            _clear_failures(c, name, address)
            session.clear()  # a fresh session on login: no fixation
            login_user(LoginUser(user))
            session.permanent = True  # the cookie lives session_hours, not until the tab closes
            session[SEEN_KEY] = session[BORN_KEY] = c.settings.clock()
            session[GENERATION_KEY] = c.platform.users.session_generation(user.id or 0)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400  # a missing field or CSRF token: the form shows the error
    return render_template("uchet/login.html", form=form, error=error), status


class CsrfOnly(SecureForm):
    """A form with nothing but the CSRF token: logout, language and other small POSTs."""


def csrf_token() -> str:
    """A CSRF token for hand-written forms and AJAX writes (``X-CSRFToken`` header).

    Made once per request: a page asks for it in up to ten places (menus, bulk bar, screen
    lock), and each new form costs a wtforms form and an HMAC (issue 12's page CPU)."""
    token = g.get("uchet_csrf_token")
    if token is None:
        token = g.uchet_csrf_token = str(CsrfOnly().csrf_token.current_token)
    return token


def check_csrf() -> None:
    """Abort with 400 unless the request carries a valid CSRF token (form or header)."""
    data = request.form.to_dict()
    if "csrf_token" not in data and request.headers.get("X-CSRFToken"):
        data["csrf_token"] = request.headers["X-CSRFToken"]
    form = CsrfOnly(MultiDict(data))
    if not form.validate():
        abort(400, description="CSRF token missing or invalid")


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out. A signed cookie cannot be taken back, so the user's session generation moves
    on: a copy of this cookie (and the user's other browsers) is refused from now on."""
    check_csrf()
    _end_sessions()
    return redirect(url_for("auth.login"))


@bp.route("/logout-everywhere", methods=["POST"])
def logout_everywhere() -> Response:
    """«Выйти на всех устройствах»: end every session of the current user, audited."""
    check_csrf()
    if current_user.is_authenticated:
        user = current_user.user
        ctx().platform.users.record_event(
            "logout_all", user.login, user.id, {"by": user.login, "address": request.remote_addr}
        )
    _end_sessions()
    return redirect(url_for("auth.login"))


def _end_sessions() -> None:
    if current_user.is_authenticated and current_user.user.id is not None:
        ctx().platform.users.end_sessions(current_user.user.id)
    logout_user()
    session.clear()


@bp.route("/locale", methods=["POST"])
def set_locale() -> Response:
    """Switch the interface language; remembered for the user (S43)."""
    check_csrf()
    c = ctx()
    chosen = request.form.get("locale", "")
    if chosen in c.locales:
        session["locale"] = chosen
        if current_user.is_authenticated:
            c.platform.users.set_locale(current_user.user.id, chosen)
    return redirect(_safe_next(request.form.get("next") or _referrer_path()))


def _referrer_path() -> str | None:
    """The path of the page the request came from, if it is this site's."""
    if not request.referrer:
        return None
    ref = urlsplit(request.referrer)
    if ref.netloc and ref.netloc != request.host:
        return None
    return ref.path + ("?" + ref.query if ref.query else "")


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would let a phishing link bounce through login.

    Browsers drop tabs and newlines inside URLs and treat ``\\`` like ``/``, so a path with
    either could still become ``//evil.example``: such targets are refused too."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(ch) < 32 or ord(ch) == 127 for ch in target)
    ):
        return target
    return url_for("admin.index")


#: The public name of the check, for other views that redirect to a ``next`` the browser gave.
safe_next = _safe_next
#: Throttling shared with the screen lock's password check (:mod:`uchet.web.screenlock`).
record_failure = _record_failure
clear_failures = _clear_failures


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the ``Secure`` flag also on every cookie sent in
    answer to an HTTPS request (behind a proxy: with ``UCHET_PROXIES`` set, ProxyFix makes
    ``X-Forwarded-Proto: https`` count), so a site served over HTTPS needs no setting for it."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))


def session_config(settings: WebSettings) -> dict[str, Any]:
    """Flask settings of the session cookie: signed with the site's key, HttpOnly (no script
    reads it), SameSite=Lax (not sent with cross-site POSTs), Secure when the site is served
    over HTTPS (``UCHET_SECURE_COOKIES=1``, or per request, see :class:`SessionInterface`),
    living ``session_hours``."""
    return {
        "SECRET_KEY": settings.secret_key,
        "SESSION_COOKIE_NAME": "uchet_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.secure_cookies,
        "SESSION_COOKIE_PATH": settings.url_prefix or "/",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": settings.secure_cookies,
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=settings.session_hours or 24 * 365),
    }


def init_app(app: Flask, c: WebContext) -> None:
    """Log users in and out, and lock idle sessions."""
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.session_protection = "basic"

    app.session_interface = SessionInterface()

    @manager.user_loader
    def load(user_id: str) -> LoginUser | None:
        try:
            found = c.platform.users.session_user(int(user_id))
        except (ValueError, OverflowError):
            return None
        # A cookie from before a logout, password or role change: refused in every process.
        if found is None or session.get(GENERATION_KEY) != found[1]:
            return None
        return LoginUser(found[0])

    @manager.unauthorized_handler
    def unauthorized() -> Response:
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return Response('{"error": "login required"}', 401, mimetype="application/json")
        return redirect(url_for("auth.login", next=here()))

    @app.before_request
    def session_lifetime() -> Response | None:
        """The absolute lifetime ends a session (the idle lock is :mod:`uchet.web.screenlock`'s,
        which locks the screen instead of logging out)."""
        if not current_user.is_authenticated:
            return None
        hours, now = c.settings.session_hours, c.settings.clock()
        if not hours or now - float(session.get(BORN_KEY, now)) <= hours * 3600:
            return None
        logout_user()
        session.clear()
        flash(c.gettext("Your session has ended. Log in again."))
        return redirect(url_for("auth.login", next=here()))

    app.register_blueprint(bp)
    app.jinja_env.globals["csrf_token"] = csrf_token
