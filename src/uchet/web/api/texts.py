"""The REST API's own texts (issue 18): problem titles and details in the caller's language.

Message ids are the English texts, as in :mod:`uchet.web.texts`; a configuration's
translation documents may override them like any interface text (S43).
"""

from __future__ import annotations

from typing import Any

from uchet.web.context import WebContext

API_TEXTS: dict[str, dict[str, str]] = {
    "Bad request": {"ru": "Неверный запрос"},
    "Unauthorized": {"ru": "Нужна аутентификация"},
    "Forbidden": {"ru": "Доступ запрещён"},
    "Not found": {"ru": "Не найдено"},
    "Method not allowed": {"ru": "Метод не поддерживается"},
    "Conflict": {"ru": "Конфликт версий"},
    "Precondition required": {"ru": "Нужна версия записи"},
    "Invalid record": {"ru": "Запись заполнена с ошибками"},
    "Too many requests": {"ru": "Слишком много запросов"},
    "Server error": {"ru": "Ошибка сервера"},
    "Payload too large": {"ru": "Слишком большой запрос"},
    "Records %(ids)s were changed or deleted by someone else; nothing was saved.": {
        "ru": "Записи %(ids)s изменены или удалены другим пользователем; ничего не сохранено."
    },
    "Each object needs its id and version as whole numbers.": {
        "ru": "У каждого объекта должны быть id и version — целые числа."
    },
    "No such field or child table.": {"ru": "Нет такого поля или подчинённой таблицы."},
    "The child record must reference its parent.": {
        "ru": "Подчинённая запись должна ссылаться на свою родительскую."
    },
    "The field holds no file.": {"ru": "В поле нет файла."},
    "Send the file as the body with ?name=, or as the multipart part file.": {
        "ru": "Передайте файл телом запроса с ?name= или частью file формы multipart."
    },
    "No report %(name)s, or you may not run it.": {
        "ru": "Отчёта %(name)s нет, или у вас нет права его строить."
    },
    "No dashboard %(name)s, or you may not open it.": {
        "ru": "Панели %(name)s нет, или у вас нет права её открывать."
    },
    "Invalid query parameter": {"ru": "Неверный параметр запроса"},
    "Unknown query parameter.": {"ru": "Неизвестный параметр запроса."},
    "Not a whole number.": {"ru": "Нужно целое число."},
    "Must be true or false.": {"ru": "Нужно true или false."},
    "Unknown field %(name)s.": {"ru": "Неизвестное поле %(name)s."},
    "The field %(name)s is not a reference.": {"ru": "Поле %(name)s не является ссылкой."},
    "No table %(name)s, or you may not read it.": {
        "ru": "Таблицы %(name)s нет, или у вас нет права её читать."
    },
    "The record does not exist, or you may not see it.": {
        "ru": "Записи нет, или у вас нет права её видеть."
    },
    "A valid API token or a logged-in session is required.": {
        "ru": "Нужен действующий API-токен или вход в систему."
    },
    "The token is read-only.": {"ru": "Токен только для чтения."},
    "The CSRF token is missing or invalid.": {"ru": "CSRF-токен отсутствует или неверен."},
    "The body must be a JSON object.": {"ru": "Тело запроса должно быть объектом JSON."},
    "The body must be a JSON array of objects.": {
        "ru": "Тело запроса должно быть массивом объектов JSON."
    },
    "Send the record's version in If-Match or in the body's version field.": {
        "ru": "Передайте версию записи в заголовке If-Match или в поле version."
    },
    "The version must be a whole number.": {"ru": "Версия должна быть целым числом."},
    "The record was changed or deleted by someone else.": {
        "ru": "Запись изменена или удалена другим пользователем."
    },
    "Some rows are invalid; nothing was saved.": {
        "ru": "Некоторые строки заполнены с ошибками; ничего не сохранено."
    },
    "The server could not finish the request.": {"ru": "Сервер не смог выполнить запрос."},
    "Give the number parameter.": {"ru": "Укажите параметр number."},
    "Too many requests. Wait and try again.": {
        "ru": "Слишком много запросов. Подождите и повторите."
    },
}


def api_text(c: WebContext, locale: str, msgid: str, **params: Any) -> str:
    """``msgid`` in ``locale``: the configuration's override, else the API's catalog."""
    found = c.translator.overrides.get(locale, {}).get(msgid) or API_TEXTS.get(msgid, {}).get(
        locale
    )
    text = found or msgid
    try:
        return text % params if params else text
    except (KeyError, ValueError, TypeError):
        return msgid % params
