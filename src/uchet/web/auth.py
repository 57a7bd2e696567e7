"""Login, logout, the idle lock and login throttling (S01, S46, S48).

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax, Secure when configured), so any
web process can serve any request. Failed logins are counted in ``uchet_login_failures``,
which every process shares; after ``max_login_failures`` within ``throttle_minutes`` further
attempts for that login are refused without even checking the password.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
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


class LoginUser(UserMixin):
    """Flask-Login's view of a platform user."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)


class LoginForm(SecureForm):
    login = StringField(validators=[InputRequired()])
    password = PasswordField(validators=[InputRequired()])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _failures(c: WebContext, login: str) -> int:
    table = c.runtime.model.system["uchet_login_failures"]
    since = _now() - dt.timedelta(minutes=c.settings.throttle_minutes)
    query = sa.select(sa.func.count()).where(table.c.login == login, table.c.at >= since)
    with c.runtime.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _record_failure(c: WebContext, login: str) -> None:
    table = c.runtime.model.system["uchet_login_failures"]
    with c.runtime.engine.begin() as conn:
        conn.execute(table.insert().values(login=login, address=request.remote_addr, at=_now()))


def _clear_failures(c: WebContext, login: str) -> None:
    table = c.runtime.model.system["uchet_login_failures"]
    with c.runtime.engine.begin() as conn:
        conn.execute(table.delete().where(table.c.login == login))


bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    c = ctx()
    form = LoginForm(request.form)
    error, status = None, 200
    if request.method == "POST" and form.validate():
        name = form.login.data.strip()
        if _failures(c, name) >= c.settings.max_login_failures:
            error, status = (
                c.gettext(
                    "Too many failed attempts. Try again in %(minutes)s minutes.",
                    minutes=c.settings.throttle_minutes,
                ),
                429,
            )
        else:
            user = c.platform.users.authenticate(name, form.password.data)
            if user is None:
                _record_failure(c, name)
                error, status = c.gettext("Wrong login or password."), 401
            else:
                _clear_failures(c, name)
                session.clear()  # a fresh session on login: no fixation
                login_user(LoginUser(user))
                session[SEEN_KEY] = time.time()
                return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400  # a missing field or CSRF token: the form shows the error
    return render_template("uchet/login.html", form=form, error=error), status


class CsrfOnly(SecureForm):
    """A form with nothing but the CSRF token: logout, language and other small POSTs."""


def csrf_token() -> str:
    """A CSRF token for hand-written forms and AJAX writes (``X-CSRFToken`` header)."""
    return str(CsrfOnly().csrf_token.current_token)


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
    check_csrf()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


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


def session_config(settings: WebSettings) -> dict[str, Any]:
    """Flask settings of the session cookie: signed with the site's key, HttpOnly (no script
    reads it), SameSite=Lax (not sent with cross-site POSTs), Secure when the site is served
    over HTTPS (``UCHET_SECURE_COOKIES=1``)."""
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
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=12),
    }


def init_app(app: Flask, c: WebContext) -> None:
    """Log users in and out, and lock idle sessions."""
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.session_protection = "basic"

    @manager.user_loader
    def load(user_id: str) -> LoginUser | None:
        try:
            user = c.platform.users.get(int(user_id), active_only=True)
        except ValueError:
            return None
        return LoginUser(user) if user else None

    @manager.unauthorized_handler
    def unauthorized() -> Response:
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return Response('{"error": "login required"}', 401, mimetype="application/json")
        return redirect(url_for("auth.login", next=here()))

    @app.before_request
    def idle_lock() -> Response | None:
        if not current_user.is_authenticated:
            return None
        idle = c.settings.idle_minutes
        seen = session.get(SEEN_KEY, 0.0)
        now = time.time()
        if idle and now - float(seen) > idle * 60:
            logout_user()
            session.clear()
            flash(c.gettext("Your session was locked after a period of inactivity. Log in again."))
            return redirect(url_for("auth.login", next=here()))
        session[SEEN_KEY] = now
        return None

    app.register_blueprint(bp)
    app.jinja_env.globals["csrf_token"] = csrf_token
