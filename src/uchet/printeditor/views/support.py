"""What the print screens share: the user's :class:`PrintForms`, errors and the Print menu.

* :func:`print_forms` — the print-form service acting as the logged-in user, in their
  language: every list, print and edit goes through it (and so through the record service
  and the form's roles).
* :func:`problem_text` — a checker's problem in the user's language. The engine words its
  problems in English; the patterns below map the common ones (locations, unknown
  placeholders, syntax errors) to message ids of ``texts.py``.
* :func:`failure` — a refused request as the page or JSON the browser asked for, with the
  HTTP status that says why (404 not found or not visible, 403 not allowed, 422 the
  template failed, 400 a bad request).
* :func:`print_menu` — the forms the Print menu of a card or a list offers (a Jinja global).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import g, jsonify, request, url_for
from werkzeug.wrappers import Response

from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.printeditor.errors import PrintBusy, PrintError, Problem
from uchet.printeditor.output import soffice
from uchet.printeditor.service import PrintForm, PrintForms
from uchet.web.context import WebContext, ctx

#: How the Print menu names a template's own kind of file.
KIND_TEXTS = {"docx": "Word (.docx)", "xlsx": "Excel (.xlsx)"}
#: Header the print menu's script sends: errors then come back as JSON, not as a page.
FETCH_HEADER = "X-Uchet-Print"


def print_forms(c: WebContext | None = None) -> PrintForms:
    """The print-form service of the logged-in user, in the interface language."""
    c = c or ctx()
    # The app's own runtime: during a hot swap this request keeps its configuration version.
    return PrintForms(c.platform, c.user(), c.locale(), runtime=c.runtime)


#: How long :func:`pdf_available` trusts its last look at PATH, in seconds.
PDF_CHECK_SECONDS = 60.0
#: (monotonic time of the last look, its answer).
_pdf_seen: tuple[float, bool] | None = None


def pdf_available(now: Callable[[], float] = time.monotonic) -> bool:
    """Whether LibreOffice is installed, so documents can be converted to PDF.

    Every list and card asks (its Print menu offers PDF), and looking on PATH scans its
    directories; the answer is kept for a minute, so LibreOffice installed while the
    server runs still shows up soon (issue 12).
    """
    global _pdf_seen
    t = now()
    if _pdf_seen is None or t - _pdf_seen[0] >= PDF_CHECK_SECONDS or t < _pdf_seen[0]:
        _pdf_seen = (t, soffice() is not None)
    return _pdf_seen[1]


# -- problems in the user's language ---------------------------------------------------------
#: (pattern of the engine's English text, message id in texts.py). Named groups become the
#: message's parameters; a location is translated piece by piece.
_LOCATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(header|footer) (?P<n>\d+): "), "%(part)s %(n)s: "),
    (
        re.compile(r"^table (?P<n>\d+), row (?P<row>\d+), column (?P<col>\d+)"),
        "table %(n)s, row %(row)s, column %(col)s",
    ),
    (re.compile(r"^table (?P<n>\d+), row (?P<row>\d+)"), "table %(n)s, row %(row)s"),
    (re.compile(r"^paragraph (?P<n>\d+)"), "paragraph %(n)s"),
    (re.compile(r"^sheet (?P<sheet>'.*'), cell (?P<cell>\w+)"), "sheet %(sheet)s, cell %(cell)s"),
]
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^unknown placeholder (?P<tag>\{\{.*?\}\}) \(did you mean (?P<hint>.+)\?\)$"),
        "unknown placeholder %(tag)s (did you mean %(hint)s?)",
    ),
    (re.compile(r"^unknown placeholder (?P<tag>\{\{.*?\}\})$"), "unknown placeholder %(tag)s"),
    (
        re.compile(r"^syntax error in (?P<tag>.+?): (?P<error>.*)$"),
        "syntax error in %(tag)s: %(error)s",
    ),
    (re.compile(r"^syntax error: (?P<error>.*)$"), "syntax error: %(error)s"),
    (
        re.compile(r"^(?P<tag>\{%.*?%\}) is never closed with (?P<end>\{%.*?%\})$"),
        "%(tag)s is never closed with %(end)s",
    ),
    # The sandbox's rules, as the upload check and the sandbox word them (issue 13, 6).
    (
        re.compile(
            r"^access to attribute (?P<attr>'.*?')(?: of an? '.*?' object)? is not allowed$"
        ),
        "access to attribute %(attr)s is not allowed",
    ),
    (
        re.compile(r"^range\(\) of (?P<n>\d+) items \(at most (?P<max>\d+)\)$"),
        "range() of %(n)s items (at most %(max)s)",
    ),
    (
        re.compile(r"^the power (?P<n>\S+) is too large \(at most (?P<max>\d+)\)$"),
        "the power %(n)s is too large (at most %(max)s)",
    ),
    (
        re.compile(
            r"^repeating a value (?P<n>\d+) times makes it too long "
            r"\(at most (?P<max>\d+) items\)$"
        ),
        "repeating a value %(n)s times makes it too long (at most %(max)s items)",
    ),
    (
        re.compile(r"^nested loops repeat (?P<n>\d+) times \(at most (?P<max>\d+)\)$"),
        "nested loops repeat %(n)s times (at most %(max)s)",
    ),
]


def _location(c: WebContext, text: str) -> str:
    out = ""
    while text:
        for pattern, msgid in _LOCATIONS:
            m = pattern.match(text)
            if m:
                params = m.groupdict()
                if "part" in msgid:
                    params["part"] = c.gettext("header" if m.group(1) == "header" else "footer")
                out += c.gettext(msgid, **params)
                text = text[m.end() :]
                break
        else:
            return out + text
    return out


def problem_text(c: WebContext, problem: Problem) -> str:
    """One problem, ``location: message``, in the user's language where a pattern fits."""
    message = problem.message
    for pattern, msgid in _MESSAGES:
        m = pattern.match(message)
        if m:
            message = c.gettext(msgid, **m.groupdict())
            break
    location = _location(c, problem.location)
    return f"{location}: {message}" if location else message


_RESTORED = re.compile(r"^restored version (?P<n>\d+)$")


def version_note(c: WebContext, note: str | None) -> str:
    """A version's note; the engine's own notes ("created", "restored version 2") translated."""
    if not note:
        return ""
    if note == "created":
        return c.gettext("created")
    m = _RESTORED.match(note)
    return c.gettext("restored version %(n)s", n=m.group("n")) if m else note


def problem_lines(c: WebContext, problems: Sequence[Problem]) -> list[str]:
    return [problem_text(c, p) for p in problems]


# -- refusals --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Failure:
    """Why a print request was refused: HTTP status, the headline, the problems."""

    status: int
    message: str
    problems: list[str]


def describe_failure(c: WebContext, exc: Exception) -> Failure:
    """A refusal of the engine as what the user is told."""
    if isinstance(exc, PrintBusy):  # the user's own prints or every worker busy: retry
        return Failure(429, c.gettext(exc.message), [])
    if isinstance(exc, PrintError):
        message = c.gettext(exc.message) if exc.problems else exc.message
        return Failure(422, message, problem_lines(c, exc.problems))
    if isinstance(exc, NotFound):
        return Failure(
            404,
            c.gettext(
                "Not found: the record or the print form does not exist or is not available to you."
            ),
            [],
        )
    if isinstance(exc, PermissionDenied):
        return Failure(403, c.gettext("You may not do this: %(reason)s", reason=str(exc)), [])
    if isinstance(exc, ValidationError):
        lines = [f"{k}: {'; '.join(map(str, v))}" for k, v in exc.messages.items()]
        return Failure(400, c.gettext("Please correct the errors below."), lines)
    raise exc


def wants_json() -> bool:
    return request.headers.get(FETCH_HEADER) == "1"


def failure(view: Any, exc: Exception, back: str | None = None) -> Response:
    """The refusal as JSON (for the print menu's script) or as an error page of ``view``."""
    c = ctx()
    f = describe_failure(c, exc)
    response: Response
    if wants_json():
        response = jsonify(error=f.message, problems=f.problems)
    else:
        page = view.render("uchet/print_error.html", failure=f, back=back or _back())
        response = Response(page, mimetype="text/html")
    response.status_code = f.status
    if isinstance(exc, PrintBusy):
        response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return response


def _back() -> str | None:
    ref = request.referrer or ""
    host = request.host_url.rstrip("/")
    return ref if ref.startswith(host + "/") else None


# -- the Print menu --------------------------------------------------------------------------
@dataclass(frozen=True)
class MenuEntry:
    """One form of the Print menu and the links it offers."""

    label: str
    kind: str
    links: list[tuple[str, str, bool]]  # (text, url, downloads a file)


def _list_args(page: Any) -> list[tuple[str, str]]:
    """The list's filters, search, sort and grouping: what mass print selects by."""
    return [(k, v) for k, v in page.state.args() if k not in ("page", "after", "cols", "size")]


def menu_entries(
    c: WebContext,
    forms: Sequence[PrintForm],
    record: Any,
    page: Any,
) -> list[MenuEntry]:
    """The Print menu of a card (``record``) or of a list (``page``)."""
    pdf = pdf_available()
    entries = []
    for form in forms:
        links: list[tuple[str, str, bool]] = []
        if record is not None:
            ids = {"form_id": form.id, "record_id": record["id"]}
            document = url_for("print_out.document", **ids)
            links.append((KIND_TEXTS.get(form.kind, f".{form.kind}"), document, True))
            if pdf:
                links.append(("PDF", url_for("print_out.document", fmt="pdf", **ids), True))
            links.append((c.gettext("Preview"), url_for("print_out.preview", **ids), False))
        elif page is not None:
            args = _list_args(page)
            many = url_for("print_out.many", form_id=form.id)
            query = "&".join(f"{k}={_quote(v)}" for k, v in args)
            join = "?" + (query + "&" if query else "")
            if form.kind == "docx":
                links.append((c.gettext("One file (.docx)"), f"{many}{join}mode=merge", True))
            links.append((c.gettext("Zip archive"), f"{many}{join}mode=zip", True))
            if pdf:
                # One PDF: a big list goes to a background job whose page opens in a new
                # tab (so not fetched by the menu's script), issue 21 point 8.
                links.append((c.gettext("One PDF"), f"{many}{join}mode=pdf", False))
        entries.append(MenuEntry(form.text(c.locale()), form.kind, links))
    return entries


def _quote(value: str) -> str:
    return quote(str(value), safe="")


def print_menu(table: Any, record: Any = None, page: Any = None) -> list[MenuEntry]:
    """Jinja global: the Print menu entries for ``table``'s card or list (may be empty)."""
    c = ctx()
    if record is None and page is None:
        return []
    try:
        forms = available_forms(c, table.id)
    except (NotFound, PermissionDenied, KeyError):
        return []
    return menu_entries(c, forms, record, page)


def bulk_entries(c: WebContext, table: Any) -> list[tuple[str, str]]:
    """The bulk bar's print entries of a list (issue 21): ``print:<form id>`` per form the
    user may use (:mod:`uchet.web.bulkmenu` registers sources like this one)."""
    return [(f"print:{form.id}", c.gettext("Print: %(form)s", form=form.text(c.locale())))
            for form in available_forms(c, table.id)]  # fmt: skip


def available_forms(c: WebContext, table_id: str) -> list[PrintForm]:
    """The print forms of ``table_id`` the user may use, read once per request (a list's
    Print menu and its bulk bar both offer them)."""
    cache = g.setdefault("uchet_print_forms", {})
    if table_id not in cache:
        cache[table_id] = list(print_forms(c).available(table_id))
    return list(cache[table_id])
