"""Errors of the REST API as RFC 9457 problem details (``application/problem+json``).

Every error the API answers with is a :class:`Problem`: a status, a title and detail in the
caller's language, and, for invalid records, the field errors (each field named and labelled)
or, for bad query parameters, the parameter. Engine errors are turned into problems by
:func:`from_engine_error`; anything unexpected becomes a 500 without a stack trace.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.wrappers import Response

from uchet.platform.model.config import Table
from uchet.platform.model.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    UchetError,
    ValidationError,
)
from uchet.platform.model.i18n import localized
from uchet.platform.records.bulk import BulkValidationError
from uchet.platform.records.bulk_update import BulkConflictError
from uchet.web.api.jsonvalues import dumps
from uchet.web.api.texts import api_text
from uchet.web.context import WebContext

PROBLEM_TYPE = "application/problem+json"
#: The problem ``type`` URIs: relative to the API's prefix (``{prefix}/-/problems/<slug>``).
TITLES: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    422: ("invalid-record", "Invalid record"),
    428: ("precondition-required", "Precondition required"),
    429: ("too-many-requests", "Too many requests"),
    500: ("server-error", "Server error"),
}


class Problem(Exception):
    """An API error answered as problem details; ``extra`` members are added to the body."""

    def __init__(
        self, status: int, detail: str = "", headers: Mapping[str, str] | None = None, **extra: Any
    ):
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra
        self.headers = dict(headers or {})


def response(
    c: WebContext, locale: str, problem: Problem, headers: Mapping[str, str] | None = None
) -> Response:
    """The ``application/problem+json`` response of ``problem``."""
    slug, title = TITLES.get(problem.status, TITLES[500 if problem.status >= 500 else 400])
    body = {
        "type": f"about:blank#{slug}",
        "title": api_text(c, locale, title),
        "status": problem.status,
        **({"detail": problem.detail} if problem.detail else {}),
        **problem.extra,
    }
    return Response(
        dumps(body),
        problem.status,
        headers={**problem.headers, **(headers or {})},
        mimetype=PROBLEM_TYPE,
    )


def field_errors(
    c: WebContext, locale: str, table: Table | None, messages: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """A record's validation messages as a list: the field's name, its label and the
    messages, in ``locale`` (``_schema``: problems of no single field, without a field)."""
    errors = []
    for key, texts in messages.items():
        items = texts if isinstance(texts, list) else [texts]
        entry: dict[str, Any] = {"messages": [localized(t, locale) for t in items]}
        name = str(key)
        if not name.startswith("_"):
            entry["field"] = name
            if table is not None and table.has_field(name):
                entry["label"] = c.label(table.field_by_name(name).label, name)
        errors.append(entry)
    return errors


def from_engine_error(
    c: WebContext,
    locale: str,
    table: Table | None,
    exc: UchetError,
    shown: Callable[[Mapping[str, Any]], Any] = dict,
) -> Problem:
    """The problem an engine error of a record call stands for (``shown``: how a record is
    shown, for the current one of a conflict)."""
    if isinstance(exc, BulkValidationError):
        rows = [
            {"row": row, "errors": field_errors(c, locale, table, messages)}
            for row, messages in sorted(exc.rows.items())
        ]
        return Problem(
            422, api_text(c, locale, "Some rows are invalid; nothing was saved."), rows=rows
        )
    if isinstance(exc, ValidationError):
        errors = field_errors(c, locale, table, exc.messages)
        return Problem(422, "; ".join(m for e in errors for m in e["messages"]), errors=errors)
    if isinstance(exc, BulkConflictError):
        stale = [
            {"id": s.record_id, "version": s.expected,
             "current": json.loads(dumps(shown(s.current))) if s.current else None}
            for s in exc.stale
        ]  # fmt: skip
        ids = ", ".join(f"#{s.record_id}" for s in exc.stale)
        return Problem(
            409,
            api_text(c, locale, "Records %(ids)s were changed or deleted by someone else; "
                     "nothing was saved.", ids=ids),
            conflicts=stale,
        )  # fmt: skip
    if isinstance(exc, ConflictError):
        return Problem(
            409,
            api_text(c, locale, "The record was changed or deleted by someone else."),
            current=json.loads(dumps(shown(exc.current))) if exc.current else None,
        )
    if isinstance(exc, NotFound):
        return Problem(
            404, api_text(c, locale, "The record does not exist, or you may not see it.")
        )
    if isinstance(exc, PermissionDenied):
        return Problem(403, localized(exc.args[0] if exc.args else "", locale))
    return Problem(400, localized(exc.args[0] if exc.args else "", locale))
