"""Interface texts of the import screens and of export rights (issue 17), merged into
``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids are the English texts, as there."""

from __future__ import annotations

IMPORT_TEXTS: dict[str, dict[str, str]] = {
    "Import": {"ru": "Импорт"},
    "Row": {"ru": "Строка"},
    "Column": {"ru": "Столбец"},
    "Message": {"ru": "Сообщение"},
    "Mode": {"ru": "Режим"},
    "Undone": {"ru": "Отменён"},
    "Records created": {"ru": "Создано"},
    "Records updated": {"ru": "Обновлено"},
    "Skipped rows": {"ru": "Пропущено строк"},
    "Your latest imports": {"ru": "Ваши последние импорты"},
    "No imports yet.": {"ru": "Импортов пока не было."},
    "Undo import": {"ru": "Отменить импорт"},
    "Back to the list": {"ru": "К списку"},
    "Upload and map columns": {"ru": "Загрузить и сопоставить столбцы"},
    "Excel (xlsx, xls), LibreOffice Calc (ods) or CSV/TSV in any encoding; the first row "
    "holds the column names. At most %(mb)s MB.": {
        "ru": "Excel (xlsx, xls), LibreOffice Calc (ods) или CSV/TSV в любой кодировке; в "
        "первой строке — названия столбцов. Не больше %(mb)s МБ."
    },
    "Choose a file to import.": {"ru": "Выберите файл для импорта."},
    "The file is larger than %(mb)s MB.": {"ru": "Файл больше %(mb)s МБ."},
    "Encoding": {"ru": "Кодировка"},
    "Delimiter": {"ru": "Разделитель"},
    "comma": {"ru": "запятая"},
    "semicolon": {"ru": "точка с запятой"},
    "tab": {"ru": "табуляция"},
    "Saved mapping": {"ru": "Сохранённое сопоставление"},
    "Column of the file": {"ru": "Столбец файла"},
    "Match by": {"ru": "Искать по"},
    "If nothing matches": {"ru": "Если не найдено"},
    "do not import": {"ru": "не загружать"},
    "title": {"ru": "названию"},
    "report the row": {"ru": "ошибка в строке"},
    "leave empty": {"ru": "оставить пустым"},
    "create the record": {"ru": "создать запись"},
    "Create only": {"ru": "Только создать"},
    "Create and update": {"ru": "Создать и обновить"},
    "Update only": {"ru": "Только обновить"},
    "Key field (finds existing records)": {
        "ru": "Ключевое поле (по нему ищутся существующие записи)"
    },
    "Import the good rows and report the bad ones (otherwise all or nothing)": {
        "ru": "Загрузить хорошие строки, а об ошибочных сообщить (иначе — всё или ничего)"
    },
    "Warn of duplicates of existing records (as the card does) and do not create them": {
        "ru": "Предупреждать о дубликатах существующих записей (как карточка) и не создавать их"
    },
    "Show the first rows": {"ru": "Показать первые строки"},
    "Dry run": {"ru": "Пробный прогон"},
    "Mapping name": {"ru": "Название сопоставления"},
    "Save the mapping": {"ru": "Сохранить сопоставление"},
    "Name the mapping to save it.": {"ru": "Чтобы сохранить сопоставление, дайте ему название."},
    "The mapping “%(name)s” was saved.": {"ru": "Сопоставление «%(name)s» сохранено."},
    "%(total)s row(s) checked, %(bad)s with problems; nothing was written.": {
        "ru": "Проверено строк: %(total)s, с ошибками: %(bad)s; ничего не записано."
    },
    "Download the report (xlsx, bad cells marked)": {
        "ru": "Скачать отчёт (xlsx, ошибочные ячейки отмечены)"
    },
    "«%(column)s»: no match for": {"ru": "«%(column)s»: не найдено"},
    "The first rows as they will be stored": {"ru": "Первые строки — как они будут сохранены"},
    "Among the first rows %(count)s have problems (see the dry run).": {
        "ru": "Среди первых строк с ошибками: %(count)s (подробности — в пробном прогоне)."
    },
    "Checking rows": {"ru": "Проверка строк"},
    "Writing rows": {"ru": "Запись строк"},
    "rows/s": {"ru": "строк/с"},
    "left about %(s)s s": {"ru": "осталось около %(s)s с"},
    "Waiting for the worker…": {"ru": "Ожидание обработчика заданий…"},
    "You may leave this page: the import goes on, and this address shows how it went.": {
        "ru": "Страницу можно закрыть: импорт продолжится, а по этому адресу будет виден итог."
    },
    "The import was refused:": {"ru": "Импорт отклонён:"},
    "Imported: %(created)s created, %(updated)s updated, %(skipped)s row(s) skipped.": {
        "ru": "Импорт выполнен: создано %(created)s, обновлено %(updated)s, пропущено строк: "
        "%(skipped)s."
    },
    "%(count)s row(s) have errors; nothing was imported.": {
        "ru": "Строк с ошибками: %(count)s; ничего не загружено."
    },
    "The import was not undone: %(reason)s": {"ru": "Импорт не отменён: %(reason)s"},
    "The import was undone: %(count)s record(s) taken back.": {
        "ru": "Импорт отменён: возвращено записей: %(count)s."
    },
    "The list is large: the file is being prepared in the background. This page shows the "
    "link when it is ready.": {
        "ru": "Список большой: файл готовится в фоне. Когда он будет готов, здесь появится ссылка."
    },
    "The file is ready (%(rows)s rows).": {"ru": "Файл готов (строк: %(rows)s)."},
    "The export failed.": {"ru": "Выгрузка не удалась."},
    "You may not export this list.": {"ru": "У вас нет права выгружать этот список."},
}
