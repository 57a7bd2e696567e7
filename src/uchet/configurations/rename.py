"""Renaming a field with every reference following (issue 14, S23).

:func:`rename_field` is pure: it takes an effective configuration tree and returns the
rewritten tree and every change in it, each rule of :mod:`uchet.configurations.rename_rules`
rewriting one kind of place. :func:`as_overlay` turns the result into a database-overlay
document: ``set`` entries on the tables and fields, and whole replacements of the forms,
reports, dashboards, roles and print forms that changed. Saved through
:class:`~uchet.configurations.revisions.DatabaseOverlay`, the planner then renames the column
by the field's stable id, in the same transaction as the rewritten references.

Nothing here touches a database or Flask: the functions take and return plain trees.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from uchet.configurations import rename_rules
from uchet.configurations.overlay import REPLACEABLE
from uchet.configurations.rename_engine import NAME, RULES, Change, RenameError, Renaming, Tree

__all__ = ["Change", "RenameError", "Renamed", "as_overlay", "rename_field", "rename_rules"]


@dataclass
class Renamed:
    """The result of :func:`rename_field`: the new tree and what changed in it."""

    tree: Tree
    table_id: str
    field_id: str
    old: str
    new: str
    changes: list[Change]


def rename_field(tree: Mapping[str, Any], field_id: str, new_name: str) -> Renamed:
    """``tree`` (an effective configuration tree) with field ``field_id`` named ``new_name``
    and every reference by name rewritten. The argument is not modified."""
    work = copy.deepcopy(dict(tree))
    found = next(((t, f) for t in work.get("tables", ()) for f in t["fields"]
                  if f["id"] == field_id), None)  # fmt: skip
    if found is None:
        raise RenameError(f"there is no field with id {field_id!r}")
    table, f = found
    if not NAME.fullmatch(new_name):
        raise RenameError(f"{new_name!r} is not a valid name: Latin lowercase letters, "
                          "digits and _, starting with a letter")  # fmt: skip
    if new_name != f["name"] and any(x["name"] == new_name for x in table["fields"]):
        raise RenameError(f"the table {table['id']!r} already has a field {new_name!r}")
    ctx = Renaming(work, table["id"], field_id, f["name"], new_name)
    if ctx.old != new_name:
        for r in RULES:
            r.rewrite(ctx)  # the rules resolve paths by the *old* names, so the field last
        ctx.update("field", f, "name", new_name)
    return Renamed(work, table["id"], field_id, ctx.old, new_name, ctx.changes)


def as_overlay(document: Mapping[str, Any], before: Mapping[str, Any],
               after: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Overlay ``document`` extended so that it turns tree ``before`` into ``after``: ``set``
    on each changed table and field property, and each changed form, report, dashboard,
    role or print form carried whole (an overlay replaces those documents by id)."""
    doc = copy.deepcopy(dict(document))
    old_tables = {t["id"]: t for t in before.get("tables", ())}
    for table in after.get("tables", ()):
        old = old_tables.get(table["id"])
        if old is None:
            continue
        _set_changed(doc, table["id"], old, table, skip=("fields",))
        old_fields = {f["id"]: f for f in old["fields"]}
        for f in table["fields"]:
            if f["id"] in old_fields:
                _set_changed(doc, f["id"], old_fields[f["id"]], f)
    for key in REPLACEABLE:
        old_docs = {d["id"]: d for d in before.get(key, ())}
        for new in after.get(key, ()):
            if old_docs.get(new["id"]) != new:
                kept = [d for d in doc.get(key, ()) if d["id"] != new["id"]]
                doc[key] = [*kept, copy.deepcopy(new)]
    return doc


def _set_changed(doc: dict[str, Any], target: str, old: Mapping[str, Any],
                 new: Mapping[str, Any], skip: tuple[str, ...] = ()) -> None:  # fmt: skip
    props = {k: copy.deepcopy(v) for k, v in new.items()
             if k not in skip and k != "id" and old.get(k) != v}  # fmt: skip
    if props:
        doc.setdefault("set", {}).setdefault(target, {}).update(props)


def template_rewriter(before: Mapping[str, Any], field_id: str, new_name: str) -> Renaming:
    """A :class:`Renaming` over tree ``before`` (the names before the rename) whose
    ``template(table_id, text)`` rewrites a print template's text (issue 14: print templates
    that use the old placeholder get a new version)."""
    renamed = rename_field(before, field_id, new_name)
    return Renaming(copy.deepcopy(dict(before)), renamed.table_id, field_id, renamed.old,
                    new_name)  # fmt: skip
