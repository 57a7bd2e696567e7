"""Field names that users stored follow a field rename (issue 14).

A rename keeps a field's id, and the configuration names fields by id, so forms and list
columns need nothing. What users saved does name fields by *name*: a saved list view keeps
the list's URL parameters (``f.city.eq``, ``sort=-city``, ``group=city``, ``cols=name,city``,
see ``web/liststate.py``), and a user's or role's list layout keeps ``columns`` (names, in
order) and ``widths`` (by name) in ``uchet_prefs``. Left alone, those would silently stop
filtering, sorting or showing the renamed column.

:func:`rename_stored_names` rewrites them for every :class:`RenameField` of a plan, in the
migration's own transaction, so a rename from the structure editor, ``uchet migrate`` or
``uchet config upgrade`` carries users' views along, or nothing happens at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uchet.platform.schema.operations import Operation, RenameField
from uchet.platform.schema.system import define_system_tables

#: List parameters whose value is a comma-separated list of field names ("-" = descending).
LIST_KEYS = ("sort", "group", "cols")


def _renamed(name: str, old: str, new: str) -> str:
    """``name`` (possibly ``-name`` or a dotted path from this table) with ``old`` -> ``new``."""
    sign = "-" if name.startswith("-") else ""
    bare = name[len(sign) :]
    head, dot, rest = bare.partition(".")
    return f"{sign}{new}{dot}{rest}" if head == old else name


def rename_in_state(state: Sequence[Sequence[str]], old: str, new: str) -> list[list[str]]:
    """A saved view's ``[name, value]`` pairs with field ``old`` called ``new``."""
    out = []
    for key, value in state:
        if key.startswith("f."):
            field, dot, op = key[2:].partition(".")
            key = f"f.{_renamed(field, old, new)}{dot}{op}"
        elif key in LIST_KEYS:
            value = ",".join(_renamed(part, old, new) for part in value.split(","))
        out.append([key, value])
    return out


def rename_in_pref(key: str, value: Any, old: str, new: str) -> Any:
    """A stored list setting (``columns`` or ``widths``) with ``old`` called ``new``."""
    if key == "columns" and isinstance(value, list):
        return [new if v == old else v for v in value]
    if key == "widths" and isinstance(value, dict):
        return {(new if k == old else k): v for k, v in value.items()}
    return value


def rename_stored_names(conn: Connection, operations: Iterable[Operation]) -> int:
    """Rewrite saved views and list settings for each field rename among ``operations``;
    returns how many rows changed."""
    renames = [
        op for op in operations if isinstance(op, RenameField) and op.old_name != op.new_name
    ]
    if not renames:
        return 0
    tables = define_system_tables(sa.MetaData())
    views, prefs = tables["uchet_saved_views"], tables["uchet_prefs"]
    changed = 0
    for op in renames:
        for row in conn.execute(sa.select(views.c.id, views.c.state)
                                .where(views.c.table_id == op.table_id)).all():  # fmt: skip
            state = rename_in_state(row.state or [], op.old_name, op.new_name)
            if state != [list(p) for p in row.state or []]:
                conn.execute(views.update().where(views.c.id == row.id).values(state=state))
                changed += 1
        for pref in conn.execute(sa.select(prefs.c.id, prefs.c.key, prefs.c.value)
                                .where(prefs.c.table_id == op.table_id)).all():  # fmt: skip
            value = rename_in_pref(pref.key, pref.value, op.old_name, op.new_name)
            if value != pref.value:
                conn.execute(prefs.update().where(prefs.c.id == pref.id).values(value=value))
                changed += 1
    return changed
