"""The base of uchet's web forms: CSRF-checked, with WTForms' own messages in the user's
language (S43).

WTForms asks a form's ``Meta.get_translations`` for the texts of its own messages ("This
field is required.", "Not a valid integer value.", "CSRF token expired."). Flask-Admin's
``SecureForm`` answers through Flask-Babel when that is installed and in English otherwise,
so a Russian user met them in English. :class:`SecureForm` here answers with the request's
locale: the configuration's translations and uchet's texts first (an integrator can reword
any of them, as every other interface text), then the catalogue WTForms ships.
"""

from __future__ import annotations

import functools
import gettext
from typing import Any

from flask import current_app, has_request_context
from flask_admin.form import SecureForm as AdminSecureForm
from wtforms.i18n import messages_path

from uchet.web.context import CTX_KEY
from uchet.web.i18n import Translator


@functools.cache
def wtforms_catalog(locale: str) -> gettext.NullTranslations:
    """WTForms' shipped translations for ``locale`` (English, untranslated, when it has none)."""
    return gettext.translation("wtforms", messages_path(), [locale], fallback=True)


class FormTranslations:
    """What WTForms needs of a translations object, for one locale."""

    def __init__(self, locale: str, translator: Translator):
        self.locale, self.translator = locale, translator

    def gettext(self, string: str) -> str:
        """``string`` in the locale; WTForms fills its ``%(name)s`` placeholders itself."""
        found = self.translator.lookup(self.locale, string)
        return found or wtforms_catalog(self.locale).gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form for ``n`` (Russian has three; the catalogue knows them)."""
        return wtforms_catalog(self.locale).ngettext(singular, plural, n)


def request_translations() -> FormTranslations | None:
    """The translations of the current request's user, or None outside a uchet request."""
    if not has_request_context() or CTX_KEY not in current_app.extensions:
        return None
    c = current_app.extensions[CTX_KEY]
    return FormTranslations(c.locale(), c.translator)


class SecureForm(AdminSecureForm):
    """Flask-Admin's CSRF-checked form, speaking the user's language."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            found = request_translations()
            return found if found is not None else super().get_translations(form)  # type: ignore[misc]
