"""The web layer's own interface texts in the locales uchet ships.

Message ids are the English texts. Flask-Admin's catalog covers its own screens; this covers
what uchet adds. A configuration's translation documents override both (S43).
"""

from __future__ import annotations

UI_TEXTS: dict[str, dict[str, str]] = {
    "Log in": {"ru": "Войти"},
    "Log out": {"ru": "Выйти"},
    "Login": {"ru": "Логин"},
    "Password": {"ru": "Пароль"},
    "Wrong login or password.": {"ru": "Неверный логин или пароль."},
    "Too many failed attempts. Try again in %(minutes)s minutes.": {
        "ru": "Слишком много неудачных попыток. Повторите через %(minutes)s мин."
    },
    "Your session was locked after a period of inactivity. Log in again.": {
        "ru": "Сеанс заблокирован из-за бездействия. Войдите снова."
    },
    "Please log in to continue.": {"ru": "Войдите, чтобы продолжить."},
    "Search": {"ru": "Поиск"},
    "Create": {"ru": "Создать"},
    "Save": {"ru": "Сохранить"},
    "Cancel": {"ru": "Отмена"},
    "Delete": {"ru": "Удалить"},
    "Next": {"ru": "Далее"},
    "Previous": {"ru": "Назад"},
    "First page": {"ru": "В начало"},
    "No records.": {"ru": "Записей нет."},
    "%(first)s–%(last)s of %(total)s": {"ru": "%(first)s–%(last)s из %(total)s"},
    "Records": {"ru": "Записи"},
    "Language": {"ru": "Язык"},
    "Home": {"ru": "Главная"},
    "Yes": {"ru": "Да"},
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
