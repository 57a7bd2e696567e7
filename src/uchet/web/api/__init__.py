"""The REST API under ``/api/v1`` (issue 18, S42): records of every table, the phone lookup
for telephony and the OpenAPI document, for tokens and for the product's own pages.

:func:`init_app` is called by :func:`uchet.web.builder.build_app` for each configuration
version, so the endpoints, their row writers and the document follow the live configuration.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, request
from flask_admin import Admin
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from uchet.web.api import (
    callers,
    docs,
    figures,
    limiting,
    lookup,
    nested,
    resources,
    tokenviews,
    webhookviews,
)
from uchet.web.api.problems import Problem
from uchet.web.context import WebContext
from uchet.web.security import error_page

PREFIX = "/api/v1"


class AnyId(IntegerConverter):
    """Any run of digits, unbounded: the resource views answer an id past what a BIGINT
    holds with their own 404 problem. (The app's ``int`` is bounded, and a number past it
    would fail routing, giving the HTML page or a 405 from a rule of another method.)"""


def init_app(app: Flask, admin: Admin, c: WebContext) -> None:
    """Register the API's blueprint on ``app`` and the token screens in ``admin``."""
    admin.add_view(tokenviews.TokensView(c))
    # In the Administration menu: added before its category is labelled (adminviews).
    admin.add_view(webhookviews.WebhooksView(c))
    app.url_map.converters["api_id"] = AnyId  # before the blueprint's rules are added
    bp = Blueprint("api", __name__, url_prefix=PREFIX)
    lookup.register(bp, c)
    docs.register(bp, c)
    figures.register(bp, c)
    nested.register(bp, resources.register(bp, c))

    @resources.api_view
    def unknown(rest: str = "") -> Response:
        # Who is asking comes first (401, or 403 for a session write without the CSRF
        # token), as on every other API route: an unknown path tells a stranger nothing.
        callers.caller(c)
        raise Problem(404)

    bp.add_url_rule("/", "root", unknown, methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    bp.add_url_rule(
        "/<path:rest>", "unknown", unknown, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]
    )

    @bp.after_request
    def cors(response: Response) -> Response:
        return limiting.add_cors(c, response)

    app.register_blueprint(bp)

    @resources.api_view
    def routing_error(exc: HTTPException) -> Any:
        # A URL under the prefix that matches no rule is still the API's: problem details,
        # not the HTML page. (An id past 64 bits fails the bounded <int:> converter, and
        # Werkzeug then answers 404 without trying the catch-all rule above.)
        if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
            raise Problem(exc.code or 404)
        return error_page(exc)

    for code in (404, 405):  # after security.init_app, so these replace its page handlers
        app.register_error_handler(code, routing_error)
