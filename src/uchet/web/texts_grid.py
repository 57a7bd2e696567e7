"""Interface texts of the document grid (issue 21: child rows edited in the parent's card),
merged into ``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids are the English texts."""

from __future__ import annotations

GRID_TEXTS: dict[str, dict[str, str]] = {
    "Row actions": {"ru": "Действия со строкой"},
    "Total": {"ru": "Итого"},
    "Add a row": {"ru": "Добавить строку"},
    "Enter: next row; Tab: next cell; arrows up and down: rows; Ctrl+Enter: save": {
        "ru": "Enter — следующая строка, Tab — следующая ячейка, стрелки вверх и вниз — "
        "строки, Ctrl+Enter — сохранить"
    },
    "Remove the row": {"ru": "Удалить строку"},
    "Move up": {"ru": "Выше"},
    "Move down": {"ru": "Ниже"},
    "No rows yet.": {"ru": "Строк пока нет."},
    "%(table)s, row %(row)s": {"ru": "%(table)s, строка %(row)s"},
    "Too many rows to compute before saving; the save will.": {
        "ru": "Строк слишком много, чтобы посчитать до сохранения; при сохранении посчитается."
    },
}
