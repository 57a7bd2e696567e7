"""Interface texts of the card designer (issue 15), merged into ``UI_TEXTS`` by
:mod:`uchet.web.texts`; the message ids are the English texts, as there."""

from __future__ import annotations

DESIGNER_TEXTS: dict[str, dict[str, str]] = {
    "Configure the form": {"ru": "Настроить форму"},
    "Form designer": {"ru": "Конструктор формы"},
    "Back to the card": {"ru": "К карточке"},
    "Layout": {"ru": "Раскладка"},
    "For everyone": {"ru": "Для всех"},
    "For the role «%(role)s»": {"ru": "Для роли «%(role)s»"},
    "Data of the record": {"ru": "Данные записи"},
    "This role has no layout of its own yet: you start from the layout for everyone; saving "
    "gives the role its own.": {
        "ru": "У этой роли ещё нет своей раскладки: вы начинаете с раскладки для всех; "
        "сохранение даст роли собственную."
    },
    "Undo": {"ru": "Отменить"},
    "Redo": {"ru": "Вернуть"},
    "Comment to the change": {"ru": "Комментарий к изменению"},
    "Fields not on the form": {"ru": "Поля не на форме"},
    "New field…": {"ru": "Новое поле…"},
    "Add": {"ru": "Добавить"},
    "Label or text": {"ru": "Название или текст"},
    "New section": {"ru": "Новый раздел"},
    "New tab": {"ru": "Новая вкладка"},
    "New tab of records": {"ru": "Вкладка записей"},
    "Records of another table": {"ru": "Записи другой таблицы"},
    "Text": {"ru": "Текст"},
    "Heading": {"ru": "Заголовок"},
    "Up": {"ru": "Вверх"},
    "Down": {"ru": "Вниз"},
    "Left": {"ru": "Влево"},
    "Right": {"ru": "Вправо"},
    "Next column": {"ru": "Следующий столбец"},
    "Previous section": {"ru": "Предыдущий раздел"},
    "Next section": {"ru": "Следующий раздел"},
    "Previous tab": {"ru": "Предыдущая вкладка"},
    "Next tab": {"ru": "Следующая вкладка"},
    "Width, columns": {"ru": "Ширина, столбцов"},
    "Take off the form": {"ru": "Убрать с формы"},
    "Label": {"ru": "Название"},
    "Can be folded": {"ru": "Можно свернуть"},
    "Folded at first": {"ru": "Сначала свёрнут"},
    "Shown to": {"ru": "Видят"},
    "(none chosen: everyone)": {"ru": "(ничего не выбрано — все)"},
    "Apply": {"ru": "Применить"},
    "Drag fields, sections and tabs; or select one and use the buttons or Alt with the arrow "
    "keys (Alt+PgUp/PgDn: another section).": {
        "ru": "Перетаскивайте поля, разделы и вкладки; или выберите элемент и нажимайте "
        "кнопки либо Alt со стрелками (Alt+PgUp/PgDn — в другой раздел)."
    },
    "Move the section to the tab:": {"ru": "Перенести раздел на вкладку:"},
    "Drag the section": {"ru": "Перетащите раздел"},
    "Section": {"ru": "Раздел"},
    "Section without a heading": {"ru": "Раздел без заголовка"},
    "folds": {"ru": "сворачивается"},
    "Drop here for a new row": {"ru": "Перетащите сюда — новая строка"},
    "Drag a section here or add a new one.": {"ru": "Перетащите сюда раздел или добавьте новый."},
    "Every field is on the form. Drag a field here to take it off.": {
        "ru": "Все поля на форме. Перетащите поле сюда, чтобы убрать его."
    },
    "The records of «%(table)s» of this record are listed here.": {
        "ru": "Здесь — список записей «%(table)s» этой записи."
    },
    "There are unsaved changes. Leave the designer?": {
        "ru": "Есть несохранённые изменения. Уйти из конструктора?"
    },
    "Card layout": {"ru": "Раскладка карточки"},
    "The server did not answer; nothing changed. Try again.": {
        "ru": "Сервер не ответил; ничего не изменилось. Попробуйте ещё раз."
    },
    "The layout has errors; nothing was saved.": {
        "ru": "В раскладке есть ошибки; ничего не сохранено."
    },
    "The layout sent is not a form layout.": {"ru": "Присланное — не раскладка формы."},
    "The request is incomplete.": {"ru": "Запрос неполон."},
    "The request is incomplete: %(problem)s.": {"ru": "Запрос неполон: %(problem)s."},
    "Unknown operation %(name)s.": {"ru": "Неизвестное действие %(name)s."},
    "Unknown move %(move)s.": {"ru": "Неизвестное перемещение %(move)s."},
    # The layout check and operations (formdesigner/layout.py).
    "There is no tab %(id)s.": {"ru": "Нет вкладки %(id)s."},
    "There is no section %(id)s.": {"ru": "Нет раздела %(id)s."},
    "There is no role %(role)s.": {"ru": "Нет роли %(role)s."},
    "The element %(id)s is not on the form.": {"ru": "Элемента %(id)s нет на форме."},
    "The section has no row %(row)s.": {"ru": "В разделе нет строки %(row)s."},
    "A row holds at most %(n)s fields.": {"ru": "В строке не больше %(n)s полей."},
    "A row is wider than %(n)s columns.": {"ru": "Строка шире %(n)s столбцов."},
    "The row has no room for this width.": {"ru": "В строке нет места для такой ширины."},
    "A width is 1 to %(n)s columns.": {"ru": "Ширина — от 1 до %(n)s столбцов."},
    "A text block needs a text.": {"ru": "Введите текст блока."},
    "A tab needs a label.": {"ru": "Введите название вкладки."},
    "A tab of child records holds no sections.": {"ru": "На вкладке записей нет разделов."},
    "The form already lists these records on a tab.": {
        "ru": "Эти записи уже показаны на вкладке формы."
    },
    "Only a section can be folded.": {"ru": "Свернуть можно только раздел."},
    "It is the first column.": {"ru": "Это первый столбец."},
    "It is the last column.": {"ru": "Это последний столбец."},
    "There is no section further.": {"ru": "Дальше разделов нет."},
    "There is no place further in this tab.": {"ru": "Дальше на этой вкладке места нет."},
    "There is no tab further.": {"ru": "Дальше вкладок нет."},
    "The id %(id)s is used twice.": {"ru": "Код %(id)s использован дважды."},
    "The field %(id)s does not refer to this table.": {
        "ru": "Поле %(id)s не ссылается на эту таблицу."
    },
    "The table has no field %(id)s.": {"ru": "В таблице нет поля %(id)s."},
    "The field %(id)s is placed twice.": {"ru": "Поле %(id)s размещено дважды."},
}
