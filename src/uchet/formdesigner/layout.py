"""The layout of a card: tabs, sections and rows of fields from the configuration's form.

A form document (``forms/*.json``) places fields by id in rows of up to four columns, inside
sections, inside tabs; a tab may instead list a child table's records (a client's contacts).
Fields no form places, such as a field a user added later, go to an "Other" section of the
first tab, so a new field is never invisible. Without a form, every field is laid out two per
row. Hidden fields, fields the user may not read, and (on a new record) fields they cannot
enter are left out, and so are sections and rows that end up empty. An existing record's
card ends with a History tab (the audit trail, :mod:`uchet.web.history`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import url_for

from uchet.platform.model.config import Field, Table
from uchet.platform.model.errors import PermissionDenied
from uchet.platform.query.listquery import Filter

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

    tab_id: str
    table: Table
    columns: list[Field]
    rows: list[dict[str, Any]]
    total: str
    #: Full-page URLs (they work without JavaScript) and the card's modal variants.
    add_url: str | None
    edit_url: Callable[[Any], str]
    modal_add_url: str | None
    modal_edit_url: Callable[[Any], str]
    #: The URL that renders this list again (after a change made in the modal).
    refresh_url: str
    cell: Callable[[Field, dict[str, Any]], Any]
    #: The next rows ("show more": this tab's rows after the last one shown), if any.
    more_url: str | None = None
    #: The child table's own list, filtered to this record: paging, sorting, export.
    list_url: str | None = None


@dataclass
class Tab:
    id: str
    label: str
    sections: list[Section] = field(default_factory=list)
    children: ChildList | None = None
    #: The History tab (the audit trail); its entries are loaded by the template.
    history: bool = False


def form_document(view: TableView) -> Any:
    """The first form declared for the view's table, or None."""
    for doc in view.c.config.forms:
        if doc.data.get("table") == view.table.id:
            return doc
    return None


def card_layout(view: TableView, record: dict[str, Any] | None, shown: set[str],
                modal: bool = False) -> list[Tab]:  # fmt: skip
    """The tabs of ``view``'s card for ``record`` (None when creating); ``shown`` names the
    fields the card shows (inputs, and read-only values).

    In a modal dialog (a child record edited from its parent's card) only the tabs of
    fields are shown: no child lists and no history, which belong to full cards.
    """
    table, c = view.table, view.c
    doc = form_document(view)
    visible = [f for f in table.fields if not f.hidden and f.name in shown]
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
            if s.rows:
                t.sections.append(s)
        if tab.get("children"):
            if record is None or modal:
                continue  # a new record has no children yet
            t.children = child_list(view, tab["id"], tab["children"], record)
            if t.children is None:
                continue  # the user may not read the child table
        elif not t.sections:
            continue  # nothing on this tab the user may see
        tabs.append(t)
    rest = [f for f in visible if f.id not in placed]
    if rest:
        if not tabs or tabs[0].children is not None:
            tabs.insert(0, Tab("main", c.label(table.item_label or table.label, table.name)))
        other = Section("other", c.gettext("Other") if placed else "")
        other.rows = [rest[i : i + 2] for i in range(0, len(rest), 2)]
        tabs[0].sections.append(other)
    if record is not None and not modal:
        tabs.append(Tab("history", c.gettext("History"), history=True))
    return tabs


def child_tab(
    view: TableView, tab_id: str, record: dict[str, Any], after: str | None = None
) -> ChildList | None:
    """The child list of the form's tab ``tab_id`` (None: no such tab, or not readable),
    from the row after the cursor ``after`` (the "show more" of the tab)."""
    doc = form_document(view)
    for tab in doc.data.get("layout", ()) if doc else ():
        if tab["id"] == tab_id and tab.get("children"):
            return child_list(view, tab_id, tab["children"], record, after)
    return None


def child_list(view: TableView, tab_id: str, ref_field_id: str, record: dict[str, Any],
               after: str | None = None) -> ChildList | None:  # fmt: skip
    """The records of the child table whose field ``ref_field_id`` references ``record``,
    ``CHILD_ROWS`` at a time: a keyset cursor continues after the last row shown, so the
    hundredth page of a client's contacts costs what the first does."""
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
            columns=[f.name for f in columns], limit=CHILD_ROWS, count=after is None,
            after=after,
        )  # fmt: skip
    except PermissionDenied:
        return None
    endpoint = f"t_{child_ct.name}"
    # Full pages come back to this tab of the card; modal dialogs keep the parent fixed.
    back = url_for(".edit_view", id=record["id"]) + f"#tab-{tab_id}"
    fixed = {ref.name: record["id"], "fixed": ref.name}
    add_url = modal_add_url = None
    if access.can("create"):
        add_url = url_for(f"{endpoint}.create_view", **fixed, url=back)
        modal_add_url = url_for(f"{endpoint}.create_view", **fixed, modal=1)
    total = str(result.total or 0) + ("+" if result.total_capped else "")
    child_view = view.admin._views  # the child's own view formats its cells
    cell = next((v.cell for v in child_view if getattr(v, "table", None) is child_ct), view.cell)
    return ChildList(
        tab_id=tab_id,
        table=child_ct,
        columns=columns,
        rows=result.rows,
        total=total,
        add_url=add_url,
        edit_url=lambda rid: url_for(f"{endpoint}.edit_view", id=rid, fixed=ref.name, url=back),
        modal_add_url=modal_add_url,
        modal_edit_url=lambda rid: url_for(
            f"{endpoint}.edit_view", id=rid, fixed=ref.name, modal=1
        ),
        refresh_url=url_for(".children", tab=tab_id, id=record["id"]),
        cell=cell,
        more_url=url_for(".children", tab=tab_id, id=record["id"], after=result.next_cursor)
        if result.next_cursor
        else None,
        list_url=url_for(f"{endpoint}.index_view", **{f"f.{ref.name}": record["id"]}),
    )
