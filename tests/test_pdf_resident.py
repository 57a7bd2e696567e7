"""The resident PDF converter (issue 21 point 8): warm conversions, restart after its
LibreOffice is killed, safe concurrent use, the cold fallback, and one PDF of many."""

from __future__ import annotations

import io
import os
import signal
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

from uchet.printeditor import output, resident
from uchet.printeditor.output import Document

SOFFICE = output.soffice()
pytestmark = pytest.mark.skipif(
    SOFFICE is None and not os.environ.get("CI"), reason="LibreOffice is not installed"
)
TEMPLATE = Path(__file__).parents[1] / "src/uchet/sample_crm/templates/invoice.docx"


def _doc(name: str = "invoice.docx") -> Document:
    return Document(name, TEMPLATE.read_bytes())


def _pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture
def conv():
    if resident.uno_python() is None and not os.environ.get("CI"):
        pytest.skip("no Python with the 'uno' module (python3-uno)")
    assert SOFFICE is not None
    c = resident.ResidentConverter(SOFFICE)
    yield c
    c.close()


def test_converts_and_stays_resident(conv, tmp_path):
    source = tmp_path / "a.docx"
    source.write_bytes(TEMPLATE.read_bytes())
    for i in range(3):
        conv.convert(source, tmp_path / f"a{i}.pdf")
        assert (tmp_path / f"a{i}.pdf").read_bytes().startswith(b"%PDF-")
    assert conv.starts == 1  # one LibreOffice for all three
    assert conv.office_pid is not None


def test_restarts_after_kill(conv, tmp_path):
    source = tmp_path / "a.docx"
    source.write_bytes(TEMPLATE.read_bytes())
    conv.convert(source, tmp_path / "first.pdf")
    pid = conv.office_pid
    assert pid is not None
    # The real crash: soffice.bin dies, its launcher (the pid the converter started) ends.
    children = _children(pid) or [pid]
    for child in children:
        os.kill(child, signal.SIGKILL)
    conv.convert(source, tmp_path / "second.pdf")
    assert (tmp_path / "second.pdf").read_bytes().startswith(b"%PDF-")
    assert conv.starts == 2 and conv.office_pid not in (None, pid)


def test_concurrent_requests_are_serialised(conv, tmp_path):
    source = tmp_path / "a.docx"
    source.write_bytes(TEMPLATE.read_bytes())
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            conv.convert(source, tmp_path / f"t{i}.pdf")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(_pages((tmp_path / f"t{i}.pdf").read_bytes()) >= 1 for i in range(6))
    assert conv.starts == 1


def test_bad_document_is_an_error_not_a_restart(conv, tmp_path):
    bad = tmp_path / "missing.docx"  # (garbage bytes would open as plain text)
    good = tmp_path / "good.docx"
    good.write_bytes(TEMPLATE.read_bytes())
    conv.convert(good, tmp_path / "g.pdf")
    with pytest.raises(resident.ConversionFailed):
        conv.convert(bad, tmp_path / "b.pdf")
    conv.convert(good, tmp_path / "g2.pdf")
    assert conv.starts == 1


def test_unavailable_without_uno_python(tmp_path, monkeypatch):
    assert SOFFICE is not None
    monkeypatch.setattr(resident, "UNO_PYTHONS", ())
    monkeypatch.delenv("UCHET_UNO_PYTHON", raising=False)
    c = resident.ResidentConverter(SOFFICE)
    with pytest.raises(resident.Unavailable):
        c.convert(tmp_path / "a.docx", tmp_path / "a.pdf")
    with pytest.raises(resident.Unavailable, match="moment ago"):  # not retried at once
        c.convert(tmp_path / "a.docx", tmp_path / "a.pdf")
    assert c.starts == 0


def test_to_pdf_falls_back_to_cold_path(monkeypatch):
    """A converter that cannot start (a 'python' that has no uno) leaves to_pdf working."""
    broken = resident.ResidentConverter(SOFFICE or "soffice", python="/bin/false")
    monkeypatch.setattr(resident, "converter", lambda command: broken)
    pdf = output.to_pdf(_doc(), "Счёт")
    assert pdf.name == "invoice.pdf" and pdf.data.startswith(b"%PDF-")
    assert broken.starts == 1 and broken.office_pid is None


def test_resident_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("UCHET_PDF_RESIDENT", "0")
    called: list[str] = []
    monkeypatch.setattr(resident, "converter", lambda command: called.append(command))
    assert output.to_pdf(_doc(), "Счёт").data.startswith(b"%PDF-")
    assert called == []


def test_to_one_pdf_merges_in_order():
    docs = [_doc(f"n{i}.docx") for i in range(3)]
    one = output.to_one_pdf(docs, "all.pdf", "Счёт")
    single = _pages(output.to_pdf(docs[0], "Счёт").data)
    assert one.name == "all.pdf" and _pages(one.data) == 3 * single


def test_merge_pdfs_keeps_pdf_documents():
    pdf = output.to_pdf(_doc(), "Счёт")
    merged = output.to_one_pdf([pdf, pdf], "two.pdf", "Счёт")
    assert _pages(merged.data) == 2 * _pages(pdf.data)


def test_a_document_the_resident_refuses_gets_a_cold_try(monkeypatch):
    """A conversion the resident LibreOffice fails on is tried once more on the cold path."""

    class Refusing:
        calls = 0

        def convert(self, source: Path, target: Path) -> None:
            Refusing.calls += 1
            raise resident.ConversionFailed("IOException: SfxBaseModel::impl_store … Abort")

    monkeypatch.setattr(resident, "converter", lambda command: Refusing())
    pdf = output.to_pdf(_doc(), "Счёт")
    assert Refusing.calls == 1 and pdf.data.startswith(b"%PDF-")


def test_a_document_nobody_can_convert_is_a_print_error(monkeypatch, tmp_path):
    monkeypatch.setenv("UCHET_PDF_RESIDENT", "0")
    with pytest.raises(output.PrintError, match="PDF conversion failed"):
        output.to_pdf(Document("broken.xlsx", b"PK\x03\x04 not really a zip"), "Счёт")
