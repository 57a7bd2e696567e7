"""The shared converters of numbers and ids that come from outside (issue 13, point 5).

Every id, page number or count read from a URL, a query or a form goes through these, so a
value past what the database can hold (``99999999999999999999999``), a digit that
``str.isdigit`` accepts but ``int`` does not (``"²"``), ``NaN`` or ``1e309`` is refused here
instead of crashing a driver further down. Field values are parsed by the field types, which
use the same bounds (:func:`in_int64`).

Pure functions: no Flask here (the web layer wraps them in :mod:`uchet.web.converters`).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["INT64_MAX", "INT64_MIN", "as_count", "as_id", "as_int", "in_int64", "safe_decimal"]

#: What a BIGINT column (and SQLite's INTEGER) holds; a larger Python int cannot be bound.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: ASCII digits only: ``\d`` with re.ASCII, since ``str.isdigit`` also accepts "²" and "٣".
_ID = re.compile(r"[0-9]{1,19}", re.ASCII)
_INT = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)


def in_int64(number: int) -> bool:
    """Whether ``number`` fits a 64-bit integer column."""
    return INT64_MIN <= number <= INT64_MAX


def as_id(value: Any) -> int | None:
    """A record id from outside: ``"12"`` → 12; anything else (``""``, ``"abc"``, ``"-1"``,
    ``"0"``, ``"1e3"``, ``"²"``, a number past int64) → ``None``, which callers treat as
    "no such record"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 0 < value <= INT64_MAX else None
    text = str(value).strip()
    if not _ID.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= INT64_MAX else None


def as_int(value: Any, low: int = INT64_MIN, high: int = INT64_MAX) -> int | None:
    """A whole number from outside within ``low``..``high``, or ``None``."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not _INT.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def as_count(value: Any, default: int, high: int) -> int:
    """A page number or a page size: ``1..high``, else ``default``."""
    number = as_int(value, 1, high)
    return default if number is None else number


def safe_decimal(text: str) -> Decimal | None:
    """A finite decimal of at most 60 significant digits, or ``None`` (``NaN``, ``1e309``,
    junk, a number no column could hold)."""
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number.adjusted() > 60:
        return None
    return number
