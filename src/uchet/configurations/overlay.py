"""Overlays: customisations applied over a base configuration by id (ARCHITECTURE rule 3).

``effective = merge(base, *overlays)`` is one pure function. An overlay adds objects and sets,
unsets or hides properties of existing objects by id. An entry whose target id does not exist
is an error naming the overlay file and the entry: nothing is ever silently ignored.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from uchet.platform.model.config import Source
from uchet.platform.model.errors import ConfigIssue

Tree = dict[str, Any]

#: Tree keys of documents that an overlay may add, replace or remove whole.
REPLACEABLE = ("forms", "print_forms", "roles", "reports", "dashboards", "message_templates")
#: Properties merged per locale instead of replaced.
LABEL_KEYS = frozenset({"label", "help", "item_label", "related_label", "title"})
#: Properties an overlay may not set or unset (they define identity or structure).
PROTECTED = frozenset({"id", "fields", "type"})
#: Properties that cannot be unset because a document needs them.
REQUIRED = frozenset({"name", "label", "table", "template", "layout", "target"})


@dataclass(frozen=True)
class Overlay:
    """An overlay document and the file (or database row) it came from."""

    file: str
    data: Mapping[str, Any]


@dataclass
class MergeResult:
    """The effective tree, where each object came from, and every problem met."""

    tree: Tree
    sources: dict[str, Source]
    issues: list[ConfigIssue] = field(default_factory=list)
    #: Ids of objects an overlay changed, mapped to the overlay entry that changed them.
    touched: dict[str, Source] = field(default_factory=dict)


class _Index:
    """Where each id lives in a tree: its dict and the list that holds it."""

    def __init__(self, tree: Tree):
        self.objects: dict[str, tuple[str, dict[str, Any], list[dict[str, Any]]]] = {}
        for table in tree.get("tables", []):
            self.add("table", table, tree["tables"])
            for f in table["fields"]:
                self.add("field", f, table["fields"])
        for key in REPLACEABLE:
            for doc in tree.get(key, []):
                self.add(key, doc, tree[key])
        sections = tree["manifest"].setdefault("sections", [])
        for s in sections:
            self.add("section", s, sections)

    def add(self, kind: str, obj: dict[str, Any], container: list[dict[str, Any]]) -> None:
        self.objects[obj["id"]] = (kind, obj, container)

    def get(self, object_id: str) -> tuple[str, dict[str, Any], list[dict[str, Any]]] | None:
        return self.objects.get(object_id)


def merge(
    base: Tree, base_sources: Mapping[str, Source], overlays: Sequence[Overlay]
) -> MergeResult:
    """Apply ``overlays`` in order over ``base``. Neither argument is modified."""
    tree = copy.deepcopy(base)
    result = MergeResult(tree, dict(base_sources))
    index = _Index(tree)
    for overlay in overlays:
        _apply(overlay, tree, index, result)
    return result


def _apply(overlay: Overlay, tree: Tree, index: _Index, result: MergeResult) -> None:
    data = overlay.data
    src = Source(overlay.file)

    def issue(pointer: Source, message: str) -> None:
        result.issues.append(ConfigIssue(pointer.file, pointer.pointer, message))

    for i, table in enumerate(data.get("tables", [])):
        at = src.child("tables", i)
        if index.get(table["id"]):
            issue(at, f'id {table["id"]!r} already exists; use "set" to change it')
            continue
        table = copy.deepcopy(table)
        tree.setdefault("tables", []).append(table)
        index.add("table", table, tree["tables"])
        result.sources[table["id"]] = at
        for j, f in enumerate(table["fields"]):
            index.add("field", f, table["fields"])
            result.sources[f["id"]] = at.child("fields", j)

    for table_id, fields in data.get("fields", {}).items():
        at = src.child("fields", table_id)
        found = index.get(table_id)
        if not found or found[0] != "table":
            issue(at, f"no table with id {table_id!r} to add fields to")
            continue
        for j, f in enumerate(fields):
            if index.get(f["id"]):
                issue(at.child(j), f"id {f['id']!r} already exists")
                continue
            f = copy.deepcopy(f)
            found[1]["fields"].append(f)
            index.add("field", f, found[1]["fields"])
            result.sources[f["id"]] = at.child(j)

    for key in (*REPLACEABLE, "sections"):
        for i, doc in enumerate(data.get(key, [])):
            at = src.child(key, i)
            doc = copy.deepcopy(doc)
            existing = index.get(doc["id"])
            if existing and existing[0] != key.rstrip("s") and existing[0] != key:
                issue(at, f"id {doc['id']!r} already names a {existing[0]}")
                continue
            container = (
                tree["manifest"]["sections"] if key == "sections" else tree.setdefault(key, [])
            )
            if existing:
                container[container.index(existing[1])] = doc
            else:
                container.append(doc)
            index.add(key, doc, container)
            result.sources[doc["id"]] = at

    for target, props in data.get("set", {}).items():
        at = src.child("set", target)
        found = index.get(target)
        if not found:
            issue(at, f"no object with id {target!r} to set properties on")
            continue
        for key, value in props.items():
            if key in PROTECTED and not (key == "type" and found[0] == "field"):
                # A field's type may change (issue 14): the planner retypes its column and
                # the migrator converts the values, or refuses, before anything runs.
                issue(at.child(key), f"{key!r} cannot be changed by an overlay")
            elif (
                key in LABEL_KEYS
                and isinstance(value, dict)
                and isinstance(found[1].get(key), dict)
            ):
                found[1][key] = {**found[1][key], **value}
            else:
                found[1][key] = copy.deepcopy(value)
        result.touched[target] = at

    for i, entry in enumerate(data.get("unset", [])):
        at = src.child("unset", i)
        found = index.get(entry["target"])
        if not found:
            issue(at, f"no object with id {entry['target']!r} to unset properties of")
            continue
        for key in entry["properties"]:
            if key in PROTECTED or key in REQUIRED:
                issue(at, f"{key!r} cannot be unset")
            elif key not in found[1]:
                issue(at, f"{entry['target']!r} has no property {key!r} to unset")
            else:
                del found[1][key]
        result.touched[entry["target"]] = at

    for i, target in enumerate(data.get("hide", [])):
        at = src.child("hide", i)
        found = index.get(target)
        if not found:
            issue(at, f"no object with id {target!r} to hide")
        elif found[0] not in ("table", "field", "section"):
            issue(at, f"{target!r} is a {found[0]}; only tables, fields and sections are hidden")
        else:
            found[1]["hidden"] = True
            result.touched[target] = at

    for i, target in enumerate(data.get("remove", [])):
        at = src.child("remove", i)
        found = index.get(target)
        if not found:
            issue(at, f"no object with id {target!r} to remove")
        elif found[0] in ("table", "field", "section"):
            issue(at, f"{target!r} is a {found[0]}: hide it instead, so its data is kept")
        else:
            found[2].remove(found[1])
            del index.objects[target]
            result.touched[target] = at
