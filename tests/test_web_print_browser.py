"""Real-browser tests of printing (Playwright + Debian's Chromium, issue 5): the print-form
editor with a misspelt placeholder and its fix, and printing from a card and a list."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from tests.web_support import ARTIFACTS, browser_login, open_menu_link

CLIENT_CARD = Path(__file__).resolve().parent.parent / "src/uchet/sample_crm/templates"


def edited_client_card(
    tmp_path: Path, old: str, new: str, name: str, source: Path = CLIENT_CARD / "client_card.docx"
) -> Path:
    """The client card with one placeholder changed, as a person would in Word."""
    doc = Document(str(source))
    changed = 0
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    for run in p.runs:
                        if old in run.text:
                            run.text = run.text.replace(old, new)
                            changed += 1
    assert changed, f"{old} is not in the client card"
    path = tmp_path / name
    doc.save(str(path))
    return path


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"print_{name}.png"), full_page=True)


def test_editor_refuses_a_misspelt_placeholder_then_prints_from_the_card(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    from uchet import SYSTEM

    client = live_server.platform.records("clients", user=SYSTEM).create(
        {"name": "Ромашка", "city": "Тверь", "phone": "+7 900 000-00-00"}
    )
    browser_login(page, live_server, "admin")
    # The admin menu leads to the editor; a new form starts from the generated starter.
    open_menu_link(page, "/print-forms/")
    page.wait_for_selector("#uchet-print-forms")
    shot(page, "forms_list")
    page.select_option("#new-table", "clients")
    page.fill("#new-label", "Карточка для браузера")
    page.fill("#new-name", "browser_card")
    page.click("#uchet-print-create")
    page.wait_for_url(re.compile(r".*/print-forms/pf\.browser_card/$"))
    assert "Карточка для браузера" in page.inner_text("#uchet-print-title")
    assert page.locator("#uchet-catalog code", has_text="{{ name }}").count() >= 1

    # Upload the client card with {{ name }} misspelt: refused, the error names it and where.
    broken = edited_client_card(tmp_path, "{{ name }}", "{{ nmae }}", "card-typo.docx")
    page.set_input_files("#uchet-upload-file", str(broken))
    page.fill("#uchet-upload-note", "карточка клиента")
    page.click("#uchet-upload")
    error = page.locator(".uchet-print-refused")
    error.wait_for()
    text = error.inner_text()
    assert "не сохранён" in text
    assert "таблица 1, строка 2, столбец 2: неизвестное поле {{ nmae }} (может быть, name?)" in text
    assert page.input_value("#uchet-upload-note") == "карточка клиента"  # the note is kept
    assert page.locator("#uchet-versions tbody tr").count() == 1  # nothing was saved
    shot(page, "editor_refused")

    # Fix it: upload the corrected file; it becomes version 2.
    fixed = edited_client_card(
        tmp_path, "{{ nmae }}", "{{ name }}", "card-fixed.docx", source=broken
    )
    page.set_input_files("#uchet-upload-file", str(fixed))
    page.click("#uchet-upload")
    page.wait_for_selector(".alert-success")
    assert "Версия 2" in page.inner_text(".alert-success")
    assert page.locator("#uchet-versions tr.table-success").get_attribute("data-version") == "2"
    page.click("#uchet-validate")
    assert "Шаблон в порядке" in page.inner_text(".uchet-print-checked")

    # Test print: pick the client in the searchable picker, download the document.
    page.click("#s2id_uchet-print-record .select2-choice")
    page.keyboard.type("Ром")
    page.click(".select2-drop-active .select2-result-label:has-text('Ромашка')")
    assert page.input_value("#uchet-print-record") == str(client["id"])
    with page.expect_download() as info:
        page.click("#uchet-test-download")
    assert "Ромашка" in docx_text(Path(info.value.path()).read_bytes())
    shot(page, "editor_fixed")

    # Print the client from its card with the new form: the browser gets the file.
    page.goto(f"{live_server.url}/clients/edit/?id={client['id']}")
    page.click("#uchet-print-btn")
    menu = page.locator(".uchet-print-items")
    assert menu.locator(".dropdown-header").all_inner_texts() == [
        "Карточка клиента",
        "Карточка для браузера",
    ]
    shot(page, "card_menu")
    link = menu.locator("a[data-uchet-print]", has_text=".docx").nth(1)
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    text = docx_text(Path(download.path()).read_bytes())
    assert "Ромашка" in text and "Тверь" in text and "+7 900 000-00-00" in text
    assert page.locator("#uchet-print-status").is_hidden()


def test_list_mass_print_and_an_error_shown_in_place(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    from uchet import SYSTEM
    from uchet.printeditor import PrintForms

    svc = live_server.platform.records("clients", user=SYSTEM)
    for name, city in (("Астра", "Тверь"), ("Лилия", "Тверь"), ("Роза", "Омск")):
        svc.create({"name": name, "city": city})
    admin = live_server.platform.users.find("admin")
    forms = PrintForms(live_server.platform, admin)
    bad = Document()
    bad.add_paragraph("{{ ''.__class__.__mro__ }}")
    buf = io.BytesIO()
    bad.save(buf)
    # Stored as a template from before the upload check (which now refuses it, issue 13).
    hostile = forms.create("hostile", "Опасная форма", "clients")
    forms.store.add_version(hostile.id, "t.docx", buf.getvalue(), admin.id, "before the check")

    browser_login(page, live_server, "admin")
    page.goto(f"{live_server.url}/clients/?f.city=Тверь&sort=-name")
    page.click("#uchet-print-btn")
    with page.expect_download() as info:
        page.click(".uchet-print-items a:has-text('Архив zip') >> nth=0")
    names = zipfile.ZipFile(info.value.path()).namelist()
    assert names == ["Карточка клиента Лилия.docx", "Карточка клиента Астра.docx"]

    # A hostile template fails with a clear message on the list itself; the list stays.
    page.click("#uchet-print-btn")
    page.click(".uchet-print-items a:has-text('Одним файлом') >> nth=1")
    status = page.locator("#uchet-print-status.alert-danger")
    status.wait_for()
    assert "not allowed" in status.inner_text() and "__class__" in status.inner_text()
    assert page.locator("tr.uchet-row").count() == 2
    shot(page, "list_error")

    # The preview of a card's document opens as a page (HTML here: ?as=html).
    page.goto(f"{live_server.url}/print-out/pf_client_card/1/preview?as=html")
    assert "КАРТОЧКА КЛИЕНТА" in page.inner_text("#uchet-preview-html")
    shot(page, "preview_html")
