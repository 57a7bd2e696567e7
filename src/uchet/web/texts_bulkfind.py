"""Interface texts of bulk actions on lists and of Find everything (issue 21, points 4–5),
merged into ``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids are the English texts."""

from __future__ import annotations

BULKFIND_TEXTS: dict[str, dict[str, str]] = {
    # The bulk bar of a list.
    "Select": {"ru": "Выбрать"},
    "This page": {"ru": "Вся страница"},
    "Selected: %(n)s": {"ru": "Выбрано: %(n)s"},
    "All %(n)s matching the filter": {"ru": "Выбраны все %(n)s по фильтру"},
    "Select all %(n)s matching the filter": {"ru": "Выбрать все %(n)s по фильтру"},
    "Clear the selection": {"ru": "Снять выбор"},
    "Action": {"ru": "Действие"},
    "Continue…": {"ru": "Далее…"},
    "Change a field…": {"ru": "Изменить поле…"},
    "Delete…": {"ru": "Удалить…"},
    "Print: %(form)s": {"ru": "Печать: %(form)s"},
    "Export: %(format)s": {"ru": "Выгрузить: %(format)s"},
    "Choose an action.": {"ru": "Выберите действие."},
    "Nothing is selected.": {"ru": "Ничего не выбрано."},
    "The selection is damaged: select the rows again.": {
        "ru": "Выбор повреждён: отметьте строки заново."
    },
    # The confirmation page.
    "Records matching the filter: %(n)s.": {"ru": "Записей по фильтру: %(n)s."},
    "Selected records: %(n)s.": {"ru": "Выбрано записей: %(n)s."},
    "So many records are handled in the background; a page shows the progress.": {
        "ru": "Столько записей обрабатывается в фоне; ход работы будет виден на странице."
    },
    "Show the value box of this field": {"ru": "Показать поле для значения"},
    "New value": {"ru": "Новое значение"},
    "— clear —": {"ru": "— очистить —"},
    "The records will be deleted. Records that others still refer to are skipped.": {
        "ru": "Записи будут удалены. Записи, на которые ещё ссылаются другие, будут пропущены."
    },
    "Each record is changed on its own, under your rights; the records that cannot be changed "
    "are skipped and listed with the reason.": {
        "ru": "Каждая запись изменяется отдельно, в пределах ваших прав; записи, которые "
        "изменить нельзя, будут пропущены и перечислены с причиной."
    },
    "Apply to %(n)s records": {"ru": "Применить к записям: %(n)s"},
    "Print %(n)s records": {"ru": "Напечатать записи: %(n)s"},
    "Export %(n)s records": {"ru": "Выгрузить записи: %(n)s"},
    # The outcome.
    "The records are being handled in the background: %(done)s of %(total)s.": {
        "ru": "Записи обрабатываются в фоне: %(done)s из %(total)s."
    },
    "The action did not run: %(reason)s": {"ru": "Действие не выполнено: %(reason)s"},
    "The action failed.": {"ru": "Действие завершилось ошибкой."},
    "Done: %(done)s of %(total)s. Skipped: %(skipped)s.": {
        "ru": "Выполнено: %(done)s из %(total)s. Пропущено: %(skipped)s."
    },
    "Skipped records": {"ru": "Пропущенные записи"},
    "Reason": {"ru": "Причина"},
    "Only the first %(n)s skipped records are listed.": {
        "ru": "Показаны только первые %(n)s пропущенных записей."
    },
    "no right": {"ru": "нет права"},
    "outside your records": {"ru": "вне ваших записей (правило доступа)"},
    "not found or not yours": {"ru": "не найдена или недоступна"},
    "refused by a check": {"ru": "не прошла проверку"},
    "changed by someone else meanwhile": {"ru": "изменена другим пользователем"},
    # Find everything.
    "Find: phone, name or number": {"ru": "Найти: телефон, имя или номер"},
    "Searched by the first letters of the words; four or more digits also find phones "
    "ending in them.": {
        "ru": "Искали по первым буквам слов; четыре и больше цифр находят и телефоны, "
        "которые ими оканчиваются."
    },
    "Results in every table": {"ru": "Результаты во всех таблицах"},
    "Page %(n)s": {"ru": "Страница %(n)s"},
    "All results": {"ru": "Все результаты"},
    "Type a phone number in any format (or its last four digits), the first letters of a "
    "name, or a document number.": {
        "ru": "Введите телефон в любом виде (или его последние четыре цифры), первые буквы "
        "имени или номер документа."
    },
}
