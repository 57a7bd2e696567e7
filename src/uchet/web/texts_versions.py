"""Interface texts of the configuration versions page (issue 16, point 7), merged into
``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids are the English texts, as there."""

from __future__ import annotations

VERSIONS_TEXTS: dict[str, dict[str, str]] = {
    "Configuration versions": {"ru": "Версии конфигурации"},
    "Version": {"ru": "Версия"},
    "Source": {"ru": "Источник"},
    "Bundle": {"ru": "Комплект"},
    "No versions yet: the database was never migrated.": {
        "ru": "Версий пока нет: база данных ещё не обновлялась."
    },
    "Every change of the configuration applied to the database, newest first.": {
        "ru": "Все изменения конфигурации, применённые к базе данных, сначала новые."
    },
    "Report of the last upgrade (version %(version)s)": {
        "ru": "Отчёт последнего обновления (версия %(version)s)"
    },
    "Roll back from the command line: uchet config rollback VERSION --plan": {
        "ru": "Откат выполняется из командной строки: uchet config rollback ВЕРСИЯ --plan"
    },
}
