"""Checks of a table's calendar and kanban views (issue 21; the views themselves are
:mod:`uchet.platform.features.boards`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from uchet.platform.model.config import Configuration, Table

#: Fields a calendar can place records by, and fields a kanban can make columns of.
DATE_TYPES = frozenset({"date", "datetime"})
BOARD_TYPES = frozenset({"choice"})


def view_problems(table: Table, config: Configuration) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Problems of the table's ``views``: (message, JSON path below the table)."""
    del config  # the views name fields of their own table only
    ids = {f.id: f for f in table.fields}
    calendar = table.views.get("calendar")
    if calendar:
        for key in ("start", "end"):
            fid = calendar.get(key)
            if fid is None:
                continue
            path = ("views", "calendar", key)
            if fid not in ids:
                yield f"no field with id {fid!r} in table {table.name!r}", path
            elif ids[fid].type not in DATE_TYPES:
                yield (
                    f"the calendar's {key} must be a date or datetime field, not {ids[fid].type}",
                    path,
                )
        start, end = calendar.get("start"), calendar.get("end")
        if start in ids and end in ids and ids[start].type != ids[end].type:
            yield "the calendar's start and end must both be dates or both datetimes", (
                "views", "calendar", "end")  # fmt: skip
    kanban = table.views.get("kanban")
    if kanban:
        fid = kanban.get("field")
        if fid not in ids:
            yield f"no field with id {fid!r} in table {table.name!r}", ("views", "kanban", "field")
        elif ids[fid].type not in BOARD_TYPES:
            yield (f"the kanban's field must be a choice field, not {ids[fid].type}",
                   ("views", "kanban", "field"))  # fmt: skip
        for i, card in enumerate(kanban.get("card_fields", ())):
            if card not in ids:
                yield (f"no field with id {card!r} in table {table.name!r}",
                       ("views", "kanban", "card_fields", i))  # fmt: skip
