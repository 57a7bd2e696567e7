"""Interface texts of mass print to one PDF as a background job (issue 21, point 8),
merged into ``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids are the English texts."""

from __future__ import annotations

PRINTJOB_TEXTS: dict[str, dict[str, str]] = {
    "Mass print": {"ru": "Массовая печать"},
    "Print to one PDF": {"ru": "Печать в один PDF"},
    "One PDF": {"ru": "Один файл (PDF)"},
    "Documents are being printed in the background: %(done)s of %(total)s.": {
        "ru": "Документы печатаются в фоне: %(done)s из %(total)s."
    },
    "The file is ready: %(n)s documents. Skipped: %(skipped)s.": {
        "ru": "Файл готов: документов — %(n)s. Пропущено: %(skipped)s."
    },
    "The file is kept for %(days)s days.": {"ru": "Файл хранится %(days)s дн."},
    "The print was cancelled: %(done)s of %(total)s documents were made.": {
        "ru": "Печать отменена: сделано документов — %(done)s из %(total)s."
    },
    "No document could be made: every record was skipped.": {
        "ru": "Ни один документ не получился: все записи пропущены."
    },
    "You may not use this print form.": {"ru": "Вам недоступна эта печатная форма."},
    "The print failed.": {"ru": "Печать не удалась."},
    "the document failed": {"ru": "документ не получился"},
}
