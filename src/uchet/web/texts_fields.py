"""Interface texts of the structure editor's field page (issue 14): rename a field, change
its type, edit its choice list (:mod:`uchet.formdesigner.fieldviews`).

Merged into ``UI_TEXTS`` by :mod:`uchet.web.texts`; the message ids are the English texts.
"""

from __future__ import annotations

FIELD_TEXTS: dict[str, dict[str, str]] = {
    "Rename, change the type, edit the choices": {
        "ru": "Переименовать, сменить тип, изменить варианты"
    },
    "Rename the field": {"ru": "Переименовать поле"},
    "Formulas, reports, dashboards, row rules and print templates that use the name follow it; "
    "the values stay.": {
        "ru": "Формулы, отчёты, сводки, правила доступа к строкам и печатные шаблоны, "
        "где используется имя, переходят на новое; значения сохраняются."
    },
    "New name": {"ru": "Новое имя"},
    "Rewrite the print templates that use it as new versions": {
        "ru": "Переписать печатные шаблоны, где оно используется, новыми версиями"
    },
    "Change the type": {"ru": "Сменить тип"},
    "Before anything changes you see how many values convert and which do not.": {
        "ru": "До любых изменений видно, сколько значений преобразуется и какие — нет."
    },
    "New type": {"ru": "Новый тип"},
    "Choice list": {"ru": "Варианты выбора"},
    "Renaming a value changes its label only; a retired value stays on the records that hold "
    "it and is not offered for new ones.": {
        "ru": "Переименование меняет только название варианта; выведенный из употребления "
        "вариант остаётся у записей, где он выбран, и не предлагается для новых."
    },
    "Order": {"ru": "Порядок"},
    "Stored value": {"ru": "Хранимое значение"},
    "Retired": {"ru": "Не используется"},
    "new": {"ru": "новый"},
    "References rewritten": {"ru": "Что будет переписано"},
    "None: nothing names the field by its name.": {"ru": "Ничего: поле нигде не названо по имени."},
    "Print templates that use the field": {"ru": "Печатные шаблоны с этим полем"},
    "a placeholder is split by the text formatting; correct the template by hand": {
        "ru": "поле в шаблоне разбито форматированием текста; исправьте шаблон вручную"
    },
    "gets a new template version with the new name": {
        "ru": "получит новую версию шаблона с новым именем"
    },
    "not rewritten (you chose so)": {"ru": "не переписывается (вы так выбрали)"},
    "part of the configuration files: the integrator changes it": {
        "ru": "входит в файлы конфигурации: его меняет внедренец"
    },
    "None.": {"ru": "Нет."},
    "field «%(label)s» of «%(table)s»": {"ru": "поле «%(label)s» таблицы «%(table)s»"},
    "table «%(label)s»": {"ru": "таблица «%(label)s»"},
    "report «%(label)s»": {"ru": "отчёт «%(label)s»"},
    "dashboard «%(label)s»": {"ru": "сводка «%(label)s»"},
    "role «%(label)s»": {"ru": "роль «%(label)s»"},
    "print form «%(label)s»": {"ru": "печатная форма «%(label)s»"},
    "field renamed to %(name)s": {"ru": "поле переименовано в %(name)s"},
    "Print form «%(label)s»: new template version %(version)s.": {
        "ru": "Печатная форма «%(label)s»: новая версия шаблона %(version)s."
    },
    "Print form «%(label)s» still uses the old name: correct its template.": {
        "ru": "Печатная форма «%(label)s» всё ещё использует прежнее имя: исправьте шаблон."
    },
    "Change the type of «%(label)s» to «%(type)s»": {
        "ru": "Смена типа поля «%(label)s» на «%(type)s»"
    },
    "Records: %(count)s": {"ru": "Записей: %(count)s"},
    "Values that convert: %(count)s": {"ru": "Преобразуется значений: %(count)s"},
    "Values that do not convert: %(count)s": {"ru": "Не преобразуется значений: %(count)s"},
    "Empty: %(count)s": {"ru": "Пустых: %(count)s"},
    "The first %(count)s are shown.": {"ru": "Показаны первые %(count)s."},
    "What to do with the values that do not convert": {
        "ru": "Что делать со значениями, которые не преобразуются"
    },
    "Cancel the change": {"ru": "отменить изменение"},
    "Leave empty": {"ru": "оставить пустым"},
    "Put a value instead": {"ru": "подставить значение"},
    "Give the value to put in place of those that do not convert.": {
        "ru": "Укажите значение, которое подставить вместо непреобразуемых."
    },
    "All or nothing: the change is applied in one transaction; the old values are kept in a "
    "backup table.": {
        "ru": "Всё или ничего: изменение применяется одной транзакцией; прежние значения "
        "сохраняются в резервной таблице."
    },
    "A value cannot be deleted, only retired: records may hold it.": {
        "ru": "Вариант нельзя удалить, только вывести из употребления: он может быть у записей."
    },
    "Keep at least one value offered.": {"ru": "Оставьте хотя бы один используемый вариант."},
    "A value is listed twice.": {"ru": "Вариант указан дважды."},
    "Every value needs a label.": {"ru": "У каждого варианта должно быть название."},
}
