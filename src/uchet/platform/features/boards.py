"""Calendar and kanban views of a table's records (issue 21 point 6).

A table declares them in its ``views`` property::

    "views": {
      "calendar": {"start": "work.due_at", "end": "work.done_at", "initial": "month"},
      "kanban": {"field": "work.status", "card_fields": ["work.client", "work.assignee"]}
    }

Fields are named by id, so a field rename changes nothing here (rename guard, issue 14).
Everything reads and writes through the record service acting as the user: the user's row
rules decide which items appear, field rights decide what may be dragged, and a move is an
ordinary :meth:`RecordService.update` (validation, ``changed_by`` rights, audit, version
check), so a refused move changes nothing and says why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uchet.platform.fieldtypes.base import ParseError
from uchet.platform.model.config import Table, label_text
from uchet.platform.model.errors import ValidationError
from uchet.platform.model.i18n import Text
from uchet.platform.query.filters import Filter

if TYPE_CHECKING:
    from uchet.platform.records.service import RecordService

#: At most this many records are shown in one calendar range (a month of a busy office).
CALENDAR_LIMIT = 1000  # the query's largest page
KANBAN_LIMIT = 50


@dataclass(frozen=True)
class CalendarSpec:
    """A table's calendar: the field names of its start and (optional) end."""

    start: str
    end: str | None
    all_day: bool  # the start field is a date, not a datetime
    initial: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class KanbanSpec:
    """A table's kanban board: the choice field of its columns, the fields on a card."""

    field: str
    card_fields: tuple[str, ...]
    limit: int
    label: Mapping[str, str]


def calendar_spec(table: Table) -> CalendarSpec | None:
    """The table's calendar, or None when it declares none (or a checked-out field)."""
    spec = table.views.get("calendar")
    if not spec:
        return None
    try:
        start = table.field_by_id(spec["start"])
        end = table.field_by_id(spec["end"]).name if spec.get("end") else None
    except KeyError:
        return None
    return CalendarSpec(start.name, end, start.type == "date", spec.get("initial", "month"),
                        spec.get("label", {}))  # fmt: skip


def kanban_spec(table: Table) -> KanbanSpec | None:
    """The table's kanban board, or None when it declares none."""
    spec = table.views.get("kanban")
    if not spec:
        return None
    try:
        field = table.field_by_id(spec["field"]).name
        cards = tuple(table.field_by_id(f).name for f in spec.get("card_fields", ()))
    except KeyError:
        return None
    return KanbanSpec(field, cards, int(spec.get("limit", KANBAN_LIMIT)), spec.get("label", {}))


# -- reading ---------------------------------------------------------------------------------
def _title(table: Table, row: Mapping[str, Any]) -> str:
    if table.title_field:
        name = table.field_by_id(table.title_field).name
        value = row.get(f"{name}__title", row.get(name))
        if value not in (None, ""):
            return str(value)
    return f"#{row['id']}"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _may_write(service: RecordService, *names: str | None) -> bool:
    """Whether the user may change these fields at all (the row may still refuse)."""
    access = service.rt.permissions.access(service.user, service.table.id)
    if not access.can("update"):
        return False
    if access.unrestricted:
        return all(n is None or not service.table.field_by_name(n).read_only for n in names)
    writable = access.writable()
    return all(n is None or n in writable for n in names)


def calendar_items(
    service: RecordService, spec: CalendarSpec, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """Records whose start falls in ``[start, end)``, as calendar items the user may see.

    Each item: ``id``, ``version``, ``title``, ``start``, ``end`` (ISO, naive local time),
    ``allDay`` and ``editable`` (whether the user may move it).
    """
    table = service.table
    low: Any = start if spec.all_day else dt.datetime.combine(start, dt.time())
    high: Any = end if spec.all_day else dt.datetime.combine(end, dt.time())
    columns = ["version", spec.start, *([spec.end] if spec.end else [])]
    if table.title_field:
        columns.append(table.field_by_id(table.title_field).name)
    result = service.query(
        filters=[Filter(spec.start, "ge", low), Filter(spec.start, "lt", high)],
        sort=[spec.start], columns=columns, limit=CALENDAR_LIMIT, count=False,
    )  # fmt: skip
    editable = _may_write(service, spec.start, spec.end)
    return [
        {
            "id": row["id"],
            "version": row["version"],
            "title": _title(table, row),
            "start": _iso(row[spec.start]),
            "end": _iso(row.get(spec.end)) if spec.end else None,
            "allDay": spec.all_day,
            "editable": editable,
        }
        for row in result.rows
    ]


def kanban_columns(service: RecordService, spec: KanbanSpec, locale: str) -> list[dict[str, Any]]:
    """The board: one column per choice (in the field's order), each with its first
    ``spec.limit`` cards in the table's default sort and the count of all its records."""
    table = service.table
    field = table.field_by_name(spec.field)
    types = service.rt.types
    title = table.field_by_id(table.title_field).name if table.title_field else None
    columns = ["version", spec.field, *([title] if title else []), *spec.card_fields]
    editable = _may_write(service, spec.field)
    board = []
    values = [(c.value, label_text(c.label, locale, default=c.value)) for c in field.choices]
    for value, label in values:
        result = service.query(
            filters=[Filter(spec.field, "eq", value)], columns=columns, limit=spec.limit,
            count=True, count_limit=10000,
        )  # fmt: skip
        cards = []
        for row in result.rows:
            details = []
            for name in spec.card_fields:
                f = table.field_by_name(name)
                shown = row.get(f"{name}__title", None) if f"{name}__title" in row else None
                if shown is None and row.get(name) is not None:
                    shown = types.get(f.type).format(f, row[name], locale)
                if shown not in (None, ""):
                    details.append({"label": f.text(locale), "value": str(shown)})
            cards.append({"id": row["id"], "version": row["version"],
                          "title": _title(table, row), "details": details})  # fmt: skip
        board.append({"value": value, "label": label, "cards": cards, "total": result.total,
                      "more": bool(result.total and result.total > len(cards))})  # fmt: skip
    return [{"editable": editable, **column} for column in board]


# -- moving ----------------------------------------------------------------------------------
def _moved(value: Any, delta: dt.timedelta, all_day: bool) -> Any:
    if value is None:
        return None
    return value + dt.timedelta(days=delta.days) if all_day else value + delta


def move_item(
    service: RecordService, spec: CalendarSpec, record_id: Any, start: Any, version: int | None
) -> dict[str, Any]:
    """Move a calendar item: its start becomes ``start`` (ISO text), its end moves by as
    much. Goes through :meth:`RecordService.update`; raises what it raises (NotFound,
    PermissionDenied, ValidationError, ConflictError) and changes nothing then."""
    table = service.table
    record = service.get(record_id)
    field = table.field_by_name(spec.start)
    try:
        parsed = service.rt.types.get(field.type).parse(field, _parse_text(spec.start, start))
    except ParseError as e:
        raise ValidationError({spec.start: [e.localized(service.locale)]}) from None
    values: dict[str, Any] = {spec.start: parsed}
    old = record.get(spec.start)
    if spec.end and old is not None and record.get(spec.end) is not None:
        values[spec.end] = _moved(record[spec.end], _delta(parsed, old), spec.all_day)
    return service.update(record_id, values, version)


def _parse_text(name: str, text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({name: [Text("required")]})
    return text.strip()


def _delta(new: Any, old: Any) -> dt.timedelta:
    if isinstance(new, dt.datetime) and isinstance(old, dt.datetime):
        return new - old
    return dt.timedelta(days=(_day(new) - _day(old)).days)


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def move_card(
    service: RecordService, spec: KanbanSpec, record_id: Any, value: Any, version: int | None
) -> dict[str, Any]:
    """Move a kanban card to the column of ``value``: an update of the board's field (the
    service refuses a value that is not one of its choices)."""
    return service.update(record_id, {spec.field: value}, version)
