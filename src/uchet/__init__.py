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
#: engine module (``uchet.platform.formula``, say) does not load the whole library.
_EXPORTS = {
    "Platform": "uchet.core",
    "NotMigrated": "uchet.core",
    "hookimpl": "uchet.hookspecs",
    "ConfigError": "uchet.platform.errors",
    "ConfigIssue": "uchet.platform.errors",
    "ConflictError": "uchet.platform.errors",
    "ConversionError": "uchet.platform.errors",
    "DestructiveChangeError": "uchet.platform.errors",
    "MigrationError": "uchet.platform.errors",
    "NotFound": "uchet.platform.errors",
    "PermissionDenied": "uchet.platform.errors",
    "UchetError": "uchet.platform.errors",
    "ValidationError": "uchet.platform.errors",
    "FieldType": "uchet.platform.fieldtypes",
    "FileValue": "uchet.platform.fieldtypes",
    "ParseError": "uchet.platform.fieldtypes",
    "Filter": "uchet.platform.query",
    "SYSTEM": "uchet.platform.users",
    "User": "uchet.platform.users",
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
