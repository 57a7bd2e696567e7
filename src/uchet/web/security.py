"""Hardening every response of the inner app: security headers, error pages, closed routes.

* Security headers on every response: no MIME sniffing, no framing by other sites (click-
  jacking: ``X-Frame-Options`` and CSP ``frame-ancestors``), no full URLs leaking to other
  sites in ``Referer``, and pages of a logged-in user kept out of shared caches and the
  browser's back-forward history on a shared computer (S48).
* A Content-Security-Policy on every HTML page (issue 13): scripts, styles, images, fonts,
  frames and requests from this site only, and no inline script, event handler or style
  attribute — the templates keep theirs in ``static/uchet/*.js|css`` and pass data through
  ``data-*`` attributes or ``<script type="application/json">`` blocks, which never run. An
  injected ``<script>`` or ``onerror=`` therefore does nothing even if escaping ever failed.
* Error pages (400, 403, 404, 405, 413, 429, 500) in the user's language, as HTML for people
  and as JSON for the screens' AJAX calls. A record outside the user's rows is a 404 like any
  missing record, so the page says nothing about whether it exists.
* :class:`ClosedScaffolding` unregisters routes that Flask-Admin's ``BaseModelView`` exposes
  for features uchet implements itself (bulk actions, x-editable updates, its own ajax
  lookups, details and export). Left open they would be write and read paths that skip this
  layer's checks: the bulk-action route, for one, takes a POST and runs a delete action.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.wrappers import Response

from uchet.platform.model.errors import DatabaseBusy
from uchet.platform.schema.database import is_transient
from uchet.web.context import ctx

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
}

#: The policy of HTML pages. ``data:`` images are Bootstrap's and select2's icons; ``blob:``
#: the print preview's PDF. No 'unsafe-inline' and no 'unsafe-eval' anywhere.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)

#: Status -> (title, explanation) message ids shown on the error page.
ERROR_TEXTS: dict[int, tuple[str, str]] = {
    400: ("Bad request", "The request could not be understood. Reload the page and try again."),
    403: ("Access denied", "You do not have permission to open this page."),
    404: ("Not found", "The page or record does not exist, or you may not see it."),
    405: ("Not allowed", "This address does not accept this kind of request."),
    413: ("Too large", "The upload is larger than the site accepts."),
    429: ("Too many requests", "Too many attempts. Wait a little and try again."),
    500: ("Something went wrong", "The server could not finish the request. Try again later."),
    503: ("Service unavailable", "The database is busy, try again."),
}


class ClosedScaffolding:
    """Mixin for model views: Flask-Admin's generic routes that uchet replaces are not
    registered (an attribute without ``_urls`` hides the exposed method of the base class)."""

    action_view = None
    ajax_update = None
    ajax_lookup = None
    details_view = None
    export = None


def _wants_json() -> bool:
    best = request.accept_mimetypes.best
    return (
        request.is_json
        or best == "application/json"
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
    )


def error_page(exc: HTTPException) -> Any:
    """An error page in the user's language (JSON for AJAX calls)."""
    try:
        return _error_page(exc)
    except Exception:  # the page of an error must not fail itself: plain text then
        return Response(f"{exc.code} {exc.name}", exc.code or 500, mimetype="text/plain")


def _error_page(exc: HTTPException) -> Any:
    code = exc.code or 500
    c = ctx()
    title_id, text_id = ERROR_TEXTS.get(code, ERROR_TEXTS[500 if code >= 500 else 400])
    title, text = c.gettext(title_id), c.gettext(text_id)
    detail = exc.description if code == 400 and exc.description else None
    if detail and "CSRF" in detail:
        detail = c.gettext("The form has expired or did not come from this site. "
                           "Reload the page and try again.")  # fmt: skip
    response: Response
    if _wants_json():
        response = jsonify(error=detail or text, status=code)
        response.status_code = code
    else:
        html = render_template("uchet/error.html", code=code, title=title, text=text,
                               detail=detail)  # fmt: skip
        response = Response(html, code, mimetype="text/html")
    original = exc.get_response()
    for name in ("Allow", "Retry-After"):  # what a 405 or a 429 tells the client to do
        value = original.headers.get(name)
        if value:
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    """Install the headers hook and the error pages on the inner ``app``."""

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":  # a PDF or a download is no document to police
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if (
            current_user
            and current_user.is_authenticated
            and not (request.endpoint or "").endswith("static")
        ):
            # Someone else at this computer must not page back into a locked session.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    for code in ERROR_TEXTS:
        app.register_error_handler(code, error_page)

    @app.errorhandler(DatabaseBusy)
    @app.errorhandler(sa.exc.DBAPIError)
    def busy(exc: Exception) -> Any:
        # A write outside the cards (a saved view, a print form...) that still met a lock
        # after the retries: 503 "try again", never a 500 (issue 13). Cards keep the input.
        if not is_transient(exc):
            raise exc
        return error_page(ServiceUnavailable(retry_after=1))
