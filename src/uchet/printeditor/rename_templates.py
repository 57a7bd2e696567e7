"""Print templates that name a renamed field (issue 14): find them, and rewrite them as a
new template version.

A field rename rewrites the configuration (:mod:`uchet.configurations.rename`); print
templates are files, .docx and .xlsx, whose Jinja placeholders (``{{ city }}``,
``{{ client.city }}``, ``{% if record.city %}``) name fields by name. :func:`uses` lists
the print forms whose template would change; :func:`rewritten` gives a template's new bytes,
which a stored form gets as its next version (the history keeps the old one). A placeholder
Word split across runs of differently formatted text cannot be rewritten in place: it is
reported (``unresolved``) and the form is left as it was.

No Flask here: the web screens call these functions.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from uchet.configurations.rename_engine import Renaming
from uchet.platform.model.errors import PermissionDenied
from uchet.printeditor.errors import PrintError
from uchet.printeditor.service import PrintForm, PrintForms

#: The parts of a .docx that hold template text (body, headers, footers, notes).
_DOCX_PARTS = ("word/document.xml", "word/header", "word/footer", "word/footnotes.xml",
               "word/endnotes.xml")  # fmt: skip


@dataclass(frozen=True)
class TemplateUse:
    """A print form whose template names the renamed field."""

    form: PrintForm
    #: A stored form can get a new version; a form of the configuration files cannot.
    stored: bool
    #: The rewrite could not reach every use (a placeholder split by Word's formatting).
    unresolved: bool


def rewritten(kind: str, data: bytes, rewrite: Callable[[str], str]) -> bytes:
    """Template ``data`` (``"docx"`` or ``"xlsx"``) with ``rewrite`` applied to its text."""
    if kind == "xlsx":
        return _xlsx(data, rewrite)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename.startswith(_DOCX_PARTS) and item.filename.endswith(".xml"):
                content = rewrite(content.decode("utf-8")).encode("utf-8")
            dst.writestr(item, content)
    return out.getvalue()


def _xlsx(data: bytes, rewrite: Callable[[str], str]) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "{" in cell.value:
                    cell.value = rewrite(cell.value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def texts(kind: str, data: bytes, form: str) -> list[str]:
    """The template text as the renderer sees it (Word's split runs joined)."""
    if kind == "docx":
        from uchet.printeditor.validate import docx_sources

        return [source for _, source in docx_sources(data, form)]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return [c.value for s in book.worksheets for r in s.iter_rows() for c in r
            if isinstance(c.value, str)]  # fmt: skip


def uses(forms: PrintForms, ctx: Renaming) -> list[TemplateUse]:
    """The print forms whose template names the field ``ctx`` renames."""
    found = []
    for form in forms.all():
        try:
            data = forms.template(form)
            before = texts(form.kind, data, form.name)
        except (PrintError, zipfile.BadZipFile, KeyError, OSError, ValueError):
            continue  # an unreadable template names nothing a rename could fix
        if all(ctx.template(form.table, t) == t for t in before):
            continue
        after = texts(form.kind, rewritten(form.kind, data, _for(ctx, form)), form.name)
        unresolved = any(ctx.template(form.table, t) != t for t in after)
        found.append(TemplateUse(form, form.stored, unresolved))
    return found


def _for(ctx: Renaming, form: PrintForm) -> Callable[[str], str]:
    return lambda text: ctx.template(form.table, text)


def rewrite_stored(forms: PrintForms, ctx: Renaming, found: list[TemplateUse],
                   note: str) -> list[tuple[PrintForm, int]]:  # fmt: skip
    """Give each stored form of ``found`` that can be rewritten a new template version;
    returns ``(form, version)`` of each. The print editor's own rules apply (the user may
    edit the form; the new template passes the upload check): a form they refuse is left as
    it was and is not returned, so the caller can say which were rewritten."""
    done = []
    for use in found:
        if not use.stored or use.unresolved:
            continue
        form = use.form
        data = rewritten(form.kind, forms.template(form), _for(ctx, form))
        try:
            version = forms.upload(form.id, data, form.template, note)
        except (PrintError, PermissionDenied):
            continue  # refused by the print editor's rules: the form keeps its version
        done.append((form, version))
    return done
