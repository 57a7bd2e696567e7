"""Interface texts in the user's language (S43): one lookup order for templates and Python.

A message id is the English text. It is looked up, for a given locale, in:

1. the configuration's translation documents (``translations/<locale>.json``, "messages"),
   so an integrator rewords any screen without touching Python;
2. uchet's own texts (:data:`uchet.web.texts.UI_TEXTS`);
3. Flask-Admin's shipped catalog (its ``admin`` gettext domain), which covers the strings of
   Flask-Admin's templates such as "Save and Continue Editing";
4. the message id itself (English).

Templates call ``_t('...')``; Flask-Admin's own templates call ``_gettext('...')``, which
views route to the same :meth:`Translator.gettext` (see ``TranslatedRender``). The catalogs
are read once per process; a configuration's overrides once per configuration version.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from flask_admin import translations

from uchet.web.texts import UI_TEXTS

TEMPLATES = Path(__file__).parent / "templates"
#: ``_t('...')`` / ``_gettext("...")`` calls with a literal message id, in templates.
_CALL = re.compile(r"""\b(?:_t|_gettext)\(\s*(['"])(.+?)(?<!\\)\1""")


@functools.cache
def admin_catalog(locale: str) -> NullTranslations:
    """Flask-Admin's shipped translations for ``locale`` (empty when it has none)."""
    return Translations.load(translations.__path__[0], [locale], domain="admin")


class Translator:
    """The interface texts of one configuration version."""

    def __init__(self, translation_docs: Iterable[Any]):
        overrides: dict[str, dict[str, str]] = {}
        for doc in translation_docs:
            data = getattr(doc, "data", doc)
            overrides.setdefault(str(data.get("locale")), {}).update(data.get("messages", {}))
        self.overrides: Mapping[str, Mapping[str, str]] = overrides

    def lookup(self, locale: str, msgid: str) -> str | None:
        """The translation of ``msgid`` for ``locale``, or None when no catalog has it."""
        found = self.overrides.get(locale, {}).get(msgid) or UI_TEXTS.get(msgid, {}).get(locale)
        if found:
            return found
        text = admin_catalog(locale).gettext(msgid)
        return text if text != msgid else None

    def gettext(self, locale: str, msgid: str, **params: Any) -> str:
        """``msgid`` in ``locale`` with ``%(name)s`` placeholders filled from ``params``."""
        text = self.lookup(locale, msgid) or msgid
        if not params:
            return text
        try:
            return text % params
        except (KeyError, ValueError, TypeError):
            # A configuration's override with a broken placeholder must not take the page
            # down: fall back to the built-in text.
            return msgid % params


def template_msgids(root: Path = TEMPLATES) -> dict[str, set[str]]:
    """Every literal message id used by the templates under ``root``, with their files."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.html")):
        for match in _CALL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(2), set()).add(str(path.relative_to(root)))
    return found
