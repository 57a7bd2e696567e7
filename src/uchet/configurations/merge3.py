"""The 3-way merge of one value and of one set of objects: 1C's rules (issue 16, point 4).

For every property there are three values: the old base's (``base``), the new base's
(``vendor``) and the customer's (``customer``). The rules, applied property by property:

- changed only by the customer (``vendor == base``) -> the customer's value is **kept**;
- changed only by the vendor (``customer == base``) -> the vendor's value is **taken**;
- changed by both to the same value -> **agreed** (nothing left to keep);
- changed by both differently -> a **conflict**, reported with all three values.

Granularity (documented in docs/integrators.md):

- per-locale texts (``label``, ``help``, ``title``...) merge locale by locale: the vendor's
  new English label and the customer's Russian one both survive;
- lists of items with a key (``choices`` by ``value``, id-bearing lists) merge item by item:
  items added by either side are kept, items removed by either side go, and an item both
  changed differently makes the whole list a conflict;
- any other list (a form section's ``rows``, a table's ``columns``) is one value.

:func:`merge_objects` applies the rules to objects keyed by stable id (a form and its tabs
and sections, flattened by :mod:`uchet.configurations.objects`), so a tab the vendor added and
a section the customer hid are both in the result.

Pure functions: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from uchet.configurations.objects import Obj, Objects
from uchet.configurations.overlay import LABEL_KEYS


class _Absent:
    """A property or locale one side does not have."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
#: Keys that identify the items of a list merged item by item.
ITEM_KEYS = ("id", "value")


@dataclass
class Conflict:
    """A property both sides changed differently; ``key`` names it in the resolution file."""

    key: str
    layer: str
    target: str
    prop: str
    base: Any
    vendor: Any
    customer: Any
    #: What the resolution file chose: ``base``, ``vendor``, ``customer`` or ``value``.
    choice: str | None = None
    #: The value chosen (ABSENT: the property or object is left out).
    resolved: Any = ABSENT

    @property
    def is_resolved(self) -> bool:
        """True once the resolution file chose a side or wrote a value."""
        return self.choice is not None


@dataclass
class Outcome:
    """What the merge decided, for the report."""

    #: ``(layer, target, prop, value)`` the customer changed and the merge keeps.
    kept: list[tuple[str, str, str, Any]] = field(default_factory=list)
    #: ``(target, prop)`` the vendor changed and the merge takes (or both agreed on).
    taken: set[tuple[str, str]] = field(default_factory=set)
    conflicts: list[Conflict] = field(default_factory=list)
    #: ``(layer, what, contents, reason)``: customer changes whose target the vendor removed.
    orphans: list[tuple[str, str, Any, str]] = field(default_factory=list)


#: Looks a conflict up in the resolution file and sets its ``choice`` and ``resolved``.
Resolver = Callable[[Conflict], None]


def merge_value(base: Any, vendor: Any, customer: Any) -> tuple[Any, str]:
    """``(value, how)``: how is ``same``, ``kept``, ``taken``, ``agreed`` or ``conflict``
    (the value is then the customer's, as a placeholder)."""
    if customer == base:
        return vendor, ("same" if vendor == base else "taken")
    if vendor == base:
        return customer, "kept"
    if customer == vendor:
        return customer, "agreed"
    if all(_keyed(v) for v in (base, vendor, customer)):
        merged = _merge_items(base, vendor, customer)
        if merged is not None:
            return merged, "kept"
    return customer, "conflict"


def _keyed(value: Any) -> bool:
    if value is ABSENT:
        return True
    if not isinstance(value, list) or not value:
        return isinstance(value, list)
    return any(all(isinstance(v, Mapping) and key in v for v in value) for key in ITEM_KEYS)


def _key_of(items: list[Any]) -> str:
    for key in ITEM_KEYS:
        if items and all(key in v for v in items):
            return key
    return "value"


def _merge_items(base: Any, vendor: Any, customer: Any) -> list[Any] | None:
    """Item by item; None when one item was changed differently by both."""
    lists = [[] if v is ABSENT else v for v in (base, vendor, customer)]
    key = _key_of(next((v for v in lists if v), []))
    b, n, c = ({item.get(key): item for item in v} for v in lists)
    order = list(n) + [k for k in c if k not in n]
    merged = []
    for k in order:
        value, how = merge_value(b.get(k, ABSENT), n.get(k, ABSENT), c.get(k, ABSENT))
        if how == "conflict":
            return None
        if value is not ABSENT:
            merged.append(value)
    return merged


def merge_props(
    layer: str, target: str, base: Mapping[str, Any], vendor: Mapping[str, Any],
    customer: Mapping[str, Any], outcome: Outcome, resolve: Resolver,
) -> dict[str, Any]:  # fmt: skip
    """The merged properties of one object; per-locale texts locale by locale."""
    result: dict[str, Any] = {}
    for prop in _union(vendor, customer, base):
        o, n, c = (side.get(prop, ABSENT) for side in (base, vendor, customer))
        if prop in LABEL_KEYS and all(isinstance(v, Mapping) or v is ABSENT for v in (o, n, c)):
            texts = {}
            for loc in _union(*(v for v in (n, c, o) if v is not ABSENT)):
                value = decide(layer, target, f"{prop}.{loc}",
                               *(ABSENT if v is ABSENT else v.get(loc, ABSENT) for v in (o, n, c)),
                               outcome=outcome, resolve=resolve)  # fmt: skip
                if value is not ABSENT:
                    texts[loc] = value
            if texts or n is not ABSENT or c is not ABSENT:
                result[prop] = texts
            continue
        value = decide(layer, target, prop, o, n, c, outcome=outcome, resolve=resolve)
        if value is not ABSENT:
            result[prop] = value
    return result


def decide(
    layer: str, target: str, prop: str, base: Any, vendor: Any, customer: Any, *,
    outcome: Outcome, resolve: Resolver,
) -> Any:  # fmt: skip
    """Merge one value, record the decision in ``outcome``, and return the value."""
    value, how = merge_value(base, vendor, customer)
    if how == "kept":
        outcome.kept.append((layer, target, prop, value))
    elif how in ("taken", "agreed"):
        outcome.taken.add((target, prop))
    elif how == "conflict":
        conflict = Conflict(f"{layer}:{target}:{prop}", layer, target, prop, base, vendor,
                            customer)  # fmt: skip
        resolve(conflict)
        outcome.conflicts.append(conflict)
        value = conflict.resolved if conflict.is_resolved else customer
    return value


def _union(*maps: Mapping[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for m in maps:
        seen.update(dict.fromkeys(m))
    return list(seen)


def merge_objects(
    layer: str, base: Objects, vendor: Objects, customer: Objects, outcome: Outcome,
    resolve: Resolver,
) -> Objects:  # fmt: skip
    """Objects merged by id: the vendor's order, the customer's additions after the object
    that precedes them in the customer's order."""
    order = list(vendor)
    previous: str | None = None
    for obj_id in customer:
        if obj_id not in vendor and obj_id not in base:
            at = order.index(previous) + 1 if previous in order else len(order)
            order.insert(at, obj_id)
        previous = obj_id if obj_id in order else previous
    merged: Objects = {}
    for obj_id in order:
        o, n, c = base.get(obj_id), vendor.get(obj_id), customer.get(obj_id)
        if n is not None and c is not None:
            props = merge_props(layer, obj_id, o.props if o else {}, n.props, c.props,
                                outcome, resolve)  # fmt: skip
            parent = c.parent if (o and o.parent == n.parent) else n.parent
            merged[obj_id] = Obj(obj_id, n.kind, parent, n.key, props, n.containers)
        elif n is not None and o is not None:
            # The customer removed it: kept removed unless the vendor changed it meanwhile.
            if n.props == o.props:
                outcome.kept.append((layer, obj_id, "(object)", "removed"))
                continue
            conflict = Conflict(f"{layer}:{obj_id}:(object)", layer, obj_id, "(object)",
                                o.props, n.props, ABSENT)  # fmt: skip
            resolve(conflict)
            outcome.conflicts.append(conflict)
            if conflict.is_resolved and isinstance(conflict.resolved, Mapping):
                merged[obj_id] = Obj(obj_id, n.kind, n.parent, n.key, dict(conflict.resolved),
                                     n.containers)  # fmt: skip
        elif n is not None:
            outcome.taken.add((obj_id, "(object)"))
            merged[obj_id] = n
        elif c is not None and o is not None:
            if c.props != o.props:
                outcome.orphans.append((layer, f"{c.kind} {obj_id}", c.props,
                                        "the new base removed it"))  # fmt: skip
        elif c is not None:
            outcome.kept.append((layer, obj_id, "(object)", "added"))
            merged[obj_id] = c
    for obj_id, obj in list(merged.items()):
        if obj.parent is not None and obj.parent not in merged and obj.parent in base:
            outcome.orphans.append((layer, f"{obj.kind} {obj_id}", obj.props,
                                    f"its parent {obj.parent} was removed"))  # fmt: skip
            del merged[obj_id]
    return merged
