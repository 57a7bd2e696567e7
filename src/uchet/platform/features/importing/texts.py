"""The importer's messages in the locales the engine ships (issue 17). They are kept beside
the importer (as a plug-in keeps its own texts) and shown by :func:`text`."""

from __future__ import annotations

from typing import Any

from uchet.platform.model.i18n import own_message

TEXTS: dict[str, dict[str, str]] = {
    "unknown_format": {
        "en": "{name}: only xlsx, xls, ods, csv and tsv files can be imported.",
        "ru": "{name}: загрузить можно только файлы xlsx, xls, ods, csv и tsv.",
    },
    "unreadable": {
        "en": "The file cannot be read as a spreadsheet.",
        "ru": "Файл не читается как таблица.",
    },
    "empty": {"en": "The file is empty.", "ru": "Файл пуст."},
    "no_columns": {
        "en": "No column of the file matches a field of the table.",
        "ru": "Ни один столбец файла не сопоставлен с полем таблицы.",
    },
    "unknown_field": {
        "en": "Column {column!r} is mapped to {field!r}, which the table has no writable "
        "field for.",
        "ru": "Столбец «{column}» сопоставлен с «{field}», а такого доступного поля нет.",
    },
    "no_right": {
        "en": "You may not import into {table}.",
        "ru": "У вас нет права загружать данные в «{table}».",
    },
    "key_needed": {
        "en": "Choose the key field that finds existing records.",
        "ru": "Выберите ключевое поле, по которому искать существующие записи.",
    },
    "key_not_mapped": {
        "en": "The key field {field} is not among the mapped columns.",
        "ru": "Ключевое поле «{field}» не сопоставлено ни с одним столбцом.",
    },
    "not_found": {
        "en": "No record with this key: update-only mode creates nothing.",
        "ru": "Записи с таким ключом нет, а режим «только обновить» ничего не создаёт.",
    },
    "key_twice": {
        "en": "Another row of the file has the same key.",
        "ru": "Другая строка файла с тем же ключом.",
    },
    "key_ambiguous": {
        "en": "Several records have this key.",
        "ru": "Этот ключ есть у нескольких записей.",
    },
    "no_match": {
        "en": "«{value}» matches no record of {table}.",
        "ru": "«{value}» не найдено в «{table}».",
    },
    "ambiguous": {
        "en": "«{value}» matches several records of {table}.",
        "ru": "«{value}» подходит к нескольким записям «{table}».",
    },
    "failed": {
        "en": "{count} row(s) have errors; nothing was imported.",
        "ru": "Ошибок в строках: {count}; ничего не загружено.",
    },
    "undone": {"en": "The import was already undone.", "ru": "Загрузка уже отменена."},
    "edited_since": {
        "en": "These records were changed after the import; undo would lose those changes: "
        "{records}.",
        "ru": "Эти записи изменены после загрузки, отмена потеряла бы изменения: {records}.",
    },
    "duplicate": {
        "en": "Possible duplicate: a record with the same {field} already exists.",
        "ru": "Возможен дубликат: запись с тем же значением «{field}» уже есть.",
    },
    "report_rows": {"en": "File", "ru": "Файл"},
    "report_problems": {"en": "Problems", "ru": "Ошибки"},
    "col_row": {"en": "Row", "ru": "Строка"},
    "col_column": {"en": "Column", "ru": "Столбец"},
    "col_value": {"en": "Value", "ru": "Значение"},
    "col_message": {"en": "Message", "ru": "Сообщение"},
    "unknown_import": {"en": "There is no import {id}.", "ru": "Загрузки {id} нет."},
}


def text(key: str, locale: str, **params: Any) -> str:
    """The message ``key`` in ``locale``."""
    return own_message(TEXTS[key], locale, **params)
