"""Interface texts of the screens that change the system rather than its records: the
structure editor and its history (issue 14), API tokens and webhooks (issue 18).

Kept apart from :mod:`uchet.web.texts` (which merges them into ``UI_TEXTS``) so that each
catalog stays one concept long; the message ids are the English texts, as there.
"""

from __future__ import annotations

SETTINGS_TEXTS: dict[str, dict[str, str]] = {}

# The structure editor and its history (issue 14, uchet.formdesigner.views).
SETTINGS_TEXTS.update(
    {
        "Configure": {"ru": "Настройка"},
        "Structure": {"ru": "Структура"},
        "Change history": {"ru": "История изменений"},
        "Every change is shown as a plan first and applied only when you confirm it.": {
            "ru": "Каждое изменение сначала показывается планом и применяется только после "
            "подтверждения."
        },
        "Tables": {"ru": "Таблицы"},
        "Fields": {"ru": "Поля"},
        "Menu section": {"ru": "Раздел меню"},
        "Menu sections": {"ru": "Разделы меню"},
        "Label (Russian)": {"ru": "Название (по-русски)"},
        "Label (English)": {"ru": "Название (по-английски)"},
        "Rename": {"ru": "Переименовать"},
        "Hide": {"ru": "Скрыть"},
        "Type": {"ru": "Тип"},
        "Where used": {"ru": "Где используется"},
        "Add a field": {"ru": "Добавить поле"},
        "Table label": {"ru": "Название таблицы"},
        "Visibility": {"ru": "Видимость"},
        "Hide the table and its menu entry": {"ru": "Скрыть таблицу и её пункт меню"},
        "Show the table and its menu entry": {"ru": "Показать таблицу и её пункт меню"},
        "Hide the field": {"ru": "Скрыть поле"},
        "Show the field": {"ru": "Показать поле"},
        "Help": {"ru": "Подсказка"},
        "Required": {"ru": "Обязательное"},
        "Default value": {"ru": "Значение по умолчанию"},
        "Choices, one per line": {"ru": "Варианты, по одному в строке"},
        "Reference to": {"ru": "Ссылка на таблицу"},
        "Comment": {"ru": "Комментарий"},
        "Check the change before it is applied": {"ru": "Проверьте изменение перед применением"},
        "Database operations": {"ru": "Операций с базой данных"},
        "Show the SQL": {"ru": "Показать SQL"},
        "When": {"ru": "Когда"},
        "Who": {"ru": "Кто"},
        "What changed": {"ru": "Что изменено"},
        "Return to this revision": {"ru": "Вернуться к этой версии"},
        "As the configuration files give it": {"ru": "Как в файлах конфигурации"},
        "No changes yet: the structure is as the configuration files give it.": {
            "ru": "Изменений пока нет: структура такая, как в файлах конфигурации."
        },
        "Saved as revision %(number)s.": {"ru": "Сохранено как версия %(number)s."},
        "Nothing was saved: %(problem)s": {"ru": "Ничего не сохранено: %(problem)s"},
        "Nothing was saved: the change would lose data; hide it instead.": {
            "ru": "Ничего не сохранено: изменение привело бы к потере данных; скройте его."
        },
        "Nothing changed.": {"ru": "Ничего не изменилось."},
        "Someone changed the structure meanwhile: %(changes)s": {
            "ru": "Структуру тем временем изменил другой пользователь: %(changes)s. Ваши "
            "данные в форме сохранены; откройте страницу заново и повторите."
        },
        "The configuration check failed: %(problem)s": {
            "ru": "Конфигурация не прошла проверку: %(problem)s"
        },
        "A label is required.": {"ru": "Нужно название."},
        "Latin lowercase letters, digits and _, starting with a letter.": {
            "ru": "Строчные латинские буквы, цифры и _, начиная с буквы."
        },
        "The table already has a field with this name.": {
            "ru": "В таблице уже есть поле с таким именем."
        },
        "Choose a type.": {"ru": "Выберите тип."},
        "Give at least one choice.": {"ru": "Укажите хотя бы один вариант."},
        "Choose the table the field refers to.": {
            "ru": "Выберите таблицу, на которую ссылается поле."
        },
        "formula of «%(label)s»": {"ru": "формула поля «%(label)s»"},
        "form «%(label)s»": {"ru": "форма «%(label)s»"},
        "report «%(label)s»": {"ru": "отчёт «%(label)s»"},
        "dashboard «%(label)s»": {"ru": "панель «%(label)s»"},
        "role «%(label)s»": {"ru": "роль «%(label)s»"},
        "Yes / no": {"ru": "Да / нет"},
        "Choice from a list": {"ru": "Выбор из списка"},
        "Date": {"ru": "Дата"},
        "Date and time": {"ru": "Дата и время"},
        "Decimal number": {"ru": "Дробное число"},
        "Image": {"ru": "Изображение"},
        "Whole number": {"ru": "Целое число"},
        "JSON data": {"ru": "Данные JSON"},
        "Money": {"ru": "Деньги"},
        "Percent": {"ru": "Процент"},
        "Phone": {"ru": "Телефон"},
        "Reference": {"ru": "Ссылка"},
        "Line of text": {"ru": "Строка"},
        "Long text": {"ru": "Текст"},
        "Time": {"ru": "Время"},
        "Web address": {"ru": "Адрес в интернете"},
        "Formula": {"ru": "Формула"},
        "Type the field's name %(name)s to confirm.": {
            "ru": "Для подтверждения введите имя поля: %(name)s."
        },
        "%(count)s values of this field will be deleted; a backup copy of them is kept in the "
        "database.": {
            "ru": "Будут удалены значения этого поля: %(count)s; их резервная копия "
            "сохранится в базе данных."
        },
        "A hidden field keeps its column and values; show it again at any time.": {
            "ru": "Скрытое поле сохраняет столбец и значения; его можно снова показать."
        },
        "Delete the field for good, with all its values.": {
            "ru": "Удалить поле навсегда вместе со всеми значениями."
        },
        "Delete for good": {"ru": "Удалить навсегда"},
        "Card tabs and sections": {"ru": "Вкладки и разделы карточки"},
        "tab": {"ru": "вкладка"},
        "section": {"ru": "раздел"},
        "Rollup": {"ru": "Итог по связанным записям"},
    }
)

# The structure editor's table screens and value layers (issue 14, uchet.formdesigner.tableviews).
SETTINGS_TEXTS.update(
    {
        "Add a table": {"ru": "Добавить таблицу"},
        "Kind of table": {"ru": "Вид таблицы"},
        "Directory (a list of values to choose from)": {
            "ru": "Справочник (список значений для выбора)"
        },
        "Document table (records with fields)": {"ru": "Таблица документов (записи с полями)"},
        "Roles that may work with it": {"ru": "Роли, которым она доступна"},
        "The chosen roles may read, add, change and delete its records; administrators always "
        "may.": {
            "ru": "Выбранные роли могут просматривать, добавлять, изменять и удалять её записи; "
            "администраторы могут всегда."
        },
        "The table gets a list, a card and a menu entry. Add its fields on its page afterwards.": {
            "ru": "У таблицы будут список, карточка и пункт меню. Поля добавьте потом на её "
            "странице."
        },
        "There is already a table with this name.": {"ru": "Таблица с таким именем уже есть."},
        "Choose a menu section.": {"ru": "Выберите раздел меню."},
        "A hidden table keeps its rows; show it again at any time.": {
            "ru": "Скрытая таблица сохраняет свои записи; её можно снова показать."
        },
        "Delete the table for good, with all its rows.": {
            "ru": "Удалить таблицу навсегда вместе со всеми записями."
        },
        "Type the table's name %(name)s to confirm.": {
            "ru": "Для подтверждения введите имя таблицы: %(name)s."
        },
        "%(count)s rows of the table %(name)s will be deleted.": {
            "ru": "Будут удалены записи таблицы %(name)s: %(count)s."
        },
        "The field %(field)s that refers to it is deleted with its %(count)s values.": {
            "ru": "Поле %(field)s, которое на неё ссылается, удаляется вместе со значениями: "
            "%(count)s."
        },
        "Print templates made for it stop working: %(names)s.": {
            "ru": "Печатные формы для неё перестанут работать: %(names)s."
        },
        "A backup copy of the deleted data is kept in the database.": {
            "ru": "Резервная копия удаляемых данных сохранится в базе данных."
        },
        "Where the values come from": {"ru": "Откуда значения"},
        "Property": {"ru": "Свойство"},
        "Effective value": {"ru": "Действующее значение"},
        "Set by": {"ru": "Задано"},
        "Under it": {"ru": "Под ним"},
        "configuration files": {"ru": "файлы конфигурации"},
        "structure editor": {"ru": "редактор структуры"},
        "overlay file %(name)s": {"ru": "файл-наложение %(name)s"},
        "yes": {"ru": "да"},
        "no": {"ru": "нет"},
        "Some changes of the structure editor are not applied: what they change is no longer in "
        "the configuration files (after an upgrade). They are kept; a later version may bring "
        "their target back.": {
            "ru": "Некоторые изменения редактора структуры не применяются: того, что они "
            "меняют, больше нет в файлах конфигурации (после обновления). Они сохранены; "
            "следующая версия может вернуть их цель."
        },
        "no object %(target)s": {"ru": "нет объекта %(target)s"},
    }
)

# The REST API's screens (issue 18): personal API tokens and the link to the documentation.
SETTINGS_TEXTS.update(
    {
        "API": {"ru": "API"},
        "API tokens": {"ru": "API-токены"},
        "API documentation": {"ru": "Документация API"},
        "A token lets another program use the API with your rights. Keep it secret.": {
            "ru": "Токен позволяет другой программе работать через API с вашими правами. "
            "Храните его в секрете."
        },
        "The token was created. Copy it now: it is shown only once.": {
            "ru": "Токен создан. Скопируйте его сейчас: он показывается только один раз."
        },
        "Token name": {"ru": "Название"},
        "Valid until": {"ru": "Действует до"},
        "Read only": {"ru": "Только чтение"},
        "Read and write": {"ru": "Чтение и запись"},
        "Create token": {"ru": "Создать токен"},
        "No tokens.": {"ru": "Токенов нет."},
        "Token": {"ru": "Токен"},
        "Rights": {"ru": "Права"},
        "Last used": {"ru": "Последнее использование"},
        "State": {"ru": "Состояние"},
        "Revoke": {"ru": "Отозвать"},
        "Revoked": {"ru": "Отозван"},
        "Expired": {"ru": "Истёк"},
        "In force": {"ru": "Действует"},
        "The token was revoked.": {"ru": "Токен отозван."},
        "The expiry date is not a date.": {"ru": "Срок действия указан не датой."},
        "Webhooks": {"ru": "Вебхуки"},
        "A webhook calls an address of another system when records of a table are created, "
        "changed or deleted.": {
            "ru": "Вебхук вызывает адрес другой системы, когда записи таблицы создают, "
            "изменяют или удаляют."
        },
        "The webhook was added. Its signing secret is shown only once:": {
            "ru": "Вебхук добавлен. Его секрет для подписи показывается только один раз:"
        },
        "Address": {"ru": "Адрес"},
        "Add webhook": {"ru": "Добавить вебхук"},
        "Events": {"ru": "События"},
        "Deliveries": {"ru": "Отправки"},
        "When": {"ru": "Когда"},
        "Attempts": {"ru": "Попытки"},
        "Answer": {"ru": "Ответ"},
        "Waiting": {"ru": "Ожидает"},
        "Sent": {"ru": "Отправлено"},
        "Failed": {"ru": "Ошибка"},
        "Nothing sent yet.": {"ru": "Пока ничего не отправлено."},
        "The webhook was removed.": {"ru": "Вебхук удалён."},
    }
)
