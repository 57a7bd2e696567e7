"""Periods of grouped reports: a date bucketed by day, month or year (S35's "sales by month").

The database groups and sorts a bucket as text (``2025-03``, see
:class:`uchet.platform.features.reports.date_bucket`), which keeps the order chronological on SQLite
and PostgreSQL alike. People read it in their language: :func:`period_label` turns it into
"март 2025" / "March 2025" (CLDR month names through Babel, so any locale of a
configuration works), and :func:`period_start` into the date a spreadsheet cell holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

#: How each bucket's first day reads: CLDR patterns ("LLLL" is the month's stand-alone
#: name, so Russian says "март 2025", not the genitive "марта 2025").
LABEL_PATTERNS = {"day": "medium", "month": "LLLL y", "year": "y"}
#: The bucket's text as the database gives it, for :func:`period_start`.
TEXT_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
#: Spreadsheet number formats of a bucket's date cell; the month's names follow the
#: report's locale through a Windows locale id (``[$-419]`` Russian), which Excel and
#: LibreOffice both honour, and the reader's own settings where none is known.
XLSX_FORMATS = {"day": "DD.MM.YYYY", "month": "MMMM YYYY", "year": "YYYY"}
XLSX_LOCALE_IDS = {"ru": "419", "en": "409", "de": "407", "fr": "40C", "uk": "422"}


def period_start(bucket: str, value: Any) -> dt.date | None:
    """The first day of the period ``value`` (``"2025-03"`` for a month); None when
    ``value`` is empty or not such a text (it is then shown as it is)."""
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    fmt = TEXT_FORMATS.get(bucket)
    if fmt is None or not isinstance(value, str):
        return None
    try:
        return dt.datetime.strptime(value.strip(), fmt).date()
    except ValueError:
        return None


def period_label(bucket: str, value: Any, locale: str, date_format: str | None = None) -> str:
    """The period ``value`` as people read it in ``locale``: "март 2025", "March 2025",
    "2025". A day uses ``date_format`` (strftime, the date field's format) when given."""
    day = period_start(bucket, value)
    if day is None:
        return "" if value is None else str(value)
    if bucket == "day" and date_format:
        return day.strftime(date_format)
    try:
        return format_date(day, LABEL_PATTERNS[bucket], locale=Locale.parse(locale, sep="-"))
    except (UnknownLocaleError, ValueError, KeyError):
        return str(value)


def xlsx_format(bucket: str, locale: str) -> str:
    """The number format of a period's date cell in an xlsx export for ``locale``."""
    fmt = XLSX_FORMATS.get(bucket, "DD.MM.YYYY")
    lcid = XLSX_LOCALE_IDS.get(locale.split("-")[0].split("_")[0].lower())
    return f"[$-{lcid}]{fmt}" if lcid and bucket == "month" else fmt
