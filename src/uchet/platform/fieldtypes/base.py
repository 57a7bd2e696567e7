"""The field-type registry (ARCHITECTURE rule 6: registries, not string switches).

A field type is one registered object. It knows its SQL column, its marshmallow field, how it
parses from text or a spreadsheet cell, how it is searched and how it is displayed. The
built-in types are registered by the default plugin through the same pluggy hook
(``uchet_register_field_types``) that an ISV uses to add its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from marshmallow import fields as mm
from marshmallow import validate
from marshmallow.exceptions import ValidationError as MMValidationError
from sqlalchemy.types import TypeEngine

from uchet.platform.model.i18n import MESSAGES, OwnText, Text, message, own_message

if TYPE_CHECKING:
    from uchet.platform.model.config import Configuration, Field, Table

_WORD = re.compile(r"\w+", re.UNICODE)
#: First characters the exports guard with a ``'`` (see ``features.cellsafety``); the
#: layers below features cannot import it, so the set is repeated here.
_FORMULA_START = frozenset("=+-@\t\r")


class ParseError(ValueError):
    """A value could not be parsed; the user sees :meth:`localized` in their language.

    ``text`` is one of

    - the key of an engine message (:data:`uchet.platform.model.i18n.MESSAGES`), or a
      :class:`~uchet.platform.model.i18n.Text`: ``ParseError("too_long", max=20)``;
    - a plug-in's own text, shown as is in every language:
      ``ParseError("letters and digits only")``;
    - a plug-in's text per locale:
      ``ParseError({"ru": "только буквы и цифры", "en": "letters and digits only"})``.

    ``params`` fill the ``{name}`` placeholders of the text. ``str(error)`` is English.
    """

    #: The engine message's key; None for a plug-in's own text.
    key: str | None
    #: The text as given (a key, plain text or text per locale) and its parameters.
    text: OwnText
    params: dict[str, Any]

    def __init__(self, text: OwnText, **params: Any):
        if isinstance(text, Text):
            self.key, self.text, self.params = text.key, text.key, {**text.params, **params}
        else:
            self.key = text if isinstance(text, str) and text in MESSAGES else None
            self.text, self.params = text, params
        super().__init__(self.localized("en"))

    def localized(self, locale: str) -> str:
        """The message in ``locale``."""
        if self.key is not None:
            return message(self.key, locale, **self.params)
        return own_message(self.text, locale, **self.params)


class FieldType:
    """Behaviour of one kind of field. Subclass it and register an instance.

    Subclasses set :attr:`name` and override :meth:`column_type` and :meth:`parse`; the
    other methods have sensible defaults.
    """

    #: The name used as ``"type"`` in configurations.
    name: ClassVar[str] = ""
    #: Whether values live in a column of the table (False for formula and rollup).
    stored: ClassVar[bool] = True
    #: Whether values contribute words to the quick-search key.
    searchable: ClassVar[bool] = False
    #: Field properties this type understands beyond the common ones (documented, checked).
    properties: ClassVar[frozenset[str]] = frozenset()
    #: Whether the column's value can be compared by size (min/max and range filters).
    ordered: ClassVar[bool] = False
    #: The kind of input that edits it, by name; front ends map names to their widgets
    #: (the web layer's registry is :mod:`uchet.web.widgets`), so the engine stays UI-free.
    widget: ClassVar[str] = "text"
    #: Whether :meth:`parse` and :meth:`validators` depend on nothing but the value and
    #: return an immutable value, so that a bulk load may check a value it has seen once
    #: and reuse the result for the rows that repeat it (see ``validation.FieldCheck``).
    #: It counts only for the class that declares it and its subclasses that do not
    #: override ``parse`` or ``validators`` again.
    cacheable_parse: ClassVar[bool] = False

    def column_type(self, field: Field) -> TypeEngine[Any]:
        """The SQLAlchemy type of the column that stores the field."""
        raise NotImplementedError

    def parse(self, field: Field, value: Any) -> Any:
        """Turn text, JSON or a spreadsheet cell into the stored Python value.

        Empty text means no value (``None``). Raise :class:`ParseError` when impossible.
        """
        raise NotImplementedError

    def parse_cell(self, field: Field, value: Any) -> Any:
        """Turn a cell of an imported spreadsheet or csv into the stored value (issue 17).

        A cell holds what people typed into another program: ``1 234,50 ₽``, ``да``,
        ``+7 (900) 123-45-67``, a date the reader already typed, or a csv cell the product's
        own export guarded with ``'`` against formulas. By default the guard is removed and
        the value goes to :meth:`parse`; types override this for their own spreadsheet forms.
        Raise :class:`ParseError` when impossible.
        """
        if isinstance(value, str) and value.startswith("'") and value[1:2] in _FORMULA_START:
            value = value[1:]  # the export's formula guard (cellsafety.csv_text)
        return self.parse(field, value)

    def dump(self, field: Field, value: Any) -> Any:
        """The JSON-compatible form of a stored value (for APIs and exports)."""
        return value

    def format(self, field: Field, value: Any, locale: str) -> str:
        """The value as text for people, in ``locale``."""
        return "" if value is None else str(value)

    def search_terms(self, field: Field, value: Any) -> Iterator[str]:
        """Case-folded terms a quick search should find the record by (S03)."""
        if value is None or not self.searchable:
            return
        text = str(value).casefold()
        yield text[:100]
        for word in _WORD.findall(text)[1:]:
            yield word[:100]

    def check(self, field: Field, table: Table, config: Configuration) -> Iterable[str]:
        """Problems of the field's configuration that only this type knows about."""
        return ()

    def validators(self, field: Field, locale: str) -> list[Any]:
        """Marshmallow validators from the common properties (length, range, pattern)."""
        result: list[Any] = []
        if field.max_length:
            result.append(
                validate.Length(
                    max=field.max_length, error=message("too_long", locale, max=field.max_length)
                )
            )
        if self.ordered and field.min is not None:
            lo = self.parse(field, field.min)
            result.append(validate.Range(min=lo, error=message("too_small", locale, min=field.min)))
        if self.ordered and field.max is not None:
            hi = self.parse(field, field.max)
            result.append(validate.Range(max=hi, error=message("too_large", locale, max=field.max)))
        if field.pattern:
            result.append(validate.Regexp(field.pattern, error=message("pattern", locale)))
        return result

    def marshmallow_field(self, field: Field, locale: str) -> mm.Field:
        """The marshmallow field that validates input for ``field`` in ``locale``."""
        return ParsedField(
            self,
            field,
            locale,
            required=False,
            allow_none=not field.required,
            validate=self.validators(field, locale),
            error_messages={"null": message("required", locale)},
        )


class ParsedField(mm.Field):
    """A marshmallow field that parses through its :class:`FieldType`.

    Using one parser for JSON, form text and spreadsheet cells keeps import, the API and the
    web forms in agreement about what a valid value is.
    """

    def __init__(self, ftype: FieldType, field: Field, locale: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.ftype, self.field_def, self.locale = ftype, field, locale

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            result = self.ftype.parse(self.field_def, value)
        except ParseError as e:
            raise MMValidationError(e.localized(self.locale)) from None
        if result is None and self.field_def.required:
            # "" and "  " parse to no value, which a required field cannot take.
            raise MMValidationError(message("required", self.locale))
        return result

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return self.ftype.dump(self.field_def, value)


class FieldTypeRegistry:
    """Field types by name."""

    def __init__(self) -> None:
        self._types: dict[str, FieldType] = {}

    def register(self, ftype: FieldType, *, replace: bool = False) -> None:
        """Add ``ftype``. Registering a taken name is an error unless ``replace``."""
        if not ftype.name:
            raise ValueError(f"{type(ftype).__name__} has no name")
        if ftype.name in self._types and not replace:
            raise ValueError(f"field type {ftype.name!r} is already registered")
        self._types[ftype.name] = ftype

    def get(self, name: str) -> FieldType:
        """The type called ``name``; KeyError naming the known types otherwise."""
        try:
            return self._types[name]
        except KeyError:
            raise KeyError(
                f"unknown field type {name!r}; known: {', '.join(sorted(self._types))}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def names(self) -> list[str]:
        """Registered type names, sorted."""
        return sorted(self._types)

    def for_field(self, field: Field) -> FieldType:
        """The type of ``field``."""
        return self.get(field.type)

    def has_column(self, field: Field) -> bool:
        """Whether ``field`` is a column of its table: a stored type, or a rollup marked
        ``stored`` (its column is kept up to date by :mod:`uchet.platform.schema.rollups`, and
        users never write it)."""
        return self.get(field.type).stored or stored_rollup(field)


def stored_rollup(field: Field) -> bool:
    """Whether ``field`` is a rollup kept in a column (``"stored": true``)."""
    return field.type == "rollup" and field.stored


def rollup_nullable(field: Field) -> bool:
    """Whether a stored rollup's column allows NULL: min, max and avg of no rows are
    unknown; sum and count of no rows are 0 (NOT NULL DEFAULT 0)."""
    return field.rollup is None or field.rollup.aggregate not in ("sum", "count")
