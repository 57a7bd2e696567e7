"""Who calls the API, and in which language (issue 18, point 4).

Two ways in:

* ``Authorization: Bearer <token>``: a personal API token (:mod:`uchet.platform.records.tokens`)
  acting as its user; a read-only token may not write.
* the product's own session cookie (the screens call the API too): then a write must carry
  the page's CSRF token in ``X-CSRFToken``, so another site cannot make the browser write.

The language of messages is the best of ``Accept-Language`` among the configuration's
locales, else the user's own, else the configuration's default.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from uchet.platform.records.tokens import ApiToken, TokenStore
from uchet.platform.records.users import User
from uchet.web.api import limiting
from uchet.web.api.problems import Problem
from uchet.web.api.texts import api_text
from uchet.web.auth import CsrfOnly
from uchet.web.context import WebContext

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CALLER_KEY = "uchet_api_caller"
_STORE_KEY = "uchet_api_tokens"


@dataclass(frozen=True)
class ApiCaller:
    """The acting user, the token used (None: the session) and the messages' locale."""

    user: User
    token: ApiToken | None
    locale: str

    @property
    def key(self) -> str:
        """What rate limits count by: the token, else the user."""
        return f"token:{self.token.id}" if self.token else f"user:{self.user.id}"


def tokens(c: WebContext) -> TokenStore:
    """The token store of this configuration version's app (one per app: its statement is
    built once)."""
    found = current_app.extensions.get(_STORE_KEY)
    if found is None or found.table is not c.runtime.model.system["uchet_api_tokens"]:
        found = TokenStore(
            c.platform.engine, c.runtime.model.system["uchet_api_tokens"], c.platform.users
        )
        current_app.extensions[_STORE_KEY] = found
    assert isinstance(found, TokenStore)
    return found


def request_locale(c: WebContext, user: User | None = None) -> str:
    """The language of the API's messages for this request."""
    best = request.accept_languages.best_match(c.locales) if request.accept_languages else None
    if best:
        return str(best)
    if user is not None and user.locale in c.locales:
        return str(user.locale)
    return str(c.config.manifest.default_locale)


def caller(c: WebContext) -> ApiCaller:
    """The caller of this request, worked out once; :class:`Problem` 401 or 403 otherwise."""
    found = g.get(_CALLER_KEY)
    if found is None:
        found = _identify(c)
        setattr(g, _CALLER_KEY, found)
        # Counted once per request, by token (or session user), before any work is done.
        limiting.check(
            c, found.key, api_text(c, found.locale, "Too many requests. Wait and try again.")
        )
    assert isinstance(found, ApiCaller)
    return found


def _identify(c: WebContext) -> ApiCaller:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if header:
        found = tokens(c).authenticate(secret.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            locale = request_locale(c)
            raise Problem(
                401, api_text(c, locale, "A valid API token or a logged-in session is required.")
            )
        locale = request_locale(c, found.user)
        if found.token.read_only and request.method in WRITE_METHODS:
            raise Problem(403, api_text(c, locale, "The token is read-only."))
        return ApiCaller(found.user, found.token, locale)
    if current_user and current_user.is_authenticated:
        user = current_user.user
        locale = request_locale(c, user)
        if request.method in WRITE_METHODS:
            form = CsrfOnly(MultiDict({"csrf_token": request.headers.get("X-CSRFToken", "")}))
            if not form.validate():
                raise Problem(403, api_text(c, locale, "The CSRF token is missing or invalid."))
        return ApiCaller(user, None, locale)
    raise Problem(
        401,
        api_text(c, request_locale(c), "A valid API token or a logged-in session is required."),
    )
