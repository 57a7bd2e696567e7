"""The web side of the shared converters (issue 13, point 5): ids in URL paths, in query
strings and in posted forms all go through :mod:`uchet.platform.model.numbers`.

- ``<int:...>`` in every route of the inner app is :class:`IdConverter`: a number past int64
  does not match the rule, so it is a 404 before any view runs.
- :func:`arg_id` / :func:`form_id` read an id parameter; anything that is not a valid id is
  ``None`` (absent), and a view that needs a record answers 404 for it.
- :func:`init_app` installs the converter and a safety net: an ``OverflowError`` or a
  ``decimal.InvalidOperation`` that still escapes a view becomes a 404/400 page and a
  WARNING in the log, so a regression is visible but never a 500 for the user.
  ``tests/test_hostile_inputs.py`` runs with the net off, so it cannot hide a crash.
"""

from __future__ import annotations

import logging
from decimal import InvalidOperation
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

from uchet.platform.model.numbers import INT64_MAX, as_count, as_id, as_int

__all__ = ["IdConverter", "arg_id", "arg_int", "arg_page", "form_id", "init_app"]

log = logging.getLogger(__name__)


class IdConverter(IntegerConverter):
    """Werkzeug's ``int`` bounded to what a BIGINT column holds (``max`` = 2**63 - 1)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT64_MAX)
        super().__init__(url_map, *args, **kwargs)


def arg_id(name: str = "id") -> int | None:
    """The record id in query parameter ``name``, or ``None`` if absent or not an id."""
    return as_id(request.args.get(name))


def form_id(name: str = "id") -> int | None:
    """The record id in posted form field ``name``, or ``None``."""
    return as_id(request.form.get(name))


def arg_int(name: str, low: int, high: int) -> int | None:
    """A bounded whole number in query parameter ``name``, or ``None``."""
    return as_int(request.args.get(name), low, high)


def arg_page(name: str = "page", high: int = 1_000_000) -> int:
    """A page number (1 if absent or not a sane page)."""
    return as_count(request.args.get(name), 1, high)


def init_app(app: Flask) -> None:
    """Bound ``<int:...>`` and install the safety net (call before routes are added)."""
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def refuse_nul() -> None:
        # A NUL character is never part of real input, and PostgreSQL refuses it in text
        # (a driver error deep inside a query otherwise): 400 for the whole request.
        try:
            form = request.form
        except RequestEntityTooLarge:
            return  # the card says so in its own words, with what was typed (cardviews)
        for values in (request.args, form):
            if any("\x00" in k or "\x00" in v for k, v in values.items(multi=True)):
                raise BadRequest()  # the generic page, in the user's language

    def overflow(exc: Exception) -> Any:
        log.warning("a number past int64 reached %s: %s", request.path, exc)
        return app.handle_http_exception(NotFound())

    def invalid_decimal(exc: Exception) -> Any:
        log.warning("an invalid decimal reached %s: %s", request.path, exc)
        return app.handle_http_exception(BadRequest())

    app.register_error_handler(OverflowError, overflow)
    app.register_error_handler(InvalidOperation, invalid_decimal)
