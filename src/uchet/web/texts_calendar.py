"""Interface texts of the calendar and kanban screens (issue 21), merged into ``UI_TEXTS``
by :mod:`uchet.web.texts`; the message ids are the English texts, as there."""

from __future__ import annotations

CALENDAR_TEXTS: dict[str, dict[str, str]] = {
    "Calendar": {"ru": "Календарь"},
    "Board": {"ru": "Доска"},
    "Month": {"ru": "Месяц"},
    "Week": {"ru": "Неделя"},
    "Day": {"ru": "День"},
    "List": {"ru": "Список"},
    "All day": {"ru": "Весь день"},
    "more": {"ru": "ещё"},
    "By the field «%(field)s»": {"ru": "По полю «%(field)s»"},
    "Open the list": {"ru": "Открыть список"},
    "Moved: %(title)s": {"ru": "Перенесено: %(title)s"},
    "Could not move the record": {"ru": "Не удалось перенести запись"},
    "Could not load the records": {"ru": "Не удалось загрузить записи"},
    "Read only: you may not change this field.": {
        "ru": "Только просмотр: менять это поле вам нельзя."
    },
    "Records in the column": {"ru": "Записей в колонке"},
    "Shown %(shown)s of %(total)s; the list shows them all.": {
        "ru": "Показано %(shown)s из %(total)s; все — в списке."
    },
    "You may not see these records.": {"ru": "Эти записи вам недоступны."},
    "The request is not understood.": {"ru": "Запрос не понят."},
    "Give a period of at most two months.": {"ru": "Укажите период не длиннее двух месяцев."},
    # The Gantt chart of a report (report.js): its legend.
    "In progress": {"ru": "В работе"},
}
