"""What comes out of printing: PDF conversion, one zip of many documents, unique names.

PDF needs LibreOffice. A resident LibreOffice (:mod:`uchet.printeditor.resident`, issue 21)
converts in a fraction of a second once started; when it cannot run (no ``python3-uno``,
or ``UCHET_PDF_RESIDENT=0``) the cold path ``soffice --headless --convert-to pdf`` starts
LibreOffice per document. The cold path runs with a private, throwaway profile directory,
because two conversions sharing the default profile block each other (LibreOffice allows
one instance per profile). Without ``soffice`` on PATH the error says how to install it
instead of failing obscurely.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from uchet.printeditor import resident
from uchet.printeditor.errors import PrintError

#: Seconds a PDF conversion may take.
PDF_TIMEOUT = 120

MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


@dataclass(frozen=True)
class Document:
    """A printed document: its file name (with extension), bytes and media type."""

    name: str
    data: bytes

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower()

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.extension, "application/octet-stream")


def soffice() -> str | None:
    """The LibreOffice command on PATH, if any (``soffice`` or ``libreoffice``)."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _command(form: str) -> str:
    command = soffice()
    if command is None:
        raise PrintError(
            form,
            "PDF output needs LibreOffice, and 'soffice' is not on PATH; install it "
            "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui libreoffice-calc-nogui) "
            "or print to .docx/.xlsx",
        )
    return command


def resident_enabled() -> bool:
    """Whether the resident converter is tried (``UCHET_PDF_RESIDENT=0`` turns it off)."""
    return os.environ.get("UCHET_PDF_RESIDENT", "1").strip().lower() not in {"0", "no", "false"}


def to_pdf(document: Document, form: str) -> Document:
    """Convert a .docx or .xlsx document to PDF with LibreOffice.

    The resident LibreOffice is used when it runs; otherwise, or when it fails on this
    document, a cold one.
    """
    command = _command(form)
    if resident_enabled():
        with tempfile.TemporaryDirectory(prefix="uchet-pdf-") as tmp:
            source = Path(tmp) / f"document.{document.extension}"
            source.write_bytes(document.data)
            target = Path(tmp) / "document.pdf"
            try:
                resident.converter(command).convert(source, target)
            except (resident.Unavailable, resident.ConversionFailed):
                # The cold path below. A document the resident LibreOffice refused gets one
                # more try there: in the bench a merged 400-page document once failed to
                # store («IOException … Abort») resident and converted cold.
                pass
            else:
                return Document(document.name.rsplit(".", 1)[0] + ".pdf", target.read_bytes())
    return cold_pdf(document, form, command)


def cold_pdf(document: Document, form: str, command: str | None = None) -> Document:
    """Convert with a LibreOffice started for this document alone (seconds; the fallback)."""
    command = command or _command(form)
    with tempfile.TemporaryDirectory(prefix="uchet-pdf-") as tmp:
        source = Path(tmp) / f"document.{document.extension}"
        source.write_bytes(document.data)
        profile = Path(tmp, "profile").as_uri()
        try:
            result = subprocess.run(
                [
                    command,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    tmp,
                    str(source),
                ],
                capture_output=True,
                timeout=PDF_TIMEOUT,
                check=False,
                env={**os.environ, "HOME": tmp},
            )
        except subprocess.TimeoutExpired:
            raise PrintError(form, f"PDF conversion took longer than {PDF_TIMEOUT} s") from None
        target = Path(tmp) / "document.pdf"
        if result.returncode != 0 or not target.exists():
            detail = (result.stderr or result.stdout).decode(errors="replace").strip()
            raise PrintError(form, f"PDF conversion failed: {detail or 'no output'}")
        name = document.name.rsplit(".", 1)[0] + ".pdf"
        return Document(name, target.read_bytes())


def merge_pdfs(documents: Sequence[Document], name: str) -> Document:
    """One PDF holding the pages of the PDF ``documents`` in order (pypdf)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for doc in documents:
        writer.append(io.BytesIO(doc.data))
    buf = io.BytesIO()
    writer.write(buf)
    return Document(name, buf.getvalue())


def to_one_pdf(documents: Sequence[Document], name: str, form: str) -> Document:
    """Convert .docx/.xlsx ``documents`` to PDF and merge them into one PDF named ``name``.

    Documents already in PDF are merged as they are. With the resident converter 200
    invoices take a couple of minutes at most instead of a quarter of an hour; run it as a
    job for big batches.
    """
    pdfs = [d if d.extension == "pdf" else to_pdf(d, form) for d in documents]
    return merge_pdfs(pdfs, name)


def unique_names(names: Sequence[str]) -> list[str]:
    """``names`` with repeats numbered: ``a.docx``, ``a (2).docx``, ``a (3).docx``."""
    seen: dict[str, int] = {}
    result = []
    for name in names:
        key = name.casefold()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            stem, dot, ext = name.rpartition(".")
            name = f"{stem} ({seen[key]}).{ext}" if dot else f"{name} ({seen[key]})"
        result.append(name)
    return result


def zip_documents(documents: Sequence[Document], name: str) -> Document:
    """One zip holding ``documents`` under unique names."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for doc_name, doc in zip(unique_names([d.name for d in documents]), documents):
            zf.writestr(doc_name, doc.data)
    return Document(name, buf.getvalue())
