"""uchet: a low-code configurable data platform.

The public API::

    from uchet import Platform, SYSTEM
    platform = Platform.open("sample_crm", database_url="sqlite:///crm.db")
    platform.migrate()
    clients = platform.records("clients", user=SYSTEM)
    clients.create({"name": "Иванов ИП"})
"""

from uchet.core import NotMigrated, Platform
from uchet.hookspecs import hookimpl
from uchet.platform.errors import (
    ConfigError,
    ConfigIssue,
    ConflictError,
    ConversionError,
    DestructiveChangeError,
    MigrationError,
    NotFound,
    PermissionDenied,
    UchetError,
    ValidationError,
)
from uchet.platform.fieldtypes import FieldType, FileValue, ParseError
from uchet.platform.query import Filter
from uchet.platform.users import SYSTEM, User

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
    "hookimpl",
    "__version__",
]
