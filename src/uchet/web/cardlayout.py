"""The layout of a card: tabs, sections and rows of fields from the configuration's form.

A form document (``forms/*.json``) places fields by id in rows of up to four columns, inside
sections, inside tabs; a tab may instead list a child table's records (a client's contacts).
Fields no form places, such as a field a user added later, are appended to the first tab, so
a new field is never invisible. Without a form, every field is laid out two per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import url_for

from uchet.platform.errors import PermissionDenied
from uchet.platform.model import Field, Table
from uchet.platform.query import Filter
from uchet.web.context import here

if TYPE_CHECKING:
    from uchet.web.views import TableView

CHILD_ROWS = 50


@dataclass
class Section:
    id: str
    label: str
    rows: list[list[Field]] = field(default_factory=list)


@dataclass
class ChildList:
    """A tab listing the records of a child table that reference this record."""

    table: Table
    columns: list[Field]
    rows: list[dict[str, Any]]
    total: str
    add_url: str | None
    edit_url: Callable[[Any], str]
    cell: Callable[[Field, dict[str, Any]], Any]


@dataclass
class Tab:
    id: str
    label: str
    sections: list[Section] = field(default_factory=list)
    children: ChildList | None = None


def form_document(view: TableView) -> Any:
    """The first form declared for the view's table, or None."""
    for doc in view.c.config.forms:
        if doc.data.get("table") == view.table.id:
            return doc
    return None


def card_layout(view: TableView, record: dict[str, Any] | None) -> list[Tab]:
    """The tabs of ``view``'s card for ``record`` (None when creating)."""
    table, c = view.table, view.c
    doc = form_document(view)
    visible = [f for f in table.fields if not f.hidden]
    by_id = {f.id: f for f in visible}
    placed: set[str] = set()
    tabs: list[Tab] = []
    for tab in doc.data.get("layout", ()) if doc else ():
        t = Tab(tab["id"], c.label(tab.get("label", {}), tab["id"]))
        for sec in tab.get("sections", ()):
            s = Section(sec["id"], c.label(sec.get("label", {})))
            for row in sec.get("rows", ()):
                fields = [by_id[i] for i in row if i in by_id]
                placed.update(f.id for f in fields)
                if fields:
                    s.rows.append(fields)
            t.sections.append(s)
        if tab.get("children"):
            if record is None:
                continue  # a new record has no children yet
            t.children = _children(view, tab["children"], record)
            if t.children is None:
                continue  # the user may not read the child table
        tabs.append(t)
    rest = [f for f in visible if f.id not in placed]
    if rest:
        if not tabs or tabs[0].children is not None:
            tabs.insert(0, Tab("main", c.label(table.item_label or table.label, table.name)))
        other = Section("other", c.gettext("Other") if placed else "")
        other.rows = [rest[i : i + 2] for i in range(0, len(rest), 2)]
        tabs[0].sections.append(other)
    return tabs


def _children(view: TableView, ref_field_id: str, record: dict[str, Any]) -> ChildList | None:
    c = view.c
    child_ct = None
    for table in c.config.tables:
        if any(f.id == ref_field_id for f in table.fields):
            child_ct = table
    if child_ct is None:
        return None
    ref = child_ct.field_by_id(ref_field_id)
    access = c.access(child_ct.id)
    if not access.can("read"):
        return None
    readable = None if access.unrestricted else access.readable()
    ids = child_ct.list_columns or tuple(f.id for f in child_ct.fields[:5])
    columns = [child_ct.field_by_id(i) for i in ids if child_ct.field_by_id(i).name != ref.name]
    columns = [f for f in columns if readable is None or f.name in readable]
    try:
        result = c.records(child_ct.id).query(
            filters=[Filter(ref.name, "eq", record["id"])],
            columns=[f.name for f in columns], limit=CHILD_ROWS, count=True,
        )  # fmt: skip
    except PermissionDenied:
        return None
    endpoint = f"t_{child_ct.name}"
    back = here()
    add_url = None
    if access.can("create"):
        add_url = url_for(f"{endpoint}.create_view", **{ref.name: record["id"]}, url=back)
    total = str(result.total or 0) + ("+" if result.total_capped else "")
    child_view = view.admin._views  # the child's own view formats its cells
    cell = next((v.cell for v in child_view if getattr(v, "table", None) is child_ct), view.cell)
    return ChildList(
        table=child_ct,
        columns=columns,
        rows=result.rows,
        total=total,
        add_url=add_url,
        edit_url=lambda rid: url_for(f"{endpoint}.edit_view", id=rid, url=back),
        cell=cell,
    )
