"""The layout model of a card: tabs, sections and rows of fields from the configuration's form.

A form document (``forms/*.json``) places fields by id in rows of up to four columns, inside
sections, inside tabs; a tab may instead list a child table's records (a client's contacts).
Fields no form places, such as a field a user added later, go to an "Other" section of the
first tab, so a new field is never invisible. Without a form, every field is laid out two per
row. Hidden fields, fields the user may not read, and (on a new record) fields they cannot
enter are left out, and so are sections and rows that end up empty. An existing record's
card ends with a History tab (the audit trail).

This module is plain data and functions: no Flask, no web layer. What it needs of the
running screen (labels in the user's language, the child lists) it is given: a
:class:`LayoutTexts` and a callable. :mod:`uchet.formdesigner.render` fills in the child
lists with their URLs and rows for a web screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from uchet.platform.model.config import Field, Labels, Table


class LayoutTexts(Protocol):
    """The texts a layout needs, in the user's language (the web's ``WebContext`` is one)."""

    def label(self, labels: Labels, default: str = "") -> str:
        """A configuration label."""
        ...

    def gettext(self, msgid: str, **params: Any) -> str:
        """An interface text ("Other", "History")."""
        ...


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


#: Builds the child list of a tab: ``(tab_id, ref_field_id) -> ChildList``, or None when the
#: user may not read the child table.
ChildLister = Callable[[str, str], ChildList | None]


def form_document(forms: Iterable[Any], table: Table) -> Any:
    """The first form document declared for ``table``, or None."""
    for doc in forms:
        if doc.data.get("table") == table.id:
            return doc
    return None


def child_tab_ref(doc: Any, tab_id: str) -> str | None:
    """The reference field id whose child records the form's tab ``tab_id`` lists, or None
    (no such tab, or not a child tab)."""
    for tab in doc.data.get("layout", ()) if doc else ():
        if tab["id"] == tab_id and tab.get("children"):
            return str(tab["children"])
    return None


def card_layout(texts: LayoutTexts, table: Table, doc: Any, shown: set[str], *,
                existing: bool, modal: bool = False,
                children: ChildLister | None = None) -> list[Tab]:  # fmt: skip
    """The tabs of ``table``'s card laid out by the form document ``doc`` (None: no form);
    ``shown`` names the fields the card shows (inputs, and read-only values); ``existing``
    is False when creating a record.

    ``children`` builds each child tab's list; without it (or in a modal dialog, or for a
    new record) child tabs are left out. In a modal dialog (a child record edited from its
    parent's card) only the tabs of fields are shown: no child lists and no history, which
    belong to full cards.
    """
    visible = [f for f in table.fields if not f.hidden and f.name in shown]
    by_id = {f.id: f for f in visible}
    placed: set[str] = set()
    tabs: list[Tab] = []
    for tab in doc.data.get("layout", ()) if doc else ():
        if tab.get("hidden"):
            placed.update(_field_ids(tab.get("sections", ())))  # hidden, not moved to "Other"
            continue
        t = Tab(tab["id"], texts.label(tab.get("label", {}), tab["id"]))
        for sec in tab.get("sections", ()):
            if sec.get("hidden"):
                placed.update(_field_ids([sec]))
                continue
            s = Section(sec["id"], texts.label(sec.get("label", {})))
            for row in sec.get("rows", ()):
                fields = [by_id[i] for i in row if i in by_id]
                placed.update(f.id for f in fields)
                if fields:
                    s.rows.append(fields)
            if s.rows:
                t.sections.append(s)
        if tab.get("children"):
            if not existing or modal or children is None:
                continue  # a new record has no children yet
            t.children = children(tab["id"], tab["children"])
            if t.children is None:
                continue  # the user may not read the child table
        elif not t.sections:
            continue  # nothing on this tab the user may see
        tabs.append(t)
    rest = [f for f in visible if f.id not in placed]
    if rest:
        if not tabs or tabs[0].children is not None:
            tabs.insert(0, Tab("main", texts.label(table.item_label or table.label, table.name)))
        other = Section("other", texts.gettext("Other") if placed else "")
        other.rows = [rest[i : i + 2] for i in range(0, len(rest), 2)]
        tabs[0].sections.append(other)
    if existing and not modal:
        tabs.append(Tab("history", texts.gettext("History"), history=True))
    return tabs


def _field_ids(sections: Iterable[Any]) -> set[str]:
    """The field ids laid out in ``sections``."""
    return {i for sec in sections for row in sec.get("rows", ()) for i in row}
