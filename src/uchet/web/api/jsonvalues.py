"""Record values as JSON: dates and times in ISO 8601, decimals as strings (no float
rounding of money), files as their description without the bytes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    """``value`` as JSON can hold it (the ``default`` of :func:`json.dumps`)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return None  # file contents are downloaded, not inlined
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def dumps(data: Any) -> str:
    """Compact JSON of ``data``, Cyrillic kept readable."""
    return json.dumps(data, default=plain, ensure_ascii=False, separators=(",", ":"))
