"""Stored print forms: create from a starter, duplicate, upload versions, restore, refuse
broken templates without saving anything. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from docx import Document

from uchet import SYSTEM
from uchet.platform.model.errors import PermissionDenied
from uchet.printeditor import PrintError, PrintForms


def docx(text: str) -> bytes:
    doc = Document()
    doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def first_paragraph(data: bytes) -> str:
    return Document(io.BytesIO(data)).paragraphs[0].text


def test_versions_upload_refusal_and_restore(platform):
    client = platform.records("clients", user=SYSTEM).create({"name": "Ромашка"})
    forms = PrintForms(platform, SYSTEM, isolate=False)
    form = forms.duplicate("client_card", "my_card", "Моя карточка")
    assert form.stored and form.based_on == "pf_client_card" and form.version == 1
    # The version keeps the file's name, not its path in the bundle ("templates/...").
    assert [v.file_name for v in forms.versions("my_card")] == ["client_card.docx"]
    assert "КАРТОЧКА КЛИЕНТА" in [
        p.text for p in Document(io.BytesIO(forms.render("my_card", client["id"]).data)).paragraphs
    ]
    assert forms.upload("my_card", docx("v2 {{ name }}"), "v2.docx", note="short") == 2
    assert first_paragraph(forms.render("my_card", client["id"]).data) == "v2 Ромашка"

    with pytest.raises(PrintError) as e:
        forms.upload("my_card", docx("{{ nmae }} {% if %}"), "bad.docx")
    assert "was not saved" in str(e.value) and e.value.problems
    assert [v.version for v in forms.versions("my_card")] == [2, 1]  # nothing saved

    assert forms.restore("my_card", 1) == 3
    versions = forms.versions("my_card")
    assert [(v.version, v.current) for v in versions] == [(3, True), (2, False), (1, False)]
    assert versions[0].note == "restored version 1"
    assert "КАРТОЧКА КЛИЕНТА" in [
        p.text for p in Document(io.BytesIO(forms.render("my_card", client["id"]).data)).paragraphs
    ]


def test_create_from_starter_and_edit_rights(platform):
    manager = platform.users.create("m1", "password1", roles=["manager"])
    other = platform.users.create("m2", "password1", roles=["manager"])
    mine = PrintForms(platform, manager)
    form = mine.create("contacts_sheet", "Контакты", "contacts")
    assert form.table == "contacts" and mine.check("contacts_sheet") == []
    assert mine.upload("contacts_sheet", docx("{{ name }}"), "x.docx") == 2
    with pytest.raises(PermissionDenied):
        PrintForms(platform, other).upload("contacts_sheet", docx("x"), "x.docx")
    with pytest.raises(PermissionDenied):
        mine.upload("client_card", docx("x"), "x.docx")  # bundle forms: duplicate instead
    with pytest.raises(PrintError, match=r"needs a \.docx"):
        mine.upload("contacts_sheet", docx("x"), "x.xlsx")
    with pytest.raises(Exception, match="exists"):
        mine.create("contacts_sheet", "again", "contacts")
    PrintForms(platform, SYSTEM).delete("contacts_sheet")
    assert "contacts_sheet" not in [f.name for f in mine.all()]
