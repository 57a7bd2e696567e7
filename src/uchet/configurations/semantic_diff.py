"""The semantic difference of two configurations, object by stable id (issue 16, point 2).

``uchet config diff A B`` compares two configuration trees as sets of objects keyed by id
(:mod:`uchet.configurations.objects`): objects added and removed, objects renamed (same id,
another ``name``), moved (another parent) and properties changed, each with the old and the
new value. A per-locale text (``label``, ``help``...) is compared locale by locale, so a
changed Russian label does not show as a changed English one. Nothing is compared by
position or by JSON path, so reordering fields is not a change of their properties.

Pure functions over JSON data: no database, no Flask.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from uchet.configurations.objects import Obj, Objects, flatten
from uchet.configurations.overlay import LABEL_KEYS

#: Marks a property or locale that one side lacks (printed as "(none)").
ABSENT: Any = None


@dataclass(frozen=True)
class PropertyChange:
    """Property ``prop`` of object ``id`` (``label.ru`` for one locale) went from old to new."""

    id: str
    kind: str
    prop: str
    old: Any
    new: Any


@dataclass
class Difference:
    """Everything that differs between configuration A and B."""

    added: list[Obj] = field(default_factory=list)
    removed: list[Obj] = field(default_factory=list)
    #: ``(object, old name, new name)``.
    renamed: list[tuple[Obj, str, str]] = field(default_factory=list)
    #: ``(object, old parent, new parent)``.
    moved: list[tuple[Obj, str | None, str | None]] = field(default_factory=list)
    changed: list[PropertyChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when A and B are the same configuration."""
        return not (self.added or self.removed or self.renamed or self.moved or self.changed)

    def to_json(self) -> dict[str, Any]:
        """The difference as JSON data for tools (``uchet config diff --json``)."""

        def obj(o: Obj) -> dict[str, Any]:
            return {"id": o.id, "kind": o.kind, "parent": o.parent, "properties": o.props}

        return {
            "added": [obj(o) for o in self.added],
            "removed": [obj(o) for o in self.removed],
            "renamed": [{"id": o.id, "kind": o.kind, "old": a, "new": b}
                        for o, a, b in self.renamed],
            "moved": [{"id": o.id, "kind": o.kind, "old": a, "new": b}
                      for o, a, b in self.moved],
            "changed": [{"id": c.id, "kind": c.kind, "property": c.prop, "old": c.old,
                         "new": c.new} for c in self.changed],
        }  # fmt: skip

    def lines(self, locale: str = "en") -> list[str]:
        """The difference for people: one line per change, ``+`` added, ``-`` removed,
        ``~`` changed, objects as ``kind id "label"``."""

        def name(o: Obj) -> str:
            label = o.label(locale)
            return f"{o.kind} {o.id}" + (f' "{label}"' if label != o.id else "")

        out = [f"+ {name(o)}" + (f" in {o.parent}" if o.parent else "") for o in self.added]
        out += [f"- {name(o)}" + (f" from {o.parent}" if o.parent else "") for o in self.removed]
        out += [f"~ {o.kind} {o.id} renamed: {a} -> {b}" for o, a, b in self.renamed]
        out += [f"~ {o.kind} {o.id} moved: {a} -> {b}" for o, a, b in self.moved]
        out += [f"~ {c.kind} {c.id} {c.prop}: {show(c.old)} -> {show(c.new)}" for c in self.changed]
        return out


def show(value: Any) -> str:
    """A value in one line of JSON; an absent one as ``(none)``."""
    if value is ABSENT:
        return "(none)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def property_changes(kind: str, obj_id: str, old: Mapping[str, Any],
                     new: Mapping[str, Any]) -> list[PropertyChange]:  # fmt: skip
    """The changed properties of one object; per-locale texts locale by locale."""
    changes = []
    for prop in [*old, *(k for k in new if k not in old)]:
        if prop == "name":
            continue  # a rename is reported on its own
        a, b = old.get(prop, ABSENT), new.get(prop, ABSENT)
        if a == b:
            continue
        key = _item_key(a, b)
        if key is not None:
            # A list of keyed items (choices by value): item by item, ``choices[paused]``.
            before = {item[key]: item for item in a or ()}
            after = {item[key]: item for item in b or ()}
            for k in [*before, *(k for k in after if k not in before)]:
                if before.get(k) != after.get(k):
                    changes.append(
                        PropertyChange(obj_id, kind, f"{prop}[{k}]", before.get(k), after.get(k))
                    )
        elif prop in LABEL_KEYS and isinstance(a, Mapping) and isinstance(b, Mapping):
            for loc in [*a, *(k for k in b if k not in a)]:
                if a.get(loc) != b.get(loc):
                    changes.append(
                        PropertyChange(obj_id, kind, f"{prop}.{loc}", a.get(loc), b.get(loc))
                    )
        else:
            changes.append(PropertyChange(obj_id, kind, prop, a, b))
    return changes


def _item_key(a: Any, b: Any) -> str | None:
    """``value`` or ``id`` when both lists' items all have it (scalar keys), else None."""
    if not isinstance(a, list | type(None)) or not isinstance(b, list | type(None)):
        return None
    items = [*(a or ()), *(b or ())]
    for key in ("value", "id"):
        if items and all(
            isinstance(i, Mapping) and isinstance(i.get(key), str | int) for i in items
        ):
            return key
    return None


def diff_objects(a: Objects, b: Objects) -> Difference:
    """The difference from objects ``a`` to objects ``b`` (see :func:`flatten`)."""
    result = Difference()
    removed_ids = {i for i in a if i not in b}
    for obj_id, obj in b.items():
        if obj_id not in a:
            # A child of an added object is part of it: list only the top one.
            if obj.parent is None or obj.parent in a:
                result.added.append(obj)
            continue
        before = a[obj_id]
        if before.props.get("name") != obj.props.get("name"):
            result.renamed.append((obj, str(before.props.get("name")), str(obj.props.get("name"))))
        if before.parent != obj.parent:
            result.moved.append((obj, before.parent, obj.parent))
        result.changed += property_changes(obj.kind, obj_id, before.props, obj.props)
    result.removed = [
        a[i] for i in a
        if i in removed_ids and (a[i].parent is None or a[i].parent not in removed_ids)
    ]  # fmt: skip
    return result


def diff_trees(a: Mapping[str, Any], b: Mapping[str, Any]) -> Difference:
    """The difference from configuration tree ``a`` to tree ``b``."""
    return diff_objects(flatten(a), flatten(b))
