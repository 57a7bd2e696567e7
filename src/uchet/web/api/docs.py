"""The OpenAPI document (``/api/v1/openapi.json``) and its interactive page (``/api/v1/docs``).

The document depends on the configuration version (this app's), the caller's roles and the
language of its labels, so it is built once per (roles, superuser, locale, server) in this
app and served from memory afterwards (a new configuration version is a new app).
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from uchet.web.api.callers import caller
from uchet.web.api.openapi import build_document
from uchet.web.api.resources import api_view, json_response
from uchet.web.auth import csrf_token
from uchet.web.context import WebContext, here


class Documents:
    """The documents built so far in this app, by what they depend on."""

    def __init__(self, c: WebContext):
        self.c = c
        self.built: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.lock = threading.Lock()

    def document(self) -> Response:
        who = caller(self.c)
        user = who.user
        server = request.host_url.rstrip("/") + url_for("api.root")
        server = server.rstrip("/")
        superuser = self.c.runtime.permissions.is_superuser(user)
        key = (tuple(sorted(user.roles)), superuser, who.locale, server)
        doc = self.built.get(key)
        if doc is None:
            with self.lock:
                doc = self.built.get(key)
                if doc is None:
                    doc = build_document(self.c, user, who.locale, server)
                    self.built[key] = doc
        return json_response(doc)

    def page(self) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=here()))
        return render_template(
            "uchet/api_docs.html",
            title=self.c.gettext("API") + " — " + self.c.label(self.c.config.manifest.title, ""),
            locale=self.c.locale(),
            spec_url=url_for("api.openapi"),
            csrf=csrf_token(),
        )


def register(bp: Blueprint, c: WebContext) -> None:
    """Add the document and the page to ``bp``."""
    docs = Documents(c)
    bp.add_url_rule("/openapi.json", "openapi", api_view(docs.document), methods=["GET"])
    bp.add_url_rule("/docs", "docs", docs.page, methods=["GET"])
