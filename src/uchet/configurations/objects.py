"""A configuration tree as a flat set of objects keyed by stable id, and back (issue 16).

Every object of a configuration has a stable ``id`` (docs/configuration.md): tables and their
fields, indexes, unique constraints and notifications; forms and their tabs and sections;
print forms, roles, reports, dashboards and their widgets; the manifest's menu sections.
:func:`flatten` turns a tree (as :func:`~uchet.configurations.loader.parse_tree` reads it, or
as ``uchet_config.tree`` stores it) into ``{id: Obj}``: each object's own properties, its kind,
its parent and the list of the parent it sits in. :func:`unflatten` rebuilds the tree, with
children in the order of the mapping, so code that edits objects (the 3-way merge of
``config upgrade``) works on ids and properties only and never on JSON paths.

The manifest and the translation documents have no id; they get reserved ones that no real
id can take (ids start with a letter): ``@manifest`` and ``@translation:<locale>``.

Pure functions over JSON data: no database, no Flask.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Tree = dict[str, Any]

#: Top-level tree key -> kind of the documents in it.
TOP_KINDS = {
    "tables": "table",
    "forms": "form",
    "print_forms": "print_form",
    "roles": "role",
    "reports": "report",
    "dashboards": "dashboard",
    "translations": "translation",
    "message_templates": "message_template",
}
#: (parent kind, property) -> kind of the id-bearing objects listed in that property.
CHILD_KINDS: dict[tuple[str, str], str] = {
    ("manifest", "sections"): "section",
    ("table", "fields"): "field",
    ("table", "indexes"): "index",
    ("table", "unique"): "unique",
    ("table", "notifications"): "notification",
    ("form", "layout"): "tab",
    ("tab", "sections"): "form_section",
    ("dashboard", "widgets"): "widget",
}
MANIFEST_ID = "@manifest"
TRANSLATION_PREFIX = "@translation:"


@dataclass
class Obj:
    """One object of a configuration: its own properties, without its children."""

    id: str
    kind: str
    #: Id of the object this one is listed in (None for a top-level document).
    parent: str | None
    #: The parent's property (or the tree key) whose list holds this object.
    key: str
    props: dict[str, Any] = field(default_factory=dict)
    #: Child-list properties the object had, even empty (so ``"fields": []`` survives).
    containers: tuple[str, ...] = ()

    def label(self, locale: str = "en") -> str:
        """The object's label (or title, or name) in ``locale``, else its id."""
        value = self.props.get("label", self.props.get("title", self.props.get("name")))
        if isinstance(value, Mapping):
            value = value.get(locale) or value.get("en") or next(iter(value.values()), None)
        return str(value) if value else self.id


Objects = dict[str, Obj]


def flatten(tree: Mapping[str, Any]) -> Objects:
    """Every object of ``tree`` by id, parents before their children, in tree order."""
    found: Objects = {}
    manifest = tree.get("manifest")
    if isinstance(manifest, Mapping):
        _walk(found, MANIFEST_ID, "manifest", None, "manifest", manifest)
    for key, kind in TOP_KINDS.items():
        for doc in tree.get(key, ()) or ():
            if not isinstance(doc, Mapping):
                continue
            doc_id = doc.get("id")
            if kind == "translation":
                doc_id = f"{TRANSLATION_PREFIX}{doc.get('locale')}"
            if isinstance(doc_id, str):
                _walk(found, doc_id, kind, None, key, doc)
    return found


def _walk(
    found: Objects, obj_id: str, kind: str, parent: str | None, key: str, data: Mapping[str, Any]
) -> None:
    props: dict[str, Any] = {}
    containers: list[str] = []
    children: list[tuple[str, str, Mapping[str, Any]]] = []
    for prop, value in data.items():
        child_kind = CHILD_KINDS.get((kind, prop))
        if (
            child_kind
            and isinstance(value, list)
            and all(isinstance(v, Mapping) and isinstance(v.get("id"), str) for v in value)
        ):
            containers.append(prop)
            children += [(child_kind, prop, v) for v in value]
        else:
            props[prop] = copy.deepcopy(value)
    if obj_id in found:
        return  # a duplicate id is the checks' error to report; the first one stands
    found[obj_id] = Obj(obj_id, kind, parent, key, props, tuple(containers))
    for child_kind, prop, child in children:
        _walk(found, child["id"], child_kind, obj_id, prop, child)


def unflatten(objects: Mapping[str, Obj]) -> Tree:
    """The tree of ``objects``: children in the mapping's order, under their parents.

    An object whose parent is missing is left out (the caller decides what an orphan is).
    """
    built: dict[str, dict[str, Any]] = {}
    tree: Tree = {key: [] for key in TOP_KINDS}
    tree["manifest"] = {}
    for obj in objects.values():
        doc = copy.deepcopy(obj.props)
        for prop in obj.containers:
            doc[prop] = []
        built[obj.id] = doc
    for obj in objects.values():
        doc = built[obj.id]
        if obj.parent is None:
            if obj.id == MANIFEST_ID:
                tree["manifest"] = doc
            else:
                tree.setdefault(obj.key, []).append(doc)
            continue
        holder = built.get(obj.parent)
        if holder is None or not _reachable(objects, obj):
            continue
        holder.setdefault(obj.key, []).append(doc)
    return tree


def _reachable(objects: Mapping[str, Obj], obj: Obj) -> bool:
    seen = set()
    while obj.parent is not None:
        if obj.parent in seen or obj.parent not in objects:
            return False
        seen.add(obj.parent)
        obj = objects[obj.parent]
    return True


def subtree(objects: Mapping[str, Obj], root: str) -> Objects:
    """``root`` and every object under it, in order."""
    inside = {root}
    result: Objects = {}
    for obj_id, obj in objects.items():
        if obj_id == root or obj.parent in inside:
            inside.add(obj_id)
            result[obj_id] = obj
    return result


def document_of(objects: Mapping[str, Obj], root: str) -> dict[str, Any]:
    """The JSON document of object ``root`` and everything under it, rebuilt from
    ``objects`` (a manifest section or a form tab as well as a top-level document)."""
    part = subtree(objects, root)
    obj = objects[root]
    if obj.id == MANIFEST_ID:
        return dict(unflatten(part)["manifest"])
    part[root] = Obj(obj.id, obj.kind, None, "@root", obj.props, obj.containers)
    return dict(unflatten(part)["@root"][0])


def top_of(objects: Mapping[str, Obj], obj_id: str) -> str:
    """The id of the top-level document that holds ``obj_id``."""
    obj = objects[obj_id]
    while obj.parent is not None and obj.parent in objects:
        obj = objects[obj.parent]
    return obj.id
