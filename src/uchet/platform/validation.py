"""Validation of record values by marshmallow schemas generated from the metadata.

One schema per (table, locale, create/update) is built on first use and cached. Every field's
problems come back together, in the user's locale; unknown fields are rejected; values are
coerced from strings (and spreadsheet cells) by the field types' parsers.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from marshmallow import RAISE, Schema
from marshmallow.exceptions import ValidationError as MMValidationError

from uchet.platform.errors import ValidationError
from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.i18n import message
from uchet.platform.model import Table


class RecordValidator:
    """Validates and coerces values for one table."""

    def __init__(self, table: Table, types: FieldTypeRegistry):
        self.table, self.types = table, types
        self.schema = cache(self._build)

    def _build(self, locale: str, creating: bool) -> Schema:
        fields = {}
        for f in self.table.fields:
            ftype = self.types.get(f.type)
            if not ftype.stored:
                continue  # computed values are never written
            mm_field = ftype.marshmallow_field(f, locale)
            # On create a required field must be present (defaults are filled in before);
            # on update only the fields given are checked.
            mm_field.required = creating and f.required
            mm_field.error_messages["required"] = message("required", locale)
            fields[f.name] = mm_field
        schema_cls = Schema.from_dict(fields, name=f"{self.table.name}_{locale}_schema")
        schema_cls.error_messages = {
            **Schema.error_messages,
            "unknown": message("unknown", locale),
        }
        return schema_cls(unknown=RAISE)

    def load(
        self,
        values: Mapping[str, Any],
        *,
        locale: str = "en",
        creating: bool,
        row: int | None = None,
    ) -> dict[str, Any]:
        """Coerced values, or :class:`ValidationError` with every problem per field.

        The generated schema's fields do the work (parsing, required, validators), but this
        drives them directly instead of through ``Schema.load``: that walks every declared
        field for every row, which made bulk loads four times slower (docs/performance.md).
        The messages are the schema's own.
        """
        schema = self.schema(locale, creating)
        fields = schema.fields
        errors: dict[str, list[str]] = {}
        result: dict[str, Any] = {}
        for name, value in values.items():
            fld = fields.get(name)
            if fld is None:
                errors[name] = [schema.error_messages["unknown"]]
                continue
            try:
                result[name] = fld.deserialize(value, name, values)
            except MMValidationError as e:
                errors[name] = _flatten(e.messages).get("_schema", [])
        if creating:
            for name, fld in fields.items():
                if fld.required and name not in values:
                    errors[name] = [message("required", locale)]
        if errors:
            raise ValidationError(errors, row=row)
        return result


def _flatten(messages: Any) -> dict[str, list[str]]:
    if isinstance(messages, dict):
        return {k: v if isinstance(v, list) else [str(v)] for k, v in messages.items()}
    return {"_schema": list(messages) if isinstance(messages, list) else [str(messages)]}
