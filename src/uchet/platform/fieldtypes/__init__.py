"""Field types: the registry and the built-in types (see :mod:`.base`), and the validation
of record values the types' parsers and marshmallow fields make up (:mod:`.validation`).

May import ``model`` only. Re-exports the names plug-ins use to write a field type.
"""

from uchet.platform.fieldtypes.base import (
    FieldType,
    FieldTypeRegistry,
    ParsedField,
    ParseError,
    rollup_nullable,
    stored_rollup,
)
from uchet.platform.fieldtypes.scalar import SCALAR_TYPES, normalize_phone
from uchet.platform.fieldtypes.special import SPECIAL_TYPES, FileValue

BUILTIN_TYPES = SCALAR_TYPES + SPECIAL_TYPES

__all__ = [
    "BUILTIN_TYPES",
    "FieldType",
    "FieldTypeRegistry",
    "FileValue",
    "ParseError",
    "ParsedField",
    "normalize_phone",
    "rollup_nullable",
    "stored_rollup",
]
