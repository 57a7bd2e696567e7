"""The card layout on a web screen: the layout model (:mod:`uchet.formdesigner.model`) with
its child lists filled in: the child records, as the user may read them, and the URLs of the
card's Flask-Admin endpoints (full pages and modal dialogs).

It uses Flask's ``url_for`` and the record service, but not :mod:`uchet.web`: what it needs
of the screen is the :class:`CardScreen` protocol, which the web layer's table view meets.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import url_for

from uchet.formdesigner.model import (
    ChildList,
    LayoutTexts,
    Tab,
    child_tab_ref,
    form_document,
    layout_role,
    user_roles,
)
from uchet.formdesigner.model import (
    card_layout as layout_tabs,
)
from uchet.platform.model.config import Field, Table
from uchet.platform.model.errors import PermissionDenied
from uchet.platform.query.listquery import Filter
from uchet.platform.records.permissions import Access

CHILD_ROWS = 50


class CardContext(LayoutTexts, Protocol):
    """What the renderer needs of the request's context: the configuration, labels, and
    the current user's rights and record services."""

    @property
    def config(self) -> Any: ...

    def access(self, table_id: str) -> Access:
        """The current user's rights on a table."""
        ...

    def records(self, table_id: str) -> Any:
        """The record service of ``table_id`` acting as the current user."""
        ...

    def is_superuser(self) -> bool:
        """Whether the current user holds a superuser role (sees every part of a card)."""
        ...

    def user(self) -> Any:
        """The logged-in user (its ``roles`` are role ids)."""
        ...


class CardScreen(Protocol):
    """The screen a card is rendered on (a Flask-Admin view of ``table``)."""

    @property
    def c(self) -> CardContext: ...

    @property
    def table(self) -> Table: ...

    #: The Flask-Admin instance; its views format the cells of child lists.
    admin: Any
    #: The view's endpoint: the card's own URLs are built with it, so that a child list
    #: drawn on another page (the designer's canvas, issue 15) links to the real card.
    endpoint: str

    def cell(self, field: Field, row: dict[str, Any]) -> Any:
        """A field's value in ``row`` as list-cell HTML."""
        ...


def card_layout(view: CardScreen, record: dict[str, Any] | None, shown: set[str],
                modal: bool = False) -> list[Tab]:  # fmt: skip
    """The tabs of ``view``'s card for ``record`` (None when creating); ``shown`` names the
    fields the card shows (inputs, and read-only values). See
    :func:`uchet.formdesigner.model.card_layout`."""
    doc = form_document(view.c.config.forms, view.table)
    role = layout_role(doc, user_roles(view.c.config, view.c.user().roles))

    def children(tab_id: str, ref_field_id: str) -> ChildList | None:
        assert record is not None  # the model asks only for an existing record's children
        return child_list(view, tab_id, ref_field_id, record)

    # Parts limited to roles (issue 15) are left out for users without them; a superuser
    # sees every part.
    roles = None if view.c.is_superuser() else set(view.c.user().roles)
    return layout_tabs(view.c, view.table, doc, shown, existing=record is not None,
                       modal=modal, children=children, role=role,
                       roles=roles)  # fmt: skip


def child_tab(
    view: CardScreen, tab_id: str, record: dict[str, Any], after: str | None = None
) -> ChildList | None:
    """The child list of the form's tab ``tab_id`` (None: no such tab, or not readable),
    from the row after the cursor ``after`` (the "show more" of the tab)."""
    ref = child_tab_ref(form_document(view.c.config.forms, view.table), tab_id)
    return None if ref is None else child_list(view, tab_id, ref, record, after)


def child_list(view: CardScreen, tab_id: str, ref_field_id: str, record: dict[str, Any],
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
    if child_ct.grid is not None and child_ct.grid.parent == ref_field_id:
        return None  # edited as a grid on the card's first tab instead (issue 21)
    ref = child_ct.field_by_id(ref_field_id)
    if child_ct.hidden and ref.on_delete != "cascade":
        # An archived (hidden) table leaves every card, its rows kept. A hidden table whose
        # rows are deleted with the parent (invoice or order lines) is a part of the parent's
        # document: hidden from the menu, it is edited only on the parent's card.
        return None
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
    back = url_for(f"{view.endpoint}.edit_view", id=record["id"]) + f"#tab={tab_id}"
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
        refresh_url=url_for(f"{view.endpoint}.children", tab=tab_id, id=record["id"]),
        cell=cell,
        more_url=url_for(
            f"{view.endpoint}.children", tab=tab_id, id=record["id"], after=result.next_cursor
        )
        if result.next_cursor
        else None,
        list_url=url_for(f"{endpoint}.index_view", **{f"f.{ref.name}": record["id"]}),
    )
