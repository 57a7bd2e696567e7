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
import re
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

from docx.image.image import Image as DocxImage
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from uchet.printeditor.errors import PrintError
from uchet.printeditor.sandbox import environment
from uchet.printeditor.values import FileRef

#: A tab, line break or page break inside a text run: what ``resolve_listing`` turns
#: into Word's own elements.
_LISTING = re.compile(r"<w:t(?:\s[^>]*)?>[^<]*[\t\n\a\f]")
#: Parts already compressed: stored as they are rather than deflated again.
_STORED = (".png", ".jpg", ".jpeg", ".gif", ".emf", ".wmf")
#: Patched document parts kept (body, headers and footers of recently printed forms).
PATCH_CACHE_SIZE = 64
#: Sizes an inserted image may be given, in millimetres.
MIN_IMAGE_MM, MAX_IMAGE_MM = 1, 500


class FastDocxTemplate(DocxTemplate):
    """docxtpl with the work that is the same for every record of a form done once.

    ``patch_xml`` (a dozen regular expressions over the whole document) depends only on
    the template, so its result is cached by the XML it was given; ``resolve_listing``
    (which turns tabs and line breaks inside values into Word runs) is skipped when the
    rendered XML holds none of those characters. Together they are about a third of the
    time of a print.
    """

    _patched: ClassVar[OrderedDict[str, str]] = OrderedDict()
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def patch_xml(self, src_xml: str) -> str:
        with self._lock:
            found = self._patched.get(src_xml)
            if found is not None:
                self._patched.move_to_end(src_xml)
                return found
        patched = super().patch_xml(src_xml)
        with self._lock:
            self._patched[src_xml] = patched
            if len(self._patched) > PATCH_CACHE_SIZE:
                self._patched.popitem(last=False)
        return patched

    def resolve_listing(self, xml: str) -> str:
        # Only text (inside <w:t>) matters: an inserted picture's XML is indented with line
        # breaks between its tags, and those would make every document with an image pay.
        if not _LISTING.search(xml):
            return xml
        return super().resolve_listing(xml)


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
        if not isinstance(value, FileRef) or not value.data or not placeable(value.data):
            return ""
        return InlineImage(
            self.template,
            io.BytesIO(value.data),
            width=_mm(width_mm),
            height=_mm(height_mm),
        )


@lru_cache(maxsize=64)
def placeable(data: bytes) -> bool:
    """Whether python-docx can place this picture (SVG cannot be). Remembered: a company's
    logo, signature and stamp are the same bytes in every document."""
    try:
        DocxImage.from_blob(data)
    except Exception:
        return False
    return True


def _mm(value: float | None) -> Any:
    if value is None:
        return None
    return Mm(max(MIN_IMAGE_MM, min(MAX_IMAGE_MM, float(value))))


def open_template(data: bytes, form: str) -> DocxTemplate:
    """A docxtpl template from bytes; :class:`PrintError` when they are not a .docx file."""
    template = FastDocxTemplate(io.BytesIO(data))
    try:
        template.init_docx()
    except Exception as e:
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
    return save_docx(template)


class _LightZipWriter:
    """python-docx's zip writer with a fast compression level.

    Saving recompresses every part (styles, theme, fonts...) for every document; at level 1
    that costs a third of the default level 6, for files about a tenth larger. Pictures are
    compressed already and are stored as they are.
    """

    def __init__(self, out: io.BytesIO) -> None:
        self._zipf = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        name = pack_uri.membername
        if name.lower().endswith(_STORED):  # a logo or stamp: deflating it gains nothing
            self._zipf.writestr(name, blob, compress_type=zipfile.ZIP_STORED)
        else:
            self._zipf.writestr(name, blob)

    def close(self) -> None:
        self._zipf.close()


def save_docx(template: DocxTemplate) -> bytes:
    """A rendered template's bytes, written with :class:`_LightZipWriter`.

    This follows ``DocxTemplate.save`` / ``Package.save``; should python-docx's internals
    change, it falls back to the plain ``save``.
    """
    out = io.BytesIO()
    try:
        from docx.opc.pkgwriter import PackageWriter

        template.pre_processing()
        package = template.docx.part.package
        for part in package.parts:
            part.before_marshal()
        writer = _LightZipWriter(out)
        # The writer has the interface of python-docx's PhysPkgWriter (write, close).
        PackageWriter._write_content_types_stream(writer, package.parts)
        PackageWriter._write_pkg_rels(writer, package.rels)
        PackageWriter._write_parts(writer, package.parts)  # type: ignore[arg-type]
        writer.close()
        template.post_processing(out)
        template.is_saved = True
    except AttributeError:  # pragma: no cover - a python-docx without these internals
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
