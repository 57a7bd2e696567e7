"""What every request of one inner app needs: the runtime, the acting user, the locale.

One :class:`WebContext` belongs to one inner app, so to one configuration version. Views get
their record services from it, which keeps a request on the version its app was built for
even when a newer one is being swapped in (ARCHITECTURE rule 7), and keeps every read and
write on the record service's permission checks (rule 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user

from uchet.platform.model.config import Labels, Table, label_text
from uchet.platform.model.i18n import localized
from uchet.platform.records.permissions import Access
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import User
from uchet.web.i18n import Translator
from uchet.web.settings import WebSettings

if TYPE_CHECKING:
    from uchet.core import Platform

CTX_KEY = "uchet_ctx"
#: List query parameters an engine message may be about, and how the screen calls them.
QUERY_KEYS = {
    "sort": "Sort", "columns": "Columns", "group_by": "Grouping", "after": "Page",
    "search": "Search", "limit": "Page size", "offset": "Page", "filters": "Filter",
}  # fmt: skip
LOCALE_KEY = "uchet_locale"


@dataclass
class WebContext:
    """The platform, runtime and settings of one inner app."""

    platform: Platform
    runtime: Runtime
    settings: WebSettings

    @property
    def config(self) -> Any:
        return self.runtime.config

    @cached_property
    def translator(self) -> Translator:
        """Interface texts of this configuration version (see :mod:`uchet.web.i18n`)."""
        return Translator(self.config.translations)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self.config.manifest.locales)

    # -- per request ----------------------------------------------------------------------
    def user(self) -> User:
        """The logged-in user (views are only reachable when someone is logged in)."""
        return current_user.user

    def locale(self) -> str:
        """The user's chosen locale, else the session's, else the browser's, else the default.

        Worked out once per request: a list page asks for it for every cell, and working it
        out costs more than rendering the cell. (A request that logs in or out, or switches
        the language, ends with a redirect, so the next request works it out again.)
        """
        if not has_request_context():
            return str(self.config.manifest.default_locale)
        found = g.get(LOCALE_KEY)
        if found is None:
            found = self._find_locale()
            setattr(g, LOCALE_KEY, found)
        return str(found)

    def _find_locale(self) -> str:
        chosen = None
        if current_user and current_user.is_authenticated:
            chosen = current_user.user.locale
        chosen = chosen or session.get("locale")
        if chosen in self.locales:
            return str(chosen)
        best = request.accept_languages.best_match(self.locales)
        if best:
            return best
        return str(self.config.manifest.default_locale)

    def label(self, labels: Labels, default: str = "") -> str:
        """A configuration label in the current locale."""
        return label_text(labels, self.locale(), default=default)

    def table_label(self, table: Table) -> str:
        return self.label(table.label, table.name)

    def access(self, table_id: str) -> Access:
        """The current user's rights on a table."""
        return self.runtime.permissions.access(self.user(), table_id)

    def records(self, table_id: str) -> RecordService:
        """The record service of ``table_id`` acting as the current user, in their locale."""
        return RecordService(self.runtime, table_id, self.user(), self.locale())

    def gettext(self, msgid: str, **params: Any) -> str:
        """An interface text in the current locale. The configuration's translation
        documents (S43) override the built-in catalogs (uchet's and Flask-Admin's)."""
        return self.translator.gettext(self.locale(), msgid, **params)

    def error_text(self, exc: Exception, table: Table | None = None) -> str:
        """An engine error as the user should read it: each message in their language
        (:class:`~uchet.platform.model.i18n.Text`), each field named by its label in ``table``."""
        locale = self.locale()
        messages = getattr(exc, "messages", None)
        if not isinstance(messages, dict):
            return localized(exc.args[0] if exc.args else exc, locale)
        parts = []
        for key, texts in messages.items():
            text = " ".join(localized(t, locale) for t in (texts if isinstance(texts, list)
                                                           else [texts]))  # fmt: skip
            name = self._key_label(str(key), table)
            parts.append(f"{name}: {text}" if name else text)
        return "; ".join(parts)

    def _key_label(self, key: str, table: Table | None) -> str:
        """What a message's key names: a field's label, a list parameter, or nothing."""
        if key in QUERY_KEYS:
            return self.gettext(QUERY_KEYS[key])
        if table is not None and table.has_field(key.split(".")[0]):
            return self.label(table.field_by_name(key.split(".")[0]).label, key)
        return "" if key.startswith("_") else key

    def is_superuser(self) -> bool:
        """Whether the logged-in user holds a superuser role (the MAIN administrator)."""
        if not current_user or not current_user.is_authenticated:
            return False
        return self.runtime.permissions.is_superuser(self.user())


def here() -> str:
    """The path and query of the current request as the browser sees it, including the
    prefix the screens are mounted under (``/crm/clients/?q=x``): for ``next=`` and return
    URLs, which would otherwise leave an embedded app (docs/deploy.md)."""
    return request.script_root + request.full_path.rstrip("?")


def ctx() -> WebContext:
    """The context of the app serving the current request."""
    return current_app.extensions[CTX_KEY]
