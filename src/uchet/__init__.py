"""uchet: a low-code configurable data platform.

The public API::

    from uchet import Platform, SYSTEM
    platform = Platform.open("sample_crm", database_url="sqlite:///crm.db")
    platform.migrate()
    clients = platform.records("clients", user=SYSTEM)
    clients.create({"name": "Иванов ИП"})
"""

from importlib import import_module
from typing import Any

#: Public name -> module that defines it. Imported on first use, so that importing one
#: engine module (``uchet.platform.formula.sql``, say) does not load the whole library.
_EXPORTS = {
    "Platform": "uchet.core",
    "NotMigrated": "uchet.core",
    "hookimpl": "uchet.hookspecs",
    "ConfigError": "uchet.platform.model.errors",
    "ConfigIssue": "uchet.platform.model.errors",
    "ConflictError": "uchet.platform.model.errors",
    "ConversionError": "uchet.platform.model.errors",
    "DestructiveChangeError": "uchet.platform.model.errors",
    "MigrationError": "uchet.platform.model.errors",
    "NotFound": "uchet.platform.model.errors",
    "PermissionDenied": "uchet.platform.model.errors",
    "UchetError": "uchet.platform.model.errors",
    "ValidationError": "uchet.platform.model.errors",
    "FieldType": "uchet.platform.fieldtypes",
    "FileValue": "uchet.platform.fieldtypes",
    "ParseError": "uchet.platform.fieldtypes",
    "Filter": "uchet.platform.query.listquery",
    "SYSTEM": "uchet.platform.records.users",
    "User": "uchet.platform.records.users",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'uchet' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "SYSTEM",
    "ConfigError",
    "ConfigIssue",
    "ConflictError",
    "ConversionError",
    "DestructiveChangeError",
    "FieldType",
    "FileValue",
    "Filter",
    "MigrationError",
    "NotFound",
    "NotMigrated",
    "ParseError",
    "PermissionDenied",
    "Platform",
    "UchetError",
    "User",
    "ValidationError",
    "__version__",
    "hookimpl",
]
