"""Rendering ``.docx`` templates with docxtpl in the sandbox, and merging documents.

docxtpl turns the document's XML into one Jinja template (joining tags that Word split
across runs), renders it, and writes the XML back. Two of its defaults are dangerous and
are never used here: its plain ``Environment`` executes ``cycler.__init__.__globals__``
tricks, and ``autoescape=False`` drops or breaks values containing ``&`` and ``<``. We pass
the :func:`~uchet.printeditor.sandbox.environment` with autoescape on.

A :class:`DocxTemplate` is single-use (a second ``render()`` just re-saves the first
result), so every document starts from the template *bytes*; the compiled Jinja template is
cached by the sandbox, which is what makes repeated prints of one form fast.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from docx.image.image import Image as DocxImage
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from uchet.printeditor.errors import PrintError
from uchet.printeditor.sandbox import environment
from uchet.printeditor.values import FileRef

#: Sizes an inserted image may be given, in millimetres.
MIN_IMAGE_MM, MAX_IMAGE_MM = 1, 500


class ImageHelper:
    """``{{ image(company.logo, width_mm=40) }}``: an image field as an inline picture.

    Empty fields, files that are not images Word can show (SVG), and unknown values insert
    nothing, so a card prints whether or not a photo was uploaded.
    """

    def __init__(self, template: DocxTemplate) -> None:
        self.template = template

    def __call__(
        self, value: Any, width_mm: float | None = None, height_mm: float | None = None
    ) -> Any:
        if not isinstance(value, FileRef) or not value.data:
            return ""
        try:
            DocxImage.from_blob(value.data)  # refuses what python-docx cannot place
        except Exception:  # noqa: BLE001 - any unreadable image is left out, not fatal
            return ""
        return InlineImage(
            self.template,
            io.BytesIO(value.data),
            width=_mm(width_mm),
            height=_mm(height_mm),
        )


def _mm(value: float | None) -> Any:
    if value is None:
        return None
    return Mm(max(MIN_IMAGE_MM, min(MAX_IMAGE_MM, float(value))))


def open_template(data: bytes, form: str) -> DocxTemplate:
    """A docxtpl template from bytes; :class:`PrintError` when they are not a .docx file."""
    template = DocxTemplate(io.BytesIO(data))
    try:
        template.init_docx()
    except Exception as e:  # noqa: BLE001 - zip, XML and content-type errors alike
        raise PrintError(form, f"not a valid .docx file ({type(e).__name__}: {e})") from None
    return template


def render_docx(data: bytes, context: dict[str, Any], form: str) -> bytes:
    """Render the .docx template ``data`` with ``context``; returns the document's bytes.

    Template errors propagate as Jinja exceptions; :func:`uchet.printeditor.render.render`
    turns them into :class:`PrintError` with the location.
    """
    template = open_template(data, form)
    values = dict(context)
    values["image"] = ImageHelper(template)
    template.render(values, jinja_env=environment(autoescape=True), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def merge_docx(documents: Sequence[bytes]) -> bytes:
    """One document holding ``documents`` in order, each starting on a new page.

    docxcompose copies styles, numbering and images of every part into the first document.
    """
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docxcompose.composer import Composer

    if not documents:
        raise ValueError("nothing to merge")
    master = Document(io.BytesIO(documents[0]))
    composer = Composer(master)
    for data in documents[1:]:
        master.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        composer.append(Document(io.BytesIO(data)))
    out = io.BytesIO()
    composer.save(out)
    return out.getvalue()
