"""Interface texts of running the system (issue 20): the administrator's backups and
reports sent on a schedule. Merged into ``UI_TEXTS`` by :mod:`uchet.web.texts`; the message
ids are the English texts, as there."""

from __future__ import annotations

OPS_TEXTS: dict[str, dict[str, str]] = {
    "Backups": {"ru": "Резервные копии"},
    "The worker (uchet worker) makes a copy of the whole database, with its files, on "
    "schedule, keeps the newest copies and tells the administrators how it went.": {
        "ru": "Обработчик заданий (uchet worker) по расписанию копирует всю базу вместе с "
        "файлами, хранит последние копии и сообщает администраторам, как всё прошло."
    },
    "Folder on the server": {"ru": "Папка на сервере"},
    "How many copies to keep": {"ru": "Сколько копий хранить"},
    "Make backups on this schedule": {"ru": "Делать копии по этому расписанию"},
    "Next copy": {"ru": "Следующая копия"},
    "Last copy": {"ru": "Последняя копия"},
    "done": {"ru": "готово"},
    "failed": {"ru": "ошибка"},
    "in progress": {"ru": "выполняется"},
    "Copies in the folder": {"ru": "Копии в папке"},
    "No copies yet.": {"ru": "Копий пока нет."},
    "Made": {"ru": "Сделана"},
    "File": {"ru": "Файл"},
    "Size": {"ru": "Размер"},
    "%(n)s KB": {"ru": "%(n)s КБ"},
    "%(n)s MB": {"ru": "%(n)s МБ"},
    "HH:MM": {"ru": "ЧЧ:ММ"},
    "before a restore": {"ru": "перед восстановлением"},
    "To restore a copy, stop the web servers and workers and run: uchet restore FILE --force": {
        "ru": "Чтобы восстановить копию, остановите веб-серверы и обработчики заданий и "
        "выполните: uchet restore ФАЙЛ --force"
    },
    "How often": {"ru": "Как часто"},
    "Every day": {"ru": "Каждый день"},
    "Every week": {"ru": "Каждую неделю"},
    "Every month": {"ru": "Каждый месяц"},
    "At": {"ru": "Время"},
    "Day of the week": {"ru": "День недели"},
    "Day of the month": {"ru": "Число месяца"},
    "The day of the week counts for a weekly schedule, the day of the month for a monthly "
    "one (in a shorter month: its last day).": {
        "ru": "День недели учитывается для еженедельного расписания, число — для ежемесячного "
        "(в более коротком месяце — его последний день)."
    },
    "Monday": {"ru": "понедельник"},
    "Tuesday": {"ru": "вторник"},
    "Wednesday": {"ru": "среда"},
    "Thursday": {"ru": "четверг"},
    "Friday": {"ru": "пятница"},
    "Saturday": {"ru": "суббота"},
    "Sunday": {"ru": "воскресенье"},
    "Not saved: %(error)s": {"ru": "Не сохранено: %(error)s"},
    "The backup schedule is saved.": {"ru": "Расписание резервных копий сохранено."},
    "Choose how often.": {"ru": "Выберите, как часто."},
    "The time is HH:MM, from 00:00 to 23:59.": {"ru": "Время — ЧЧ:ММ, от 00:00 до 23:59."},
    "Choose the day of the week.": {"ru": "Выберите день недели."},
    "The day of the month is from 1 to 31.": {"ru": "Число месяца — от 1 до 31."},
    "Give the folder on the server to keep the backups in.": {
        "ru": "Укажите папку на сервере, где хранить копии."
    },
    "Keep from 1 to 1000 copies.": {"ru": "Хранить можно от 1 до 1000 копий."},
    "You may not run this report.": {"ru": "Вам недоступен этот отчёт."},
    "Choose the recipients: yourself, or anyone if you are an administrator.": {
        "ru": "Выберите получателей: себя, а администратор — любых пользователей."
    },
    "There is no such report.": {"ru": "Такого отчёта нет."},
    "Scheduled reports": {"ru": "Отчёты по расписанию"},
    "The report is sent as an .xlsx file by e-mail and as a notification. Each recipient "
    "gets the rows they may see.": {
        "ru": "Отчёт приходит файлом .xlsx по почте и уведомлением. Каждый получатель видит "
        "только те строки, которые ему доступны."
    },
    "Report": {"ru": "Отчёт"},
    "Recipients": {"ru": "Получатели"},
    "Next sending": {"ru": "Следующая отправка"},
    "Last sending": {"ru": "Последняя отправка"},
    "Send a report on schedule": {"ru": "Отправлять отчёт по расписанию"},
    "Send on schedule": {"ru": "Отправлять по расписанию"},
    "The report will be sent on schedule.": {"ru": "Отчёт будет отправляться по расписанию."},
    "The schedule was deleted.": {"ru": "Расписание удалено."},
    "Download the report": {"ru": "Скачать отчёт"},
}
