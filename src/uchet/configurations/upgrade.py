"""Moving a customer's layers to a new base: the 3-way merge of overlays (issue 16, point 4).

:func:`upgrade` takes the old base tree (the bundle before overlays, as stored with the
applied version in ``uchet_config.base_tree``), the new base tree and the customer's layers
(file overlays, then the database overlay), and returns each layer rewritten for the new
base with a report: what the customer changed and is **kept**, what the vendor changed and is
**taken**, **conflicts** with all three values, and **orphans**: entries whose target the
vendor removed, reported with everything they contained (never dropped silently).

Each overlay entry kind is merged at its own level, by id (ids are stable, so a field the
vendor renamed keeps the customer's settings):

- ``set`` property by property (and locale by locale, :mod:`~uchet.configurations.merge3`);
- ``unset``: the customer's removal of a property is a change like any other;
- ``hide``, ``tables``, ``fields``: kept unless their target is gone (an orphan);
- ``forms``, ``roles``... replaced whole by the customer: merged object by object (tabs,
  sections) and property by property against the old and the new base;
- ``remove``: kept, unless the vendor changed the removed document (a conflict).

Every conflict of every layer is reported at once. Pure functions: no database, no Flask.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from uchet.configurations.merge3 import (
    ABSENT,
    Conflict,
    Outcome,
    decide,
    merge_objects,
    merge_props,
)
from uchet.configurations.objects import Objects, document_of, flatten, subtree
from uchet.configurations.overlay import REPLACEABLE, Overlay
from uchet.configurations.semantic_diff import Difference, diff_trees

#: The sides a resolution may choose.
CHOICES = ("customer", "vendor", "base")


@dataclass
class UpgradeResult:
    """The customer's layers rewritten for the new base, and what the merge decided."""

    layers: list[Overlay]
    outcome: Outcome
    #: What the vendor changed from the old base to the new one.
    vendor: Difference
    #: Resolution-file entries that name no conflict (a typo must not pass silently).
    unknown_resolutions: list[str] = field(default_factory=list)

    @property
    def conflicts(self) -> list[Conflict]:
        """Every conflict of every layer."""
        return self.outcome.conflicts

    @property
    def unresolved(self) -> list[Conflict]:
        """The conflicts the resolution file does not settle yet."""
        return [c for c in self.outcome.conflicts if not c.is_resolved]


class ResolutionError(ValueError):
    """A resolution file entry is malformed (its key and the reason in the message)."""


def layer_name(overlay: Overlay) -> str:
    """The short name of a layer used in conflict keys: the file's name, or ``database``."""
    if overlay.file.startswith("database overlay"):
        return "database"
    return overlay.file.replace("\\", "/").rsplit("/", 1)[-1]


def make_resolver(resolutions: Mapping[str, Any], used: set[str]) -> Any:
    """A resolver over a resolution file's ``conflicts`` mapping: ``{key: {"choose": side}}``
    or ``{key: {"value": v}}``; a ``null`` choice leaves the conflict open."""

    def resolve(conflict: Conflict) -> None:
        entry = resolutions.get(conflict.key)
        if entry is None:
            return
        used.add(conflict.key)
        if not isinstance(entry, Mapping):
            raise ResolutionError(f"{conflict.key}: expected an object with choose or value")
        if "value" in entry:
            if conflict.prop == "(object)":
                raise ResolutionError(f"{conflict.key}: choose customer or vendor")
            conflict.choice, conflict.resolved = "value", entry["value"]
            return
        choice = entry.get("choose")
        if choice is None:
            return
        if choice not in CHOICES:
            raise ResolutionError(
                f"{conflict.key}: choose must be one of {', '.join(CHOICES)}, not {choice!r}"
            )
        conflict.choice = choice
        conflict.resolved = {"customer": conflict.customer, "vendor": conflict.vendor,
                             "base": conflict.base}[choice]  # fmt: skip

    return resolve


def upgrade(
    old_base: Mapping[str, Any],
    new_base: Mapping[str, Any],
    layers: Sequence[Overlay],
    resolutions: Mapping[str, Any] | None = None,
) -> UpgradeResult:
    """Merge every layer of ``layers`` from ``old_base`` to ``new_base``.

    ``resolutions`` maps conflict keys (``layer:target:property``) to a choice; raises
    :class:`ResolutionError` for a malformed one.
    """
    old, new = flatten(old_base), flatten(new_base)
    outcome = Outcome()
    used: set[str] = set()
    resolve = make_resolver(resolutions or {}, used)
    merged = [
        Overlay(layer.file, _layer(layer_name(layer), layer.data, old, new, outcome, resolve))
        for layer in layers
    ]
    unknown = sorted(k for k in (resolutions or {}) if k not in used)
    return UpgradeResult(merged, outcome, diff_trees(old_base, new_base), unknown)


def _layer(
    name: str, data: Mapping[str, Any], old: Objects, new: Objects, outcome: Outcome,
    resolve: Any,
) -> dict[str, Any]:  # fmt: skip
    result: dict[str, Any] = {
        k: copy.deepcopy(v) for k, v in data.items()
        if k not in ("tables", "fields", "set", "unset", "hide", "remove", *REPLACEABLE,
                     "sections")
    }  # fmt: skip

    def orphan(what: str, contents: Any, reason: str) -> None:
        outcome.orphans.append((name, what, copy.deepcopy(contents), reason))

    for table in data.get("tables", ()):
        clash = [i for i in [table["id"], *(f["id"] for f in table["fields"])] if i in new]
        if clash:
            orphan(f"tables {table['id']}", table, f"the new base has id {clash[0]} too")
        else:
            outcome.kept.append((name, table["id"], "(object)", "added"))
            result.setdefault("tables", []).append(copy.deepcopy(table))
    for table_id, fields in data.get("fields", {}).items():
        if table_id in old and table_id not in new:
            orphan(f"fields {table_id}", fields, f"the new base removed table {table_id}")
            continue
        for f in fields:
            if f["id"] in new:
                orphan(f"fields {table_id} {f['id']}", f, f"the new base has id {f['id']} too")
            else:
                outcome.kept.append((name, f["id"], "(object)", "added"))
                result.setdefault("fields", {}).setdefault(table_id, []).append(copy.deepcopy(f))

    for key in (*REPLACEABLE, "sections"):
        for doc in data.get(key, ()):
            _replaced(name, key, doc, old, new, outcome, resolve, result)

    for target, props in data.get("set", {}).items():
        if target in old and target not in new:
            orphan(f"set {target}", props, f"the new base removed {target}")
            continue
        if target not in old:
            result.setdefault("set", {})[target] = copy.deepcopy(props)  # the customer's own
            outcome.kept += [(name, target, p, v) for p, v in props.items()]
            continue
        o, n = old[target].props, new[target].props
        customer = {**o, **{p: _overlaid(o.get(p, ABSENT), v) for p, v in props.items()}}
        kept = _merged_set(name, target, {p: o.get(p, ABSENT) for p in props},
                           {p: n.get(p, ABSENT) for p in props},
                           {p: customer[p] for p in props}, outcome, resolve)  # fmt: skip
        if kept:
            result.setdefault("set", {})[target] = kept

    for entry in data.get("unset", ()):
        target = entry["target"]
        if target in old and target not in new:
            orphan(f"unset {target}", entry, f"the new base removed {target}")
            continue
        if target not in new:  # an object of the customer's own layers
            result.setdefault("unset", []).append(copy.deepcopy(entry))
            outcome.kept += [(name, target, p, "(unset)") for p in entry["properties"]]
            continue
        keep = []
        for prop in entry["properties"]:
            o = old[target].props.get(prop, ABSENT) if target in old else ABSENT
            n = new[target].props.get(prop, ABSENT)
            value = decide(name, target, prop, o, n, ABSENT, outcome=outcome, resolve=resolve)
            if value is ABSENT and n is not ABSENT:
                keep.append(prop)
            elif value is not ABSENT and value != n:
                result.setdefault("set", {}).setdefault(target, {})[prop] = value
        if keep:
            result.setdefault("unset", []).append({"target": target, "properties": keep})

    for target in data.get("hide", ()):
        if target in old and target not in new:
            orphan(f"hide {target}", target, f"the new base removed {target}")
        else:
            outcome.kept.append((name, target, "hidden", True))
            result.setdefault("hide", []).append(target)

    for target in data.get("remove", ()):
        if target not in old and target not in new:  # added by an earlier layer
            outcome.kept.append((name, target, "(object)", "removed"))
            result.setdefault("remove", []).append(target)
            continue
        if target not in new:
            outcome.taken.add((target, "(object)"))  # the vendor removed it too
            continue
        before = subtree(old, target) if target in old else {}
        after = subtree(new, target)
        if {k: v.props for k, v in before.items()} == {k: v.props for k, v in after.items()}:
            outcome.kept.append((name, target, "(object)", "removed"))
            result.setdefault("remove", []).append(target)
            continue
        conflict = Conflict(f"{name}:{target}:(object)", name, target, "(object)",
                            document_of(old, target) if target in old else ABSENT,
                            document_of(new, target), ABSENT)  # fmt: skip
        resolve(conflict)
        outcome.conflicts.append(conflict)
        if not conflict.is_resolved or conflict.resolved is ABSENT:
            result.setdefault("remove", []).append(target)
    return result


def _overlaid(base: Any, value: Any) -> Any:
    """A ``set`` value as the overlay merge applies it: per-locale texts are merged in."""
    if isinstance(value, Mapping) and isinstance(base, Mapping):
        return {**base, **value}
    return value


def _merged_set(
    name: str, target: str, base: dict[str, Any], vendor: dict[str, Any],
    customer: dict[str, Any], outcome: Outcome, resolve: Any,
) -> dict[str, Any]:  # fmt: skip
    """The ``set`` entry left after the merge: only what still differs from the new base."""
    merged = merge_props(name, target, base, vendor, customer, outcome, resolve)
    kept: dict[str, Any] = {}
    for prop, value in merged.items():
        n = vendor.get(prop, ABSENT)
        if isinstance(value, Mapping) and isinstance(n, Mapping):
            texts = {loc: v for loc, v in value.items() if n.get(loc, ABSENT) != v}
            if texts:
                kept[prop] = texts
        elif value != n:
            kept[prop] = value
    return kept


def _replaced(
    name: str, key: str, doc: Mapping[str, Any], old: Objects, new: Objects, outcome: Outcome,
    resolve: Any, result: dict[str, Any],
) -> None:  # fmt: skip
    """A document the customer added or replaced whole, merged object by object."""
    doc_id = doc["id"]
    wrapped = {"manifest": {"sections": [doc]}} if key == "sections" else {key: [doc]}
    customer = subtree(flatten(wrapped), doc_id)
    if doc_id not in old:
        if doc_id in new:
            outcome.orphans.append((name, f"{key} {doc_id}", copy.deepcopy(dict(doc)),
                                    f"the new base has id {doc_id} too"))  # fmt: skip
            return
        outcome.kept.append((name, doc_id, "(object)", "added"))
        result.setdefault(key, []).append(copy.deepcopy(dict(doc)))
        return
    if doc_id not in new:
        outcome.orphans.append((name, f"{key} {doc_id}", copy.deepcopy(dict(doc)),
                                f"the new base removed {doc_id}"))  # fmt: skip
        return
    base_part, vendor_part = subtree(old, doc_id), subtree(new, doc_id)
    merged = merge_objects(name, base_part, vendor_part, customer, outcome, resolve)
    if {k: (v.props, v.parent) for k, v in merged.items()} == {
        k: (v.props, v.parent) for k, v in vendor_part.items()
    } and list(merged) == list(vendor_part):
        return  # nothing of the customer's is left: the new base's document stands
    result.setdefault(key, []).append(document_of(merged, doc_id))
