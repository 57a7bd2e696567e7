"""Interface texts of the mailing integration in the CRM (issue 19): the bulk bar's
«Рассылка…» entry. Merged into ``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids are
the English texts, as there."""

from __future__ import annotations

MAILINT_TEXTS: dict[str, dict[str, str]] = {
    "Mailing…": {"ru": "Рассылка…"},
    "Write to %(n)s records": {"ru": "Написать по записям: %(n)s"},
}
