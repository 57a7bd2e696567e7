"""Messages of the engine in the locales it ships (Russian and English).

Configurations override interface texts with their translation documents (S43); these are the
engine's own messages, such as validation errors, which must reach users in their language.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"en": "This field is required.", "ru": "Обязательное поле."},
    "null": {"en": "This field is required.", "ru": "Обязательное поле."},
    "unknown": {"en": "Unknown field.", "ru": "Неизвестное поле."},
    "invalid": {"en": "Not a valid value.", "ru": "Недопустимое значение."},
    "invalid_integer": {"en": "Not a valid whole number.", "ru": "Нужно целое число."},
    "invalid_number": {"en": "Not a valid number.", "ru": "Нужно число."},
    "invalid_date": {"en": "Not a valid date.", "ru": "Неверная дата."},
    "invalid_datetime": {"en": "Not a valid date and time.", "ru": "Неверные дата и время."},
    "invalid_time": {"en": "Not a valid time.", "ru": "Неверное время."},
    "invalid_boolean": {"en": "Not a valid yes/no value.", "ru": "Нужно «да» или «нет»."},
    "invalid_email": {"en": "Not a valid e-mail address.", "ru": "Неверный адрес e-mail."},
    "invalid_url": {"en": "Not a valid URL.", "ru": "Неверный адрес URL."},
    "invalid_phone": {"en": "Not a valid phone number.", "ru": "Неверный номер телефона."},
    "invalid_text": {"en": "Not a valid text.", "ru": "Нужен текст."},
    "invalid_json": {"en": "Not valid JSON data.", "ru": "Неверные данные JSON."},
    "invalid_file": {
        "en": "Not a valid file: give name and data.",
        "ru": "Неверный файл: нужны имя и содержимое.",
    },
    "file_too_large": {
        "en": "The file is {size} bytes; at most {limit} are allowed.",
        "ru": "Файл занимает {size} байт; допустимо не более {limit}.",
    },
    "not_image": {"en": "Not an image.", "ru": "Это не изображение."},
    "too_long": {
        "en": "At most {max} characters are allowed.",
        "ru": "Не более {max} символов.",
    },
    "too_small": {"en": "Must be at least {min}.", "ru": "Не меньше {min}."},
    "too_large": {"en": "Must be at most {max}.", "ru": "Не больше {max}."},
    "pattern": {"en": "Does not match the required format.", "ru": "Не соответствует формату."},
    "choice": {
        "en": "Must be one of: {choices}.",
        "ru": "Допустимые значения: {choices}.",
    },
    "too_many_digits": {
        "en": "Too many digits: at most {digits} before the decimal point.",
        "ru": "Слишком много цифр: не более {digits} до запятой.",
    },
    "read_only": {"en": "This field cannot be changed.", "ru": "Это поле нельзя изменить."},
    "no_write": {
        "en": "You may not change this field.",
        "ru": "У вас нет права изменять это поле.",
    },
    "unique": {
        "en": "This value is already used by another record.",
        "ru": "Такое значение уже есть у другой записи.",
    },
    "reference_missing": {
        "en": "The referenced record #{id} does not exist.",
        "ru": "Связанная запись №{id} не существует.",
    },
    "reference_in_use": {
        "en": "Records in {table} still refer to this one.",
        "ru": "На эту запись ссылаются записи в «{table}».",
    },
}


def message(key: str, locale: str = "en", **params: Any) -> str:
    """The text of message ``key`` in ``locale`` (English when the locale is unknown)."""
    texts = MESSAGES[key]
    text = texts.get(locale) or texts.get(locale.split("_")[0]) or texts["en"]
    return text.format(**params) if params else text
