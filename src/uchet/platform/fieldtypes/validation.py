"""Validation of record values by marshmallow schemas generated from the metadata.

One schema per (table, locale, create/update) is built on first use and cached. Every field's
problems come back together, in the user's locale; unknown fields are rejected; values are
coerced from strings (and spreadsheet cells) by the field types' parsers.

The schema is the source of the rules: each of its fields becomes a :class:`FieldCheck`
that calls the same parser, the same validators and the same messages, without marshmallow's
per-call machinery around them. Single writes and bulk loads both go through these checks,
so a row of an import is judged exactly as the same values typed into a form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from marshmallow import RAISE, Schema
from marshmallow import fields as mm
from marshmallow.exceptions import ValidationError as MMValidationError

from uchet.platform.fieldtypes import FieldTypeRegistry, ParseError
from uchet.platform.fieldtypes.base import ParsedField
from uchet.platform.model.config import Table
from uchet.platform.model.errors import ValidationError
from uchet.platform.model.i18n import message


class Invalid(Exception):
    """A value failed its checks; ``messages`` are the field's messages."""

    def __init__(self, messages: list[str]):
        super().__init__(messages)
        self.messages = messages


class FieldCheck:
    """The checks of one schema field, callable on one value: the coerced value or
    :class:`Invalid`.

    For the fields the field types make (:class:`ParsedField`) this does what
    ``Field.deserialize`` does, in the same order and with the same messages, minus the
    generic steps those fields never use (pre/post-load functions, ``missing``). Any other
    marshmallow field (an ISV's type may return its own) is called through ``deserialize``.
    """

    def __init__(self, name: str, fld: mm.Field):
        self.name, self.mm_field = name, fld
        hooks = getattr(fld, "pre_load", None) or getattr(fld, "post_load", None)
        self.fast = type(fld) is ParsedField and not hooks
        #: Whether a result may be reused for the same value (:meth:`Checks.bulk`).
        self.cacheable = False
        if isinstance(fld, ParsedField):
            self.cacheable = self.fast and _declared_cacheable(fld.ftype)
            self.parse: Callable[[Any, Any], Any] = fld.ftype.parse
            self.field = fld.field_def
            self.locale = fld.locale
        self.allow_none = fld.allow_none
        self.validators = tuple(fld.validators)
        self.null_message = str(fld.error_messages["null"])

    def __call__(self, value: Any) -> Any:
        if not self.fast:
            try:
                return self.mm_field.deserialize(value, self.name)
            except MMValidationError as e:
                raise Invalid(_as_list(e.messages)) from None
        if value is None:
            if self.allow_none:
                return None
            raise Invalid([self.null_message])
        try:
            result = self.parse(self.field, value)
        except ParseError as e:
            raise Invalid([e.localized(self.locale)]) from None
        if result is None:
            # "" and "  " parse to no value: a required field cannot take it, and there is
            # nothing to measure or match (a length check of None would only crash).
            if self.field.required:
                raise Invalid([message("required", self.locale)])
            return None
        if self.validators:
            errors: list[str] = []
            for validator in self.validators:  # every failing validator is reported, as And
                try:
                    validator(result)
                except MMValidationError as e:
                    errors.extend(_as_list(e.messages))
            if errors:
                raise Invalid(errors)
        return result


@dataclass(frozen=True)
class Checks:
    """The compiled checks of one schema: by field name, plus what a create must hold."""

    #: A :class:`FieldCheck` (or, for a bulk load, one that remembers results) per field.
    by_name: Mapping[str, Callable[[Any], Any]]
    required: tuple[str, ...]
    unknown_message: str
    required_message: str

    def load(self, values: Mapping[str, Any], row: int | None = None) -> dict[str, Any]:
        """Coerced values, or :class:`ValidationError` with every problem per field."""
        by_name = self.by_name
        errors: dict[str, list[str]] = {}
        result: dict[str, Any] = {}
        for name, value in values.items():
            check = by_name.get(name)
            if check is None:
                errors[name] = [self.unknown_message]
                continue
            try:
                result[name] = check(value)
            except Invalid as e:
                errors[name] = e.messages
        for name in self.required:
            if name not in values:
                errors[name] = [self.required_message]
        if errors:
            raise ValidationError(errors, row=row)
        return result

    def bulk(self) -> Callable[[Mapping[str, Any], int | None], dict[str, Any]]:
        """:meth:`load` for the rows of one bulk load: a field whose type declares
        ``cacheable_parse`` checks each distinct value once and reuses the result for
        the rows that repeat it (a category, a city, a manager: most columns of an
        import). Failures are not remembered, so every bad row gets its own messages."""
        by_name = {
            name: _remembering(check) if isinstance(check, FieldCheck) and check.cacheable
            else check
            for name, check in self.by_name.items()
        }  # fmt: skip
        return Checks(by_name, self.required, self.unknown_message, self.required_message).load


#: Distinct values remembered per field and load; beyond it a field stops remembering
#: unless most lookups were hits (a column of unique names gains nothing from it).
MEMO_SIZE = 4096
_MISSING = object()


def _remembering(check: FieldCheck) -> Callable[[Any], Any]:
    memo: dict[tuple[type, Any], Any] = {}
    hits = 0
    active = True

    def remembered(value: Any) -> Any:
        nonlocal hits, active
        if not active or value.__class__ not in _HASHABLE:
            return check(value)
        key = (value.__class__, value)  # 1, 1.0 and True are equal keys: tell them apart
        result = memo.get(key, _MISSING)
        if result is not _MISSING:
            hits += 1
            return result
        result = check(value)  # Invalid propagates and is not remembered
        if len(memo) >= MEMO_SIZE:
            if hits < MEMO_SIZE:
                active = False
                memo.clear()
                return result
            memo.clear()
            hits = 0
        memo[key] = result
        return result

    return remembered


#: Input types whose results may be remembered (immutable, hashable).
_HASHABLE = frozenset({str, int, float, bool})


def _declared_cacheable(ftype: Any) -> bool:
    """``cacheable_parse`` as declared by the class that defines the type's ``parse`` and
    ``validators`` or by a subclass of it (an override of either does not inherit it)."""
    if not getattr(ftype, "cacheable_parse", False):
        return False
    mro = type(ftype).__mro__
    flag = next(c for c in mro if "cacheable_parse" in c.__dict__)
    return all(
        issubclass(flag, next(c for c in mro if name in c.__dict__))
        for name in ("parse", "validators")
    )


class RecordValidator:
    """Validates and coerces values for one table."""

    def __init__(self, table: Table, types: FieldTypeRegistry):
        self.table, self.types = table, types
        self.schema = cache(self._build)
        self.checks = cache(self._compile)

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

    def _compile(self, locale: str, creating: bool) -> Checks:
        schema = self.schema(locale, creating)
        fields = schema.fields
        return Checks(
            by_name={name: FieldCheck(name, fld) for name, fld in fields.items()},
            required=tuple(name for name, fld in fields.items() if fld.required),
            unknown_message=schema.error_messages["unknown"],
            required_message=message("required", locale),
        )

    def load(
        self,
        values: Mapping[str, Any],
        *,
        locale: str = "en",
        creating: bool,
        row: int | None = None,
    ) -> dict[str, Any]:
        """Coerced values, or :class:`ValidationError` with every problem per field.

        The generated schema's fields do the work (parsing, required, validators) through
        their compiled :class:`Checks`, instead of ``Schema.load``: that walks every
        declared field for every row, which made bulk loads four times slower
        (docs/performance.md). The messages are the schema's own.
        """
        return self.checks(locale, creating).load(values, row)


def _as_list(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [str(m) for v in messages.values() for m in _as_list(v)]
    if isinstance(messages, list | tuple):
        return [str(m) for m in messages]
    return [str(messages)]
