"""The web layer's own interface texts in the locales uchet ships.

Message ids are the English texts. Flask-Admin's catalog covers its own screens; this covers
what uchet adds. A configuration's translation documents override both (S43).
"""

from __future__ import annotations

from uchet.web.texts_bulkfind import BULKFIND_TEXTS
from uchet.web.texts_calendar import CALENDAR_TEXTS
from uchet.web.texts_delivery import DELIVERY_TEXTS
from uchet.web.texts_fields import FIELD_TEXTS
from uchet.web.texts_grid import GRID_TEXTS
from uchet.web.texts_import import IMPORT_TEXTS
from uchet.web.texts_mailtpl import MAILTPL_TEXTS
from uchet.web.texts_ops import OPS_TEXTS
from uchet.web.texts_orders import ORDERS_TEXTS
from uchet.web.texts_printjob import PRINTJOB_TEXTS
from uchet.web.texts_settings import SETTINGS_TEXTS
from uchet.web.texts_versions import VERSIONS_TEXTS

UI_TEXTS: dict[str, dict[str, str]] = {
    "Log in": {"ru": "Войти"},
    "Log out": {"ru": "Выйти"},
    "Login": {"ru": "Логин"},
    "Password": {"ru": "Пароль"},
    "Wrong login or password.": {"ru": "Неверный логин или пароль."},
    "Too many failed attempts. Try again in %(minutes)s minutes.": {
        "ru": "Слишком много неудачных попыток. Повторите через %(minutes)s мин."
    },
    # Issue 13: throttling by login and address, sessions that end.
    "Too many failed attempts. Try again in %(seconds)s s.": {
        "ru": "Слишком много неудачных попыток. Повторите через %(seconds)s с."
    },
    "Your session has ended. Log in again.": {"ru": "Сеанс завершён. Войдите снова."},
    "Log out on all devices": {"ru": "Выйти на всех устройствах"},
    "The user's sessions have ended on all devices.": {
        "ru": "Все сеансы пользователя завершены на всех устройствах."
    },
    "The database is busy, try again.": {"ru": "База занята, попробуйте ещё раз."},
    "Service unavailable": {"ru": "Сервис недоступен"},
    "Exists at another manager": {"ru": "есть у другого менеджера"},
    "Please log in to continue.": {"ru": "Войдите, чтобы продолжить."},
    # Issue 20: the idle lock of the screen (S48).
    "The screen is locked": {"ru": "Экран заблокирован"},
    "The screen is locked. Enter your password.": {"ru": "Экран заблокирован. Введите пароль."},
    "Enter your password to go on; what you typed is kept.": {
        "ru": "Введите пароль, чтобы продолжить; введённое на странице сохранится."
    },
    "Unlock": {"ru": "Разблокировать"},
    "Wrong password.": {"ru": "Неверный пароль."},
    "Screen lock": {"ru": "Блокировка экрана"},
    "Lock the screen after this many idle minutes (0: never)": {
        "ru": "Блокировать экран после стольких минут бездействия (0 — никогда)"
    },
    "The idle time must be a whole number of minutes from 0 to 1440.": {
        "ru": "Время бездействия — целое число минут от 0 до 1440."
    },
    "The screen lock setting was saved.": {"ru": "Настройка блокировки экрана сохранена."},
    "Search": {"ru": "Поиск"},
    "Create": {"ru": "Создать"},
    "Save": {"ru": "Сохранить"},
    "Cancel": {"ru": "Отмена"},
    "Delete": {"ru": "Удалить"},
    "Next": {"ru": "Далее"},
    "Previous": {"ru": "Назад"},
    "First page": {"ru": "В начало"},
    "No records.": {"ru": "Записей нет."},
    "Show more": {"ru": "Показать ещё"},
    "Sort": {"ru": "Сортировка"},
    "Grouping": {"ru": "Группировка"},
    "Page": {"ru": "Страница"},
    "Page size": {"ru": "Размер страницы"},
    "Open as a list": {"ru": "Открыть списком"},
    "%(first)s–%(last)s of %(total)s": {"ru": "%(first)s–%(last)s из %(total)s"},
    "Records": {"ru": "Записи"},
    "Language": {"ru": "Язык"},
    "Home": {"ru": "Главная"},
    "Yes": {"ru": "Да"},
    "no access": {"ru": "нет доступа"},
    "Today": {"ru": "Сегодня"},
    "Yesterday": {"ru": "Вчера"},
    "No matches found": {"ru": "Ничего не найдено"},
    "Searching…": {"ru": "Поиск…"},
    "Loading more results…": {"ru": "Загрузка…"},
    "Could not load the results": {"ru": "Не удалось загрузить результаты"},
    "Type %(n)s more characters": {"ru": "Введите ещё символов: %(n)s"},
    "You can only select %(n)s items": {"ru": "Можно выбрать не больше: %(n)s"},
    "System": {"ru": "Система"},
    "No": {"ru": "Нет"},
    "Download": {"ru": "Скачать"},
    "Remove file": {"ru": "Удалить файл"},
    "Required field": {"ru": "Обязательное поле"},
    "Please correct the errors below.": {"ru": "Исправьте ошибки ниже."},
    "Record was successfully created.": {"ru": "Запись создана."},
    "Record was successfully saved.": {"ru": "Запись сохранена."},
    "Record was successfully deleted.": {"ru": "Запись удалена."},
    "Someone else changed this record while you were editing it. Your input is kept below; "
    "review the changes and save again.": {
        "ru": "Пока вы редактировали запись, её изменил другой пользователь. Ваши данные "
        "сохранены в форме ниже; проверьте изменения и сохраните снова."
    },
    "Changed meanwhile": {"ru": "Изменено за это время"},
    "Field": {"ru": "Поле"},
    "Your value": {"ru": "Ваше значение"},
    "Current value": {"ru": "Текущее значение"},
    "New": {"ru": "новая запись"},
    "Edit": {"ru": "Редактировать"},
    "Add": {"ru": "Добавить"},
    "Other": {"ru": "Прочее"},
    "Columns": {"ru": "Столбцы"},
    "Filter": {"ru": "Фильтр"},
    "Drag a column header here to group by it": {
        "ru": "Перетащите сюда заголовок столбца, чтобы сгруппировать"
    },
    "Apply": {"ru": "Применить"},
    "From": {"ru": "От"},
    "To": {"ru": "До"},
    "Value": {"ru": "Значение"},
    "Clear": {"ru": "Сбросить"},
    "Search values": {"ru": "Поиск значений"},
    "Between": {"ru": "Между"},
    "At least": {"ru": "Не меньше"},
    "At most": {"ru": "Не больше"},
    "Contains": {"ru": "Содержит"},
    "Starts with": {"ru": "Начинается с"},
    "Values": {"ru": "Значения"},
    "Condition": {"ru": "Условие"},
    "Only the first values are listed: type to narrow them.": {
        "ru": "Показаны только первые значения: введите начало, чтобы сузить список."
    },
    "Loading…": {"ru": "Загрузка…"},
    "No values.": {"ru": "Значений нет."},
    "Could not save the layout:": {"ru": "Не удалось сохранить настройки:"},
    "Views": {"ru": "Представления"},
    "Default view": {"ru": "Стандартное представление"},
    "View name": {"ru": "Название представления"},
    "Save view": {"ru": "Сохранить представление"},
    "Save as a new view": {"ru": "Сохранить как новое"},
    "Only me": {"ru": "Только я"},
    "Everyone": {"ru": "Все"},
    "Reset to default": {"ru": "Вернуть по умолчанию"},
    "Save as role default": {"ru": "Сохранить для роли"},
    "Export": {"ru": "Экспорт"},
    "Ungroup": {"ru": "Убрать группировку"},
    "Remove filter": {"ru": "Убрать фильтр"},
    "Clear filters": {"ru": "Сбросить фильтры"},
    "The saved view was not found.": {"ru": "Представление не найдено."},
    "The view was not saved: %(reason)s": {"ru": "Представление не сохранено: %(reason)s"},
    "The view “%(name)s” was saved.": {"ru": "Представление «%(name)s» сохранено."},
    "The view was deleted.": {"ru": "Представление удалено."},
    "≥ %(value)s": {"ru": "≥ %(value)s"},
    "> %(value)s": {"ru": "> %(value)s"},
    "≤ %(value)s": {"ru": "≤ %(value)s"},
    "< %(value)s": {"ru": "< %(value)s"},
    "= %(value)s": {"ru": "= %(value)s"},
    "≠ %(value)s": {"ru": "≠ %(value)s"},
    "contains «%(value)s»": {"ru": "содержит «%(value)s»"},
    "starts with «%(value)s»": {"ru": "начинается с «%(value)s»"},
    "equals «%(value)s» ignoring case": {"ru": "равно «%(value)s» без учёта регистра"},
    "from %(lo)s to %(hi)s": {"ru": "от %(lo)s до %(hi)s"},
    "is empty": {"ru": "пусто"},
    # -- error pages (security.py) ---------------------------------------------------------
    "Bad request": {"ru": "Неверный запрос"},
    "The request could not be understood. Reload the page and try again.": {
        "ru": "Запрос не удалось разобрать. Обновите страницу и попробуйте снова."
    },
    "Access denied": {"ru": "Доступ запрещён"},
    "You do not have permission to open this page.": {"ru": "У вас нет прав на эту страницу."},
    "Not found": {"ru": "Не найдено"},
    "The page or record does not exist, or you may not see it.": {
        "ru": "Страница или запись не существует, либо у вас нет к ней доступа."
    },
    "Not allowed": {"ru": "Недопустимый запрос"},
    "This address does not accept this kind of request.": {
        "ru": "Этот адрес не принимает запросы такого вида."
    },
    "Too large": {"ru": "Слишком большой файл"},
    "The upload is larger than the site accepts.": {
        "ru": "Загружаемый файл больше, чем допускает сайт."
    },
    "Too many requests": {"ru": "Слишком много запросов"},
    "Too many attempts. Wait a little and try again.": {
        "ru": "Слишком много попыток. Подождите и попробуйте снова."
    },
    "Something went wrong": {"ru": "Что-то пошло не так"},
    "The server could not finish the request. Try again later.": {
        "ru": "Сервер не смог выполнить запрос. Попробуйте позже."
    },
    "The form has expired or did not come from this site. Reload the page and try again.": {
        "ru": "Форма устарела или отправлена не с этого сайта. "
        "Обновите страницу и попробуйте снова."
    },
    # -- administration (adminviews.py) ----------------------------------------------------
    "Administration": {"ru": "Администрирование"},
    "Users": {"ru": "Пользователи"},
    "User": {"ru": "Пользователь"},
    "Roles": {"ru": "Роли"},
    "Name": {"ru": "Имя"},
    "E-mail": {"ru": "E-mail"},
    "Active": {"ru": "Активен"},
    "Automatic": {"ru": "Автоматически"},
    "New password": {"ru": "Новый пароль"},
    "Repeat the password": {"ru": "Повторите пароль"},
    "Set password": {"ru": "Установить пароль"},
    "A login is required.": {"ru": "Укажите логин."},
    "A name is required.": {"ru": "Укажите имя."},
    "This login is taken.": {"ru": "Этот логин уже занят."},
    "A password needs at least 8 characters.": {"ru": "Пароль должен быть не короче 8 символов."},
    "The passwords do not match.": {"ru": "Пароли не совпадают."},
    "User %(login)s was created.": {"ru": "Пользователь %(login)s создан."},
    "User %(login)s was saved.": {"ru": "Пользователь %(login)s сохранён."},
    "The password of %(login)s was changed.": {"ru": "Пароль пользователя %(login)s изменён."},
    "At least one active administrator must remain.": {
        "ru": "Должен остаться хотя бы один активный администратор."
    },
    "Table": {"ru": "Таблица"},
    "May create": {"ru": "Создание"},
    "May read": {"ru": "Чтение"},
    "May change": {"ru": "Изменение"},
    "May delete": {"ru": "Удаление"},
    "Field rights": {"ru": "Права на поля"},
    "Rows": {"ru": "Строки"},
    "All rows": {"ru": "Все строки"},
    "hidden": {"ru": "скрыто"},
    "read only": {"ru": "только чтение"},
    "read and write": {"ru": "чтение и запись"},
    "the current user": {"ru": "текущий пользователь"},
    "or": {"ru": "или"},
    "between": {"ru": "между"},
    "contains": {"ru": "содержит"},
    "starts with": {"ru": "начинается с"},
    "Full access to every table, and to the administration screens.": {
        "ru": "Полный доступ ко всем таблицам и к администрированию."
    },
    "History": {"ru": "История"},
    "Created": {"ru": "Создание"},
    "Changed": {"ru": "Изменение"},
    "Deleted": {"ru": "Удаление"},
    "No changes recorded.": {"ru": "Изменений нет."},
    "Close": {"ru": "Закрыть"},
    "Delete this record? This cannot be undone.": {
        "ru": "Удалить эту запись? Это действие нельзя отменить."
    },
    "Choose the file again: a browser does not keep a chosen file after the form comes back.": {
        "ru": "Выберите файл ещё раз: браузер не сохраняет выбранный файл после возврата формы."
    },
    "The upload is too large: a file may have at most %(limit)s. Nothing was saved; "
    "choose a smaller file.": {
        "ru": "Слишком большой файл: допускается не более %(limit)s. Ничего не сохранено; "
        "выберите файл поменьше."
    },
    "The file is too large: at most %(limit)s.": {
        "ru": "Файл слишком большой: не более %(limit)s."
    },
    "You may not save the record with these values: it would no longer be among the "
    "records you may work with.": {
        "ru": "Запись с такими значениями сохранить нельзя: она выйдет из круга записей, "
        "с которыми вы можете работать."
    },
    "This record was deleted, or is no longer available to you, while you were editing it. "
    "It cannot be saved; your input is shown below so that you can copy it.": {
        "ru": "Пока вы редактировали запись, её удалили или она стала вам недоступна. "
        "Сохранить её нельзя; ваши данные показаны ниже, чтобы их можно было скопировать."
    },
    "Saving again keeps your values, including over these changes.": {
        "ru": "Повторное сохранение запишет ваши значения, в том числе поверх этих изменений."
    },
    "Saved.": {"ru": "Сохранено."},
}

# Print menus, previews and the print-form editor (issue 5; uchet.web.print*).
UI_TEXTS.update(
    {
        "Print": {"ru": "Печать"},
        "Print forms": {"ru": "Печатные формы"},
        "Print form": {"ru": "Печатная форма"},
        "Preview": {"ru": "Просмотр"},
        "One file (.docx)": {"ru": "Одним файлом (.docx)"},
        "Zip archive": {"ru": "Архив zip"},
        "Preparing the document…": {"ru": "Готовим документ…"},
        "The document could not be made:": {"ru": "Документ не удалось сформировать:"},
        "Back": {"ru": "Назад"},
        "Show as a web page": {"ru": "Показать как веб-страницу"},
        "A simplified rendering of the document.": {"ru": "Упрощённое отображение документа."},
        "A simplified rendering of the document (install LibreOffice for an exact PDF preview).": {
            "ru": "Упрощённое отображение документа (для точного просмотра в PDF установите "
            "LibreOffice)."
        },
        "image": {"ru": "изображение"},
        "Not found: the record or the print form does not exist or is not available to you.": {
            "ru": "Не найдено: записи или печатной формы нет, либо она вам недоступна."
        },
        "You may not do this: %(reason)s": {"ru": "Недостаточно прав: %(reason)s"},
        "The list holds more than %(max)s records, more than one print may hold. Narrow it "
        "with a filter or the search and print again.": {
            "ru": "В списке больше %(max)s записей — больше, чем можно напечатать за раз. "
            "Сузьте список фильтром или поиском и напечатайте снова."
        },
        "The list is empty: nothing to print.": {"ru": "Список пуст: печатать нечего."},
        "New print form": {"ru": "Новая печатная форма"},
        "No print forms yet.": {"ru": "Печатных форм пока нет."},
        "Table": {"ru": "Таблица"},
        "File": {"ru": "Файл"},
        "Source": {"ru": "Источник"},
        "Label": {"ru": "Название"},
        "Name (a-z, 0-9, _)": {"ru": "Имя (a-z, 0-9, _)"},
        "configuration": {"ru": "конфигурация"},
        "made by users": {"ru": "создана пользователями"},
        "version %(n)s": {"ru": "версия %(n)s"},
        "Start from a generated template with every field of the table": {
            "ru": "Начать с готового шаблона со всеми полями таблицы"
        },
        "Upload my template (.docx or .xlsx)": {"ru": "Загрузить свой шаблон (.docx или .xlsx)"},
        'To start from an existing form, open it and use "Duplicate".': {
            "ru": "Чтобы начать с существующей формы, откройте её и нажмите «Дублировать»."
        },
        "Choose a .docx or .xlsx file to upload.": {
            "ru": "Выберите файл .docx или .xlsx для загрузки."
        },
        "The file is larger than %(mb)s MB.": {"ru": "Файл больше %(mb)s МБ."},
        "the template has problems and was not saved": {
            "ru": "в шаблоне есть ошибки, он не сохранён"
        },
        "The template has problems and was not saved. Fix them and upload it again:": {
            "ru": "В шаблоне есть ошибки, он не сохранён. Исправьте их и загрузите снова:"
        },
        "Print form %(name)s was created.": {"ru": "Печатная форма «%(name)s» создана."},
        "Version %(n)s was uploaded and is now in use.": {
            "ru": "Версия %(n)s загружена и используется."
        },
        "Version %(old)s was restored as version %(n)s.": {
            "ru": "Версия %(old)s восстановлена как версия %(n)s."
        },
        "The settings were saved.": {"ru": "Настройки сохранены."},
        "The print form was deleted.": {"ru": "Печатная форма удалена."},
        "Record": {"ru": "Запись"},
        "Choose a record to print.": {"ru": "Выберите запись для печати."},
        "Download template": {"ru": "Скачать шаблон"},
        "Validate": {"ru": "Проверить"},
        "The template has %(n)s problem(s):": {"ru": "Ошибок в шаблоне: %(n)s"},
        "The template is valid: every placeholder is known and the syntax is correct.": {
            "ru": "Шаблон в порядке: все поля известны, синтаксис верен."
        },
        "Test print": {"ru": "Пробная печать"},
        "Record of %(table)s": {"ru": "Запись таблицы «%(table)s»"},
        "Upload a new version": {"ru": "Загрузить новую версию"},
        "What changed (optional)": {"ru": "Что изменилось (необязательно)"},
        "Upload": {"ru": "Загрузить"},
        "The template is checked first; a template with problems is not saved.": {
            "ru": "Шаблон сначала проверяется; шаблон с ошибками не сохраняется."
        },
        "Only the author of this form or an administrator may change it. Duplicate it to make "
        "your own.": {
            "ru": "Изменять форму могут только её автор и администратор. Сделайте копию, "
            "чтобы получить свою."
        },
        "This form belongs to the configuration. Duplicate it to change it.": {
            "ru": "Форма входит в конфигурацию. Чтобы изменить её, сделайте копию."
        },
        "Versions": {"ru": "Версии"},
        "Uploaded": {"ru": "Загружена"},
        "Note": {"ru": "Примечание"},
        "in use": {"ru": "используется"},
        "created": {"ru": "создана"},
        "restored version %(n)s": {"ru": "восстановлена версия %(n)s"},
        "Restore": {"ru": "Восстановить"},
        "Duplicate": {"ru": "Дублировать"},
        "Settings": {"ru": "Настройки"},
        "File name pattern": {"ru": "Шаблон имени файла"},
        "Roles that may use it (none: everyone who may read the table)": {
            "ru": "Роли, которым доступна форма (ни одной — всем, кто видит таблицу)"
        },
        "Delete this print form and all its versions?": {
            "ru": "Удалить печатную форму и все её версии?"
        },
        "Placeholders of %(table)s": {"ru": "Поля для шаблона: %(table)s"},
        # Problems in a template (uchet.printeditor.views.support translates the engine's text).
        "header": {"ru": "верхний колонтитул"},
        "footer": {"ru": "нижний колонтитул"},
        "%(part)s %(n)s: ": {"ru": "%(part)s %(n)s: "},
        "table %(n)s, row %(row)s, column %(col)s": {
            "ru": "таблица %(n)s, строка %(row)s, столбец %(col)s"
        },
        "table %(n)s, row %(row)s": {"ru": "таблица %(n)s, строка %(row)s"},
        "paragraph %(n)s": {"ru": "абзац %(n)s"},
        "sheet %(sheet)s, cell %(cell)s": {"ru": "лист %(sheet)s, ячейка %(cell)s"},
        "unknown placeholder %(tag)s (did you mean %(hint)s?)": {
            "ru": "неизвестное поле %(tag)s (может быть, %(hint)s?)"
        },
        "unknown placeholder %(tag)s": {"ru": "неизвестное поле %(tag)s"},
        "syntax error in %(tag)s: %(error)s": {"ru": "синтаксическая ошибка в %(tag)s: %(error)s"},
        "syntax error: %(error)s": {"ru": "синтаксическая ошибка: %(error)s"},
        "%(tag)s is never closed with %(end)s": {"ru": "%(tag)s не закрыт тегом %(end)s"},
        "access to attribute %(attr)s is not allowed": {
            "ru": "обращение к атрибуту %(attr)s запрещено"
        },
        "range() of %(n)s items (at most %(max)s)": {
            "ru": "range() на %(n)s элементов (допустимо не более %(max)s)"
        },
        "the power %(n)s is too large (at most %(max)s)": {
            "ru": "слишком большая степень %(n)s (допустимо не более %(max)s)"
        },
        "repeating a value %(n)s times makes it too long (at most %(max)s items)": {
            "ru": "повтор значения %(n)s раз делает его слишком длинным "
            "(допустимо не более %(max)s элементов)"
        },
        "your previous prints are still running; try again shortly": {
            "ru": "ваши предыдущие документы ещё печатаются; попробуйте чуть позже"
        },
        "all print workers are busy; try again shortly": {
            "ru": "все обработчики печати заняты; попробуйте чуть позже"
        },
        "nested loops repeat %(n)s times (at most %(max)s)": {
            "ru": "вложенные циклы повторяются %(n)s раз (допустимо не более %(max)s)"
        },
    }
)

# The dashboard on the home page and the notification bell (web/dashboard.py,
# web/notifications.py).
UI_TEXTS.update(
    {
        "Sections": {"ru": "Разделы"},
        "All %(count)s": {"ru": "Все %(count)s"},
        "Nothing here.": {"ru": "Здесь пусто."},
        "This widget could not be shown:": {"ru": "Этот блок не удалось показать:"},
        "Notifications": {"ru": "Уведомления"},
        "No notifications.": {"ru": "Уведомлений нет."},
        "All notifications": {"ru": "Все уведомления"},
        "Mark all read": {"ru": "Отметить все прочитанными"},
        "Mark read": {"ru": "Прочитано"},
        "Open the record": {"ru": "Открыть запись"},
        "All": {"ru": "Все"},
        "Unread": {"ru": "Непрочитанные"},
        "Older": {"ru": "Более ранние"},
    }
)

# The report pages (reportviews.py, report.html, reports.html).
UI_TEXTS.update(
    {
        "Reports": {"ru": "Отчёты"},
        "All reports": {"ru": "Все отчёты"},
        "Chart": {"ru": "Диаграмма"},
        "No reports are available to you.": {"ru": "Вам не доступен ни один отчёт."},
        "Show": {"ru": "Показать"},
        "Download .xlsx": {"ru": "Скачать .xlsx"},
        'Fill in the parameters and press "Show".': {
            "ru": "Заполните параметры и нажмите «Показать»."
        },
        "The chart shows the first %(shown)s of %(total)s rows; the table lists them all.": {
            "ru": "На диаграмме первые %(shown)s из %(total)s строк; в таблице — все."
        },
        "No rows for these parameters.": {"ru": "Нет строк для этих параметров."},
        "Total": {"ru": "Итого"},
        "Rows: %(count)s": {"ru": "Строк: %(count)s"},
        "(empty)": {"ru": "(пусто)"},
        "Planned": {"ru": "План"},
        "Done": {"ru": "Выполнено"},
        "Overdue": {"ru": "Просрочено"},
        "Complete": {"ru": "Готовность"},
    }
)

# The duplicate warning, the Find box and lookups beyond one's rows (S25, S36).
UI_TEXTS.update(
    {
        "Find": {"ru": "Найти"},
        "Find: phone or name": {"ru": "Найти: телефон или имя"},
        "Nothing was found.": {"ru": "Ничего не найдено."},
        "Type a phone number in any format, or the first letters of a name.": {
            "ru": "Введите телефон в любом формате или первые буквы названия."
        },
        "Searched by phone, in any format, also among the phones of related records.": {
            "ru": "Поиск по телефону в любом формате, в том числе среди телефонов связанных "
            "записей."
        },
        "Searched by the first letters of the words.": {"ru": "Поиск по первым буквам слов."},
        "Same": {"ru": "Совпадает"},
        "Another user works with this record: you cannot open it. Ask its owner.": {
            "ru": "С этой записью работает другой пользователь: открыть её вы не можете. "
            "Обратитесь к ответственному."
        },
        "Possible duplicate: these records already exist with the same values.": {
            "ru": "Возможен дубликат: такие записи с теми же значениями уже есть."
        },
        "And %(count)s more.": {"ru": "И ещё %(count)s."},
        "Save anyway": {"ru": "Всё равно сохранить"},
        "Nothing is saved until you confirm; or change the values, or cancel.": {
            "ru": "Пока вы не подтвердите, ничего не сохранено; или измените значения, или "
            "отмените."
        },
        "Also found among other users’ records (they are not shown in your list):": {
            "ru": "Найдено также среди записей других пользователей (в вашем списке их нет):"
        },
    }
)

# The top bar: the menu's overflow and the Find box's suggestions as one types.
UI_TEXTS.update(
    {
        "More": {"ru": "Ещё"},
        "Menu sections that do not fit the bar": {"ru": "Разделы меню, не уместившиеся в строке"},
        "Show all results": {"ru": "Показать все результаты"},
        "exists, owned by another user": {"ru": "уже есть, с ней работает другой пользователь"},
    }
)

# The structure editor, API tokens and webhooks (texts_settings.py).
UI_TEXTS.update(SETTINGS_TEXTS)

# The configuration versions page (issue 16, texts_versions.py).
UI_TEXTS.update(VERSIONS_TEXTS)
UI_TEXTS.update(FIELD_TEXTS)  # its field page: rename, retype, choice lists
UI_TEXTS.update(OPS_TEXTS)
# The import screens and the export right (texts_import.py, issue 17).
UI_TEXTS.update(IMPORT_TEXTS)
# The card designer (texts_designer.py, issue 15).
from uchet.web.texts_designer import DESIGNER_TEXTS  # noqa: E402

UI_TEXTS.update(DESIGNER_TEXTS)

# The list layout designer and layouts per role (issue 15, texts_listroles.py).
from uchet.web.texts_listroles import LISTROLES_TEXTS  # noqa: E402

UI_TEXTS.update(LISTROLES_TEXTS)
# Message templates and channels (texts_mailtpl.py, issue 19).
UI_TEXTS.update(MAILTPL_TEXTS)
# The calendar and kanban screens, the Gantt legend (texts_calendar.py, issue 21).
UI_TEXTS.update(CALENDAR_TEXTS)
# Messages, mailings and their log (issue 19, texts_delivery.py).
UI_TEXTS.update(DELIVERY_TEXTS)
# Documents made from a record: the invoice from an order (texts_orders.py, issue 19).
UI_TEXTS.update(ORDERS_TEXTS)
# Bulk actions on lists and Find everything (issue 21, texts_bulkfind.py).
UI_TEXTS.update(BULKFIND_TEXTS)
# The document grid of a card (texts_grid.py, issue 21).
UI_TEXTS.update(GRID_TEXTS)
# Mass print to one PDF as a background job (issue 21 point 8, texts_printjob.py).
UI_TEXTS.update(PRINTJOB_TEXTS)
# The bulk bar's «Рассылка…» (issue 19 integration, texts_mailint.py).
from uchet.web.texts_mailint import MAILINT_TEXTS  # noqa: E402

UI_TEXTS.update(MAILINT_TEXTS)
# The card designer's re-applied saves (texts_designer2.py, issue 15).
from uchet.web.texts_designer2 import DESIGNER2_TEXTS  # noqa: E402

UI_TEXTS.update(DESIGNER2_TEXTS)
