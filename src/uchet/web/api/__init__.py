"""The REST API under ``/api/v1`` (issue 18, S42): records of every table, the phone lookup
for telephony and the OpenAPI document, for tokens and for the product's own pages.

:func:`init_app` is called by :func:`uchet.web.builder.build_app` for each configuration
version, so the endpoints, their row writers and the document follow the live configuration.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_admin import Admin
from werkzeug.wrappers import Response

from uchet.web.api import docs, limiting, lookup, resources, tokenviews, webhookviews
from uchet.web.api.problems import Problem
from uchet.web.context import WebContext

PREFIX = "/api/v1"


def init_app(app: Flask, admin: Admin, c: WebContext) -> None:
    """Register the API's blueprint on ``app`` and the token screens in ``admin``."""
    admin.add_view(tokenviews.TokensView(c))
    # In the Administration menu: added before its category is labelled (adminviews).
    admin.add_view(webhookviews.WebhooksView(c))
    bp = Blueprint("api", __name__, url_prefix=PREFIX)
    lookup.register(bp, c)
    docs.register(bp, c)
    resources.register(bp, c)

    @resources.api_view
    def unknown(rest: str = "") -> Response:
        raise Problem(404)

    bp.add_url_rule("/", "root", unknown, methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    bp.add_url_rule(
        "/<path:rest>", "unknown", unknown, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]
    )

    @bp.after_request
    def cors(response: Response) -> Response:
        return limiting.add_cors(c, response)

    app.register_blueprint(bp)
