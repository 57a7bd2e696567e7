"""The layout model of a card: tabs, sections and rows of fields from the configuration's form.

A form document (``forms/*.json``) places fields by id in rows of up to four columns, inside
sections, inside tabs; a tab may instead list a child table's records (a client's contacts).
Fields no form places, such as a field a user added later, go to an "Other" section of the
first tab, so a new field is never invisible. Without a form, every field is laid out two per
row. Hidden fields, fields the user may not read, and (on a new record) fields they cannot
enter are left out, and so are sections and rows that end up empty. An existing record's
card ends with a History tab (the audit trail).

Layouts per role (issue 15, EspoCRM's layout sets): a form may carry ``role_layouts``, tabs
keyed by a role id. A user sees the layout of the first role of the *configuration's* role
order (``roles/*.json``) that they hold and that has a layout; everyone else sees the
default ``layout``. The configuration's order, not the user's, decides, so two users with
the same roles always see the same card. A role layout that names a field the user may not
read just leaves it out. Fields the default layout places but a role layout does not are
deliberately left off that role's card (that is how a role layout hides them); only fields
no layout places go to "Other".

This module is plain data and functions: no Flask, no web layer. What it needs of the
running screen (labels in the user's language, the child lists) it is given: a
:class:`LayoutTexts` and a callable. :mod:`uchet.formdesigner.render` fills in the child
lists with their URLs and rows for a web screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from uchet.formdesigner.layout import cell_field, cell_span, iter_cells
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
class Block:
    """A text or heading block placed in a row of a section (issue 15)."""

    text: str
    heading: bool = False
    span: int = 1
    #: Blocks stand in rows of fields: a name no input has, so the card's loops skip them.
    name: str = ""
    id: str = ""


@dataclass
class Section:
    id: str
    label: str
    rows: list[list[Any]] = field(default_factory=list)
    #: Field id -> the columns of the row it takes, when more than one.
    spans: dict[str, int] = field(default_factory=dict)
    #: The section folds (``collapsed``: it starts folded).
    collapsible: bool = False
    collapsed: bool = False


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


def layout_role(doc: Any, roles: Iterable[str]) -> str | None:
    """The role whose layout of the form ``doc`` a user sees: the first of ``roles`` (the
    user's role ids in the configuration's role order) that has one; None: the default."""
    per_role = doc.data.get("role_layouts") or {} if doc else {}
    return next((r for r in roles if r in per_role), None)


def user_roles(config: Any, held: Any) -> list[str]:
    """The role ids ``held`` by a user in the configuration's role order: the order that
    decides which role layout of a form a user with several roles sees (issue 15)."""
    mine = set(held)
    return [r.id for r in config.roles if r.id in mine]


def form_tabs(doc: Any, role: str | None = None) -> Sequence[Any]:
    """The tabs of the form ``doc``: the layout of ``role`` if it has one, else the default."""
    if not doc:
        return ()
    per_role = doc.data.get("role_layouts") or {}
    if role is not None and role in per_role:
        return per_role[role]
    return doc.data.get("layout", ())


def child_tab_ref(doc: Any, tab_id: str) -> str | None:
    """The reference field id whose child records the form's tab ``tab_id`` lists, or None
    (no such tab, or not a child tab). Role layouts are searched too: a tab id means the
    same child list in every layout of the form."""
    layouts = [form_tabs(doc), *(doc.data.get("role_layouts") or {}).values()] if doc else []
    for tabs in layouts:
        for tab in tabs:
            if tab["id"] == tab_id and tab.get("children"):
                return str(tab["children"])
    return None


def card_layout(texts: LayoutTexts, table: Table, doc: Any, shown: set[str], *,
                existing: bool, modal: bool = False,
                children: ChildLister | None = None,
                role: str | None = None, roles: set[str] | None = None,
                draft: Any = None, designing: bool = False) -> list[Tab]:  # fmt: skip
    """The tabs of ``table``'s card laid out by the form document ``doc`` (None: no form);
    ``shown`` names the fields the card shows (inputs, and read-only values); ``existing``
    is False when creating a record. ``role`` picks the form's layout for that role (see
    :func:`layout_role`); without one, or when it has none, the default layout is used.

    ``children`` builds each child tab's list; without it (or in a modal dialog, or for a
    new record) child tabs are left out. In a modal dialog (a child record edited from its
    parent's card) only the tabs of fields are shown: no child lists and no history, which
    belong to full cards.

    ``roles`` are the user's role ids: a tab or section limited to roles (``"roles"``) is
    left out for a user with none of them, its fields not moved to "Other". None (a
    superuser, the designer) shows every part. ``draft`` (tabs) replaces the form's own
    (the designer's draft, a role's layout). ``designing`` keeps empty tabs and sections,
    and leaves the unplaced fields out (the designer's palette holds them) so they can be
    dropped on.
    """
    visible = [f for f in table.fields if not f.hidden and f.name in shown]
    by_id = {f.id: f for f in visible}
    placed: set[str] = set()
    layout = form_tabs(doc, role)
    if layout_role(doc, () if role is None else (role,)) is not None:
        # A role layout hides what it leaves out of the default; only new fields go to "Other".
        placed.update(_field_ids(s for t in form_tabs(doc) for s in t.get("sections", ())))
    tabs: list[Tab] = []
    if draft is not None:
        layout = draft
    blocks: dict[int, str] = {}  # a text block's key (``block:N``), as the designer names it
    for _tab, _sec, row, i in iter_cells(layout):
        if cell_field(row[i]) is None:
            blocks[id(row[i])] = f"block:{len(blocks) + 1}"
    for tab in layout:
        if tab.get("hidden") or not _for_roles(tab, roles):
            placed.update(_field_ids(tab.get("sections", ())))  # hidden, not moved to "Other"
            continue
        t = Tab(tab["id"], texts.label(tab.get("label", {}), tab["id"]))
        for sec in tab.get("sections", ()):
            if sec.get("hidden") or not _for_roles(sec, roles):
                placed.update(_field_ids([sec]))
                continue
            s = Section(sec["id"], texts.label(sec.get("label", {})),
                        collapsible=bool(sec.get("collapsible") or sec.get("collapsed")),
                        collapsed=bool(sec.get("collapsed")))  # fmt: skip
            for row in sec.get("rows", ()):
                cells = _row_cells(texts, row, by_id, s.spans, blocks)
                placed.update(c.id for c in cells if isinstance(c, Field))
                # A row of text blocks shows with its section; a row whose fields are all
                # left out for this user is left out.
                if any(isinstance(c, Field) for c in cells) or (cells and placed_any(sec, by_id)):
                    s.rows.append(cells)
            if s.rows or designing:
                t.sections.append(s)
        if tab.get("children") and designing:
            # The designer's canvas shows the chosen record's real child rows (drawn by the
            # card's own child list, with its rights); without a record, a placeholder.
            if children is not None:
                t.children = children(tab["id"], tab["children"])
        elif tab.get("children"):
            if not existing or modal or children is None:
                continue  # a new record has no children yet
            t.children = children(tab["id"], tab["children"])
            if t.children is None:
                continue  # the user may not read the child table
        elif not t.sections and not designing:
            continue  # nothing on this tab the user may see
        tabs.append(t)
    rest = [f for f in visible if f.id not in placed]
    if rest and not designing:
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
    return {i for sec in sections for row in sec.get("rows", ()) for c in row
            if (i := cell_field(c))}  # fmt: skip


def placed_any(section: Any, by_id: dict[str, Field]) -> bool:
    """Whether ``section`` places a field the card shows (a section of text blocks alone
    shows too: the designer's new section with a heading)."""
    ids = _field_ids([section])
    return not ids or bool(ids & set(by_id))


def _for_roles(part: Any, roles: set[str] | None) -> bool:
    """Whether a tab or section limited to roles is shown to a user with ``roles``."""
    allowed = part.get("roles")
    return roles is None or not allowed or bool(roles & set(allowed))


def _row_cells(texts: LayoutTexts, row: Iterable[Any], by_id: dict[str, Field],
               spans: dict[str, int], blocks: dict[int, str]) -> list[Any]:  # fmt: skip
    """A row's cells the card shows: its fields (those in ``by_id``) and text blocks;
    ``spans`` gets the widths of fields wider than one column."""
    cells: list[Any] = []
    for cell in row:
        fid = cell_field(cell)
        if fid is None:
            cells.append(Block(texts.label(cell.get("text", {})), bool(cell.get("heading")),
                               span=cell_span(cell), id=blocks.get(id(cell), "")))  # fmt: skip
        elif fid in by_id:
            cells.append(by_id[fid])
            if cell_span(cell) > 1:
                spans[fid] = cell_span(cell)
    return cells
