"""Tests for ``uchet.platform.model.identifiers``."""

from __future__ import annotations

import keyword

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uchet.platform.model.identifiers import (
    FRAMEWORK_RESERVED,
    MAX_IDENTIFIER_LENGTH,
    POSTGRESQL_RESERVED,
    RESERVED_WORDS,
    SQLITE_KEYWORDS,
    SYSTEM_COLUMNS,
    derive_name,
    identifier_problem,
    is_valid_identifier,
    reserved_by,
    transliterate,
)

# --- word lists --------------------------------------------------------------------------


def test_word_lists_have_the_documented_sizes() -> None:
    assert len(SQLITE_KEYWORDS) == 147
    assert len(POSTGRESQL_RESERVED) == 100  # 77 reserved + 23 "can be function or type"


def test_word_lists_are_lowercase_identifiers() -> None:
    for word in RESERVED_WORDS | SYSTEM_COLUMNS:
        assert word == word.lower()
        assert word.replace("_", "").isalnum(), word


@pytest.mark.parametrize(
    "word",
    [
        "select",
        "table",
        "order",
        "group",
        "abort",
        "pragma",
        "user",
        "analyse",
        "ilike",
        "class",
        "def",
        "lambda",
        "populate_obj",
        "process",
        "validate",
        "data",
        "errors",
        "meta",
        "form",
        "metadata",
        "registry",
        "query",
        "session",
    ],
)
def test_reserved_words_include(word: str) -> None:
    assert word in RESERVED_WORDS


def test_python_keywords_are_reserved() -> None:
    for word in keyword.kwlist:
        if word.islower():
            assert word in RESERVED_WORDS


@pytest.mark.parametrize("word", ["id", "name", "title", "amount", "email", "phone"])
def test_common_field_names_are_not_reserved(word: str) -> None:
    assert word not in RESERVED_WORDS


def test_system_columns_are_separate() -> None:
    expected = {"id", "version", "search_key", "created_at", "updated_at", "created_by"}
    assert expected | {"updated_by"} == SYSTEM_COLUMNS
    assert not SYSTEM_COLUMNS & RESERVED_WORDS


def test_framework_names_do_not_include_id() -> None:
    assert "id" not in FRAMEWORK_RESERVED


def test_reserved_by_names_every_source() -> None:
    assert reserved_by("select") == ("SQLite", "PostgreSQL")
    assert reserved_by("abort") == ("SQLite",)
    assert reserved_by("user") == ("PostgreSQL",)
    assert reserved_by("class") == ("Python",)
    assert reserved_by("for") == ("SQLite", "PostgreSQL", "Python")
    assert reserved_by("populate_obj") == ("SQLAlchemy/WTForms/Flask-Admin",)
    assert reserved_by("phone") == ()


# --- identifier_problem ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["phone", "a", "client_name", "telefon_2", "x" * MAX_IDENTIFIER_LENGTH, "select_"]
)
def test_valid_names(name: str) -> None:
    assert identifier_problem(name) is None
    assert is_valid_identifier(name)


def test_reserved_word_message() -> None:
    assert identifier_problem("select") == "'select' is a reserved word in SQLite/PostgreSQL"
    assert identifier_problem("pragma") == "'pragma' is a reserved word in SQLite"
    assert identifier_problem("class") == "'class' is a reserved word in Python"
    assert identifier_problem("data") == (
        "'data' is a reserved word in SQLAlchemy/WTForms/Flask-Admin"
    )


@pytest.mark.parametrize("name", ["Foo", "FOO", "1abc", "_abc", "a-b", "a b", "имя", "café"])
def test_bad_characters_message(name: str) -> None:
    assert identifier_problem(name) == (
        f"'{name}' must start with a lowercase Latin letter and contain only a-z, 0-9 and _"
    )
    assert not is_valid_identifier(name)


def test_too_long_message() -> None:
    name = "a" * 70
    assert identifier_problem(name) == f"'{name}' is 70 characters long; at most 63 are allowed"
    assert identifier_problem("a" * 64) is not None


@pytest.mark.parametrize("name", sorted(SYSTEM_COLUMNS))
def test_system_column_message(name: str) -> None:
    assert identifier_problem(name) == f"'{name}' is a system column name"


def test_empty_name() -> None:
    problem = identifier_problem("")
    assert problem is not None
    assert "empty" in problem


# --- transliterate ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("жук", "zhuk"),
        ("хлеб", "khleb"),
        ("цапля", "tsaplya"),
        ("чаща", "chashcha"),
        ("шишка", "shishka"),
        ("щука", "shchuka"),
        ("юла", "yula"),
        ("ёж", "ezh"),
        ("йод", "yod"),
        ("объём", "obem"),
        ("соль", "sol"),
        ("мышь", "mysh"),
        ("эхо", "ekho"),
        ("Дата рождения", "Data rozhdeniya"),
        ("Щука", "Shchuka"),
        ("ЩУКА", "SHCHUKA"),
        ("Їжак, ґанок, Євген, ірис", "Yizhak, ganok, Yevgen, iris"),
        ("ў", "u"),
        ("Café Müller", "Cafe Muller"),
        ("Straße", "Strasse"),
        ("Łódź", "Lodz"),
        ("plain ASCII 123!", "plain ASCII 123!"),
    ],
)
def test_transliterate(text: str, expected: str) -> None:
    assert transliterate(text) == expected


def test_transliterate_covers_the_whole_russian_alphabet() -> None:
    alphabet = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    result = transliterate(alphabet + alphabet.upper())
    assert result.isascii()
    assert result == (
        "abvgdeezhziyklmnoprstufkhtschshshchyeyuyaABVGDEEZHZIYKLMNOPRSTUFKHTSCHSHSHCHYEYUYA"
    )


# --- derive_name -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Телефон 2", "telefon_2"),
        ("Дата рождения", "data_rozhdeniya"),
        ("Select", "select_"),
        ("Класс", "klass"),
        ("class", "class_"),
        ("Data", "data_"),
        ("ID", "id_"),
        ("Version", "version_"),
        ("Created at", "created_at_"),
        ("  Сумма, руб.  ", "summa_rub"),
        ("E-mail", "e_mail"),
        ("Объём (м³)", "obem_m3"),
        ("2-й адрес", "f_2_y_adres"),
        ("100%", "f_100"),
        ("", "field"),
        ("!!!", "field"),
        ("中文", "field"),
        ("Café", "cafe"),
    ],
)
def test_derive_name(label: str, expected: str) -> None:
    assert derive_name(label) == expected


def test_derive_name_avoids_taken_names() -> None:
    assert derive_name("Телефон", taken={"telefon"}) == "telefon_2"
    assert derive_name("Телефон", taken={"telefon", "telefon_2", "telefon_3"}) == "telefon_4"
    assert derive_name("Телефон", taken=["other"]) == "telefon"
    assert derive_name("Select", taken={"select_"}) == "select_2"
    assert derive_name("", taken=("field",)) == "field_2"


def test_derive_name_truncates_to_the_limit() -> None:
    label = "очень " * 30
    name = derive_name(label)
    assert len(name) <= MAX_IDENTIFIER_LENGTH
    assert name.startswith("ochen_ochen")
    assert not name.endswith("_")
    second = derive_name(label, taken={name})
    assert len(second) <= MAX_IDENTIFIER_LENGTH
    assert second.endswith("_2")
    assert second != name


@given(st.text(max_size=120), st.sets(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)))
def test_derive_name_always_gives_a_valid_unused_name(label: str, taken: set[str]) -> None:
    name = derive_name(label, taken)
    assert identifier_problem(name) is None
    assert name not in taken


@given(st.from_regex(r"[a-z][a-z0-9]{0,20}(_[a-z0-9]{1,10}){0,3}", fullmatch=True))
def test_derive_name_keeps_valid_names(name: str) -> None:
    if identifier_problem(name) is None:
        assert derive_name(name) == name
