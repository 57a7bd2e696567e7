"""Interface texts of the message screens (issue 19: mailings, the delivery log, automatic
messages, unsubscribe), merged into ``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids
are the English texts, as there."""

from __future__ import annotations

DELIVERY_TEXTS: dict[str, dict[str, str]] = {
    "Mailings": {"ru": "Рассылки"},
    "Mailing": {"ru": "Рассылка"},
    "New mailing": {"ru": "Новая рассылка"},
    "Message": {"ru": "Сообщение"},
    "Messages": {"ru": "Сообщения"},
    "Test message": {"ru": "Тестовое сообщение"},
    "Rule": {"ru": "Правило"},
    "Send a message": {"ru": "Отправить сообщение"},
    "Template": {"ru": "Шаблон"},
    "Show": {"ru": "Показать"},
    "This table has no message templates yet.": {
        "ru": "У этой таблицы пока нет шаблонов сообщений."
    },
    "There is no such message template.": {"ru": "Такого шаблона сообщения нет."},
    "Will receive": {"ru": "Получат"},
    "of": {"ru": "из"},
    "Skipped": {"ru": "Пропущено"},
    "no address": {"ru": "нет адреса"},
    "opted out": {"ru": "отписались"},
    "no right to read": {"ru": "нет права на чтение"},
    "Preview": {"ru": "Предпросмотр"},
    "Send a test to myself": {"ru": "Отправить тест себе"},
    "Send": {"ru": "Отправить"},
    "Send to %(n)s recipients": {"ru": "Отправить получателям: %(n)s"},
    "The test is sent at once to the address typed beside its button; nobody else receives it.": {
        "ru": "Тест отправляется сразу на адрес, введённый рядом с кнопкой; "
        "больше его никто не получит."
    },
    "Send the test to": {"ru": "Куда отправить тест"},
    "Your phone, +7 …": {"ru": "Ваш телефон, +7 …"},
    "Your e-mail": {"ru": "Ваша почта"},
    "Not sent: «%(to)s» is not an e-mail address or a phone number.": {
        "ru": "Не отправлено: «%(to)s» — не адрес почты и не номер телефона."
    },
    "No records match: nobody to send to.": {"ru": "Нет подходящих записей: отправлять некому."},
    "The recipients could not be chosen: %(error)s": {
        "ru": "Не удалось выбрать получателей: %(error)s"
    },
    "Not sent: %(error)s": {"ru": "Не отправлено: %(error)s"},
    "The test message was sent to %(to)s.": {"ru": "Тестовое сообщение отправлено на %(to)s."},
    "The message was sent.": {"ru": "Сообщение отправлено."},
    "The mailing is queued; it is sent in the background.": {
        "ru": "Рассылка поставлена в очередь и отправляется в фоне."
    },
    "The mailing is cancelled; %(n)s messages will not be sent.": {
        "ru": "Рассылка отменена; не будет отправлено сообщений: %(n)s."
    },
    "Cancel the mailing": {"ru": "Отменить рассылку"},
    "in progress": {"ru": "идёт"},
    "done": {"ru": "завершена"},
    "cancelled": {"ru": "отменено"},
    "queued": {"ru": "в очереди"},
    "sending": {"ru": "отправляется"},
    "sent": {"ru": "отправлено"},
    "failed": {"ru": "ошибка"},
    "bounced": {"ru": "отклонено"},
    "skipped": {"ru": "пропущено"},
    "Recipient": {"ru": "Получатель"},
    "Address": {"ru": "Адрес"},
    "Status": {"ru": "Состояние"},
    "Reason": {"ru": "Причина"},
    "Attempts": {"ru": "Попыток"},
    "Sent at": {"ru": "Отправлено"},
    "Subject": {"ru": "Тема"},
    "Record": {"ru": "Запись"},
    "Kind": {"ru": "Вид"},
    "No messages yet.": {"ru": "Сообщений пока нет."},
    "Back to the card": {"ru": "К карточке"},
    "Automatic messages": {"ru": "Автоматические сообщения"},
    "Rules of the configuration, sent by the background worker. Each fires once per record "
    "and occasion.": {
        "ru": "Правила конфигурации; сообщения отправляет фоновый обработчик. Каждое "
        "срабатывает один раз для записи и повода."
    },
    "When": {"ru": "Когда"},
    "Channel": {"ru": "Канал"},
    "Table": {"ru": "Таблица"},
    "on": {"ru": "включено"},
    "off": {"ru": "выключено"},
    "Switch off": {"ru": "Выключить"},
    "Switch on": {"ru": "Включить"},
    "Saved.": {"ru": "Сохранено."},
    "The configuration has no automatic messages.": {
        "ru": "В конфигурации нет автоматических сообщений."
    },
    "%(hours)s h before «%(field)s»": {"ru": "за %(hours)s ч до «%(field)s»"},
    "when «%(field)s» becomes «%(value)s»": {"ru": "когда «%(field)s» становится «%(value)s»"},
    "every year on «%(field)s»": {"ru": "каждый год в день «%(field)s»"},
    "Unsubscribe": {"ru": "Отписаться"},
    "Do you want to stop receiving our mailings?": {"ru": "Больше не получать наши рассылки?"},
    "You are unsubscribed: we will send you no more mailings.": {
        "ru": "Вы отписались: рассылок больше не будет."
    },
    "This unsubscribe link is damaged or out of date.": {
        "ru": "Ссылка для отписки повреждена или устарела."
    },
}
