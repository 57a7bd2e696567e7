"""Periods of grouped reports as people read them (uchet.platform.features.periods)."""

from __future__ import annotations

import datetime as dt

import pytest

from uchet.platform.features.periods import period_label, period_start, xlsx_format


@pytest.mark.parametrize(
    ("bucket", "value", "locale", "text"),
    [
        ("month", "2025-03", "ru", "март 2025"),  # the stand-alone name, not "марта"
        ("month", "2025-03", "en", "March 2025"),
        ("month", "2025-12", "ru", "декабрь 2025"),
        ("month", "2025-05", "en-US", "May 2025"),
        ("year", "2025", "ru", "2025"),
        ("month", "not a month", "ru", "not a month"),  # shown as it is
        ("month", None, "ru", ""),
        ("month", "2025-03", "zz", "2025-03"),  # an unknown locale: the sortable text
    ],
)
def test_period_label(bucket: str, value: object, locale: str, text: str) -> None:
    assert period_label(bucket, value, locale) == text


def test_a_day_follows_the_date_format_and_periods_have_a_first_day() -> None:
    assert period_label("day", "2025-03-05", "ru", "%d.%m.%Y") == "05.03.2025"
    assert period_start("month", "2025-03") == dt.date(2025, 3, 1)
    assert period_start("year", "2025") == dt.date(2025, 1, 1)
    assert period_start("month", "2025-13") is None
    # Chronological order is the texts' order, which the database sorts by.
    months = ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert sorted(months) == months
    assert [period_label("month", m, "ru") for m in months] == [
        "ноябрь 2024", "декабрь 2024", "январь 2025", "февраль 2025"
    ]  # fmt: skip


def test_xlsx_month_format_names_the_months_in_the_reports_language() -> None:
    assert xlsx_format("month", "ru") == "[$-419]MMMM YYYY"
    assert xlsx_format("month", "en") == "[$-409]MMMM YYYY"
    assert xlsx_format("month", "zz") == "MMMM YYYY"  # the reader's own settings
    assert xlsx_format("day", "ru") == "DD.MM.YYYY"
