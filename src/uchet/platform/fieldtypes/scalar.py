"""Built-in scalar field types: text, numbers, yes/no, dates and times, contact data."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import types as sa

from uchet.platform.fieldtypes.base import FieldType, ParseError
from uchet.platform.model.numbers import in_int64

if TYPE_CHECKING:
    from uchet.platform.model.config import Configuration, Field, Table

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^(https?|ftp)://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_COLOR = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_NON_DIGITS = re.compile(r"\D")
#: Currency signs, codes and words, and the percent sign, around an imported number.
_UNITS = re.compile(r"(?i)₽|\$|€|%|\b(?:руб(?:лей|ля|ль)?|р|rub|usd|eur)\b\.?")
_INTEGER = re.compile(r"[+-]?[0-9]{1,4000}", re.ASCII)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class StringType(FieldType):
    """One line of text, at most ``max_length`` characters (default 255)."""

    cacheable_parse = True
    name = "string"
    searchable = True
    default_length = 255

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return sa.String(field.max_length or self.default_length)

    def parse(self, field: Field, value: Any) -> Any:
        if _blank(value):
            return None
        if isinstance(value, bool | dict | list | bytes):
            raise ParseError("invalid_text")
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a spreadsheet stores "123" typed in a cell as 123.0
        text = str(value).strip()
        limit = field.max_length or self.default_length
        if len(text) > limit:
            # Never truncate silently: a value that does not fit is an error.
            raise ParseError("too_long", max=limit)
        return text


class TextType(StringType):
    """Multi-line text of any length."""

    cacheable_parse = True
    name = "text"
    widget = "textarea"

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return sa.Text()

    def parse(self, field: Field, value: Any) -> Any:
        if _blank(value):
            return None
        if not isinstance(value, str | int | float | Decimal):
            raise ParseError("invalid_text")
        text = str(value)
        if field.max_length and len(text) > field.max_length:
            raise ParseError("too_long", max=field.max_length)
        return text


class EmailType(StringType):
    """An e-mail address."""

    cacheable_parse = True
    name = "email"
    widget = "email"
    default_length = 254

    def parse(self, field: Field, value: Any) -> Any:
        text = super().parse(field, value)
        if text is not None and not _EMAIL.match(text):
            raise ParseError("invalid_email")
        return text


class UrlType(StringType):
    """A web address; ``www.example.com`` gets ``https://`` in front."""

    cacheable_parse = True
    name = "url"
    widget = "url"
    default_length = 2048

    def parse(self, field: Field, value: Any) -> Any:
        text = super().parse(field, value)
        if text is None:
            return None
        if "://" not in text:
            text = "https://" + text
        if not _URL.match(text):
            raise ParseError("invalid_url")
        return text


class ColorType(StringType):
    """A colour as ``#rrggbb``: the browser's colour picker on cards, a swatch in lists
    (issue 21: the CRM's category colours showed as raw «#6c757d»). ``#abc`` is stored as
    ``#aabbcc``; the letters are stored in lower case."""

    cacheable_parse = True
    name = "color"
    widget = "color"
    default_length = 7

    def parse(self, field: Field, value: Any) -> Any:
        text = super().parse(field, value)
        if text is None:
            return None
        text = text.strip().lower()
        if not _COLOR.match(text):
            raise ParseError("invalid_color")
        if len(text) == 4:
            text = "#" + "".join(ch * 2 for ch in text[1:])
        return text


class PhoneType(StringType):
    """A phone number as typed; searched by its digits, so any format finds it (S36)."""

    cacheable_parse = True
    name = "phone"
    widget = "tel"
    default_length = 50

    def parse_cell(self, field: Field, value: Any) -> Any:
        # A spreadsheet turns 79001234567 into a number (79001234567.0): keep its digits.
        if isinstance(value, float) and value.is_integer():
            value = str(int(value))
        return super().parse_cell(field, value)

    def parse(self, field: Field, value: Any) -> Any:
        text = super().parse(field, value)
        if text is not None and len(_NON_DIGITS.sub("", text)) < 3:
            raise ParseError("invalid_phone")
        return text

    def search_terms(self, field: Field, value: Any) -> Iterator[str]:
        if value is None:
            return
        digits = normalize_phone(str(value))
        if digits:
            yield digits
        if len(digits) > 10:
            yield digits[-10:]  # the national number, as people often type it
        if len(digits) >= PHONE_END_DIGITS:
            # The digits reversed behind a mark: "the number ends in 8409" is then a prefix
            # range of the index ("~9048…"), not a scan of every phone (issue 21).
            yield PHONE_END_MARK + digits[::-1]


#: A phone's reversed digits are kept as a search term behind this mark (see
#: :meth:`PhoneType.search_terms`); no typed word starts with it in practice.
PHONE_END_MARK = "~"
#: The fewest last digits a phone is found by.
PHONE_END_DIGITS = 4


def phone_end_term(digits: str) -> str:
    """The search-term prefix of phones ending in ``digits``."""
    return PHONE_END_MARK + digits[::-1]


def normalize_phone(text: str) -> str:
    """Digits of a phone number; a Russian 11-digit number starting with 8 becomes 7..."""
    digits = _NON_DIGITS.sub("", text)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits


class IntegerType(FieldType):
    """A whole number."""

    cacheable_parse = True
    name = "integer"
    widget = "integer"
    ordered = True

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return sa.BigInteger()

    def parse(self, field: Field, value: Any) -> Any:
        if _blank(value):
            return None
        if isinstance(value, bool):
            raise ParseError("invalid_integer")
        if isinstance(value, float | Decimal):
            # NaN and infinity are not whole numbers (int() of them raises).
            if not Decimal(value).is_finite() or value != int(value):
                raise ParseError("invalid_integer")
            value = int(value)
        if not isinstance(value, int):
            text = _SPACES.sub("", str(value))
            if not _INTEGER.fullmatch(text):  # int() also takes "٣" and "1_000"
                raise ParseError("invalid_integer")
            value = int(text)
        if not in_int64(value):
            # The column (and the driver) holds 64 bits; a larger number is an input error,
            # not an OverflowError in the driver (issue 13, point 5).
            raise ParseError("out_of_range")
        return value


class DecimalType(FieldType):
    """A decimal number with ``precision`` digits, ``scale`` of them after the point."""

    cacheable_parse = True
    name = "decimal"
    widget = "decimal"
    ordered = True
    default_precision, default_scale = 18, 2
    #: Shown without trailing fractional zeros («3», «2,5»); money keeps its two digits.
    trim_zeros: bool = True

    def _shape(self, field: Field) -> tuple[int, int]:
        return field.precision or self.default_precision, (
            self.default_scale if field.scale is None else field.scale
        )

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        precision, scale = self._shape(field)
        return sa.Numeric(precision, scale, asdecimal=True)

    def parse(self, field: Field, value: Any) -> Any:
        if _blank(value):
            return None
        if isinstance(value, bool):
            raise ParseError("invalid_number")
        try:
            if isinstance(value, float):
                number = Decimal(repr(value))
            elif isinstance(value, int | Decimal):
                number = Decimal(value)
            else:
                # "1 234,50" as typed in Russian locales, as well as "1234.50".
                number = Decimal(_SPACES.sub("", str(value)).replace(",", "."))
        except InvalidOperation:
            raise ParseError("invalid_number") from None
        if not number.is_finite():
            raise ParseError("invalid_number")
        precision, scale = self._shape(field)
        # Check the size before quantize: quantizing 1e309 to cents needs more digits than
        # the decimal context has and raises InvalidOperation (issue 13, point 5).
        if number.adjusted() >= precision - scale:
            raise ParseError("too_many_digits", digits=precision - scale)
        try:
            number = number.quantize(Decimal(1).scaleb(-scale)) if scale else number.quantize(1)
        except InvalidOperation:
            raise ParseError("too_many_digits", digits=precision - scale) from None
        if number.adjusted() >= precision - scale:  # 99.999 rounds up to 100.00
            raise ParseError("too_many_digits", digits=precision - scale)
        return number

    def parse_cell(self, field: Field, value: Any) -> Any:
        """Numbers as other programs write them: ``1 234,50``, ``1.234,50``, ``1,234.50``,
        ``1 234,50 ₽``, ``$12``, ``12 руб.``, ``15 %``, ``(120)`` for -120 in accounting."""
        if isinstance(value, str):
            text = _UNITS.sub("", value).strip()
            if text.startswith("(") and text.endswith(")"):
                text = "-" + text[1:-1]
            text = _SPACES.sub("", text)
            if "," in text and "." in text:
                # The later separator is the decimal one; the other groups thousands.
                thousands = "." if text.rfind(",") > text.rfind(".") else ","
                text = text.replace(thousands, "")
            value = text
        return super().parse_cell(field, value)

    def dump(self, field: Field, value: Any) -> Any:
        return None if value is None else str(value)

    def format(self, field: Field, value: Any, locale: str) -> str:
        if value is None:
            return ""
        _, scale = self._shape(field)
        text = f"{Decimal(value):,.{scale}f}"
        if self.trim_zeros and "." in text:
            # A quantity of 3 reads «3», not «3,000» (issue 21): the scale is how precise a
            # value may be, not how many digits every value shows. Money keeps its kopecks.
            text = text.rstrip("0").rstrip(".")
        if locale.startswith("ru"):
            text = text.replace(",", "\u00a0").replace(".", ",")
        return text


class MoneyType(DecimalType):
    """An amount of money in ``currency`` (default RUB)."""

    name = "money"
    widget = "decimal"
    trim_zeros = False

    def format(self, field: Field, value: Any, locale: str) -> str:
        text = super().format(field, value, locale)
        if not text:
            return text
        currency = field.currency or "RUB"
        symbol = {"RUB": "₽", "USD": "$", "EUR": "€"}.get(currency, currency)
        return f"{text}\u00a0{symbol}"


class PercentType(DecimalType):
    """A percentage, stored as the number of percent (50 means 50 %)."""

    name = "percent"
    widget = "decimal"
    default_precision = 7

    def format(self, field: Field, value: Any, locale: str) -> str:
        text = super().format(field, value, locale)
        return f"{text}\u00a0%" if text else text


class BooleanType(FieldType):
    """Yes or no. Accepts true/false, 1/0, yes/no and да/нет."""

    cacheable_parse = True
    name = "boolean"
    widget = "checkbox"
    truthy = frozenset({"true", "1", "yes", "y", "on", "да", "д", "истина", "+", "x", "✓"})
    falsy = frozenset({"false", "0", "no", "n", "off", "нет", "н", "ложь", "-"})

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return sa.Boolean(create_constraint=False)

    def parse(self, field: Field, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = str(value).strip().casefold()
        if text in self.truthy:
            return True
        if text in self.falsy:
            return False
        raise ParseError("invalid_boolean")

    def format(self, field: Field, value: Any, locale: str) -> str:
        if value is None:
            return ""
        ru = locale.startswith("ru")
        return ("Да" if value else "Нет") if ru else ("Yes" if value else "No")


class DateType(FieldType):
    """A calendar date. Accepts ISO (2024-12-31) and Russian (31.12.2024) forms."""

    name = "date"
    widget = "date"
    ordered = True
    formats: tuple[str, ...] = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y")

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return sa.Date()

    def parse(self, field: Field, value: Any) -> Any:
        if _blank(value):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        if text == "today":
            return dt.date.today()
        for fmt in self.formats:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ParseError("invalid_date")

    def parse_cell(self, field: Field, value: Any) -> Any:
        # A date typed in a csv often carries the midnight of a datetime: "31.12.2024 0:00".
        if isinstance(value, str) and " " in value.strip() and type(self) is DateType:
            value = value.strip().split(" ", 1)[0]
        return super().parse_cell(field, value)

    def dump(self, field: Field, value: Any) -> Any:
        return None if value is None else value.isoformat()

    def format(self, field: Field, value: Any, locale: str) -> str:
        if value is None:
            return ""
        return value.strftime("%d.%m.%Y" if locale.startswith("ru") else "%Y-%m-%d")

    def check(self, field: Field, table: Table, config: Configuration) -> Iterable[str]:
        for prop in ("min", "max"):
            raw = getattr(field, prop)
            if raw is not None:
                try:
                    self.parse(field, raw)
                except ParseError:
                    yield f"{prop} {raw!r} is not a valid {self.name}"


class DateTimeType(DateType):
    """A date and time of day."""

    name = "datetime"
    widget = "datetime"
    formats = (
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%Y-%m-%d",
        "%d.%m.%Y",
    )

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return sa.DateTime()

    def parse(self, field: Field, value: Any) -> Any:
        if _blank(value):
            return None
        if isinstance(value, dt.datetime):
            return (
                value.replace(tzinfo=None)
                if value.tzinfo is None
                else value.astimezone().replace(tzinfo=None)
            )
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time())
        text = str(value).strip()
        if text == "now":
            return dt.datetime.now().replace(microsecond=0)
        try:
            parsed = dt.datetime.fromisoformat(text)
            return parsed if parsed.tzinfo is None else parsed.astimezone().replace(tzinfo=None)
        except ValueError:
            pass
        for fmt in self.formats:
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
        raise ParseError("invalid_datetime")

    def format(self, field: Field, value: Any, locale: str) -> str:
        if value is None:
            return ""
        return value.strftime("%d.%m.%Y %H:%M" if locale.startswith("ru") else "%Y-%m-%d %H:%M")


class TimeType(FieldType):
    """A time of day."""

    name = "time"
    widget = "time"
    ordered = True

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return sa.Time()

    def parse(self, field: Field, value: Any) -> Any:
        if _blank(value):
            return None
        if isinstance(value, dt.datetime):
            return value.time()
        if isinstance(value, dt.time):
            return value
        try:
            return dt.time.fromisoformat(str(value).strip())
        except ValueError:
            raise ParseError("invalid_time") from None

    def dump(self, field: Field, value: Any) -> Any:
        return None if value is None else value.isoformat()

    def format(self, field: Field, value: Any, locale: str) -> str:
        return "" if value is None else value.strftime("%H:%M")


SCALAR_TYPES: tuple[type[FieldType], ...] = (
    StringType,
    TextType,
    EmailType,
    UrlType,
    ColorType,
    PhoneType,
    IntegerType,
    DecimalType,
    MoneyType,
    PercentType,
    BooleanType,
    DateType,
    DateTimeType,
    TimeType,
)
