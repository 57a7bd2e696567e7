"""Import through the engine (issue 17, S31), on SQLite and PostgreSQL: each format and
encoding, the spreadsheet parsers, references and choices, each mode, dry run,
all-or-nothing against a bad row in the middle, good-rows mode, the audit tag, undo, rights.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from tests.import_support import csv_bytes, ods_bytes, xlsx_bytes

from uchet import SYSTEM, PermissionDenied, ValidationError
from uchet.platform.features.importing import (
    Column,
    Importer,
    Options,
    detect_encoding,
    read_sheet,
    undo_import,
)

HEADERS = ["Наименование", "Вид", "Категория", "Лояльность", "Телефон рабочий", "ИНН",
           "День рождения", "Менеджер"]  # fmt: skip


def clients_file(rows: list[list[Any]]) -> list[list[Any]]:
    return [HEADERS, *rows]


GOOD = [
    ["Альфа", "Организация", "VIP", 5, "8 (900) 123-45-67", "7701234567", "01.02.1990", "anna"],
    ["Бета", "частное лицо", "", "", 79001234567.0, "7702234567", "", ""],
    ["Гамма", "Company", "VIP", "7", "", "7703234567", "31.12.2000 0:00", "Борис"],
]


def names(platform: Any) -> list[str]:
    rows = platform.records("clients", user=SYSTEM).query(sort=["name"], limit=1000).rows
    return [r["name"] for r in rows]


def run(platform: Any, data: bytes, file: str, user: Any = SYSTEM, dry: bool = False,
        **options: Any) -> Any:  # fmt: skip
    importer = Importer(platform.runtime, options.pop("table", "clients"), user, "ru")
    return importer.run(read_sheet(data, file, "ru"), Options(file_name=file, **options), dry)


@pytest.fixture
def before(platform: Any, staff: Any) -> list[str]:
    """The clients there before the import (none), for "unchanged" checks."""
    return names(platform)


# -- reading -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("file", "data"),
    [
        ("old.csv", csv_bytes(clients_file(GOOD), "cp1251", ";")),
        ("bom.csv", b"\xef\xbb\xbf" + csv_bytes(clients_file(GOOD), "utf-8", ",")),
        ("plain.tsv", csv_bytes(clients_file(GOOD), "utf-8", "\t")),
        ("book.xlsx", xlsx_bytes(clients_file(GOOD))),
        ("calc.ods", ods_bytes(clients_file(GOOD))),
    ],
    ids=["cp1251-semicolon", "utf8-bom-comma", "utf8-tab", "xlsx", "ods"],
)
def test_each_format_imports_the_same_clients(platform: Any, before: Any, file: str,
                                              data: bytes, staff: Any) -> None:  # fmt: skip
    report = run(platform, data, file)
    assert report.problems == [] and report.written and report.created == 3
    rows = {r["name"]: r for r in platform.records("clients", user=SYSTEM).query(limit=10).rows}
    assert set(rows) == {"Альфа", "Бета", "Гамма"}
    a, b, c = rows["Альфа"], rows["Бета"], rows["Гамма"]
    assert (a["kind"], b["kind"], c["kind"]) == ("company", "person", "company")  # by label
    assert a["loyalty"] == 5 and c["loyalty"] == 7 and b["loyalty"] is None
    assert a["birthday"] == dt.date(1990, 2, 1) and c["birthday"] == dt.date(2000, 12, 31)
    assert a["phone"] == "8 (900) 123-45-67" and b["phone"] == "79001234567"
    assert a["manager"] == staff["anna"].id and c["manager"] == staff["boris"].id  # login, name
    vip = (
        platform.records("client_categories", user=SYSTEM)
        .query(filters=[{"field": "name", "op": "eq", "value": "VIP"}])
        .rows[0]["id"]
    )
    assert a["category"] == vip and b["category"] is None


def test_encodings_are_detected() -> None:
    text = "Наименование;Город\nАльфа;Тверь\n"
    assert detect_encoding(text.encode("cp1251")) == "cp1251"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode("utf-8")) == "utf-8-sig"
    sheet = read_sheet(text.encode("cp1251"), "x.csv")
    assert sheet.headers == ["Наименование", "Город"] and sheet.delimiter == ";"
    assert list(sheet.rows) == [(2, ["Альфа", "Тверь"])]


def test_unknown_and_broken_files_are_clear_errors() -> None:
    with pytest.raises(ValidationError, match="xlsx, xls, ods, csv"):
        read_sheet(b"%PDF", "scan.pdf", "ru")
    with pytest.raises(ValidationError) as e:
        read_sheet(b"not a zip", "book.xlsx", "ru")
    assert e.value.messages == {"_file": ["Файл не читается как таблица."]}


# -- money, decimal commas, booleans ----------------------------------------------------------
def test_money_with_spaces_and_currency_and_yes_no(platform: Any) -> None:
    data = csv_bytes([
        ["Вид", "Наименование", "Артикул", "Цена", "Активен"],
        ["Товар", "Чай", "T-1", "1 234,50 ₽", "да"],
        ["Товар", "Кофе", "T-2", "99,9", "нет"],
        ["Товар", "Сахар", "T-3", "1.234,5 руб.", "Да"],
    ], "utf-8")  # fmt: skip
    kinds = platform.runtime.config.table("products").field_by_name("kind").choices
    assert next(c.label["ru"] for c in kinds) == "Товар"
    report = run(platform, data, "p.csv", table="products")
    assert report.problems == [], report.problems
    rows = {r["sku"]: r for r in platform.records("products", user=SYSTEM).query(limit=10).rows}
    assert rows["T-1"]["price"] == Decimal("1234.50") and rows["T-1"]["active"] is True
    assert rows["T-2"]["price"] == Decimal("99.90") and rows["T-2"]["active"] is False
    assert rows["T-3"]["price"] == Decimal("1234.50")


# -- references and choices ------------------------------------------------------------------
def test_unmatched_references_are_listed_then_left_empty_or_created(
    platform: Any, before: Any
) -> None:
    rows = [["Альфа", "Организация", "Оптовик", "", "", "", "", ""],
            ["Бета", "Организация", "VIP", "", "", "", "", ""]]  # fmt: skip
    data = xlsx_bytes(clients_file(rows))
    report = run(platform, data, "a.xlsx")
    assert report.unmatched == {"Категория": ["Оптовик"]} and not report.written
    assert [(p.row, p.column, p.value) for p in report.problems] == [(2, "Категория", "Оптовик")]
    assert report.problems[0].message == "«Оптовик» не найдено в «Категории клиентов»."
    assert names(platform) == before

    importer = Importer(platform.runtime, "clients", SYSTEM, "ru")
    mapping = importer.propose(HEADERS)
    mapping.columns["Категория"] = Column("category", None, "empty")
    report = run(platform, data, "a.xlsx", mapping=mapping)
    assert report.written and report.created == 2
    mapping.columns["Категория"] = Column("category", "name", "create")
    report = run(platform, xlsx_bytes(clients_file([["Вега", "Организация", "Оптовик"]])),
                 "b.xlsx", mapping=mapping)  # fmt: skip
    assert report.written and report.created == 2  # the category, then the client
    cats = platform.records("client_categories", user=SYSTEM).query(limit=100).rows
    made = next(c for c in cats if c["name"] == "Оптовик")
    vega = next(r for r in platform.records("clients", user=SYSTEM).query(limit=10).rows
                if r["name"] == "Вега")  # fmt: skip
    assert vega["category"] == made["id"]
    undo_import(platform.runtime, report.import_id, SYSTEM, "ru")  # the client, then the category
    cats = platform.records("client_categories", user=SYSTEM).query(limit=100).rows
    assert "Оптовик" not in [c["name"] for c in cats]


def test_a_bad_choice_names_the_labels(platform: Any) -> None:
    report = run(platform, csv_bytes(clients_file([["Альфа", "Компания"]])), "c.csv", dry=True)
    assert [p.message for p in report.problems] == [
        "Допустимые значения: Организация, Частное лицо."
    ]


# -- dry run, all-or-nothing, good rows --------------------------------------------------------
BAD_MIDDLE = [GOOD[0], ["Бета", "Организация", "", "много", "", "12", "30.02.2020", ""], GOOD[2]]


def test_dry_run_reports_every_row_and_writes_nothing(platform: Any, before: Any) -> None:
    report = run(platform, csv_bytes(clients_file(BAD_MIDDLE), "cp1251"), "d.csv", dry=True)
    assert names(platform) == before and not report.written and report.dry_run
    assert [(p.row, p.column, p.value) for p in report.problems] == [
        (3, "Лояльность", "много"), (3, "ИНН", "12"), (3, "День рождения", "30.02.2020"),
    ]  # fmt: skip
    assert {p.message for p in report.problems} >= {"Нужно целое число.", "Неверная дата."}
    assert [r["Наименование"] for r in report.preview] == ["Альфа", "Гамма"]
    assert report.preview[0]["Вид"] == "Организация" and report.preview[0]["Менеджер"] == "anna"
    with platform.engine.connect() as conn:
        log = platform.runtime.model.system["uchet_imports"]
        assert conn.execute(sa.select(sa.func.count()).select_from(log)).scalar() == 0


def test_all_or_nothing_leaves_the_table_unchanged(platform: Any, before: Any) -> None:
    report = run(platform, csv_bytes(clients_file(BAD_MIDDLE)), "e.csv")
    assert not report.written and report.created == 0 and report.bad_rows == 1
    assert names(platform) == before


def test_a_failure_at_write_time_rolls_everything_back(
    platform: Any, before: Any, monkeypatch: Any
) -> None:
    """The rows pass the checks and the new records are inserted, then the update of an
    existing one fails in the database: the inserts, in the same transaction, are rolled
    back too."""
    clients = platform.records("clients", user=SYSTEM)
    old = clients.create({"kind": "company", "name": "Старое", "tax_id": "7701234567"})
    from uchet.platform.records.service import RecordService

    def failing(self: Any, *args: Any, **kw: Any) -> Any:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(RecordService, "update", failing)
    with pytest.raises(RuntimeError):
        run(platform, csv_bytes(clients_file(GOOD)), "f.csv", mode="upsert", key="tax_id")
    assert names(platform) == sorted([*before, "Старое"])
    assert clients.get(old["id"])["name"] == "Старое"


def test_good_rows_mode_imports_the_rest(platform: Any, before: Any) -> None:
    report = run(platform, csv_bytes(clients_file(BAD_MIDDLE)), "g.csv", all_or_nothing=False)
    assert report.written and report.created == 2 and report.bad_rows == 1
    assert names(platform) == sorted([*before, "Альфа", "Гамма"])


# -- modes --------------------------------------------------------------------------------------
def test_upsert_and_update_by_key(platform: Any, before: Any) -> None:
    clients = platform.records("clients", user=SYSTEM)
    old = clients.create({"kind": "company", "name": "Альфа (старое)", "tax_id": "7701234567",
                          "loyalty": 1})  # fmt: skip
    report = run(platform, csv_bytes(clients_file(GOOD)), "u.csv", mode="upsert", key="tax_id")
    assert report.problems == [] and (report.created, report.updated) == (2, 1)
    assert clients.get(old["id"])["name"] == "Альфа" and clients.get(old["id"])["loyalty"] == 5

    rows = [[*GOOD[0][:3], 9, "", "7701234567"], ["Новый", "Организация", "", "", "", "7709999999"]]
    data = csv_bytes(clients_file(rows))
    report = run(platform, data, "v.csv", mode="update", key="tax_id")
    assert [(p.row, p.column) for p in report.problems] == [(3, "ИНН")]
    assert "только обновить" in report.problems[0].message and not report.written
    report = run(platform, data, "v.csv", mode="update", key="tax_id", all_or_nothing=False)
    assert (report.created, report.updated) == (0, 1) and clients.get(old["id"])["loyalty"] == 9
    with pytest.raises(ValidationError, match="ключевое"):
        run(platform, data, "v.csv", mode="upsert")


def test_a_key_twice_in_the_file_is_reported(platform: Any, staff: Any) -> None:
    data = csv_bytes(clients_file([GOOD[0], GOOD[0]]))
    report = run(platform, data, "t.csv", mode="upsert", key="tax_id", dry=True)
    assert [(p.row, p.column) for p in report.problems] == [(3, "ИНН")]


# -- the audit tag and undo ------------------------------------------------------------------------
def test_every_write_is_tagged_and_undo_takes_it_back(platform: Any, before: Any,
                                                      staff: Any) -> None:  # fmt: skip
    clients = platform.records("clients", user=SYSTEM)
    clients.create({"kind": "company", "name": "Старое имя", "tax_id": "7701234567"})
    report = run(platform, csv_bytes(clients_file(GOOD)), "u.csv", mode="upsert", key="tax_id")
    rt = platform.runtime
    tags, audit = rt.model.system["uchet_import_records"], rt.audit
    with platform.engine.connect() as conn:
        rows = conn.execute(
            sa.select(tags.c.record_id, tags.c.action, audit.c.action, audit.c.record_id)
            .join(audit, audit.c.id == tags.c.audit_id)
            .where(tags.c.import_id == report.import_id)
        ).all()
    assert len(rows) == 3 and all(r[0] == r[3] and r[1] == r[2] for r in rows)
    assert {r[1] for r in rows} == {"create", "update"}

    # Edited since: the undo is refused and names the record.
    other = next(r for r in clients.query(limit=10).rows if r["name"] == "Гамма")
    clients.update(other["id"], {"loyalty": 10})
    with pytest.raises(ValidationError, match="«Гамма»"):
        undo_import(rt, report.import_id, SYSTEM, "ru")
    assert len(names(platform)) == 3
    clients.update(other["id"], {"loyalty": 7})  # a second edit: still not the import's
    with pytest.raises(ValidationError):
        undo_import(rt, report.import_id, SYSTEM, "ru")
    clients.delete(other["id"])  # deleted since: nothing to take back
    assert undo_import(rt, report.import_id, SYSTEM, "ru") == 2
    assert names(platform) == ["Старое имя"]
    with pytest.raises(ValidationError, match="уже отменена"):
        undo_import(rt, report.import_id, SYSTEM, "ru")


# -- rights --------------------------------------------------------------------------------------
def test_only_the_import_right_into_writable_tables(platform: Any, staff: Any,
                                                    before: Any) -> None:  # fmt: skip
    data = csv_bytes(clients_file([GOOD[0]]))
    with pytest.raises(PermissionDenied, match="нет права загружать"):
        run(platform, data, "r.csv", user=staff["vera"])  # the viewer
    with pytest.raises(PermissionDenied):
        run(platform, data, "r.csv", user=staff["alla"])  # the accountant: no import right
    products = csv_bytes([["Наименование", "Артикул"], ["Чай", "T-1"]])
    with pytest.raises(PermissionDenied):
        run(platform, products, "p.csv", user=staff["anna"], table="products")
    report = run(platform, data, "r.csv", user=staff["anna"])  # manager: import on clients
    assert report.written, report.problems
    with pytest.raises(PermissionDenied):
        undo_import(platform.runtime, report.import_id, staff["boris"], "ru")  # cannot see it?
