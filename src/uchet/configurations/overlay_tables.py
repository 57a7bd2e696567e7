"""Table-level edits of a database overlay document (issue 14, S21, S23, S40).

The structure editor adds a table (a directory or a document table), grants roles their
rights on it, shows it as a child tab on the card of each table it references, archives it
(hides it with its data), and purges it. Like :mod:`uchet.configurations.overlay_edit`, each
function returns a new document and only writes overlay entries; whether the result is a
valid configuration is for the checks to say.

Pure functions over JSON data: no database, no Flask.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from uchet.configurations.overlay_edit import set_properties, without_field

Doc = Mapping[str, Any]

#: The rights a role may be given on a new table, in the order the editor offers them.
RIGHTS = ("read", "create", "update", "delete")


def new_table(
    table_id: str,
    label: Mapping[str, str],
    section: str | None,
    fields: Sequence[Mapping[str, Any]],
    *,
    directory: bool,
) -> dict[str, Any]:
    """The document of a new table. A directory (lookup) gets a required unique ``name``
    field first, its title; a document table is titled by its first text field, if any."""
    own = [dict(f) for f in fields]
    if directory and not any(f["name"] == "name" for f in own):
        own.insert(
            0,
            {
                "id": f"{table_id}.name",
                "name": "name",
                "type": "string",
                "max_length": 200,
                "required": True,
                "unique": True,
                "label": {"ru": "Название", "en": "Name"},
            },
        )
    table: dict[str, Any] = {"id": table_id, "name": table_id, "label": dict(label), "fields": own}
    if section:
        table["section"] = section
    title = next((f["id"] for f in own if f["type"] in ("string", "text")), None)
    if title:
        table["title_field"] = title
        table["search_fields"] = [title]
    return table


def plain_label(label: Mapping[str, str]) -> dict[str, str]:
    """A label as a document writes it: the model's every-locale key ``*`` (a label given
    as a plain string) becomes the Russian and English label."""
    if "*" in label:
        return {"ru": label["*"], "en": label["*"]}
    return dict(label)


def add_table(doc: Doc, table: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` with ``table`` (a full table document) added."""
    result = copy.deepcopy(dict(doc))
    result.setdefault("tables", []).append(copy.deepcopy(dict(table)))
    return result


def grant(
    doc: Doc, role: Mapping[str, Any], table_id: str, rights: Sequence[str]
) -> dict[str, Any]:
    """``doc`` giving role ``role`` (its effective document) ``rights`` on ``table_id``.

    An overlay sets a property whole, so the entry carries the role's other tables too."""
    tables = copy.deepcopy(dict(role.get("tables", {})))
    tables[table_id] = {r: True for r in RIGHTS if r in rights}
    return set_properties(doc, role["id"], {"tables": tables})


def add_child_tab(
    doc: Doc,
    form: Mapping[str, Any] | None,
    parent_id: str,
    ref_field_id: str,
    label: Mapping[str, str],
) -> dict[str, Any]:
    """``doc`` with a tab on ``parent_id``'s card listing the records whose ``ref_field_id``
    points at it. ``form`` is the parent's effective card form (None: it has none, and a form
    with only this tab is made; the card lays the fields out before it as without a form).
    An overlay replaces a form whole, so the document carries the whole form."""
    changed: dict[str, Any] = (
        copy.deepcopy(dict(form))
        if form
        else {"id": f"form_{parent_id}", "table": parent_id, "layout": []}
    )
    tab_id = "tab_" + ref_field_id.replace(".", "_")
    if not any(t["id"] == tab_id for t in changed["layout"]):
        changed["layout"].append(
            {"id": tab_id, "label": plain_label(label), "children": ref_field_id}
        )
    result = copy.deepcopy(dict(doc))
    others = [f for f in result.get("forms", ()) if f["id"] != changed["id"]]
    result["forms"] = [*others, changed]
    return result


def added_table_ids(doc: Doc) -> set[str]:
    """Ids of the tables the document itself adds (only those can be purged)."""
    return {t["id"] for t in doc.get("tables", ())}


def referencing_fields(doc: Doc, table_id: str) -> list[tuple[str, str]]:
    """(table id, field id) of the fields the document adds to *other* tables that
    reference ``table_id``: a purge of the table drops them with it."""
    found = [
        (t, f["id"])
        for t, fs in doc.get("fields", {}).items()
        for f in fs
        if f.get("target") == table_id and t != table_id
    ]
    for table in doc.get("tables", ()):
        if table["id"] != table_id:
            found += [
                (table["id"], f["id"])
                for f in table.get("fields", ())
                if f.get("target") == table_id
            ]
    return found


def without_table(doc: Doc, table_id: str) -> dict[str, Any]:
    """``doc`` without the table it added as ``table_id`` and without every entry that
    would otherwise name nothing: its fields' entries, the fields of other tables that
    reference it, child tabs listing it, its card forms and the roles' rights on it."""
    result = copy.deepcopy(dict(doc))
    gone = next(t for t in result.get("tables", ()) if t["id"] == table_id)
    for _, field_id in referencing_fields(result, table_id):
        result = without_field(result, field_id)
    ids = {table_id, *(f["id"] for f in gone["fields"])}
    result["tables"] = [t for t in result["tables"] if t["id"] != table_id]
    result.get("fields", {}).pop(table_id, None)
    forms = []
    for form in result.get("forms", ()):
        if form.get("table") == table_id:
            continue
        form["layout"] = [t for t in form["layout"] if t.get("children") not in ids]
        _drop_child_tabs(form.get("role_layouts"), ids)
        forms.append(form)
    result["forms"] = forms
    for target in list(result.get("set", {})):
        entry = result["set"][target]
        if target in ids:
            del result["set"][target]
        elif isinstance(entry.get("tables"), dict):
            entry["tables"].pop(table_id, None)
        _drop_child_tabs(entry.get("role_layouts"), ids)  # a form's layouts per role
    if "hide" in result:
        result["hide"] = [t for t in result["hide"] if t not in ids]
    if "unset" in result:
        result["unset"] = [e for e in result["unset"] if e["target"] not in ids]
    return {k: v for k, v in result.items() if v or k == "overlay"}


def _drop_child_tabs(role_layouts: Any, ids: set[str]) -> None:
    """Take the child tabs listing a field of ``ids`` out of a form's layouts per role
    (issue 15), in place."""
    if isinstance(role_layouts, dict):
        for role, tabs in role_layouts.items():
            role_layouts[role] = [t for t in tabs if t.get("children") not in ids]
