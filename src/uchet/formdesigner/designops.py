"""The designer's requests as layout operations (issue 15): one registered function per
operation name, each taking the layout and the request's arguments (JSON) and returning the
new layout. Elements are named by neighbours (the cell a drop landed before, a cell of the
row it joined), not by positions, so cells the canvas does not show (a hidden field) never
shift a drop. Plain functions, no Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from uchet.formdesigner import layout as L
from uchet.formdesigner.layout import Layout, LayoutError

Args = Mapping[str, Any]
Operation = Callable[[Sequence[Mapping[str, Any]], Args], Layout]

#: Operation name -> function; :func:`apply` looks names up here.
OPERATIONS: dict[str, Operation] = {}


def operation(name: str) -> Callable[[Operation], Operation]:
    """Register an operation under ``name``."""

    def register(fn: Operation) -> Operation:
        OPERATIONS[name] = fn
        return fn

    return register


def apply(tabs: Sequence[Mapping[str, Any]], name: str, args: Args) -> Layout:
    """The layout after operation ``name``; :class:`LayoutError` if it cannot be done."""
    fn = OPERATIONS.get(name)
    if fn is None:
        raise LayoutError("", "Unknown operation %(name)s.", {"name": name})
    try:
        return fn(tabs, args)
    except (KeyError, TypeError, ValueError) as exc:  # a malformed request, not a crash
        raise LayoutError(str(args.get("key") or args.get("part") or ""),
                          "The request is incomplete: %(problem)s.",
                          {"problem": str(exc)}) from exc  # fmt: skip


def _str(args: Args, key: str) -> str:
    value = args[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a text")
    return value


def _label(args: Args, key: str = "label") -> dict[str, str]:
    value = args.get(key) or ""
    return {"ru": value.strip()} if isinstance(value, str) and value.strip() else {}


def locate(tabs: Sequence[Mapping[str, Any]], key: str) -> tuple[str, int, int]:
    """Section id, row index and column of cell ``key``."""
    sec, row, i = L.find_cell(L.copy_layout(tabs), key)
    return sec["id"], sec["rows"].index(row), i


@operation("show")
def _show(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    """No change: the state is checked and drawn again (undo and redo send these)."""
    return [dict(t) for t in tabs]


@operation("place")
def _place(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    """A cell dropped into section ``section``: into the row of cell ``row_with`` before
    cell ``before`` (none: at the row's end), or, without ``row_with``, as a row of its own
    before the row of cell ``row_before`` (none: the section's last row)."""
    key, section = _str(args, "key"), _str(args, "section")
    if args.get("row_with"):
        sec_id, r, _ = locate(tabs, _str(args, "row_with"))
        if sec_id != section:
            raise ValueError("row_with is in another section")
        row = L.find_section(L.copy_layout(tabs), section)[1]["rows"][r]
        col = len(row)
        if args.get("before"):
            _, r2, col = locate(tabs, _str(args, "before"))
            if r2 != r:
                raise ValueError("before is in another row")
        if key in map(L.cell_field, row) and col > [L.cell_field(c) for c in row].index(key):
            col -= 1  # the cell leaves its place first
        return L.move_cell(tabs, key, section, r, col)
    if args.get("row_before"):
        sec_id, r, _ = locate(tabs, _str(args, "row_before"))
        current = locate(tabs, key) if key in L.placed_fields(tabs) else None
        if current and current[0] == sec_id and current[1] < r:
            src_row = L.find_section(L.copy_layout(tabs), sec_id)[1]["rows"][current[1]]
            r -= 1 if len(src_row) == 1 else 0  # its own row goes away
        return L.move_cell(tabs, key, section, r)
    return L.move_cell(tabs, key, section, 10**6)


@operation("remove")
def _remove(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    return L.remove_cell(tabs, _str(args, "key"))


@operation("span")
def _span(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    return L.set_span(tabs, _str(args, "key"), int(args["span"]))


@operation("nudge")
def _nudge(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    return L.nudge_cell(tabs, _str(args, "key"), _str(args, "move"))


@operation("nudge_section")
def _nudge_section(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    return L.nudge_section(tabs, _str(args, "section"), _str(args, "move"))


@operation("move_section")
def _move_section(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    """Section ``section`` moved to tab ``tab``, before section ``before`` (none: last)."""
    section, tab = _str(args, "section"), _str(args, "tab")
    sections = [s["id"] for s in L.find_tab(L.copy_layout(tabs), tab).get("sections", ())]
    sections = [s for s in sections if s != section]
    before = args.get("before")
    index = sections.index(before) if before in sections else len(sections)
    return L.move_section(tabs, section, tab, index)


@operation("move_tab")
def _move_tab(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    tab = _str(args, "tab")
    others = [t["id"] for t in tabs if t["id"] != tab]
    before = args.get("before")
    return L.move_tab(tabs, tab, others.index(before) if before in others else len(others))


@operation("add_section")
def _add_section(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    """A new section on tab ``tab``, before section ``before`` (none: last; a drop from the
    palette names the section it landed before, a button click names none)."""
    tab = _str(args, "tab")
    sections = [s["id"] for s in L.find_tab(L.copy_layout(tabs), tab).get("sections", ())]
    before = args.get("before")
    index = sections.index(before) if before in sections else None
    return L.add_section(tabs, tab, _label(args) or None, index)[0]


def _tab_index(tabs: Sequence[Mapping[str, Any]], args: Args) -> int | None:
    """Where a new tab goes: before tab ``before`` (none, or unknown: last)."""
    ids = [t["id"] for t in tabs]
    before = args.get("before")
    return ids.index(before) if before in ids else None


@operation("add_tab")
def _add_tab(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    return L.add_tab(tabs, _label(args), index=_tab_index(tabs, args))[0]


@operation("add_child_tab")
def _add_child_tab(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    return L.add_tab(tabs, _label(args), children=_str(args, "children"),
                     index=_tab_index(tabs, args))[0]  # fmt: skip


@operation("add_block")
def _add_block(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    """A text or heading block as a row of ``section``, before row number ``row`` (none:
    last; a drop from the palette onto a row names it)."""
    row = args.get("row")
    return L.add_block(tabs, _str(args, "section"), _label(args, "text"),
                       heading=bool(args.get("heading")),
                       row=row if isinstance(row, int) else None)  # fmt: skip


@operation("set_part")
def _set_part(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    roles = args.get("roles")
    if roles is not None and not all(isinstance(r, str) for r in roles):
        raise ValueError("roles must be role ids")
    return L.set_part(
        tabs, _str(args, "part"),
        label={"ru": str(args["label"])} if "label" in args else None,
        collapsible=args.get("collapsible"), collapsed=args.get("collapsed"),
        roles=list(roles) if roles is not None else None,
    )  # fmt: skip


@operation("remove_part")
def _remove_part(tabs: Sequence[Mapping[str, Any]], args: Args) -> Layout:
    return L.remove_part(tabs, _str(args, "part"))
