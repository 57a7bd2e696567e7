"""One entry point for rendering a template's bytes, and clear messages for its failures.

:func:`render` is what both the main process (bundle forms, trusted) and the isolated
worker (user-uploaded forms) call. Whatever goes wrong inside a template — a syntax error,
a sandbox violation, an out-of-range value, memory — comes out as a :class:`PrintError`
that names the form and the problem in words, never as a traceback.
"""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.sandbox import SecurityError

from uchet.printeditor.errors import PrintError

KINDS = ("docx", "xlsx")


def kind_of(file_name: str) -> str:
    """``"docx"`` or ``"xlsx"`` from a template's file name; ValueError otherwise."""
    suffix = file_name.rsplit(".", 1)[-1].lower()
    if suffix not in KINDS:
        raise ValueError(f"a template must be a .docx or .xlsx file, not {file_name!r}")
    return suffix


def describe(error: BaseException) -> str:
    """A person-readable account of why a template failed."""
    if isinstance(error, SecurityError):
        return f"the template does something that is not allowed: {error}"
    if isinstance(error, TemplateSyntaxError):
        return f"template syntax error: {error.message}"
    if isinstance(error, TemplateError):
        return f"template error: {error.message or type(error).__name__}"
    if isinstance(error, MemoryError):
        return "the template needs too much memory"
    if isinstance(error, RecursionError):
        return "the template is nested too deeply"
    if isinstance(error, OverflowError):
        return f"a value is too large: {error}"
    return f"{type(error).__name__}: {error}"


def render(kind: str, data: bytes, context: dict[str, Any], form: str) -> bytes:
    """Render template ``data`` of ``kind`` with ``context``; :class:`PrintError` on failure."""
    # The renderers load docxtpl and openpyxl on the first render, in the worker process
    # that runs it (worker.py), not in every process that imports the print service.
    from uchet.printeditor.docx_render import render_docx
    from uchet.printeditor.xlsx_render import render_xlsx

    renderer = {"docx": render_docx, "xlsx": render_xlsx}.get(kind)
    if renderer is None:
        raise PrintError(form, f"unknown template kind {kind!r}; use .docx or .xlsx")
    try:
        return renderer(data, context, form)
    except PrintError:
        raise
    except (Exception, MemoryError, RecursionError) as e:
        raise PrintError(form, describe(e)) from None
