"""Print forms: rendering the client card and spreadsheets, the context, permissions."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from docx import Document
from openpyxl import Workbook, load_workbook

from uchet import SYSTEM, Platform
from uchet.platform.model.errors import NotFound, PermissionDenied
from uchet.printeditor import PrintError, PrintForms
from uchet.printeditor.values import Record
from uchet.printeditor.words import amount_in_words

TRICKY = 'ООО "Рога & Копыта" <b>'


@pytest.fixture(scope="module")
def crm(tmp_path_factory):
    # One database for the module: the tests only read records (and add print forms
    # under names of their own), and creating users with argon2 hashes is slow.
    tmp = tmp_path_factory.mktemp("print")
    p = Platform.open("sample_crm", database_url=f"sqlite:///{tmp}/print.db")
    p.migrate()
    yield p
    p.close()


@pytest.fixture(scope="module")
def data(crm):
    manager = crm.users.create("mgr", "password1", roles=["manager"], name="Пётр Менеджеров")
    viewer = crm.users.create("viewer", "password1", roles=["viewer"], name="Вера Смотрова")
    category = crm.records("client_categories", user=SYSTEM).create({"name": "VIP & Co"})
    client = crm.records("clients", user=SYSTEM).create(
        {
            "name": TRICKY,
            "category": category["id"],
            "manager": manager.id,
            "city": "Москва",
            "birthday": "2020-01-02",
            "loyalty": 7,
            "tax_id": "7701234567",
        }
    )
    crm.records("contacts", user=SYSTEM).create_many(
        [
            {"client": client["id"], "name": f"Контакт {i:02d}", "position": "<Директор>"}
            for i in range(20)
        ]
    )
    other = crm.records("clients", user=SYSTEM).create({"name": "Чужой клиент"})
    return {"client": client, "other": other, "manager": manager, "viewer": viewer}


def docx_text(data: bytes) -> tuple[list[str], list[list[list[str]]]]:
    doc = Document(io.BytesIO(data))
    return [p.text for p in doc.paragraphs], [
        [[c.text for c in row.cells] for row in t.rows] for t in doc.tables
    ]


def test_client_card_renders_values_rows_and_escaping(crm, data):
    forms = PrintForms(crm, SYSTEM)
    document = forms.render("client_card", data["client"]["id"])
    assert document.name == "Карточка клиента ООО _Рога & Копыта_ _b.docx"
    paragraphs, tables = docx_text(document.data)
    assert "КАРТОЧКА КЛИЕНТА" in paragraphs
    card = {row[0]: row[1] for row in tables[0] if len(set(row)) == 2}
    assert card["Наименование"] == TRICKY  # &, < and quotes arrive intact
    assert card["Категория"] == "VIP & Co"
    assert card["Статус"] == "Активный"
    assert card["День рождения"] == "02.01.2020"
    assert card["ИНН"] == "7701234567"
    assert card["Ответственный менеджер"] == "Пётр Менеджеров"
    assert card["Контактных лиц"] == "20"
    contacts = tables[1]
    assert len(contacts) == 21  # the header and 20 rows; the {%tr %} rows are gone
    assert contacts[1][:3] == ["1", "Контакт 00", "<Директор>"]
    assert f"Дата печати: {dt.date.today():%d.%m.%Y}" in paragraphs


def test_context_formats_and_raw_values(crm, data):
    forms = PrintForms(crm, SYSTEM)
    form = forms.get("client_card")
    ctx = forms.context(form, data["client"]["id"])
    assert ctx["birthday"] == "02.01.2020"
    assert ctx["raw"].birthday == dt.date(2020, 1, 2)
    assert str(ctx["category"]) == "VIP & Co" and ctx["category"].name == "VIP & Co"
    assert ctx["raw"].category == ctx["category"].id
    assert len(ctx["contacts"]) == 20 and ctx["contacts"][0].client.name == TRICKY
    assert ctx["user"].name == "System" and ctx["company"].__class__ is Record
    assert ctx["amount_in_words"](Decimal("1200.50")) == "Одна тысяча двести рублей 50 копеек"


def test_english_locale_formats_dates_iso(crm, data):
    ctx = PrintForms(crm, SYSTEM, "en").context(
        PrintForms(crm, SYSTEM).get("client_card"), data["client"]["id"]
    )
    assert ctx["birthday"] == "2020-01-02" and ctx["status"] == "Active"


def test_amount_in_words() -> None:
    assert amount_in_words(1200.5) == "Одна тысяча двести рублей 50 копеек"
    assert amount_in_words("21,01") == "Двадцать один рубль 01 копейка"
    assert amount_in_words(1200.5, "RUB", "en") == "One thousand two hundred rubles 50 kopecks"
    assert amount_in_words(3, "USD", "en") == "Three dollars 00 cents"
    assert amount_in_words(None) == ""


def test_unreadable_field_is_absent(crm, data):
    forms = PrintForms(crm, crm.users.find("viewer"))
    ctx = forms.context(forms.get("client_card"), data["client"]["id"])
    assert "tax_id" not in ctx and "tax_id" not in ctx["raw"]
    _, tables = docx_text(forms.render("client_card", data["client"]["id"]).data)
    card = {row[0]: row[1] for row in tables[0]}
    assert card["ИНН"] == "" and "7701234567" not in str(tables)


def test_row_rules_apply_to_printing(crm, data):
    forms = PrintForms(crm, crm.users.find("mgr"))
    assert forms.render("client_card", data["client"]["id"]).data
    with pytest.raises(NotFound):
        forms.render("client_card", data["other"]["id"])


def test_form_roles_refuse_other_users(crm, data):
    admin = PrintForms(crm, SYSTEM)
    admin.create("managers_only", "Только менеджерам", "clients", roles=["manager"])
    assert "managers_only" in [f.name for f in PrintForms(crm, crm.users.find("mgr")).available()]
    viewer = PrintForms(crm, crm.users.find("viewer"))
    assert "managers_only" not in [f.name for f in viewer.available("clients")]
    with pytest.raises(PermissionDenied):
        viewer.render("managers_only", data["client"]["id"])


def xlsx_template() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Клиент"
    ws["A1"], ws["B1"] = "Клиент", "{{ name }}"
    ws["A2"], ws["B2"] = "Лояльность", "{{ raw.loyalty }}"
    ws["A3"], ws["B3"] = "Дата", "{{ birthday }} / {{ category.name }}"
    ws["A4"] = "{% for c in contacts %}"
    ws["A5"], ws["B5"], ws["C5"] = "{{ loop.index }}", "{{ c.name }}", "{{ c.position }}"
    ws["A6"] = "{% endfor %}"
    ws["A7"], ws["B7"] = "Итого", "{{ contacts|length }}"
    ws.merge_cells("B7:C7")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_render_repeats_rows_and_keeps_types(crm, data):
    forms = PrintForms(crm, SYSTEM)
    forms.create("sheet", "Лист", "clients", template=xlsx_template(), file_name="sheet.xlsx")
    document = forms.render("sheet", data["client"]["id"])
    assert document.name.endswith(".xlsx")
    ws = load_workbook(io.BytesIO(document.data)).active
    assert ws["B1"].value == TRICKY
    assert ws["B2"].value == 7  # a single expression keeps its type
    assert ws["B3"].value == "02.01.2020 / VIP & Co"
    assert [ws.cell(r, 2).value for r in (4, 23)] == ["Контакт 00", "Контакт 19"]
    assert ws["A4"].value == 1 and ws["C4"].value == "<Директор>"
    assert ws["A24"].value == "Итого" and ws["B24"].value == 20
    assert "B24:C24" in [str(m) for m in ws.merged_cells.ranges]


def test_mass_print_merges_and_zips(crm, data):
    import zipfile

    forms = PrintForms(crm, SYSTEM)
    ids = [data["client"]["id"], data["other"]["id"]]
    merged = forms.render_many("client_card", ids)
    paragraphs, _ = docx_text(merged.data)
    assert paragraphs.count("КАРТОЧКА КЛИЕНТА") == 2
    zipped = forms.render_many("client_card", ids, merge=False)
    names = zipfile.ZipFile(io.BytesIO(zipped.data)).namelist()
    assert names == [
        "Карточка клиента ООО _Рога & Копыта_ _b.docx",
        "Карточка клиента Чужой клиент.docx",
    ]
    mine = PrintForms(crm, crm.users.find("mgr")).render_many("client_card", merge=False)
    assert len(zipfile.ZipFile(io.BytesIO(mine.data)).namelist()) == 1  # row rules


def test_output_name_is_sanitized(crm, data):
    forms = PrintForms(crm, SYSTEM)
    forms.create("named", "Имя", "clients", output_name="../{{ name }}/x:{{ ''.__class__ }}")
    document = forms.render("named", data["client"]["id"])
    assert "/" not in document.name and document.name.endswith(".docx")


def test_image_helper_inserts_photo(crm, data):
    import base64

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    )
    crm.records("clients", user=SYSTEM).update(
        data["client"]["id"], {"photo": {"name": "p.png", "data": png}}
    )
    document = PrintForms(crm, SYSTEM).render("client_card", data["client"]["id"])
    assert len(Document(io.BytesIO(document.data)).inline_shapes) == 1


def test_broken_bundle_template_fails_with_print_error(crm, data, monkeypatch):
    forms = PrintForms(crm, SYSTEM)
    form = forms.get("client_card")
    monkeypatch.setattr(forms, "template", lambda f, v=None: b"not a zip")
    with pytest.raises(PrintError, match=r"not a valid \.docx"):
        forms.render(form.name, data["client"]["id"])
