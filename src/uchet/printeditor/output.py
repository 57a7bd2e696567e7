"""What comes out of printing: PDF conversion, one zip of many documents, unique names.

PDF needs LibreOffice: ``soffice --headless --convert-to pdf``. It runs with a private,
throwaway profile directory, because two conversions sharing the default profile block
each other (LibreOffice allows one instance per profile). Without ``soffice`` on PATH the
error says how to install it instead of failing obscurely.
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


def to_pdf(document: Document, form: str) -> Document:
    """Convert a .docx or .xlsx document to PDF with LibreOffice."""
    command = soffice()
    if command is None:
        raise PrintError(
            form,
            "PDF output needs LibreOffice, and 'soffice' is not on PATH; install it "
            "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui libreoffice-calc-nogui) "
            "or print to .docx/.xlsx",
        )
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
