"""The guard of field renames (issue 14): every place of the meta-schema that can hold a
field's *name* has a rewrite rule, or is listed as naming no field.

The walk below visits every property of the meta-schemas (``platform/model/schemas/``),
following ``$ref`` into shared definitions. Ids, labels, booleans, numbers and enums are
left out: ids never change on a rename and the others cannot hold a name. Everything else is
a location that must appear either in a rule's ``covers``
(:mod:`uchet.configurations.rename_rules`) or in ``NOT_FIELD_NAMES`` with a reason. Adding a
property that names a field (a new ``"sort_by": "field name"``) fails here until a rule
rewrites it.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from uchet.configurations import rename_rules
from uchet.configurations.rename_engine import RULES

SCHEMAS = resources.files("uchet.platform.model") / "schemas"
#: Shared definitions that cannot hold a field name (ids are stable; labels are text).
#: Locations of labels met by the walk: text, except where a rule says it is a template.
LABELS: set[str] = set()
SAFE_REFS = {"common.json#/$defs/id", "common.json#/$defs/label", "common.json#/$defs/roles"}


def _load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def _resolve(ref: str, file: str) -> tuple[str, str]:
    """``(file, pointer)`` of a ``$ref`` written in ``file``."""
    target, _, pointer = ref.partition("#")
    return (target or file), pointer


def _walk(schema: Any, file: str, path: str, out: set[str], seen: set[str]) -> None:
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        target, pointer = _resolve(schema["$ref"], file)
        canonical = f"{target}#{pointer}"
        if canonical == "common.json#/$defs/label":
            LABELS.add(f"{file}#{path}")
        if canonical in SAFE_REFS:
            return
        if canonical == "common.json#/$defs/name":
            out.add(f"{file}#{path}")
            return
        if not pointer:
            return  # a whole document (overlay "tables"): walked as its own file
        # Each place that uses a shared definition is a location of its own: a rule that
        # rewrites role row rules does not rewrite a field's changed_by, though both are
        # "conditions". (Definitions used once, from their own file, need no second name.)
        if USES.get(canonical, 0) > 1:
            out.add(f"{file}#{path}->{canonical}")
        if canonical not in seen:
            seen.add(canonical)
            node: Any = _load(target)
            for part in pointer.strip("/").split("/"):
                node = node[part]
            _walk(node, target, pointer, out, seen)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, ()):
            _walk(sub, file, path, out, seen)
    for key in ("then", "else"):  # only constraints, unless they declare properties
        if isinstance(schema.get(key), dict) and "properties" in schema[key]:
            _walk(schema[key], file, path, out, seen)
    types = schema.get("type")
    types = {types} if isinstance(types, str) else set(types or ())
    structured = any(k in schema for k in ("properties", "items", "additionalProperties",
                                           "propertyNames", "anyOf", "oneOf", "$defs"))  # fmt: skip
    exempt = "enum" in schema or "const" in schema or (types and types <= {
        "boolean", "integer", "number", "null", "object", "array"})  # fmt: skip
    untyped = not types and not structured and "description" in schema  # "default": any
    if not exempt and ("string" in types or untyped) and path:
        out.add(f"{file}#{path}")
    if "object" in types and not structured and "properties" not in schema:
        out.add(f"{file}#{path}")  # free-form object: what is in it must be said
    for name, sub in schema.get("properties", {}).items():
        if name != "$schema":
            _walk(sub, file, f"{path}/{name}", out, seen)
    _walk(schema.get("items"), file, f"{path}[]", out, seen)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        _walk(extra, file, f"{path}{{}}", out, seen)
    names = schema.get("propertyNames")
    if isinstance(names, dict):
        # Keys that are names (a seed row's), or keys of any kind: they must be classified.
        named = names.get("$ref") == "common.json#/$defs/name"
        if named or ("$ref" not in names and "pattern" not in names):
            out.add(f"{file}#{path}<>")


def _count_uses(schema: Any, file: str, counts: dict[str, int]) -> None:
    if isinstance(schema, dict):
        if "$ref" in schema:
            target, pointer = _resolve(schema["$ref"], file)
            if pointer:
                key = f"{target}#{pointer}"
                counts[key] = counts.get(key, 0) + 1
        for value in schema.values():
            _count_uses(value, file, counts)
    elif isinstance(schema, list):
        for value in schema:
            _count_uses(value, file, counts)


#: How many places use each shared definition (a condition is used by roles and fields).
USES: dict[str, int] = {}
for _entry in SCHEMAS.iterdir():
    if _entry.name.endswith(".json"):
        _count_uses(_load(_entry.name), _entry.name, USES)


def schema_locations() -> set[str]:
    """Every meta-schema location that can hold a string that may name a field."""
    out: set[str] = set()
    seen: set[str] = set()
    for entry in sorted(SCHEMAS.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json") and entry.name != "common.json":
            _walk(_load(entry.name), entry.name, "", out, seen)
    return out


def covered() -> set[str]:
    return {loc for r in RULES for loc in r.covers}


def test_every_place_that_can_name_a_field_has_a_rewrite_rule() -> None:
    found = schema_locations()
    known = covered() | set(rename_rules.NOT_FIELD_NAMES)
    missing = sorted(found - known)
    assert not missing, (
        "these meta-schema locations may hold a field name but no rename rule rewrites "
        "them; add a rule to uchet/configurations/rename_rules.py, or list them in "
        f"NOT_FIELD_NAMES with the reason: {missing}"
    )


def test_rules_and_exemptions_name_real_locations() -> None:
    # A rule that covers a location the meta-schema no longer has is dead: say so.
    found = schema_locations()
    assert sorted(covered() - found - LABELS) == []
    assert sorted(set(rename_rules.NOT_FIELD_NAMES) - found) == []
    assert not covered() & set(rename_rules.NOT_FIELD_NAMES)


def test_the_guard_sees_a_new_kind_of_reference(monkeypatch: Any) -> None:
    # Simulate a meta-schema gaining "sort_by": a field name on reports.
    real = _load("report.json")
    real["properties"]["sort_by"] = {"description": "A field name.", "type": "string"}
    original = _load

    def patched(name: str) -> dict[str, Any]:
        return real if name == "report.json" else original(name)

    monkeypatch.setitem(globals(), "_load", patched)
    assert "report.json#/sort_by" in schema_locations() - covered()
