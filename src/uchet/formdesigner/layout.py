"""The card designer's edits of a layout (issue 15): plain functions over the tabs of a form
document (``form["layout"]``, or a role's ``form["role_layouts"][role]``).

A layout is a list of tabs; a tab holds sections (or lists a child table's records); a
section holds rows; a row holds 1 to 4 cells. A cell is a field id (``"clients.name"``), a
field with a width (``{"field": "clients.notes", "span": 2}``: it takes two of the row's
four columns), or a text block (``{"text": {"ru": "..."}, "heading": true}``). Sections may
be collapsible (and start collapsed); sections and tabs may be limited to roles.

Every operation takes a layout and returns a new one (the argument is not changed), or
raises :class:`LayoutError` naming the element and what is wrong. :func:`check` lists the
problems of a whole layout (the server runs it on every state the designer sends). The
messages are English message ids with parameters; the web layer translates them. No Flask.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The most cells (and columns) a row holds.
MAX_COLUMNS = 4

Layout = list[dict[str, Any]]
Cell = str | dict[str, Any]


@dataclass
class LayoutError(Exception):
    """A layout edit or check that failed: ``element`` is the id of the tab, section or field
    it is about (shown on that element), ``msgid`` an English message id, ``params`` its
    parameters."""

    element: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.element}: {self.msgid % self.params if self.params else self.msgid}"


# -- reading cells ---------------------------------------------------------------------------
def cell_field(cell: Cell) -> str | None:
    """The field id a cell shows, or None for a text block."""
    if isinstance(cell, str):
        return cell
    found = cell.get("field")
    return str(found) if found else None


def cell_span(cell: Cell) -> int:
    """How many of the row's four columns a cell takes (1 unless it says otherwise)."""
    return 1 if isinstance(cell, str) else int(cell.get("span", 1))


def iter_cells(tabs: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Any, Any, list[Any], int]]:
    """Every cell of a layout: ``(tab, section, row, index in the row)``."""
    for tab in tabs:
        for sec in tab.get("sections", ()):
            for row in sec.get("rows", ()):
                for i in range(len(row)):
                    yield tab, sec, row, i


def placed_fields(tabs: Iterable[Mapping[str, Any]]) -> list[str]:
    """The field ids a layout places, in reading order."""
    found = []
    for _tab, _sec, row, i in iter_cells(tabs):
        fid = cell_field(row[i])
        if fid:
            found.append(fid)
    return found


def copy_layout(tabs: Sequence[Mapping[str, Any]]) -> Layout:
    """A deep copy of a layout, for an operation to change."""
    return [copy.deepcopy(dict(tab)) for tab in tabs]


# -- finding elements ------------------------------------------------------------------------
def find_tab(tabs: Sequence[Any], tab_id: str) -> dict[str, Any]:
    for tab in tabs:
        if tab["id"] == tab_id:
            return tab
    raise LayoutError(tab_id, "There is no tab %(id)s.", {"id": tab_id})


def find_section(tabs: Sequence[Any], section_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for tab in tabs:
        for sec in tab.get("sections", ()):
            if sec["id"] == section_id:
                return tab, sec
    raise LayoutError(section_id, "There is no section %(id)s.", {"id": section_id})


def _sections(tabs: Sequence[Any]) -> list[dict[str, Any]]:
    return [sec for tab in tabs for sec in tab.get("sections", ())]


def find_cell(tabs: Sequence[Any], key: str) -> tuple[dict[str, Any], list[Any], int]:
    """The section, row and index of the cell ``key``: a field id, or a block's ``block:N``
    (the N-th text block of the layout, in reading order)."""
    blocks = 0
    for _tab, sec, row, i in iter_cells(tabs):
        fid = cell_field(row[i])
        if fid is None:
            blocks += 1
            if key == f"block:{blocks}":
                return sec, row, i
        elif fid == key:
            return sec, row, i
    raise LayoutError(key, "The element %(id)s is not on the form.", {"id": key})


def _drop_empty_rows(sec: dict[str, Any]) -> None:
    sec["rows"] = [row for row in sec.get("rows", ()) if row]


def _new_id(tabs: Sequence[Any], prefix: str) -> str:
    taken = {tab["id"] for tab in tabs} | {sec["id"] for sec in _sections(tabs)}
    n = 1
    while f"{prefix}_{n}" in taken:
        n += 1
    return f"{prefix}_{n}"


def _take_cell(tabs: Layout, key: str) -> Cell | None:
    """Remove cell ``key`` from the layout and return it (None: it was not placed)."""
    try:
        sec, row, i = find_cell(tabs, key)
    except LayoutError:
        return None
    cell: Cell = row.pop(i)
    _drop_empty_rows(sec)
    return cell


# -- operations ------------------------------------------------------------------------------
def move_cell(tabs: Sequence[Mapping[str, Any]], key: str, section_id: str, row: int,
              column: int | None = None) -> Layout:  # fmt: skip
    """Put the cell ``key`` (a field id, placed or not, or ``block:N``) into section
    ``section_id``: into row ``row`` at position ``column``, or, when ``column`` is None, as
    a row of its own inserted before row ``row`` (``row`` past the end: the last row)."""
    result = copy_layout(tabs)
    _tab_of, target = find_section(result, section_id)  # fails before anything moves
    rows = target.setdefault("rows", [])
    if column is not None and not 0 <= row < len(rows):
        raise LayoutError(section_id, "The section has no row %(row)s.", {"row": row + 1})
    # Moving within the same row must not count the cell itself against the row's room.
    anchor = rows[row] if column is not None else None
    cell = _take_cell(result, key)
    if cell is None:
        if key.startswith("block:"):
            raise LayoutError(key, "The element %(id)s is not on the form.", {"id": key})
        cell = key
    if anchor is not None:
        if len(anchor) >= MAX_COLUMNS:
            raise LayoutError(section_id, "A row holds at most %(n)s fields.", {"n": MAX_COLUMNS})
        if sum(cell_span(c) for c in anchor) + cell_span(cell) > MAX_COLUMNS:
            raise LayoutError(cell_field(cell) or key, "The row has no room for this width.")
        rows = target["rows"]
        index = next((i for i, r in enumerate(rows) if r is anchor), None)
        if index is None:  # the anchor row emptied by the move was dropped: a row again
            rows.insert(min(row, len(rows)), [cell])
        else:
            anchor.insert(max(0, min(column or 0, len(anchor))), cell)
    else:
        rows = target["rows"]
        rows.insert(max(0, min(row, len(rows))), [cell])
    return result


def remove_cell(tabs: Sequence[Mapping[str, Any]], key: str) -> Layout:
    """Take cell ``key`` off the form (a field goes back to the palette; a block is gone)."""
    result = copy_layout(tabs)
    if _take_cell(result, key) is None:
        raise LayoutError(key, "The element %(id)s is not on the form.", {"id": key})
    return result


def set_span(tabs: Sequence[Mapping[str, Any]], key: str, span: int) -> Layout:
    """Make cell ``key`` take ``span`` (1 to 4) of its row's columns."""
    result = copy_layout(tabs)
    _sec, row, i = find_cell(result, key)
    if not 1 <= span <= MAX_COLUMNS:
        raise LayoutError(key, "A width is 1 to %(n)s columns.", {"n": MAX_COLUMNS})
    others = sum(cell_span(c) for j, c in enumerate(row) if j != i)
    if others + span > MAX_COLUMNS:
        raise LayoutError(key, "The row has no room for this width.")
    cell = row[i]
    obj = {"field": cell} if isinstance(cell, str) else dict(cell)
    if span == 1:
        obj.pop("span", None)
    else:
        obj["span"] = span
    row[i] = obj["field"] if set(obj) == {"field"} else obj
    return result


def add_block(tabs: Sequence[Mapping[str, Any]], section_id: str, text: Mapping[str, str] | str,
              heading: bool = False, row: int | None = None) -> Layout:  # fmt: skip
    """Add a text (or heading) block as a row of section ``section_id`` (at the end, or
    before row ``row``)."""
    if not text or (isinstance(text, Mapping) and not any(v.strip() for v in text.values())):
        raise LayoutError(section_id, "A text block needs a text.")
    result = copy_layout(tabs)
    _tab_of, sec = find_section(result, section_id)
    block: dict[str, Any] = {"text": copy.deepcopy(text)}
    if heading:
        block["heading"] = True
    rows = sec.setdefault("rows", [])
    rows.insert(len(rows) if row is None else max(0, min(row, len(rows))), [block])
    return result


def add_section(tabs: Sequence[Mapping[str, Any]], tab_id: str,
                label: Mapping[str, str] | None = None,
                index: int | None = None) -> tuple[Layout, str]:  # fmt: skip
    """Add an empty section to tab ``tab_id``; returns the layout and the section's id."""
    result = copy_layout(tabs)
    tab = find_tab(result, tab_id)
    if tab.get("children"):
        raise LayoutError(tab_id, "A tab of child records holds no sections.")
    new_id = _new_id(result, "sec")
    sec: dict[str, Any] = {"id": new_id, "rows": []}
    if label:
        sec["label"] = dict(label)
    sections = tab.setdefault("sections", [])
    sections.insert(len(sections) if index is None else max(0, index), sec)
    return result, new_id


def add_tab(tabs: Sequence[Mapping[str, Any]], label: Mapping[str, str],
            children: str | None = None,
            index: int | None = None) -> tuple[Layout, str]:  # fmt: skip
    """Add a tab (without sections yet, or listing the child records whose reference
    field is ``children``); returns the layout and the tab's id."""
    if not label or not any(v.strip() for v in label.values()):
        raise LayoutError("", "A tab needs a label.")
    result = copy_layout(tabs)
    if children and any(t.get("children") == children for t in result):
        raise LayoutError(children, "The form already lists these records on a tab.")
    new_id = _new_id(result, "tab")
    tab: dict[str, Any] = {"id": new_id, "label": dict(label)}
    if children:
        tab["children"] = children
    else:
        tab["sections"] = []  # sections are dragged onto it, or added
    result.insert(len(result) if index is None else max(0, index), tab)
    return result, new_id


def move_section(tabs: Sequence[Mapping[str, Any]], section_id: str, tab_id: str,
                 index: int) -> Layout:  # fmt: skip
    """Move section ``section_id`` to tab ``tab_id`` at position ``index``."""
    result = copy_layout(tabs)
    target = find_tab(result, tab_id)
    if target.get("children"):
        raise LayoutError(tab_id, "A tab of child records holds no sections.")
    source, sec = find_section(result, section_id)
    source["sections"] = [s for s in source["sections"] if s is not sec]
    sections = target.setdefault("sections", [])
    sections.insert(max(0, min(index, len(sections))), sec)
    return result


def move_tab(tabs: Sequence[Mapping[str, Any]], tab_id: str, index: int) -> Layout:
    """Move tab ``tab_id`` to position ``index``."""
    result = copy_layout(tabs)
    tab = find_tab(result, tab_id)
    result.remove(tab)
    result.insert(max(0, min(index, len(result))), tab)
    return result


def remove_part(tabs: Sequence[Mapping[str, Any]], part_id: str) -> Layout:
    """Take a tab or section off the form; its fields go back to the palette."""
    result = copy_layout(tabs)
    for tab in result:
        if tab["id"] == part_id:
            result.remove(tab)
            return result
    source, sec = find_section(result, part_id)
    source["sections"] = [s for s in source["sections"] if s is not sec]
    return result


def set_part(tabs: Sequence[Mapping[str, Any]], part_id: str, *,
             label: Mapping[str, str] | None = None, collapsible: bool | None = None,
             collapsed: bool | None = None,
             roles: Sequence[str] | None = None) -> Layout:  # fmt: skip
    """Change a tab's or section's label, a section's folding (``collapsible``, and
    ``collapsed``: it starts folded), or the roles it is shown to (``[]``: every role)."""
    result = copy_layout(tabs)
    part: dict[str, Any] | None = next((t for t in result if t["id"] == part_id), None)
    is_tab = part is not None
    if part is None:
        part = find_section(result, part_id)[1]
    if label is not None:
        if is_tab and not any(v.strip() for v in label.values()):
            raise LayoutError(part_id, "A tab needs a label.")
        clean = {k: v.strip() for k, v in label.items() if v.strip()}
        if clean:
            part["label"] = clean
        else:
            part.pop("label", None)
    if collapsible is not None or collapsed is not None:
        if is_tab:
            raise LayoutError(part_id, "Only a section can be folded.")
        for key, value in (("collapsible", collapsible), ("collapsed", collapsed)):
            if value:
                part[key] = True
            elif value is not None:
                part.pop(key, None)
        if part.get("collapsed"):
            part["collapsible"] = True
    if roles is not None:
        if roles:
            part["roles"] = list(dict.fromkeys(roles))
        else:
            part.pop("roles", None)
    return result


#: The keyboard moves of a cell and of a section (the designer's buttons and keys).
CELL_MOVES = ("up", "down", "left", "right", "next_section", "previous_section")
SECTION_MOVES = ("up", "down", "next_tab", "previous_tab")


def nudge_cell(tabs: Sequence[Mapping[str, Any]], key: str, move: str) -> Layout:
    """Move cell ``key`` one step from the keyboard: ``up``/``down`` (a row of its own
    above or below its row; past the section's edge, into the neighbouring section),
    ``left``/``right`` (the previous or next column of its row), ``next_section`` /
    ``previous_section`` (the end or start of the neighbouring section)."""
    result = copy_layout(tabs)
    sec, row, i = find_cell(result, key)
    rows = sec["rows"]
    r = next(n for n, x in enumerate(rows) if x is row)
    sections = _sections(result)
    s = next(n for n, x in enumerate(sections) if x is sec)
    if move in ("left", "right"):
        j = i - 1 if move == "left" else i + 1
        if not 0 <= j < len(row):
            msgid = "It is the first column." if move == "left" else "It is the last column."
            raise LayoutError(key, msgid)
        row[i], row[j] = row[j], row[i]
        return result
    if move in ("up", "down"):
        step = -1 if move == "up" else 1
        if len(row) > 1:  # out of a shared row: a row of its own just above or below it
            return move_cell(result, key, sec["id"], r if step < 0 else r + 1)
        if 0 <= r + step < len(rows):
            rows[r], rows[r + step] = rows[r + step], rows[r]
            return result
        move = "previous_section" if step < 0 else "next_section"
    if move in ("next_section", "previous_section"):
        step = 1 if move == "next_section" else -1
        if not 0 <= s + step < len(sections):
            raise LayoutError(key, "There is no section further.")
        target = sections[s + step]
        at = 0 if step > 0 else len(target.get("rows", ()))
        return move_cell(result, key, target["id"], at)
    raise LayoutError(key, "Unknown move %(move)s.", {"move": move})


def nudge_section(tabs: Sequence[Mapping[str, Any]], section_id: str, move: str) -> Layout:
    """Move section ``section_id`` one step: ``up``/``down`` within its tab, ``next_tab``
    / ``previous_tab`` (to the end or start of the neighbouring tab of sections)."""
    result = copy_layout(tabs)
    tab, sec = find_section(result, section_id)
    i = tab["sections"].index(sec)
    if move in ("up", "down"):
        j = i - 1 if move == "up" else i + 1
        if not 0 <= j < len(tab["sections"]):
            raise LayoutError(section_id, "There is no place further in this tab.")
        return move_section(result, section_id, tab["id"], j)
    if move in ("next_tab", "previous_tab"):
        holders = [t for t in result if not t.get("children")]
        k = holders.index(tab) + (1 if move == "next_tab" else -1)
        if not 0 <= k < len(holders):
            raise LayoutError(section_id, "There is no tab further.")
        target = holders[k]
        at = len(target.get("sections", ())) if move == "next_tab" else 0
        return move_section(result, section_id, target["id"], at)
    raise LayoutError(section_id, "Unknown move %(move)s.", {"move": move})


# -- the check -------------------------------------------------------------------------------
def check(tabs: Sequence[Mapping[str, Any]], fields: Iterable[str], roles: Iterable[str],
          child_refs: Iterable[str]) -> list[LayoutError]:  # fmt: skip
    """The problems of a layout, each on its element: ``fields`` are the table's field ids,
    ``roles`` the configuration's role ids, ``child_refs`` the reference fields of other
    tables that point at this table (what a child tab may list)."""
    known, role_ids, refs = set(fields), set(roles), set(child_refs)
    problems: list[LayoutError] = []
    seen_ids: set[str] = set()
    seen_fields: set[str] = set()
    for tab in tabs:
        parts = [tab, *tab.get("sections", ())]
        for part in parts:
            if part["id"] in seen_ids:
                problems.append(LayoutError(part["id"], "The id %(id)s is used twice.",
                                            {"id": part["id"]}))  # fmt: skip
            seen_ids.add(part["id"])
            for role in part.get("roles", ()):
                if role not in role_ids:
                    problems.append(LayoutError(part["id"], "There is no role %(role)s.",
                                                {"role": role}))  # fmt: skip
        if tab.get("children") and tab["children"] not in refs:
            problems.append(LayoutError(tab["id"], "The field %(id)s does not refer to this "
                                        "table.", {"id": tab["children"]}))  # fmt: skip
        if tab.get("children") and tab.get("sections"):
            problems.append(LayoutError(tab["id"], "A tab of child records holds no sections."))
        for sec in tab.get("sections", ()):
            for row in sec.get("rows", ()):
                if not 1 <= len(row) <= MAX_COLUMNS:
                    problems.append(LayoutError(sec["id"], "A row holds at most %(n)s fields.",
                                                {"n": MAX_COLUMNS}))  # fmt: skip
                if sum(cell_span(c) for c in row) > MAX_COLUMNS:
                    problems.append(LayoutError(sec["id"], "A row is wider than %(n)s "
                                                "columns.", {"n": MAX_COLUMNS}))  # fmt: skip
                for cell in row:
                    fid = cell_field(cell)
                    if fid is None:
                        continue
                    if fid not in known:
                        problems.append(LayoutError(fid, "The table has no field %(id)s.",
                                                    {"id": fid}))  # fmt: skip
                    elif fid in seen_fields:
                        problems.append(LayoutError(fid, "The field %(id)s is placed twice.",
                                                    {"id": fid}))  # fmt: skip
                    seen_fields.add(fid)
    return problems
