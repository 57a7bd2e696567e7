"""uchet: a low-code configurable data platform.

The public API::

    from uchet import Platform, SYSTEM
    platform = Platform.open("sample_crm", database_url="sqlite:///crm.db")
    platform.migrate()
    clients = platform.records("clients", user=SYSTEM)
    clients.create({"name": "Иванов ИП"})

and the web application (which needs the ``flask`` dependencies)::

    from uchet import create_app
    app = create_app(platform)

Every name is imported explicitly, so a type checker sees what it is (the package ships
``py.typed``). Importing ``uchet`` loads the engine, but never Flask: :func:`create_app`
imports the web layer when it is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from uchet.core import NotMigrated, Platform
from uchet.hookspecs import InsertBatch, RecordChange, hookimpl
from uchet.platform.fieldtypes import FieldType, FileValue, ParseError
from uchet.platform.model.errors import (
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
from uchet.platform.query.listquery import Filter
from uchet.platform.records.users import SYSTEM, User

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(platform: Platform | None = None, **settings: Any) -> Flask:
    """The uchet web application (a Flask app) for ``platform``.

    Without ``platform`` it opens ``UCHET_CONFIG`` (default: the bundled CRM) on
    ``UCHET_DATABASE_URL`` (default: ``sqlite:///uchet.db``); ``settings`` override the
    ``UCHET_*`` environment variables (see :func:`uchet.web.app.create_app` and
    docs/deploy.md).
    """
    # Imported here, not at the top: ``import uchet`` must work where Flask is not
    # installed (the engine alone, the CLI's schema commands), and the web layer is the one
    # part that needs it.
    from uchet.web.app import create_app as create_web_app

    return create_web_app(platform, **settings)


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
    "InsertBatch",
    "MigrationError",
    "NotFound",
    "NotMigrated",
    "ParseError",
    "PermissionDenied",
    "Platform",
    "RecordChange",
    "UchetError",
    "User",
    "ValidationError",
    "__version__",
    "create_app",
    "hookimpl",
]
