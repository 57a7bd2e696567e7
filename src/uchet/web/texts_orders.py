"""Interface texts of documents made from a record (an invoice from an order, issue 19),
merged into ``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids are the English texts."""

from __future__ import annotations

ORDERS_TEXTS: dict[str, dict[str, str]] = {
    "Make a document from this record": {"ru": "Создать документ на основании этой записи"},
    "Made from %(source)s. Rows copied: %(count)s.": {
        "ru": "Создано на основании записи «%(source)s». Скопировано строк: %(count)s."
    },
    "Make it? The document is created now, with the rows copied.": {
        "ru": "Создать документ? Он будет создан сразу, со скопированными строками."
    },
    "The document was not made:": {"ru": "Документ не создан:"},
}
