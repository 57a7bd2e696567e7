"""Database-overlay entries whose target disappeared (issue 14, point 4).

An overlay entry names its target by id. A file overlay naming an id that does not exist is
an error (:mod:`uchet.configurations.overlay`), but the database overlay was saved against
the configuration files of its day: after an upgrade removed a table or field it changes,
refusing the whole overlay would lock every user out. So the entries whose target is gone
are *set aside*: they stay in the stored document (a later upgrade may bring the target
back, and an export keeps them), are not applied, and are listed on the history page. They
are never silently dropped.

Pure functions over JSON data: no database, no Flask.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from uchet.configurations.overlay import REPLACEABLE

Doc = Mapping[str, Any]


@dataclass(frozen=True)
class Orphan:
    """An entry of the database overlay whose target does not exist."""

    #: JSON pointer of the entry in the overlay document (``/set/clients.city``).
    pointer: str
    #: The id it names.
    target: str


def known_ids(tree: Doc) -> set[str]:
    """Every id a configuration tree defines: tables, fields, documents, menu sections."""
    found: set[str] = set()
    for table in tree.get("tables", ()):
        found.add(table["id"])
        found |= {f["id"] for f in table.get("fields", ())}
    for key in REPLACEABLE:
        found |= {d["id"] for d in tree.get(key, ())}
    found |= {s["id"] for s in tree.get("manifest", {}).get("sections", ())}
    return found


def added_ids(doc: Doc) -> set[str]:
    """The ids an overlay document itself defines (its tables, fields and documents)."""
    found = known_ids({**doc, "manifest": {"sections": doc.get("sections", ())}})
    found |= {f["id"] for fs in doc.get("fields", {}).values() for f in fs}
    return found


def split_orphans(doc: Doc, files_ids: set[str]) -> tuple[dict[str, Any], list[Orphan]]:
    """``doc`` without its entries whose target is neither in ``files_ids`` (the ids of
    base bundle and file overlays) nor defined by ``doc`` itself, and those entries."""
    known = files_ids | added_ids(doc)
    result = copy.deepcopy(dict(doc))
    orphans: list[Orphan] = []
    for table_id in list(result.get("fields", {})):
        if table_id not in known:
            orphans.append(Orphan(f"/fields/{table_id}", table_id))
            del result["fields"][table_id]
    for target in list(result.get("set", {})):
        if target not in known:
            orphans.append(Orphan(f"/set/{target}", target))
            del result["set"][target]
    for key in ("hide", "remove"):
        kept = []
        for i, target in enumerate(result.get(key, ())):
            if target in known:
                kept.append(target)
            else:
                orphans.append(Orphan(f"/{key}/{i}", target))
        if key in result:
            result[key] = kept
    kept_unset = []
    for i, entry in enumerate(result.get("unset", ())):
        if entry["target"] in known:
            kept_unset.append(entry)
        else:
            orphans.append(Orphan(f"/unset/{i}", entry["target"]))
    if "unset" in result:
        result["unset"] = kept_unset
    forms = []
    for i, form in enumerate(result.get("forms", ())):
        if form.get("table") in known:
            forms.append(form)
        else:
            orphans.append(Orphan(f"/forms/{i}", form.get("table", form["id"])))
    if "forms" in result:
        result["forms"] = forms
    return {k: v for k, v in result.items() if v or k == "overlay"}, orphans
