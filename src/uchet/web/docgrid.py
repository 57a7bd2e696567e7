"""Child rows edited as a grid inside their document's card (issue 21).

A child table whose configuration has a ``grid`` (the CRM's invoice lines) is shown at the
end of the document card's first tab as an editable grid (``card_grid.html`` and
``static/uchet/docgrid.js``). The grid sends its rows with the card's own form, as JSON in
the hidden ``_grids`` input, and the card saves header and rows together through
:func:`uchet.platform.records.document.save_document`: one transaction, every row through
the record service of its table, the document's version guarding it all.

``live/`` (POST, the card's unsaved values) answers the computed fields -- formulas, rollups,
the grid's totals -- as the engine computes them (:mod:`uchet.platform.records.live`); the
page calls it, debounced, as one types.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import abort, g, jsonify, request, url_for
from flask_admin.base import expose
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from uchet.platform.model.config import Field, Table
from uchet.platform.model.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from uchet.platform.model.numbers import as_id
from uchet.platform.records import live
from uchet.platform.records.document import (
    DocumentInvalid,
    current_rows,
    grids_of,
    order_name,
    parse_grids,
    save_document,
)
from uchet.web.auth import check_csrf
from uchet.web.forms import input_value

#: The mixin's methods run on a TableView (its c, table, types, access()...).
_Base: Any = object

#: The hidden input of the card's form that carries the grids' rows.
GRIDS_FIELD = "_grids"
#: The widths a grid column asks for, by its kind (CSS classes in card.css).
NUMERIC = frozenset({"integer", "decimal", "money", "percent"})


@dataclass
class GridColumn:
    """One column of a grid: the field, its label, how it is edited."""

    name: str
    label: str
    #: ``lookup``, ``number``, ``text``, ``date``, ``choice`` or ``computed`` (read-only).
    kind: str
    required: bool = False
    readonly: bool = False
    lookup_url: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class GridPanel:
    """What ``card_grid.html`` renders for one grid table."""

    table: Table
    label: str
    columns: list[GridColumn]
    totals: list[str]
    rows_json: str
    #: Ids of rows removed in a save that was refused: removed again when it is retried.
    deleted_json: str
    can_create: bool
    can_update: bool
    can_delete: bool
    movable: bool


def _kind(f: Field) -> str:
    if f.type in ("formula", "rollup"):
        return "computed"
    if f.type in ("reference", "user"):
        return "lookup"
    if f.type in NUMERIC:
        return "number"
    if f.type in ("date", "choice"):
        return f.type
    return "text"


def _input(value: Any, locale: str) -> Any:
    """A stored value as the grid's input shows it: «3», not «3.000», and «1,5» in Russian
    (issue 21; the decimal types read a comma as well as a point)."""
    if isinstance(value, Decimal):
        text = format(value, "f")
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return text.replace(".", ",") if locale.startswith("ru") else text
    value = input_value(value)
    return "" if value is None else value


class DocumentGrids(_Base):
    """The grids of a document's card, their save and the live computed values."""

    def grid_tables(self) -> list[Table]:
        """The child tables edited as grids in this table's card."""
        return grids_of(self.c.config, self.table.id)

    def card_grids(self, record: Mapping[str, Any] | None, modal: bool) -> list[GridPanel]:
        """The grids of the card of ``record`` (None: a new document, whose grids start
        empty and ready). After a refused save, the rows as they were posted."""
        tables = self.grid_tables()
        if modal or not tables:
            return []
        posted = self._posted_grids()
        errors: Mapping[str, Mapping[int, Any]] = getattr(g, "uchet_grid_errors", {})
        panels = []
        editable_doc = self.can("update") if record is not None else self.can("create")
        for child in tables:
            access = self.c.access(child.id)
            if not access.can("read"):
                continue
            readable = None if access.unrestricted else access.readable()
            writable = None if access.unrestricted else access.writable()
            columns = []
            for fid in child.grid.columns if child.grid else ():
                f = child.field_by_id(fid)
                if readable is not None and f.name not in readable:
                    continue
                kind = _kind(f)
                columns.append(GridColumn(
                    name=f.name, label=self.c.label(f.label, f.name), kind=kind,
                    required=f.required,
                    readonly=kind == "computed" or (writable is not None
                                                    and f.name not in writable),
                    lookup_url=url_for(f"t_{child.name}.lookup", field=f.name)
                    if kind == "lookup" else None,
                    choices=[(c.value, self.c.label(c.label, c.value)) for c in f.choices
                             if not c.retired],
                ))  # fmt: skip
            deleted: list[Any] = []
            body = posted.get(child.id) if posted is not None else None
            if isinstance(body, dict):
                # As posted, so nothing typed is lost; only the shape is trusted.
                rows = [r for r in body.get("rows") or [] if isinstance(r, dict)] \
                    if isinstance(body.get("rows"), list) else []  # fmt: skip
                deleted = [d for d in body.get("deleted") or [] if isinstance(d, int | str)] \
                    if isinstance(body.get("deleted"), list) else []  # fmt: skip
                for i, row in enumerate(rows):
                    row["errors"] = errors.get(child.id, {}).get(i, {})
            elif record is not None:
                rows = [self._grid_row(child, r, columns)
                        for r in current_rows(self.c.runtime, self.c.user(), child,
                                              record["id"], self.c.locale())]  # fmt: skip
            else:
                rows = []
            panels.append(GridPanel(
                table=child, label=self.c.label(child.label, child.name), columns=columns,
                totals=[child.field_by_id(t).name for t in (child.grid.totals
                                                           if child.grid else ())],
                rows_json=json.dumps(rows, ensure_ascii=False),
                deleted_json=json.dumps(deleted),
                can_create=editable_doc and access.can("create"),
                can_update=editable_doc and access.can("update"),
                can_delete=editable_doc and access.can("delete"),
                movable=editable_doc and access.can("update") and order_name(child) is not None,
            ))  # fmt: skip
        return panels

    def _grid_row(self, child: Table, row: Mapping[str, Any],
                  columns: list[GridColumn]) -> dict[str, Any]:  # fmt: skip
        values, titles, shown = {}, {}, {}
        for col in columns:
            f = child.field_by_name(col.name)
            value = row.get(col.name)
            if col.kind == "computed":
                shown[col.name] = self.types.get(f.type).format(f, value, self.c.locale()) \
                    if value is not None else ""  # fmt: skip
                continue
            values[col.name] = _input(value, self.c.locale())
            if col.kind == "lookup" and value is not None:
                title = row.get(col.name + "__title")
                titles[col.name] = str(title) if title is not None else \
                    self.c.gettext("no access")  # fmt: skip
        return {"id": row["id"], "version": row["version"], "values": values,
                "titles": titles, "shown": shown}  # fmt: skip

    def _posted_grids(self) -> dict[str, Any] | None:
        """The grids' rows of the posted card (JSON), or None (a GET, or no script ran)."""
        try:
            if request.method != "POST" or GRIDS_FIELD not in request.form:
                return None
            data = json.loads(request.form[GRIDS_FIELD] or "{}")
        except (ValueError, RequestEntityTooLarge):
            return None  # a body over the limit: the card says so, nothing of it is read
        return data if isinstance(data, dict) else None

    def save_card(self, record_id: Any, values: Mapping[str, Any],
                  version: int | None) -> dict[str, Any]:  # fmt: skip
        """Save the card: with its grids' rows in one transaction when the page sent them,
        else the record alone. Returns the saved record. Raises what the record service
        raises; bad rows come as a ValidationError whose loose messages name the row."""
        records = self.records()
        posted = self._posted_grids()
        tables = self.grid_tables()
        if posted is None or not tables:
            if record_id is None:
                return records.create(values)
            return records.update(record_id, values, version=version)
        locale = self.c.locale()
        grids = parse_grids(posted, tables, locale)
        try:
            saved_id = save_document(self.c.runtime, self.c.user(), self.table.id, record_id,
                                     version, values, grids, locale)  # fmt: skip
        except DocumentInvalid as exc:
            g.uchet_grid_errors = exc.rows
            raise ValidationError({**exc.messages, **self._row_messages(exc.rows, tables)}
                                  ) from exc  # fmt: skip
        except ConflictError as exc:
            if exc.table == self.table.name or record_id is None:
                raise
            # A row changed or removed by someone else: the whole document is stale.
            raise ConflictError(self.table.name, record_id, version,
                                records.get(record_id)) from exc  # fmt: skip
        return records.get(saved_id)

    def _row_messages(self, rows: Mapping[str, Mapping[int, Any]],
                      tables: list[Table]) -> dict[str, list[str]]:  # fmt: skip
        """The rows' problems as loose messages of the card: «Строки счетов, строка 2,
        Количество: Не меньше 0.»"""
        by_id = {t.id: t for t in tables}
        texts: list[str] = []
        for table_id, problems in rows.items():
            child = by_id[table_id]
            for index, per_field in sorted(problems.items()):
                for name, messages in per_field.items():
                    where = self.c.gettext(
                        "%(table)s, row %(row)s",
                        row=index + 1,
                        table=self.c.label(child.label, child.name),
                    )
                    if child.has_field(name):
                        f = child.field_by_name(name)
                        where += ", " + self.c.label(f.label, f.name)
                    texts.extend(f"{where}: {m}" for m in messages)
        return {"_schema": texts} if texts else {}

    @expose("/live/", methods=("POST",))
    def live_view(self) -> Response:
        """The computed fields of the unsaved card: JSON ``{"header": {name: [value, text]},
        "rows": {table: [...]}, "filled": ..., "totals": ...}``."""
        check_csrf()
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400)
        values = data.get("values") or {}
        rows = data.get("rows") or {}
        if not isinstance(values, dict) or not isinstance(rows, dict):
            abort(400)
        names = {t.id for t in self.grid_tables()}
        lines = {k: [r for r in v if isinstance(r, dict)] for k, v in rows.items()
                 if k in names and isinstance(v, list)}  # fmt: skip
        record_id = as_id(data.get("id")) if data.get("id") not in (None, "") else None
        try:
            result = live.compute(self.c.runtime, self.c.user(), self.table.id, values, lines,
                                  record_id, self.c.locale())  # fmt: skip
        except live.TooManyLines:
            # The card shows the values the save computes; nothing else is refused.
            message = self.c.gettext("Too many rows to compute before saving; the save will.")
            return Response(json.dumps({"message": message}), 413, mimetype="application/json")
        except (NotFound, PermissionDenied, ValueError):
            abort(404)
        locale = self.c.locale()
        filled = {k: [{n: [_input(v[2], locale), v[1]] for n, v in r.items()} for r in rs]
                  for k, rs in result.filled.items()}  # fmt: skip
        return jsonify(header=result.header, rows=result.rows, filled=filled,
                       totals=result.totals)  # fmt: skip
