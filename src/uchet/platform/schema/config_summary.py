"""A one-line summary of what a configuration version changed (issue 16, ``config history``).

:func:`summarize` compares two configuration trees by stable id (ARCHITECTURE rule 2) and
counts the objects added, removed and changed, per kind. The migrator stores the counts with
every version in ``uchet_config.summary``; the words come later, in the reader's language,
from :func:`summary_text` (``added: 2 fields; changed: 1 table``). Counting is all it does:
the property-by-property comparison is the semantic diff's job (``uchet config diff``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from uchet.platform.model.config import thaw

#: Tree keys, in the order the summary lists them, and the kind each holds.
KINDS = (
    ("tables", "table"), ("forms", "form"), ("print_forms", "print_form"), ("roles", "role"),
    ("reports", "report"), ("dashboards", "dashboard"), ("translations", "translation"),
    ("message_templates", "message_template"),
)  # fmt: skip
#: The word forms of each kind: English singular and plural; Russian for 1, 2-4 and 5+.
WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "table": {"en": ("table", "tables"), "ru": ("таблица", "таблицы", "таблиц")},
    "field": {"en": ("field", "fields"), "ru": ("поле", "поля", "полей")},
    "form": {"en": ("form", "forms"), "ru": ("форма", "формы", "форм")},
    "print_form": {"en": ("print form", "print forms"),
                   "ru": ("печатная форма", "печатные формы", "печатных форм")},
    "role": {"en": ("role", "roles"), "ru": ("роль", "роли", "ролей")},
    "report": {"en": ("report", "reports"), "ru": ("отчёт", "отчёта", "отчётов")},
    "dashboard": {"en": ("dashboard", "dashboards"), "ru": ("панель", "панели", "панелей")},
    "translation": {"en": ("translation", "translations"),
                    "ru": ("перевод", "перевода", "переводов")},
    "message_template": {"en": ("message template", "message templates"),
                         "ru": ("шаблон сообщения", "шаблона сообщений", "шаблонов сообщений")},
    "manifest": {"en": ("manifest", "manifests"), "ru": ("манифест", "манифеста", "манифестов")},
}  # fmt: skip
#: The headings of the groups of the summary.
GROUPS = {
    "initial": {"en": "first version", "ru": "первая версия"},
    "added": {"en": "added", "ru": "добавлено"},
    "removed": {"en": "removed", "ru": "удалено"},
    "changed": {"en": "changed", "ru": "изменено"},
}
NO_CHANGES = {"en": "no changes", "ru": "без изменений"}

Summary = dict[str, dict[str, int]]


def summarize(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> Summary:
    """Counts of objects per group (``added``, ``removed``, ``changed``; ``initial`` when
    there is no ``old``) and kind. A renamed object is *changed*, since its id is the same.
    Groups and kinds with nothing in them are left out."""
    new_objects = dict(_objects(new))
    if old is None:
        initial: dict[str, int] = {}
        for kind, _ in new_objects:
            if kind != "manifest":
                initial[kind] = initial.get(kind, 0) + 1
        return {"initial": initial}
    old_objects = dict(_objects(old))
    result: Summary = {}
    for key in new_objects.keys() | old_objects.keys():
        if key not in old_objects:
            group = "added"
        elif key not in new_objects:
            group = "removed"
        elif _canonical(old_objects[key]) != _canonical(new_objects[key]):
            group = "changed"
        else:
            continue
        counts = result.setdefault(group, {})
        counts[key[0]] = counts.get(key[0], 0) + 1
    return result


def summary_text(summary: Mapping[str, Mapping[str, int]] | None, locale: str = "en") -> str:
    """The summary in words: ``added: 2 fields; changed: 1 table``. None (a version applied
    by a release before issue 16) gives an empty string."""
    if summary is None:
        return ""
    lang = "ru" if locale.startswith("ru") else "en"
    order = [kind for _, kind in KINDS] + ["field", "manifest"]
    order.insert(1, order.pop(order.index("field")))  # fields right after tables
    parts = []
    for group in GROUPS:
        counts = summary.get(group) or {}
        items = [count_words(counts[k], k, lang) for k in order if counts.get(k)]
        if items:
            parts.append(f"{GROUPS[group][lang]}: {', '.join(items)}")
    return "; ".join(parts) or NO_CHANGES[lang]


def count_words(count: int, kind: str, lang: str) -> str:
    """``2 fields``, ``5 полей``."""
    forms = WORDS[kind][lang]
    if lang == "en":
        return f"{count} {forms[0] if count == 1 else forms[1]}"
    tail, tens = count % 10, count % 100
    if tail == 1 and tens != 11:
        word = forms[0]
    elif 2 <= tail <= 4 and not 12 <= tens <= 14:
        word = forms[1]
    else:
        word = forms[2]
    return f"{count} {word}"


def _objects(tree: Mapping[str, Any]) -> Iterator[tuple[tuple[str, str], Any]]:
    """``((kind, id), data)`` of every object of ``tree``: documents by id, fields by id
    (a table's data without its fields, so a new field does not also change its table)."""
    tree = thaw(tree)
    if tree.get("manifest"):
        yield ("manifest", ""), tree["manifest"]
    for key, kind in KINDS:
        for i, doc in enumerate(tree.get(key) or ()):
            if not isinstance(doc, dict):
                continue
            ident = str(doc.get("id") or doc.get("locale") or i)
            if kind == "table":
                for field in doc.get("fields") or ():
                    yield ("field", str(field.get("id"))), field
                doc = {k: v for k, v in doc.items() if k != "fields"}
            yield (kind, ident), doc


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
