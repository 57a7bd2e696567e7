"""The placeholder catalog: everything a template of a table can use, with labels.

The catalog is a tree of :class:`Node` objects that mirrors the context
:mod:`uchet.printeditor.context` builds: the record's fields, references two levels deep,
child lists with their rows' fields, ``raw`` values and the helpers. The same tree serves
the editor's list of placeholders (:func:`placeholders`) and the template checker
(:mod:`uchet.printeditor.validate`), so what the editor offers is exactly what the checker
accepts.

It is built from the configuration alone; a user's field rights decide what a document
*shows* (unreadable fields render empty), not whether a template is valid, so a form
works for every role that may use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from uchet.platform.model.config import Configuration, Field, Table
from uchet.printeditor.context import (
    CHILD_DEPTH,
    RECORD_DEPTH,
    SYSTEM_VALUES,
    child_lists,
    company_table,
)
from uchet.printeditor.values import HELPERS

VALUE, RECORD, LIST, HELPER, ANY = "value", "record", "list", "helper", "any"

#: Labels of what is not a field, per language.
TEXTS: dict[str, dict[str, str]] = {
    "id": {"ru": "Номер записи (id)", "en": "Record id"},
    "created_at": {"ru": "Создано", "en": "Created"},
    "updated_at": {"ru": "Изменено", "en": "Changed"},
    "raw": {"ru": "Значения без форматирования", "en": "Unformatted values"},
    "today": {"ru": "Сегодняшняя дата", "en": "Today's date"},
    "now": {"ru": "Текущие дата и время", "en": "Current date and time"},
    "user": {"ru": "Текущий пользователь", "en": "Current user"},
    "login": {"ru": "Логин", "en": "Login"},
    "name": {"ru": "Имя", "en": "Name"},
    "company": {"ru": "Наша организация", "en": "Our company"},
    "form": {"ru": "Печатная форма", "en": "Print form"},
    "label": {"ru": "Название", "en": "Label"},
    "locale": {"ru": "Язык документа", "en": "Document language"},
    "record": {"ru": "Запись целиком (поля по имени)", "en": "The record (fields by name)"},
    "amount_in_words": {"ru": "Сумма прописью", "en": "Amount in words"},
    "image": {"ru": "Вставить изображение", "en": "Insert an image"},
    "rows": {"ru": "строки", "en": "rows"},
    "title": {"ru": "представление", "en": "title"},
}


def text(key: str, locale: str) -> str:
    """A catalog label in ``locale`` (Russian or English)."""
    entry = TEXTS[key]
    return entry["ru"] if locale.startswith("ru") else entry["en"]


@dataclass
class Node:
    """One name of the context: a value, a record (with children), a list or a helper."""

    kind: str
    label: str = ""
    type: str = ""
    children: dict[str, Node] = field(default_factory=dict)
    item: Node | None = None

    def child(self, name: str) -> Node | None:
        """The node ``name`` below this one, if any."""
        return self.children.get(name)


ANY_NODE = Node(ANY)


def _value(label: str, type_: str) -> Node:
    return Node(VALUE, label, type_)


def _title_only(label: str, locale: str) -> Node:
    return Node(
        RECORD,
        label,
        "reference",
        {
            "id": _value(text("id", locale), "integer"),
            "name": _value(text("title", locale), "string"),
        },
    )


def record_node(
    config: Configuration, table: Table, depth: int, locale: str, skip: frozenset[str] = frozenset()
) -> Node:
    """The catalog of one record of ``table``: its fields, with references ``depth`` deep."""
    node = Node(RECORD, table.text(locale), "record")
    raw = Node(RECORD, text("raw", locale), "raw")
    for f in table.fields:
        node.children[f.name] = field_node(config, f, depth, locale, f.name in skip)
        raw.children[f.name] = _value(f.text(locale), f"raw {f.type}")
    for name in SYSTEM_VALUES:
        node.children[name] = _value(text(name, locale), "integer" if name == "id" else "datetime")
        raw.children[name] = _value(text(name, locale), "raw")
    node.children["raw"] = raw
    return node


def field_node(
    config: Configuration, f: Field, depth: int, locale: str, title_only: bool = False
) -> Node:
    """The catalog node of one field."""
    label = f.text(locale)
    if f.type == "user":
        node = _title_only(label, locale)
        node.type = "user"
        return node
    if f.type == "reference":
        if depth <= 0 or title_only or f.target is None:
            return _title_only(label, locale)
        target = record_node(config, config.table(f.target), depth - 1, locale)
        target.label, target.type = label, "reference"
        return target
    return _value(label, f.type)


def catalog(config: Configuration, table_id: str, locale: str) -> Node:
    """Everything a template of ``table_id`` can use (the top level of the context)."""
    table = config.find_table(table_id)
    record = record_node(config, table, RECORD_DEPTH, locale)
    for name, child, via in child_lists(config, table.id):
        item = record_node(config, child, CHILD_DEPTH, locale, frozenset({via.name}))
        label = f"{child.text(locale)} ({text('rows', locale)})"
        record.children[name] = Node(LIST, label, "list", item=item)
    root = Node(RECORD, table.text(locale), "context", dict(record.children))
    raw = root.children["raw"]
    raw.children["today"] = _value(text("today", locale), "raw date")
    raw.children["now"] = _value(text("now", locale), "raw datetime")
    company = company_table(config)
    helpers = {
        "today": _value(text("today", locale), "date"),
        "now": _value(text("now", locale), "datetime"),
        "user": Node(
            RECORD,
            text("user", locale),
            "user",
            {
                "id": _value(text("id", locale), "integer"),
                "login": _value(text("login", locale), "string"),
                "name": _value(text("name", locale), "string"),
            },
        ),
        "form": Node(
            RECORD,
            text("form", locale),
            "form",
            {
                k: _value(
                    text("label" if k == "label" else k if k != "name" else "name", locale),
                    "string",
                )
                for k in ("id", "name", "label")
            },
        ),
        "locale": _value(text("locale", locale), "string"),
        "record": record,
        "amount_in_words": Node(HELPER, text("amount_in_words", locale), "function"),
        "image": Node(HELPER, text("image", locale), "function"),
    }
    if company is not None:
        node = record_node(config, company, CHILD_DEPTH, locale)
        node.label, node.type = text("company", locale), "company"
        helpers["company"] = node
    for name in HELPERS:
        if name in helpers:
            root.children[name] = helpers[name]
    return root


@dataclass(frozen=True)
class Placeholder:
    """One line of the catalog as the editor lists it."""

    text: str
    label: str
    type: str


def placeholders(config: Configuration, table_id: str, locale: str) -> list[Placeholder]:
    """Every placeholder of ``table_id``'s templates, in the order the editor shows them."""
    root = catalog(config, table_id, locale)
    result: list[Placeholder] = []
    table = config.find_table(table_id)
    fields = {f.name: f for f in table.fields}
    for name, node in root.children.items():
        if name in ("raw", "record", "amount_in_words", "image"):
            continue
        result += _entries(node, name, [node.label])
    raw = root.children["raw"]
    for name, node in raw.children.items():
        if name in fields and fields[name].type in (
            "money",
            "decimal",
            "integer",
            "percent",
            "date",
            "datetime",
            "reference",
        ):
            result.append(
                Placeholder(f"{{{{ raw.{name} }}}}", f"{raw.label}: {node.label}", node.type)
            )
    money = next((f.name for f in table.fields if f.type in ("money", "decimal")), None)
    words = f"amount_in_words(raw.{money})" if money else "amount_in_words(1200.50, 'RUB')"
    result.append(Placeholder(f"{{{{ {words} }}}}", text("amount_in_words", locale), "function"))
    for f in table.fields:
        if f.type == "image":
            result.append(
                Placeholder(
                    f"{{{{ image({f.name}, width_mm=40) }}}}",
                    f"{text('image', locale)}: {f.text(locale)}",
                    "function",
                )
            )
    company = root.children.get("company")
    if company is not None:
        for name, node in company.children.items():
            if node.type == "image":
                result.append(
                    Placeholder(
                        f"{{{{ image(company.{name}, width_mm=40) }}}}",
                        f"{text('image', locale)}: {node.label}",
                        "function",
                    )
                )
    return result


def _entries(node: Node, path: str, labels: list[str]) -> Iterator[Placeholder]:
    label = " › ".join(labels)
    if node.kind == VALUE:
        yield Placeholder(f"{{{{ {path} }}}}", label, node.type)
    elif node.kind == RECORD:
        yield Placeholder(f"{{{{ {path} }}}}", label, node.type)
        for name, child in node.children.items():
            if name != "raw":
                yield from _entries(child, f"{path}.{name}", [*labels, child.label])
    elif node.kind == LIST and node.item is not None:
        yield Placeholder(f"{{%tr for row in {path} %}}", label, "list")
        for name, child in node.item.children.items():
            if name != "raw":
                yield from _entries(child, f"row.{name}", [*labels, child.label])
        yield Placeholder("{%tr endfor %}", label, "list")
