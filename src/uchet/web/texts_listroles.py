"""Interface texts of the list layout designer and of layouts per role (issue 15), merged
into ``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids are the English texts, as there.
"""

from __future__ import annotations

LISTROLES_TEXTS: dict[str, dict[str, str]] = {
    "Configure the list": {"ru": "Настроить список"},
    "List layout": {"ru": "Макет списка"},
    "List layout of %(table)s": {"ru": "Макет списка «%(table)s»"},
    "These are the defaults every user starts from; the columns and widths a user chooses "
    "for themselves stay on top of them.": {
        "ru": "Это настройки по умолчанию для всех пользователей; столбцы и ширины, "
        "выбранные пользователем для себя, остаются поверх них."
    },
    "Drag a row by its handle, or focus it and press Alt+↑ or Alt+↓. Checked fields are "
    "the columns, in this order.": {
        "ru": "Перетащите строку за значок ⠿ или выделите её и нажмите Alt+↑ или Alt+↓. "
        "Отмеченные поля — столбцы списка, в этом порядке."
    },
    "Changing the quick-search fields rebuilds the search terms of every record when saved: "
    "on a large table that takes a while.": {
        "ru": "Изменение полей быстрого поиска при сохранении перестраивает поисковые термины "
        "всех записей: на большой таблице это займёт время."
    },
    "Drag to move": {"ru": "Перетащите, чтобы переместить"},
    "Width, px": {"ru": "Ширина, пикс."},
    "Filter in the header": {"ru": "Фильтр в заголовке"},
    "Quick search": {"ru": "Быстрый поиск"},
    "Move up": {"ru": "Выше"},
    "Move down": {"ru": "Ниже"},
    "Remove": {"ru": "Убрать"},
    "Undo": {"ru": "Отменить"},
    "Redo": {"ru": "Вернуть"},
    "Default sort": {"ru": "Сортировка по умолчанию"},
    "Sort by": {"ru": "Сортировать по"},
    "Direction": {"ru": "Направление"},
    "Ascending": {"ru": "По возрастанию"},
    "Descending": {"ru": "По убыванию"},
    "Add a sort key": {"ru": "Добавить поле сортировки"},
    "What changed and why": {"ru": "Что изменено и зачем"},
    "Keep at least one column in the list.": {"ru": "Оставьте в списке хотя бы один столбец."},
    "The width is a whole number of pixels from %(min)s to %(max)s.": {
        "ru": "Ширина — целое число пикселей от %(min)s до %(max)s."
    },
    "No such field to sort by.": {"ru": "Такого поля для сортировки нет."},
    "A field is sorted by only once.": {"ru": "По одному полю сортируют только один раз."},
}
