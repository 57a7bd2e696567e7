"""`uchet print`: printing, placeholders, checks and their exit codes; PDF with LibreOffice."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from uchet import SYSTEM, Platform
from uchet.cli import main
from uchet.printeditor import PrintError, PrintForms
from uchet.printeditor.output import soffice


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("UCHET_CONFIG", raising=False)
    monkeypatch.delenv("UCHET_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    p = Platform.open("sample_crm", database_url=url)
    p.migrate()
    p.records("clients", user=SYSTEM).create({"name": "Ромашка & Co", "city": "Тула"})
    p.users.create("viewer", "password1", roles=["viewer"])
    p.close()
    return url


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def test_print_record_writes_a_docx(db: str, tmp_path: Path) -> None:
    code, out = run("print", "client_card", "1", "-o", "card.docx", "-d", db, "--user", "viewer")
    assert code == 0, out
    paragraphs = [p.text for p in Document(tmp_path / "card.docx").paragraphs]
    assert "КАРТОЧКА КЛИЕНТА" in paragraphs
    code, out = run("print", "client_card", "99", "-d", db)
    assert code == 1 and "not found" in out
    code, out = run("print", "no_such_form", "1", "-d", db)
    assert code == 1 and "no print form" in out
    code, out = run("print", "many", "client_card", "-o", "all.zip", "--zip", "-d", db)
    assert code == 0 and (tmp_path / "all.zip").exists()


def test_placeholders_command(db: str) -> None:
    code, out = run("print", "placeholders", "clients", "--locale", "en")
    assert code == 0
    assert "{{ category.name }}" in out and "Category › Name" in out
    code, out = run("print", "placeholders", "nope")
    assert code == 1


def test_check_command_exit_codes(db: str, tmp_path: Path) -> None:
    assert run("print", "check", "client_card", "-d", db) == (0, "OK client_card\n")
    doc = Document()
    doc.add_paragraph("{{ nmae }}")
    doc.save(tmp_path / "bad.docx")
    code, out = run("print", "check", str(tmp_path / "bad.docx"), "--table", "clients")
    assert code == 1
    assert "paragraph 1: unknown placeholder {{ nmae }}" in out and "1 problem" in out
    code, out = run("print", "check", str(tmp_path / "bad.docx"))
    assert code == 2  # a file needs --table


def test_starter_and_list(db: str, tmp_path: Path) -> None:
    code, _ = run("print", "starter", "contacts", "-o", "starter.docx")
    assert code == 0 and (tmp_path / "starter.docx").stat().st_size > 0
    code, out = run("print", "list", "-d", db)
    assert code == 0 and "pf_client_card" in out


def _need_soffice() -> None:
    if soffice() is None:
        message = "LibreOffice (soffice) is not installed"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(message + " (.ci/run installs libreoffice-writer-nogui)", pytrace=False)
        pytest.skip(message)


def test_pdf_output(db: str, tmp_path: Path) -> None:
    _need_soffice()
    code, out = run("print", "client_card", "1", "--pdf", "-o", "card.docx", "-d", db)
    assert code == 0, out
    assert (tmp_path / "card.pdf").read_bytes().startswith(b"%PDF")


def test_pdf_without_soffice_is_a_clear_error(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    p = Platform.open("sample_crm", database_url=db)
    try:
        with pytest.raises(PrintError, match="needs LibreOffice"):
            PrintForms(p, SYSTEM).render("client_card", 1, pdf=True)
    finally:
        p.close()
