"""Built-in field types with structure: choices, references, users, files, JSON, and the
computed types (formula and rollup) whose values come from SQL expressions."""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import types as sa

from uchet.platform.fieldtypes.base import FieldType, ParseError
from uchet.platform.fieldtypes.scalar import (
    BooleanType,
    DateTimeType,
    DateType,
    DecimalType,
    IntegerType,
    MoneyType,
    PercentType,
    StringType,
)
from uchet.platform.model.config import label_text
from uchet.platform.model.numbers import as_int, in_int64

if TYPE_CHECKING:
    from uchet.platform.model.config import Configuration, Field, Table

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024


class ChoiceType(FieldType):
    """One of fixed options, each with a label per locale. Stores the option's value."""

    cacheable_parse = True
    name = "choice"
    widget = "select"
    searchable = False
    properties = frozenset({"choices"})

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return sa.String(100)

    def parse(self, field: Field, value: Any) -> Any:
        if value is None or value == "":
            return None
        text = str(value).strip()
        for c in field.choices:
            if text == c.value:
                return c.value
        # A spreadsheet holds what people see: accept a label in any locale too.
        folded = text.casefold()
        for c in field.choices:
            if any(folded == label.casefold() for label in c.label.values()):
                return c.value
        offered = (c.value for c in field.choices if not c.retired)
        raise ParseError("choice", choices=", ".join(offered))

    def parse_cell(self, field: Field, value: Any) -> Any:
        # A file holds labels («Организация»): say which labels are known, in the user's
        # language, rather than the stored values a person never sees.
        try:
            return super().parse_cell(field, value)
        except ParseError:
            raise ParseError("choice", choices=_ChoiceLabels(field)) from None

    def format(self, field: Field, value: Any, locale: str) -> str:
        for c in field.choices:
            if c.value == value:
                return label_text(c.label, locale, default=c.value)
        return "" if value is None else str(value)

    def check(self, field: Field, table: Table, config: Configuration) -> Iterable[str]:
        if not field.choices:
            yield 'a choice field needs "choices"'
        values = [c.value for c in field.choices]
        for v in sorted({v for v in values if values.count(v) > 1}):
            yield f"choice value {v!r} is listed twice"
        if field.default is not None and field.default not in values:
            yield f"default {field.default!r} is not among the choices: {', '.join(values)}"
        if any(c.retired and c.value == field.default for c in field.choices):
            yield f"default {field.default!r} is a retired choice"
        if field.choices and all(c.retired for c in field.choices):
            yield "every choice is retired: keep at least one offered"


#: The largest value of a BIGINT column (a larger Python int overflows the driver).
BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True)
class _ChoiceLabels:
    """A choice field's labels, listed in the locale a message is shown in."""

    field: Field

    def text(self, locale: str) -> str:
        return ", ".join(label_text(c.label, locale, default=c.value)
                         for c in self.field.choices if not c.retired)  # fmt: skip

    def __str__(self) -> str:
        return self.text("en")


class ReferenceType(FieldType):
    """A many-to-one link to a record of the ``target`` table, with an ``on_delete`` rule."""

    cacheable_parse = True
    name = "reference"
    widget = "reference"
    properties = frozenset({"target", "on_delete", "related_label"})

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return sa.BigInteger()

    def parse(self, field: Field, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, dict) and "id" in value:
            value = value["id"]
        if isinstance(value, bool):
            raise ParseError("invalid_integer")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int):
            number: int | None = value if in_int64(value) else None
        elif isinstance(value, str) and value.strip().lstrip("+-").isascii():
            number = as_int(value)
            if number is None and value.strip().lstrip("+-").isdigit():
                # Digits, but past what an id column holds (issue 13, point 5).
                raise ParseError("out_of_range")
        else:
            number = None
        if number is None:
            raise ParseError("invalid_integer")
        return number

    def check(self, field: Field, table: Table, config: Configuration) -> Iterable[str]:
        if not field.target:
            yield 'a reference field needs "target" (a table id)'
            return
        try:
            config.table(field.target)
        except KeyError:
            yield f"target {field.target!r} is not a table of this configuration"
        if field.on_delete == "set_null" and field.required:
            yield 'on_delete "set_null" cannot be used on a required field'


class UserType(ReferenceType):
    """A link to a user of the platform (a manager, an assignee)."""

    name = "user"
    widget = "user"
    properties = frozenset()

    def check(self, field: Field, table: Table, config: Configuration) -> Iterable[str]:
        return ()


@dataclass(frozen=True)
class FileValue:
    """A file to store: what create and update accept for file and image fields."""

    name: str
    data: bytes
    content_type: str


class FileType(FieldType):
    """A file stored inside the database (S37), at most ``max_size`` bytes."""

    name = "file"
    widget = "file"
    properties = frozenset({"max_size"})

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return sa.BigInteger()

    def parse(self, field: Field, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, FileValue):
            result = value
        elif isinstance(value, int) and not isinstance(value, bool):
            return value  # an already stored file, e.g. kept unchanged by a form
        elif isinstance(value, dict) and "data" in value and value.get("name"):
            data = value["data"]
            if isinstance(data, str):
                try:
                    data = base64.b64decode(data, validate=True)
                except (binascii.Error, ValueError):
                    raise ParseError("invalid_file") from None
            if not isinstance(data, bytes | bytearray):
                raise ParseError("invalid_file")
            name = str(value["name"])
            ctype = value.get("content_type") or mimetypes.guess_type(name)[0]
            result = FileValue(name, bytes(data), ctype or "application/octet-stream")
        elif isinstance(value, dict) and "id" in value:
            return int(value["id"])
        else:
            raise ParseError("invalid_file")
        limit = field.max_size or DEFAULT_MAX_FILE_SIZE
        if len(result.data) > limit:
            raise ParseError("file_too_large", size=len(result.data), limit=limit)
        return result


_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"BM", b"<svg", b"<?xml")


class ImageType(FileType):
    """An image stored inside the database: PNG, JPEG, GIF, WebP, BMP or SVG."""

    name = "image"
    widget = "image"

    def parse(self, field: Field, value: Any) -> Any:
        result = super().parse(field, value)
        if isinstance(result, FileValue) and not result.data.lstrip()[:5].startswith(_IMAGE_MAGIC):
            raise ParseError("not_image")
        return result


class JsonType(FieldType):
    """Structured data as JSON."""

    name = "json"
    widget = "json"

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return sa.JSON()

    def parse(self, field: Field, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ParseError("invalid_json") from None
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise ParseError("invalid_json") from None
        return value

    def format(self, field: Field, value: Any, locale: str) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False)


#: Formula result types and the scalar type that formats them.
RESULT_TYPES: dict[str, FieldType] = {
    "string": StringType(),
    "integer": IntegerType(),
    "decimal": DecimalType(),
    "money": MoneyType(),
    "percent": PercentType(),
    "boolean": BooleanType(),
    "date": DateType(),
    "datetime": DateTimeType(),
    # A formula that classifies a row ("unpaid" / "partly_paid" / "paid") declares its
    # values as ``choices``, so lists, filters and print forms show their labels per locale.
    "choice": ChoiceType(),
}


class ComputedType(FieldType):
    """Base of read-only types computed in SQL: never stored, never written."""

    stored = False

    def result(self, field: Field) -> FieldType:
        """The scalar type of the computed value."""
        return RESULT_TYPES[field.result_type or "decimal"]

    def column_type(self, field: Field) -> sa.TypeEngine[Any]:
        return self.result(field).column_type(field)

    def parse(self, field: Field, value: Any) -> Any:
        return self.result(field).parse(field, value)

    def dump(self, field: Field, value: Any) -> Any:
        return self.result(field).dump(field, value)

    def format(self, field: Field, value: Any, locale: str) -> str:
        return self.result(field).format(field, value, locale)


class FormulaType(ComputedType):
    """A read-only expression over the row's and referenced fields, compiled to SQL."""

    name = "formula"
    widget = "readonly"
    properties = frozenset({"formula", "result_type", "choices"})

    def check(self, field: Field, table: Table, config: Configuration) -> Iterable[str]:
        if field.result_type == "choice":
            if not field.choices:
                yield 'a formula with result_type "choice" needs "choices"'
        elif field.choices:
            yield '"choices" needs result_type "choice"'


class RollupType(ComputedType):
    """sum/count/min/max/avg of a child table's field over the rows that reference this one."""

    name = "rollup"
    widget = "readonly"
    properties = frozenset({"rollup", "result_type", "stored"})

    def result(self, field: Field) -> FieldType:
        if field.result_type:
            return RESULT_TYPES[field.result_type]
        if field.rollup and field.rollup.aggregate == "count":
            return RESULT_TYPES["integer"]
        return RESULT_TYPES["decimal"]


SPECIAL_TYPES: tuple[type[FieldType], ...] = (
    ChoiceType,
    ReferenceType,
    UserType,
    FileType,
    ImageType,
    JsonType,
    FormulaType,
    RollupType,
)
