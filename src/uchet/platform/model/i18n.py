"""Messages of the engine in the locales it ships (Russian and English).

Configurations override interface texts with their translation documents (S43); these are the
engine's own messages, such as validation errors, which must reach users in their language.
A plug-in brings its own texts (:data:`OwnText`, shown by :func:`own_message`): it cannot add
keys here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"en": "This field is required.", "ru": "Обязательное поле."},
    "null": {"en": "This field is required.", "ru": "Обязательное поле."},
    "unknown": {"en": "Unknown field.", "ru": "Неизвестное поле."},
    "invalid": {"en": "Not a valid value.", "ru": "Недопустимое значение."},
    "invalid_integer": {"en": "Not a valid whole number.", "ru": "Нужно целое число."},
    "out_of_range": {
        "en": "The number is out of the allowed range.",
        "ru": "Число вне допустимого диапазона.",
    },
    "invalid_number": {"en": "Not a valid number.", "ru": "Нужно число."},
    "invalid_date": {"en": "Not a valid date.", "ru": "Неверная дата."},
    "invalid_datetime": {"en": "Not a valid date and time.", "ru": "Неверные дата и время."},
    "invalid_time": {"en": "Not a valid time.", "ru": "Неверное время."},
    "invalid_boolean": {"en": "Not a valid yes/no value.", "ru": "Нужно «да» или «нет»."},
    "invalid_email": {"en": "Not a valid e-mail address.", "ru": "Неверный адрес e-mail."},
    "invalid_url": {"en": "Not a valid URL.", "ru": "Неверный адрес URL."},
    "invalid_color": {"en": "Not a colour like #1a2b3c.", "ru": "Нужен цвет вида #1a2b3c."},
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
    "choice_retired": {
        "en": "The value «{label}» is no longer offered; choose another one.",
        "ru": "Значение «{label}» больше не используется; выберите другое.",
    },
    "too_many_digits": {
        "en": "Too many digits: at most {digits} before the decimal point.",
        "ru": "Слишком много цифр: не более {digits} до запятой.",
    },
    "read_only": {"en": "This field cannot be changed.", "ru": "Это поле нельзя изменить."},
    "not_changed_by": {
        "en": "Only the people responsible for this record may change this field.",
        "ru": "Это поле в этой записи могут менять только ответственные за неё.",
    },
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
    # -- documents saved with their grid rows (issue 21) ----------------------------------
    "grid_unknown": {
        "en": "{table!r} is not a grid of this document.",
        "ru": "Таблица «{table}» не редактируется в этом документе.",
    },
    "grid_bad_payload": {
        "en": "The document's rows arrived damaged; reload the page and try again.",
        "ru": "Строки документа пришли повреждёнными; обновите страницу и повторите.",
    },
    "grid_foreign_row": {
        "en": "Row #{id} is not a row of this document (or was deleted).",
        "ru": "Строка №{id} не относится к этому документу (или уже удалена).",
    },
    "grid_too_many": {
        "en": "A document may have at most {count} rows.",
        "ru": "В документе может быть не больше {count} строк.",
    },
    # -- list queries: what a list screen shows when its URL asks for something wrong -------
    "unknown_field": {
        "en": "unknown field {name!r} in table {table!r}; valid: {valid}",
        "ru": "Нет поля «{name}» в таблице «{label}».",
    },
    "no_field_on_path": {
        "en": "no field {path!r} in table {table!r}",
        "ru": "Нет поля «{path}» в таблице «{label}».",
    },
    "not_a_reference": {
        "en": "{name!r} is not a reference, so {path!r} cannot follow it",
        "ru": "Поле «{field}» не ссылается на другую таблицу, путь «{path}» невозможен.",
    },
    "missing_target": {
        "en": "{name!r} refers to a missing table",
        "ru": "Поле «{field}» ссылается на несуществующую таблицу.",
    },
    "unknown_fields": {
        "en": "unknown field(s) {names}; valid: {valid}",
        "ru": "Нет таких полей: {names}.",
    },
    "unknown_operator": {
        "en": "unknown operator {op!r}; valid: {valid}",
        "ru": "Неизвестное условие «{op}».",
    },
    "two_values": {
        "en": "{op} takes two values: (from, to)",
        "ru": "Нужны два значения: «от» и «до».",
    },
    "text_operator": {
        "en": "{op} applies to text fields and references, not to a {type} field",
        "ru": "Это условие применимо только к тексту и ссылкам.",
    },
    "invalid_cursor": {
        "en": "invalid or outdated cursor; start again from the first page",
        "ru": "Позиция в списке устарела; начните с первой страницы.",
    },
    "no_search_fields": {
        "en": "table {table!r} has no search fields",
        "ru": "В таблице «{label}» нет полей для поиска.",
    },
    "limit_range": {
        "en": "must be a whole number from 1 to {max}",
        "ru": "Нужно целое число от 1 до {max}.",
    },
    "whole_number_min": {
        "en": "must be a whole number, {min} or more",
        "ru": "Нужно целое число не меньше {min}.",
    },
    "may_not_read_table": {
        "en": "you may not read records of {table!r}",
        "ru": "У вас нет права читать записи таблицы «{label}».",
    },
    "may_not_read_field": {
        "en": "you may not read field {name}",
        "ru": "У вас нет права читать поле «{label}».",
    },
    "may_not_read_titles": {
        "en": "you may not read the titles of {name!r}",
        "ru": "У вас нет права читать названия в поле «{label}».",
    },
    # -- writes ------------------------------------------------------------------------------
    "changed_meanwhile": {
        "en": "{table} #{id} changed meanwhile: you edited version {expected}, but it {state}",
        "ru": "Запись изменена другим пользователем, пока вы её редактировали.",
    },
    "deleted_meanwhile": {
        "en": "{table} #{id} changed meanwhile: you edited version {expected}, but it {state}",
        "ru": "Запись удалена другим пользователем, пока вы её редактировали.",
    },
    "not_found": {"en": "{table} #{id} not found", "ru": "Запись не найдена."},
    "derive_too_many_rows": {
        "en": "the document has more than {limit} rows: they cannot be copied in one action",
        "ru": "В документе больше {limit} строк: скопировать их одним действием нельзя.",
    },
    "no_derive_rule": {
        "en": "table {table!r} has no rule {rule!r} to make a document",
        "ru": "Такого действия у этой таблицы нет.",
    },
    "batch_too_large": {
        "en": "at most {limit} records in one batch",
        "ru": "В одном пакете не больше {limit} записей.",
    },
    "batch_repeated_id": {
        "en": "record #{id} is already changed earlier in this batch",
        "ru": "Запись №{id} уже изменяется выше в этом пакете.",
    },
    # -- API tokens (issue 18) ---------------------------------------------------------------
    "webhook_url": {
        "en": "Give an http:// or https:// address.",
        "ru": "Укажите адрес, начинающийся с http:// или https://.",
    },
    "api_token_expiry_past": {
        "en": "The expiry date must be in the future.",
        "ru": "Срок действия должен быть в будущем.",
    },
    "may_not": {
        "en": "{login} may not {action} records of {table}",
        "ru": "У вас нет права на это действие в таблице «{label}».",
    },
    "outside_rows": {
        "en": "{login} may not place {what} outside their rows",
        "ru": "Запись вышла бы за пределы доступных вам записей.",
    },
    # Bulk actions on a list (issue 21).
    "bulk_field_not_editable": {
        "en": "the field {name!r} cannot be changed in bulk by you",
        "ru": "Поле «{name}» нельзя изменить массово: нет права или поле не изменяется.",
    },
    "bulk_too_many": {
        "en": "at most {limit} records can be changed at once; narrow the filter",
        "ru": "За один раз можно обработать не больше {limit} записей; сузьте отбор.",
    },
}


#: A plug-in's own message: plain text, shown as is in every language, or its text per
#: locale (``{"ru": "только буквы и цифры", "en": "letters and digits only"}``).
OwnText = str | Mapping[str, str]


def message(key: str, locale: str = "en", **params: Any) -> str:
    """The text of message ``key`` in ``locale`` (English when the locale is unknown).

    A parameter with a ``text(locale)`` method (a field, a table) is shown by it: its label
    in that locale.
    """
    return _filled(_in_locale(MESSAGES[key], locale), locale, params)


def own_message(text: OwnText, locale: str = "en", **params: Any) -> str:
    """A plug-in's own message (see :data:`OwnText`) in ``locale``.

    Text per locale is chosen as the engine's messages are: the locale, then its language
    (``ru`` for ``ru_RU``), then English, then whichever the plug-in gave. ``params`` fill
    ``{name}`` placeholders as in :func:`message`; without them the text is shown as is.
    """
    chosen = text if isinstance(text, str) else _in_locale(text, locale)
    return _filled(chosen, locale, params)


def _in_locale(texts: Mapping[str, str], locale: str) -> str:
    found = texts.get(locale) or texts.get(locale.split("_")[0]) or texts.get("en")
    return found if found is not None else next(iter(texts.values()), "")


def _filled(text: str, locale: str, params: Mapping[str, Any]) -> str:
    if not params:
        return text
    shown = {k: v.text(locale) if callable(getattr(v, "text", None)) else v
             for k, v in params.items()}  # fmt: skip
    return text.format(**shown)


class Text(str):
    """An engine message raised where the user's locale is not known (deep in a query).

    It *is* the English text (``str(text)``: logs, the API, existing callers), and it keeps
    its key and parameters so that the edge that knows the user shows it in their language:
    :func:`localized`. Labels come from ``label``-style parameters (see :func:`message`).
    """

    key: str
    params: dict[str, Any]

    def __new__(cls, key: str, **params: Any) -> Text:
        self = super().__new__(cls, message(key, "en", **params))
        self.key, self.params = key, params
        return self

    def __reduce__(self) -> Any:  # str subclasses pickle by value otherwise
        return (_text, (self.key, self.params))

    def localized(self, locale: str) -> str:
        """This message in ``locale``."""
        return message(self.key, locale, **self.params)


def _text(key: str, params: dict[str, Any]) -> Text:
    return Text(key, **params)


def localized(value: Any, locale: str) -> str:
    """``value`` (an engine message, a :class:`Text` or plain text) in ``locale``."""
    return value.localized(locale) if isinstance(value, Text) else str(value)
