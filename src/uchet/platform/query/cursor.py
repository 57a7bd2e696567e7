"""Sort keys and keyset cursors of list queries.

A cursor (``after=``) carries the last row's sort values, so the next page starts right
after it with an index range instead of an OFFSET: a deep page costs as much as the first.
It is URL-safe base64 of JSON holding the sort order it belongs to (a cursor of another
order is refused) and the values, tagged where JSON has no type of its own.

NULLs sort as the smallest value on both databases (first ascending, last descending):
that is SQLite's index order, so a nullable sort column can still be index-backed there.
For columns that cannot be NULL no NULLS clause is written at all, so PostgreSQL's default
indexes serve them too.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from uchet.platform.model.errors import ValidationError
from uchet.platform.model.i18n import Text

INVALID_CURSOR = Text("invalid_cursor")


@dataclass(frozen=True)
class SortKey:
    """One key of a list's order."""

    text: str  # "-name" as requested; cursors record these to refuse another sort's cursor
    expr: Any
    descending: bool
    nullable: bool
    row_key: str  # the output column that may already hold the value (name or name__title)

    def order(self, ref: Any) -> Any:
        """The ORDER BY element for ``ref`` (the column or its label), NULLs smallest."""
        ordered = ref.desc() if self.descending else ref.asc()
        if not self.nullable:
            return ordered  # no NULLs to place, and a bare column matches any index
        return ordered.nulls_last() if self.descending else ordered.nulls_first()

    def beyond(self, value: Any) -> Any:
        """Rows strictly after ``value`` in this key's order."""
        if not self.descending:
            return self.expr.is_not(None) if value is None else self.expr > value
        if value is None:
            return sa.false()
        before = self.expr < value
        return sa.or_(before, self.expr.is_(None)) if self.nullable else before

    def same(self, value: Any) -> Any:
        """Rows whose value of this key equals ``value``."""
        return self.expr.is_(None) if value is None else self.expr == value


def after_condition(keys: Sequence[SortKey], values: Sequence[Any]) -> Any:
    """Rows after the row whose sort values are ``values`` (bound parameters or None)."""
    if not any(k.nullable for k in keys) and len({k.descending for k in keys}) == 1:
        # (a, b, id) > (x, y, z): one index range on both databases.
        row, last = sa.tuple_(*(k.expr for k in keys)), sa.tuple_(*values)
        return row < last if keys[0].descending else row > last
    alternatives: list[Any] = []
    equal: list[Any] = []
    for key, value in zip(keys, values):
        alternatives.append(sa.and_(*equal, key.beyond(value)))
        equal.append(key.same(value))
    condition = sa.or_(*alternatives)
    first, v = keys[0], values[0]
    # A redundant bound on the first key lets the planner start an index range there.
    if not first.descending and v is not None:
        condition = sa.and_(first.expr >= v, condition)
    elif first.descending and v is not None and not first.nullable:
        condition = sa.and_(first.expr <= v, condition)
    return condition


#: ``json.dumps(..., separators=(",", ":"), ensure_ascii=False)`` without a new encoder per call.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode(keys: Sequence[SortKey], values: Sequence[Any]) -> str:
    """The cursor of the row whose sort values are ``values``."""
    payload = {"s": [k.text for k in keys], "v": [_tag(v) for v in values]}
    raw = _JSON.encode(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(keys: Sequence[SortKey], cursor: str) -> list[Any]:
    """The sort values ``cursor`` holds; ValidationError when it is not a cursor of this
    order (or was tampered with)."""
    invalid = ValidationError({"after": [INVALID_CURSOR]})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        values = [_untag(v) for v in payload["v"]]
        texts = payload["s"]
    except (binascii.Error, ValueError, TypeError, KeyError, InvalidOperation):
        raise invalid from None
    if texts != [k.text for k in keys] or len(values) != len(keys):
        raise invalid  # a cursor of another sort order (or table) means nothing here
    for key, value in zip(keys, values):
        if not _fits(key, value):
            raise invalid
    return values


# JSON has no dates or decimals: such values travel tagged, and come back as the same type.
_UNTAG: dict[str, Any] = {
    "n": Decimal,
    "dt": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
    "t": dt.time.fromisoformat,
}


def _tag(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if isinstance(value, dt.datetime):  # before date: a datetime is a date too
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": value.isoformat()}
    raise TypeError(f"cannot put a {type(value).__name__} into a cursor")


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        if tag not in _UNTAG or not isinstance(text, str):
            raise ValueError(tag)
        return _UNTAG[tag](text)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(value)


def _fits(key: SortKey, value: Any) -> bool:
    """Whether a decoded cursor value can be a value of the sort key (tamper check)."""
    if value is None:
        return key.nullable
    try:
        expected = key.expr.type.python_type
    except NotImplementedError:
        return True
    if isinstance(value, bool) != (expected is bool):
        return False
    if expected in (Decimal, float):
        return isinstance(value, Decimal | float | int)
    if expected is dt.date:
        return type(value) is dt.date
    return isinstance(value, expected)
