"""The per-app ``url_for`` memo (uchet/web/urlcache.py, issue 12): the same URLs as Flask's,
relative endpoints per blueprint, nothing request-dependent kept, and bounded."""

from __future__ import annotations

from typing import Any

import flask
import pytest
from flask import Blueprint, url_for

from uchet.web import urlcache
from uchet.web.urlcache import UchetFlask


def make_app() -> UchetFlask:
    app = UchetFlask(__name__)
    for name in ("clients", "invoices"):
        bp = Blueprint(name, __name__, url_prefix=f"/{name}")
        bp.add_url_rule("/", "index", lambda: "")
        bp.add_url_rule("/export/<kind>", "export", lambda kind: "")
        bp.add_url_rule("/<int:id>", "card", lambda id: "")
        app.register_blueprint(bp)
    return app


def plain(app: UchetFlask, endpoint: str, **values: Any) -> str:
    """What Flask itself builds (no memo)."""
    return flask.Flask.url_for(app, endpoint, **values)


def test_memoised_urls_are_flasks_and_relative_endpoints_follow_the_blueprint() -> None:
    app = make_app()
    with app.test_request_context("/clients/", base_url="http://shop.test/crm"):
        first = url_for(".export", kind="xlsx", flag=True)
        assert first == plain(app, ".export", kind="xlsx", flag=True)
        assert first == "/crm/clients/export/xlsx?flag=True"
        assert url_for(".export", kind="xlsx", flag=True) == first  # from the memo
        # True == 1 as dict keys; the URLs differ, so must the memo's keys.
        assert url_for(".export", kind="xlsx", flag=1) == "/crm/clients/export/xlsx?flag=1"
        assert len(app._url_memo) == 2
    with app.test_request_context("/invoices/", base_url="http://shop.test/crm"):
        assert url_for(".export", kind="xlsx", flag=True) == "/crm/invoices/export/xlsx?flag=True"
    with app.test_request_context("/clients/", base_url="http://other.test/"):
        # Another script root: another URL, not the memo's.
        assert url_for("clients.card", id=5) == "/clients/5"


def test_external_anchors_and_objects_are_never_kept() -> None:
    app = make_app()
    with app.test_request_context("/clients/", base_url="http://shop.test/"):
        assert url_for("clients.card", id=7, _external=True) == "http://shop.test/clients/7"
        assert url_for("clients.card", id=7, _anchor="tab-2") == "/clients/7#tab-2"
        assert url_for("clients.index", ids=[1, 2]) == "/clients/?ids=1&ids=2"
        assert app._url_memo == {}
    with app.test_request_context("/clients/", base_url="http://elsewhere.test/"):
        assert url_for("clients.card", id=7, _external=True) == "http://elsewhere.test/clients/7"


def test_a_failed_build_is_not_kept_and_the_memo_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    monkeypatch.setattr(urlcache, "LIMIT", 3)
    with app.test_request_context("/clients/"):
        with pytest.raises(Exception, match="nowhere"):
            url_for("nowhere")
        assert app._url_memo == {}
        for i in range(1, 8):
            assert url_for("clients.card", id=i) == f"/clients/{i}"
            assert len(app._url_memo) <= 3


def test_url_defaults_switch_the_memo_off() -> None:
    """A URL default function may add a value from the request: nothing is kept then."""
    app = make_app()
    seen = []

    @app.url_defaults
    def add_tenant(endpoint: str, values: dict[str, Any]) -> None:
        seen.append(endpoint)
        values.setdefault("tenant", flask.request.args.get("tenant", "a"))

    with app.test_request_context("/clients/?tenant=b"):
        assert url_for("clients.index") == "/clients/?tenant=b"
    with app.test_request_context("/clients/?tenant=c"):
        assert url_for("clients.index") == "/clients/?tenant=c"
    assert app._url_memo == {} and len(seen) == 2
