"""Interface texts of the message templates and channels (issue 19), merged into
``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids are the English texts, as there."""

from __future__ import annotations

MAILTPL_TEXTS: dict[str, dict[str, str]] = {
    # The template list and editor.
    "Message templates": {"ru": "Шаблоны сообщений"},
    "Template": {"ru": "Шаблон"},
    "Channel": {"ru": "Канал"},
    "saved in the editor": {"ru": "сохранён в редакторе"},
    "No message templates yet.": {"ru": "Шаблонов сообщений пока нет."},
    "New message template": {"ru": "Новый шаблон сообщения"},
    "Address field (e-mail or phone), e.g. email or client.email": {
        "ru": "Поле с адресом (e-mail или телефон), например email или client.email"
    },
    "Recipient's name field (optional)": {"ru": "Поле с именем получателя (необязательно)"},
    "Opt-out field «no mailings» (optional)": {
        "ru": "Поле «не присылать рассылки» (необязательно)"
    },
    "Subject": {"ru": "Тема"},
    "Plain text": {"ru": "Обычный текст"},
    "Simple HTML": {"ru": "Простой HTML"},
    "Message": {"ru": "Сообщение"},
    "Attach a print form": {"ru": "Приложить печатную форму"},
    "no attachment": {"ru": "без вложения"},
    "as PDF": {"ru": "в PDF"},
    "Back to the configuration version": {"ru": "Вернуть версию из конфигурации"},
    "Show preview": {"ru": "Показать"},
    "Send to": {"ru": "Кому"},
    "Attachment": {"ru": "Вложение"},
    "Click a placeholder to insert it where the cursor is.": {
        "ru": "Нажмите на поле, чтобы вставить его туда, где стоит курсор."
    },
    "The template is saved.": {"ru": "Шаблон сохранён."},
    "The saved template is deleted.": {"ru": "Сохранённый шаблон удалён."},
    "A template with this name already exists.": {"ru": "Шаблон с таким именем уже есть."},
    "Name: %(error)s": {"ru": "Имя: %(error)s"},
    "Choose a record to preview the message on.": {
        "ru": "Выберите запись, на которой показать сообщение."
    },
    "You may not send messages about this table.": {
        "ru": "У вас нет права отправлять сообщения по этой таблице."
    },
    "The record does not exist or is not available to you.": {
        "ru": "Запись не существует или вам недоступна."
    },
    "This record has no address: it would be skipped.": {
        "ru": "У этой записи нет адреса: она будет пропущена."
    },
    "This recipient opted out: it would be skipped.": {
        "ru": "Получатель отказался от рассылок: он будет пропущен."
    },
    "%(chars)s characters, %(encoding)s: %(segments)s SMS (%(per)s per message)": {
        "ru": "%(chars)s симв., %(encoding)s: %(segments)s SMS (по %(per)s в сообщении)"
    },
    # Places and problems of a template (the engine words them in English).
    "%(part)s, line %(n)s": {"ru": "%(part)s, строка %(n)s"},
    "subject": {"ru": "тема"},
    "body": {"ru": "текст"},
    "address": {"ru": "адрес"},
    "opt-out field": {"ru": "поле отказа от рассылок"},
    "recipient's name": {"ru": "имя получателя"},
    "attachment": {"ru": "вложение"},
    "channel": {"ru": "канал"},
    "name": {"ru": "имя"},
    "the address %(path)s is a %(type)s field; a %(channel)s address must be one of: %(types)s": {
        "ru": "адрес %(path)s — поле типа %(type)s; адрес для канала %(channel)s должен быть "
        "полем одного из типов: %(types)s"
    },
    "the opt-out %(path)s is a %(type)s field; it must be a yes/no (boolean) field": {
        "ru": "поле отказа %(path)s — типа %(type)s; нужно поле «да/нет»"
    },
    "an e-mail needs a subject": {"ru": "у письма должна быть тема"},
    "an SMS has no %(what)s": {"ru": "у SMS не бывает поля %(what)s"},
    "an SMS is plain text, not HTML": {"ru": "SMS — это обычный текст, не HTML"},
    "no print form with id %(id)s": {"ru": "нет печатной формы с id %(id)s"},
    "the print form %(id)s prints table %(table)s, not %(other)s": {
        "ru": "печатная форма %(id)s печатает таблицу %(table)s, а не %(other)s"
    },
    "the template does something that is not allowed: %(error)s": {
        "ru": "шаблон делает недопустимое: %(error)s"
    },
    "the template repeats too much (at most %(n)s steps)": {
        "ru": "шаблон повторяет слишком много (не больше %(n)s шагов)"
    },
    "the template takes longer than %(n)s seconds": {"ru": "шаблон выполняется дольше %(n)s с"},
    "the text is longer than %(n)s characters": {"ru": "текст длиннее %(n)s символов"},
    # The channels page.
    "Message channels": {"ru": "Каналы рассылки"},
    "Channels available: %(names)s. Empty settings fall back to the server environment "
    "(UCHET_SMTP_*, UCHET_SMS_*).": {
        "ru": "Доступные каналы: %(names)s. Пустые настройки берутся из окружения сервера "
        "(UCHET_SMTP_*, UCHET_SMS_*)."
    },
    "E-mail (SMTP)": {"ru": "Электронная почта (SMTP)"},
    "Server": {"ru": "Сервер"},
    "Port": {"ru": "Порт"},
    "Encryption": {"ru": "Шифрование"},
    "none": {"ru": "нет"},
    "saved; type to change": {"ru": "сохранён; введите, чтобы изменить"},
    "Sender address": {"ru": "Адрес отправителя"},
    "SMS (HTTP gateway)": {"ru": "SMS (HTTP-шлюз)"},
    "Gateway address": {"ru": "Адрес шлюза"},
    "Method": {"ru": "Метод"},
    "Request body (POST)": {"ru": "Тело запроса (POST)"},
    "form fields": {"ru": "поля формы"},
    "Parameters, one per line: name=value. Placeholders: {to}, {text}, {login}, {password}, "
    "{sender}": {
        "ru": "Параметры, по одному в строке: имя=значение. Подстановки: {to} — телефон, "
        "{text} — текст, {login}, {password}, {sender} — отправитель"
    },
    "Sender name": {"ru": "Имя отправителя"},
    "Success pattern (a regular expression the answer must match; a group named id keeps "
    "the message id)": {
        "ru": "Признак успеха (регулярное выражение, которому должен соответствовать ответ; "
        "группа с именем id сохраняет номер сообщения)"
    },
    "Send a test message": {"ru": "Отправить проверочное сообщение"},
    "Address or phone": {"ru": "Адрес или телефон"},
    "Send": {"ru": "Отправить"},
    "The settings are saved.": {"ru": "Настройки сохранены."},
    "There is no such channel.": {"ru": "Такого канала нет."},
    "Not saved: the port must be a number from 1 to 65535.": {
        "ru": "Не сохранено: порт — число от 1 до 65535."
    },
    "Not saved: write each parameter on its own line as name=value.": {
        "ru": "Не сохранено: пишите каждый параметр в своей строке как имя=значение."
    },
    "Not saved: the success pattern is wrong: %(error)s": {
        "ru": "Не сохранено: ошибка в признаке успеха: %(error)s"
    },
    "Not saved: the address must start with http:// or https://.": {
        "ru": "Не сохранено: адрес должен начинаться с http:// или https://."
    },
    "Choose the channel and type the address to send the test to.": {
        "ru": "Выберите канал и введите адрес для проверочного сообщения."
    },
    "Test message from uchet": {"ru": "Проверочное сообщение из uchet"},
    "This is a test message: the channel is set up correctly.": {
        "ru": "Это проверочное сообщение: канал настроен правильно."
    },
    "sent": {"ru": "отправлено"},
    "not sent, temporary failure": {"ru": "не отправлено, временный сбой"},
    "not sent": {"ru": "не отправлено"},
    "not sent, the address does not exist": {"ru": "не отправлено, адреса не существует"},
    # The mail right on the roles page.
    "May send messages": {"ru": "Может отправлять сообщения"},
}
