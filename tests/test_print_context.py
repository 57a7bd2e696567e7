"""The print context: images of child rows, files read in batches, and the configuration
version a print uses (the web request's own during a hot swap)."""

from __future__ import annotations

import io
import time
from importlib import resources
from typing import Any

import sqlalchemy as sa
from docx import Document

from uchet import SYSTEM, Platform
from uchet.configurations.overlay import Overlay
from uchet.platform.fieldtypes import FileValue
from uchet.printeditor import PrintForms
from uchet.printeditor.values import FileRef

DEMO_DATA = resources.files("uchet") / "sample_crm" / "demo_data"
LOGO = (DEMO_DATA / "logo.png").read_bytes()
SIGNATURE = (DEMO_DATA / "signature.png").read_bytes()


def _template(row: list[str]) -> bytes:
    """A .docx listing the client's contacts, one table row each with ``row``'s cells."""
    doc = Document()
    doc.add_paragraph("{{ name }} {{ image(photo, width_mm=20) }}")
    t = doc.add_table(rows=3, cols=len(row))
    t.cell(0, 0).text = "{%tr for c in contacts %}"
    for cell, text in zip(t.rows[1].cells, row):
        cell.text = text
    t.cell(2, 0).text = "{%tr endfor %}"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _images(data: bytes) -> list[bytes]:
    doc = Document(io.BytesIO(data))
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
    blips = doc.element.body.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}blip")
    return [doc.part.related_parts[b.get(rel)].blob for b in blips]


def _client_with_contacts(platform: Platform, photos: list[bytes | None]) -> dict[str, Any]:
    client = platform.records("clients", user=SYSTEM).create(
        {"name": "Клиент с фото", "photo": FileValue("me.png", LOGO, "image/png")}
    )
    platform.records("contacts", user=SYSTEM).create_many(
        [
            {"client": client["id"], "name": f"Контакт {i:02d}",
             **({"photo": FileValue(f"c{i}.png", data, "image/png")} if data else {})}
            for i, data in enumerate(photos)
        ]
    )  # fmt: skip
    platform.records("contracts", user=SYSTEM).create(
        {"client": client["id"], "date": "2024-01-10", "status": "active",
         "scan": FileValue("скан.pdf", b"%PDF-1.4 scan", "application/pdf")}
    )  # fmt: skip
    return client


def test_child_rows_carry_their_images_and_print_them(platform: Any) -> None:
    client = _client_with_contacts(platform, [SIGNATURE, None, LOGO])
    forms = PrintForms(platform, SYSTEM)
    ctx = forms.context(forms.get("client_card"), client["id"])
    photos = [c.photo for c in ctx["contacts"]]
    assert isinstance(photos[0], FileRef) and photos[0].data == SIGNATURE
    assert photos[0].name == "c0.png" and photos[0].content_type == "image/png"
    assert photos[1] == "" and photos[2].data == LOGO
    # Other files of child rows carry their name, not their bytes.
    [contract] = ctx["contracts"]
    assert str(contract.scan) == "скан.pdf" and contract.scan.data is None

    # A user-made form renders in the worker process: the pictures travel with the context.
    made = forms.create(
        "contacts_photos", "Фото контактов", "clients",
        template=_template(["{{ c.name }}", "{{ image(c.photo, width_mm=15) }}"]),
        file_name="photos.docx",
    )  # fmt: skip
    assert made.stored
    document = forms.render("contacts_photos", client["id"])
    assert _images(document.data) == [LOGO, SIGNATURE, LOGO]  # the client's, then contacts'
    table = Document(io.BytesIO(document.data)).tables[0]
    assert [r.cells[0].text for r in table.rows] == ["Контакт 00", "Контакт 01", "Контакт 02"]


def test_files_of_child_rows_are_read_in_batches(platform: Any) -> None:
    client = _client_with_contacts(platform, [SIGNATURE] * 25)
    forms = PrintForms(platform, SYSTEM)
    form = forms.get("client_card")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "uchet_files" in statement:
            statements.append(statement)

    sa.event.listen(platform.engine, "before_cursor_execute", count)
    try:
        ctx = forms.context(form, client["id"])
    finally:
        sa.event.remove(platform.engine, "before_cursor_execute", count)
    assert len(ctx["contacts"]) == 25 and all(c.photo.data == SIGNATURE for c in ctx["contacts"])
    # One query per file field and table (the client's photo, the company's three
    # pictures, the contacts' photos, the contracts' scans), not one per row.
    assert len(statements) <= 6, statements


def test_a_print_uses_the_configuration_version_it_was_given(platform: Any, db_url: str) -> None:
    """A web request keeps the runtime of the app serving it: while a new version is being
    swapped in, a print in flight still uses its own version's forms and names."""
    from uchet.printeditor.views.support import print_forms
    from uchet.web.context import WebContext

    client = platform.records("clients", user=SYSTEM).create({"name": "Версия"})
    old = platform.runtime
    overlay = Overlay(
        "v2.json",
        {"overlay": "v2", "set": {"pf_client_card": {"output_name": "V2 {{ name }}"}}},
    )
    other = Platform.open("sample_crm", database_url=db_url, overlays=[overlay])
    try:
        other.migrate()
    finally:
        other.close()

    pinned = PrintForms(platform, SYSTEM, runtime=old)
    assert pinned.render("client_card", client["id"]).name == "Карточка клиента Версия.docx"

    class Request(WebContext):  # what a request of the old app sees
        def user(self) -> Any:
            return SYSTEM

        def locale(self) -> str:
            return "ru"

    web = print_forms(Request(platform, old, None))  # type: ignore[arg-type]
    assert web.runtime is old and web.get("client_card").output_name.startswith("Карточка")

    time.sleep(0.6)  # the platform notices the new version (checked every 0.5 s)
    current = PrintForms(platform, SYSTEM)
    assert current.runtime.version > old.version
    assert current.render("client_card", client["id"]).name == "V2 Версия.docx"
