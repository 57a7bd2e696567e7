"""Edits of a database overlay document, one per action of the structure editor (issue 14).

Each function returns a new document (the argument is not modified), ready for
:meth:`~uchet.configurations.revisions.DatabaseOverlay.preview`. They only write overlay
entries; whether the result is a valid configuration is for the checks to say.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

Doc = Mapping[str, Any]


def add_field(doc: Doc, table_id: str, field: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` with ``field`` (a full field document) added to table ``table_id``: to the
    table's own entry when the overlay itself added the table, else under ``fields``."""
    result = copy.deepcopy(dict(doc))
    for table in result.get("tables", ()):
        if table["id"] == table_id:
            table["fields"].append(dict(field))
            return result
    result.setdefault("fields", {}).setdefault(table_id, []).append(dict(field))
    return result


def set_properties(doc: Doc, target: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` setting ``props`` on object ``target``. Labels merge per locale, so setting
    ``{"label": {"ru": "Контрагенты"}}`` keeps the English label."""
    result = copy.deepcopy(dict(doc))
    entry = result.setdefault("set", {}).setdefault(target, {})
    for key, value in props.items():
        if isinstance(value, Mapping) and isinstance(entry.get(key), Mapping):
            entry[key] = {**entry[key], **value}
        else:
            entry[key] = copy.deepcopy(value)
    return result


def set_hidden(doc: Doc, target: str, hidden: bool) -> dict[str, Any]:
    """``doc`` hiding or showing ``target`` (a table, field or menu section). Showing takes
    the target out of the document's ``hide`` list and sets ``hidden: false``, which also
    shows what the configuration files hide."""
    result = copy.deepcopy(dict(doc))
    hide = [t for t in result.get("hide", ()) if t != target]
    if hide:
        result["hide"] = hide
    else:
        result.pop("hide", None)
    return set_properties(result, target, {"hidden": hidden})


def added_field_ids(doc: Doc) -> dict[str, str]:
    """Field id -> table id of every field the document itself adds (only those can be
    purged: the configuration files' own fields can only be hidden by an overlay)."""
    found = {f["id"]: t for t, fields in doc.get("fields", {}).items() for f in fields}
    for table in doc.get("tables", ()):
        found.update({f["id"]: table["id"] for f in table.get("fields", ())})
    return found


def without_field(doc: Doc, field_id: str) -> dict[str, Any]:
    """``doc`` without the field it added as ``field_id``, and without its other entries
    about it (``set``, ``unset``, ``hide``), which would otherwise name nothing."""
    result = copy.deepcopy(dict(doc))
    for table_id, fields in list(result.get("fields", {}).items()):
        kept = [f for f in fields if f["id"] != field_id]
        if kept:
            result["fields"][table_id] = kept
        else:
            del result["fields"][table_id]
    if result.get("fields") == {}:
        del result["fields"]
    for table in result.get("tables", ()):
        table["fields"] = [f for f in table["fields"] if f["id"] != field_id]
    result.get("set", {}).pop(field_id, None)
    if result.get("set") == {}:
        del result["set"]
    if "unset" in result:
        result["unset"] = [e for e in result["unset"] if e["target"] != field_id]
        if not result["unset"]:
            del result["unset"]
    if "hide" in result:
        result["hide"] = [t for t in result["hide"] if t != field_id]
        if not result["hide"]:
            del result["hide"]
    return result


def set_part_hidden(
    doc: Doc, form: Mapping[str, Any], part_id: str, hidden: bool
) -> dict[str, Any]:
    """``doc`` hiding or showing tab or section ``part_id`` of the card form ``form`` (the
    effective form document). An overlay replaces a form whole, so the document carries the
    whole form with the flag changed. KeyError if the form has no such part."""
    changed = copy.deepcopy(dict(form))
    found = False
    for tab in changed.get("layout", ()):
        parts = [tab, *tab.get("sections", ())]
        for part in parts:
            if part["id"] == part_id:
                found = True
                if hidden:
                    part["hidden"] = True
                else:
                    part.pop("hidden", None)
    if not found:
        raise KeyError(f"the form {form['id']!r} has no tab or section {part_id!r}")
    result = copy.deepcopy(dict(doc))
    others = [f for f in result.get("forms", ()) if f["id"] != form["id"]]
    result["forms"] = [*others, changed]
    return result
