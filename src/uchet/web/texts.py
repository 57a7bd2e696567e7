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
