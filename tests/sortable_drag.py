"""Drag a SortableJS item with the mouse, as a person does, and wait for it to land.

SortableJS in fallback mode (``forceFallback``, used by the card and list designers) does
not place the dragged item on every mouse move: a 50 ms interval reads the pointer's last
position and moves the item there. On a loaded machine a test that releases the button
right after its last move can release before any tick saw the target, so the drop lands
nowhere (the CI failure of ``test_new_parts_are_dragged_from_the_palette...``). A person
holds the button until the item shows where it will go; so does :func:`sortable_drag`: it
keeps the button down until ``Sortable.dragged`` has moved next to the target. No sleep
and no wall clock: it waits for the page's own state.
"""

from __future__ import annotations

from typing import Any

#: The dragged item's place when the drag starts (``Sortable.utils.index`` skips the clone
#: a "clone" pull leaves behind).
_REMEMBER = """() => {
  const d = window.Sortable && window.Sortable.dragged;
  if (!d) { return false; }
  window.__uchetDragFrom = { parent: d.parentNode, index: window.Sortable.utils.index(d) };
  return true;
}"""

#: Landed: the item has left its starting place and sits in the target (a list), or right
#: beside the target (an item) or beside the item of its list that holds the target (a
#: section's legend). SortableJS's floating copy of the item (``sortable-fallback``) and the
#: clone a "clone" pull leaves behind are not neighbours.
_LANDED = """(target) => {
  const S = window.Sortable, d = S && S.dragged, from = window.__uchetDragFrom;
  if (!d || !d.parentNode || !from) { return false; }
  const p = d.parentNode;
  if (p === from.parent && S.utils.index(d) === from.index) { return false; }
  if (p === target) { return true; }
  let item = target;
  while (item && item.parentNode !== p) { item = item.parentNode; }
  if (!item) { return false; }
  const skip = (el) => el && (el.classList.contains("sortable-fallback") || el === S.clone);
  let next = d.nextElementSibling, prev = d.previousElementSibling;
  while (skip(next)) { next = next.nextElementSibling; }
  while (skip(prev)) { prev = prev.previousElementSibling; }
  return next === item || prev === item;
}"""


def sortable_drag(page: Any, source: str, target: str, where: str = "center") -> None:
    """Press on ``source``, move to ``target`` in steps, hold until the item has landed there,
    release. ``where`` is the point of the target's box: its ``center``, its ``right`` edge or
    its ``top`` edge. The target may appear only once the drag has started (a designer's drop
    bar)."""
    if page.locator(target).first.is_visible():
        page.locator(target).first.scroll_into_view_if_needed()
    page.locator(source).first.scroll_into_view_if_needed()
    src = page.locator(source).first.bounding_box()
    assert src, source
    x0, y0 = src["x"] + min(src["width"] / 2, 20), src["y"] + src["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 6, y0 + 6, steps=3)
    page.wait_for_function(_REMEMBER)  # the drag has started (past SortableJS's tolerance)
    dst = page.locator(target).first.bounding_box()
    assert dst, target
    x1 = dst["x"] + (dst["width"] - 8 if where == "right" else dst["width"] / 2)
    y1 = dst["y"] + (4 if where == "top" else dst["height"] / 2)
    page.mouse.move(x1, y1, steps=25)
    page.mouse.move(x1 + 1, y1, steps=2)
    handle = page.locator(target).first.element_handle()
    page.wait_for_function(_LANDED, arg=handle)
    page.mouse.up()
