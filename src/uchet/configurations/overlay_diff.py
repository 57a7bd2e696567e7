"""What changed between two database overlay documents, in words, and the revert rule.

A database overlay (issue 14) is an ordinary overlay document (``overlay.json``) kept in the
database; every save stores the whole document. :func:`diff` compares two of them entry by
entry and returns :class:`Change` items, which :func:`describe` turns into sentences such as
«добавлено поле «Дата визита» в «Клиенты»» for the history page, the audit trail and the
message of a refused stale save. :func:`archive_dropped` is the rule that makes a revert lose
no data: a table or field the newer document added and the older one lacks is kept, hidden.

Pure functions over JSON data: no database, no Flask.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Doc = Mapping[str, Any]

#: The document of a database that has no overlay revision yet.
EMPTY_DOCUMENT: dict[str, Any] = {"overlay": "database"}

#: The sentences of each kind of change, per locale. ``{what}`` is the object's label
#: (quoted), ``{where}`` the table it belongs to, ``{props}`` the property names.
CHANGE_TEXTS: dict[str, dict[str, str]] = {
    "add_table": {"ru": "добавлена таблица {what}", "en": "added table {what}"},
    "add_field": {"ru": "добавлено поле {what} в {where}", "en": "added field {what} to {where}"},
    "drop_table": {"ru": "убрана таблица {what}", "en": "removed table {what}"},
    "drop_field": {
        "ru": "убрано поле {what} из {where}",
        "en": "removed field {what} from {where}",
    },
    "set": {"ru": "изменено у {what}: {props}", "en": "changed {props} of {what}"},
    "unset": {"ru": "сброшено у {what}: {props}", "en": "reset {props} of {what}"},
    "hide": {"ru": "скрыто: {what}", "en": "hidden: {what}"},
    "show": {"ru": "снова показано: {what}", "en": "shown again: {what}"},
    "add_doc": {"ru": "добавлено: {what}", "en": "added {what}"},
    "change_doc": {"ru": "заменено: {what}", "en": "replaced {what}"},
    "drop_doc": {"ru": "убрано: {what}", "en": "removed {what}"},
    "remove": {"ru": "удалено: {what}", "en": "deleted {what}"},
    "keep_remove": {"ru": "снова есть: {what}", "en": "restored {what}"},
    "add_tab": {
        "ru": "добавлена вкладка {what} на карточку {where}",
        "en": "added tab {what} to {where}",
    },
    "drop_tab": {
        "ru": "убрана вкладка {what} с карточки {where}",
        "en": "removed tab {what} from {where}",
    },
    "hide_part": {"ru": "скрыт раздел {what} карточки {where}", "en": "hid {what} of {where}"},
    "show_part": {
        "ru": "снова показан раздел {what} карточки {where}",
        "en": "showed {what} of {where} again",
    },
}

#: Property names shown in words instead of their JSON keys.
PROPERTY_TEXTS: dict[str, dict[str, str]] = {
    "label": {"ru": "название", "en": "label"},
    "help": {"ru": "подсказка", "en": "help"},
    "hidden": {"ru": "видимость", "en": "visibility"},
    "required": {"ru": "обязательность", "en": "required"},
    "default": {"ru": "значение по умолчанию", "en": "default"},
    "choices": {"ru": "варианты", "en": "choices"},
    "name": {"ru": "имя", "en": "name"},
    "type": {"ru": "тип", "en": "type"},
    "formula": {"ru": "формула", "en": "formula"},
    "default_from": {"ru": "откуда берётся значение", "en": "default from"},
    "seed": {"ru": "начальные записи", "en": "seed rows"},
    "notifications": {"ru": "уведомления", "en": "notifications"},
    "output_name": {"ru": "имя файла", "en": "file name"},
    "max_length": {"ru": "длина", "en": "length"},
    "pattern": {"ru": "формат", "en": "pattern"},
    "numbering": {"ru": "нумерация", "en": "numbering"},
    "target": {"ru": "ссылка на таблицу", "en": "reference target"},
    "min": {"ru": "минимум", "en": "min"},
    "max": {"ru": "максимум", "en": "max"},
    "unique": {"ru": "уникальность", "en": "unique"},
    "tables": {"ru": "права на таблицы", "en": "table rights"},
    "section": {"ru": "раздел меню", "en": "menu section"},
}

#: Documents an overlay adds or replaces whole, keyed as in the overlay document.
DOCUMENT_KEYS = (
    "forms", "print_forms", "roles", "reports", "dashboards", "message_templates", "sections",
)  # fmt: skip


@dataclass(frozen=True)
class Change:
    """One difference between two overlay documents."""

    kind: str
    #: Id of the object changed.
    target: str
    #: Id of the table a field belongs to (field changes only).
    table: str | None = None
    #: Property names (``set`` and ``unset`` only).
    props: tuple[str, ...] = ()
    #: (old, new) overlay value of each of ``props`` (``set`` only; None: not set there).
    values: tuple[tuple[Any, Any], ...] = ()


def diff(old: Doc, new: Doc, base_forms: Mapping[str, Doc] | None = None) -> list[Change]:
    """The changes that turn overlay document ``old`` into ``new``, in a stable order.

    ``base_forms`` (form id -> the files' form) lets a form entry be compared with the form
    it replaces, so adding a tab reads as that, not as a new form."""
    changes: list[Change] = []
    old_tables = {t["id"]: t for t in old.get("tables", ())}
    new_tables = {t["id"]: t for t in new.get("tables", ())}
    changes += [Change("add_table", t) for t in new_tables if t not in old_tables]
    changes += [Change("drop_table", t) for t in old_tables if t not in new_tables]
    old_fields = _added_fields(old)
    new_fields = _added_fields(new)
    changes += [Change("add_field", f, t) for f, t in new_fields.items() if f not in old_fields]
    changes += [Change("drop_field", f, t) for f, t in old_fields.items() if f not in new_fields]
    # An added table or field edited in place (renamed, relabelled): its properties changed.
    old_docs = {**old_tables, **_added_field_docs(old)}
    for obj_id, doc in {**new_tables, **_added_field_docs(new)}.items():
        was = old_docs.get(obj_id)
        if was is not None and was != doc:
            props = tuple(sorted(k for k in {*was, *doc} if k != "fields"
                                 and was.get(k) != doc.get(k)))  # fmt: skip
            if props:
                values = tuple((was.get(k), doc.get(k)) for k in props)
                changes.append(Change("set", obj_id, props=props, values=values))
    for key in DOCUMENT_KEYS:
        before = {d["id"]: d for d in old.get(key, ())}
        after = {d["id"]: d for d in new.get(key, ())}
        if key == "forms":
            # An overlay replaces a form whole, to hide a part (overlay_edit.set_part_hidden)
            # or add a child tab (overlay_tables.add_child_tab). Compare the effective forms
            # (the files' form where a document has none), say which parts and tabs changed,
            # and compare the rest without them. A form entry that only hides parts is not
            # "added" or "removed" in words.
            base = base_forms or {}
            ids = [*after, *(k for k in before if k not in after)]
            before = {k: before.get(k, base.get(k)) for k in ids if k in before or k in base}
            after = {k: after.get(k, base.get(k)) for k in ids if k in after or k in base}
            changes += _form_parts(before, after)
            tabs = _child_tabs(before, after)
            changes += tabs
            moved = {c.target for c in tabs}
            hiding = {k for k, v in [*before.items(), *after.items()] if hidden_parts(v)}
            before = {k: _unhidden(v, moved) for k, v in before.items()
                      if k in after or k not in hiding}  # fmt: skip
            after = {k: _unhidden(v, moved) for k, v in after.items()
                     if k in before or k not in hiding}  # fmt: skip
        for doc_id, doc in after.items():
            if doc_id not in before:
                changes.append(Change("add_doc", doc_id))
            elif before[doc_id] != doc:
                changes.append(Change("change_doc", doc_id))
        changes += [Change("drop_doc", d) for d in before if d not in after]
    old_set, new_set = old.get("set", {}), new.get("set", {})
    for target in sorted({*old_set, *new_set}):
        a, b = old_set.get(target, {}), new_set.get(target, {})
        props = tuple(sorted(k for k in {*a, *b} if a.get(k) != b.get(k)))
        if props == ("hidden",):
            changes.append(Change("hide" if b.get("hidden") else "show", target))
        elif props:
            values = tuple((a.get(k), b.get(k)) for k in props)
            changes.append(Change("set", target, props=props, values=values))
    old_unset = {e["target"]: tuple(e["properties"]) for e in old.get("unset", ())}
    for entry in new.get("unset", ()):
        if old_unset.get(entry["target"]) != tuple(entry["properties"]):
            changes.append(Change("unset", entry["target"], props=tuple(entry["properties"])))
    old_hide, new_hide = list(old.get("hide", ())), list(new.get("hide", ()))
    changes += [Change("hide", t) for t in new_hide if t not in old_hide]
    changes += [Change("show", t) for t in old_hide if t not in new_hide]
    old_remove, new_remove = list(old.get("remove", ())), list(new.get("remove", ()))
    changes += [Change("remove", t) for t in new_remove if t not in old_remove]
    changes += [Change("keep_remove", t) for t in old_remove if t not in new_remove]
    return changes


def hidden_parts(form: Doc) -> set[str]:
    """Ids of the tabs and sections a form document hides."""
    found = set()
    for tab in form.get("layout", ()):
        if tab.get("hidden"):
            found.add(tab["id"])
        found |= {s["id"] for s in tab.get("sections", ()) if s.get("hidden")}
    return found


def _form_parts(before: Mapping[str, Doc], after: Mapping[str, Doc]) -> list[Change]:
    changes = []
    for form_id in [*after, *(k for k in before if k not in after)]:
        was = hidden_parts(before.get(form_id, {}))
        now = hidden_parts(after.get(form_id, {}))
        changes += [Change("hide_part", p, form_id) for p in sorted(now - was)]
        changes += [Change("show_part", p, form_id) for p in sorted(was - now)]
    return changes


def _child_tab_ids(form: Doc) -> set[str]:
    return {t["id"] for t in form.get("layout", ()) if t.get("children")}


def _child_tabs(before: Mapping[str, Doc], after: Mapping[str, Doc]) -> list[Change]:
    changes = []
    for form_id in [*after, *(k for k in before if k not in after)]:
        if form_id not in before or form_id not in after:
            continue  # a whole form added or removed says so itself
        was, now = _child_tab_ids(before[form_id]), _child_tab_ids(after[form_id])
        changes += [Change("add_tab", t, form_id) for t in sorted(now - was)]
        changes += [Change("drop_tab", t, form_id) for t in sorted(was - now)]
    return changes


def _unhidden(form: Doc, without: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    """A form document without its parts' ``hidden`` flags and without tabs ``without``."""
    result = copy.deepcopy(dict(form))
    result["layout"] = [t for t in result.get("layout", ()) if t["id"] not in without]
    for tab in result.get("layout", ()):
        tab.pop("hidden", None)
        for section in tab.get("sections", ()):
            section.pop("hidden", None)
    return result


def _added_fields(doc: Doc) -> dict[str, str]:
    """Field id -> table id of every field ``doc`` adds, to tables of its own or others."""
    found = {f["id"]: t for t, fields in doc.get("fields", {}).items() for f in fields}
    for table in doc.get("tables", ()):
        found.update({f["id"]: table["id"] for f in table.get("fields", ())})
    return found


def _added_field_docs(doc: Doc) -> dict[str, Doc]:
    """Field id -> field document of every field ``doc`` adds."""
    found = {f["id"]: f for fields in doc.get("fields", {}).values() for f in fields}
    for table in doc.get("tables", ()):
        found.update({f["id"]: f for f in table.get("fields", ())})
    return found


def labels_of(tree: Doc) -> dict[str, Any]:
    """Object id -> its label (a string or a per-locale dict) in a configuration tree."""
    found: dict[str, Any] = {}
    for table in tree.get("tables", ()):
        found[table["id"]] = table.get("label", table.get("name"))
        for f in table.get("fields", ()):
            found[f["id"]] = f.get("label", f.get("name"))
    for key in ("forms", "print_forms", "roles", "reports", "dashboards", "message_templates"):
        for doc in tree.get(key, ()):
            found[doc["id"]] = doc.get("label", doc.get("title", doc.get("name", doc["id"])))
    for form in tree.get("forms", ()):
        for tab in form.get("layout", ()):
            found[tab["id"]] = tab.get("label", tab["id"])
            found.update({s["id"]: s.get("label", s["id"]) for s in tab.get("sections", ())})
    for section in tree.get("manifest", {}).get("sections", ()):
        found[section["id"]] = section.get("label", section["id"])
    return found


def text_in(label: Any, locale: str) -> str:
    """A label (string or per-locale dict) in ``locale``, else English, else any locale."""
    if isinstance(label, Mapping):
        return str(label.get(locale) or label.get("en") or next(iter(label.values()), ""))
    return str(label)


#: Looks up a property's value under the database overlay: ``(object id, property)`` ->
#: the value the files give it (None: they do not set it).
Before = Callable[[str, str], Any]
#: A value longer than this is cut in the sentences.
VALUE_CHARS = 60


def value_text(value: Any, lang: str) -> str:
    """A property value in words: a label in ``lang``, yes/no, or short JSON, quoted."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        words = {"ru": ("да", "нет"), "en": ("yes", "no")}[lang]
        return words[0] if value else words[1]
    if isinstance(value, Mapping) and value and all(isinstance(v, str) for v in value.values()):
        text = text_in(value, lang)  # a label or help, per locale
    elif isinstance(value, (Mapping, list)):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    if len(text) > VALUE_CHARS:
        text = text[: VALUE_CHARS - 1] + "…"
    return f"«{text}»" if lang == "ru" else f'"{text}"'


def _is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_label(value: Mapping[str, Any]) -> bool:
    return bool(value) and all(isinstance(v, str) for v in value.values())


#: The words of a mapping's keys added, removed or changed, per locale.
KEY_TEXTS = {"ru": ("добавлено", "убрано", "изменено"), "en": ("added", "removed", "changed")}


def _keys_changed(old: Mapping[str, Any], new: Mapping[str, Any], quoted: Any, lang: str) -> str:
    """What changed in a mapping property (a role's ``tables``), by key, keys by label."""
    words = KEY_TEXTS[lang]
    groups = (
        [k for k in new if k not in old],
        [k for k in old if k not in new],
        [k for k in new if k in old and new[k] != old[k]],
    )
    pairs = zip(words, groups, strict=True)
    found = [f"{w} {', '.join(quoted(k) for k in keys)}" for w, keys in pairs if keys]
    return "; ".join(found) or "—"


def describe(
    change: Change, labels: Mapping[str, Any], locale: str = "ru", before: Before | None = None
) -> str:
    """``change`` as a sentence in ``locale`` (``ru`` or ``en``), objects named by label;
    a changed property says its old and new value (``before`` gives the files' value of a
    property the old document did not set)."""
    lang = locale if locale in ("ru", "en") else "en"

    def quoted(object_id: str | None) -> str:
        text = text_in(labels.get(object_id or "", object_id), lang)
        return f"«{text}»" if lang == "ru" else f'"{text}"'

    names = [PROPERTY_TEXTS.get(p, {}).get(lang, p) for p in change.props]
    if change.values:
        parts = []
        for name, prop, (old, new) in zip(names, change.props, change.values, strict=True):
            if old is None and before is not None:
                old = before(change.target, prop)
            if new is None and before is not None:
                new = before(change.target, prop)  # the overlay stopped setting it
            if _is_mapping(old) and _is_mapping(new) and not _is_label(old) and not _is_label(new):
                parts.append(f"{name}: {_keys_changed(old, new, quoted, lang)}")
            else:
                parts.append(f"{name} {value_text(old, lang)} → {value_text(new, lang)}")
        props = "; ".join(parts)
    else:
        props = ", ".join(names)
    template = CHANGE_TEXTS[change.kind][lang]
    return template.format(what=quoted(change.target), where=quoted(change.table), props=props)


def describe_all(
    old: Doc, new: Doc, labels: Mapping[str, Any], locale: str = "ru", before: Before | None = None,
    base_forms: Mapping[str, Doc] | None = None, existing: frozenset[str] = frozenset(),
) -> list[str]:  # fmt: skip
    """Every change from ``old`` to ``new`` as sentences (see :func:`describe`). A document
    of ``existing`` (the configuration files' own) that ``new`` carries is *replaced*, not
    added (a field rename carries the reports it rewrites)."""
    changes = [Change("change_doc", c.target) if c.kind == "add_doc" and c.target in existing
               else c for c in diff(old, new, base_forms)]  # fmt: skip
    return [describe(c, labels, locale, before) for c in changes]


def archive_dropped(current: Doc, target: Doc) -> dict[str, Any]:
    """``target``, made safe to apply over ``current``: every table and field ``current``
    adds and ``target`` does not is kept in the result and hidden, so its column and the
    values users entered stay in the database (restorable by showing it again)."""
    result = copy.deepcopy(dict(target))
    kept_tables = {t["id"] for t in result.get("tables", ())}
    hide = list(result.get("hide", ()))
    for table in current.get("tables", ()):
        if table["id"] not in kept_tables:
            result.setdefault("tables", []).append(copy.deepcopy(table))
            hide.append(table["id"])
    target_fields = _added_fields(result)
    for table_id, fields in current.get("fields", {}).items():
        for f in fields:
            if f["id"] not in target_fields:
                result.setdefault("fields", {}).setdefault(table_id, []).append(copy.deepcopy(f))
                hide.append(f["id"])
    for table in current.get("tables", ()):
        if table["id"] in kept_tables:
            # A table both documents add may have lost fields in ``target``: keep those too.
            mine = next(t for t in result["tables"] if t["id"] == table["id"])
            have = {f["id"] for f in mine["fields"]}
            for f in table.get("fields", ()):
                if f["id"] not in have:
                    mine["fields"].append(copy.deepcopy(f))
                    hide.append(f["id"])
    if hide:
        result["hide"] = list(dict.fromkeys(hide))
    return result
