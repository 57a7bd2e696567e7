"""The sandbox's rules checked on the template itself, at upload (issue 13, point 6).

:mod:`uchet.printeditor.sandbox` refuses ``''.__class__.__mro__`` or ``range(10**9)`` when
a document is printed. A template that does that can never print, so the upload refuses it
already, naming the place (``paragraph 3``, ``sheet 'Invoice', cell B3``) with the same
words the print failure would use:

* an attribute the sandbox never lets through: any name starting with ``_``
  (``__class__``, ``__globals__``, ``__subclasses__``, ``_private``) and the frame/code
  internals of generators and coroutines (``gi_frame``, ``cr_code``, ``mro``…);
* ``range()`` with literal bounds of more than the sandbox's ``MAX_RANGE`` items;
* ``**`` with a literal exponent above :data:`~uchet.printeditor.sandbox.MAX_POWER`,
  ``*`` building a literal string or list longer than ``MAX_SEQUENCE``;
* loops nested inside each other whose literal lengths multiply to more than
  :data:`LOOP_BUDGET` iterations (two ``range(100000)`` loops: 10¹⁰), which the render
  worker would only stop at its time limit, holding a slot meanwhile.

Only literals are judged: a loop over the record's rows has no bound known at upload, and
the worker's time and memory limits remain the backstop for those. Constants are folded
here with the same limits, never with ``as_const()``, so ``10**10**10`` is refused rather
than computed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import MAX_RANGE

from uchet.printeditor.sandbox import MAX_POWER, MAX_SEQUENCE

__all__ = ["LOOP_BUDGET", "literal_length", "sandbox_problems"]

#: Most iterations literal nested loops may multiply to.
LOOP_BUDGET = 1_000_000
#: Attributes the sandbox refuses besides ``_``-names (jinja2.sandbox.is_internal_attribute).
INTERNAL_ATTRIBUTES = frozenset(
    {"mro", "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await",
     "ag_frame", "ag_code", "ag_await", "f_globals", "f_locals", "f_builtins", "f_code",
     "tb_frame", "tb_next", "func_globals", "func_code", "im_func", "im_self"}
)  # fmt: skip
_UNKNOWN = object()


def sandbox_problems(ast: nodes.Node) -> list[tuple[int, str, str]]:
    """``(line, name, message)`` for each rule of the sandbox ``ast`` breaks for sure."""
    found: list[tuple[int, str, str]] = []
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        key = node.attr if isinstance(node, nodes.Getattr) else node.arg  # type: ignore[attr-defined]
        attr = key if isinstance(key, str) else _fold(key, found)
        if isinstance(attr, str) and (attr.startswith("_") or attr in INTERNAL_ATTRIBUTES):
            found.append((node.lineno, attr, f"access to attribute {attr!r} is not allowed"))
    for flt in ast.find_all(nodes.Filter):  # ''|attr('__class__')
        attr = _fold(flt.args[0], found) if flt.name == "attr" and flt.args else None
        if isinstance(attr, str) and (attr.startswith("_") or attr in INTERNAL_ATTRIBUTES):
            found.append((flt.lineno, attr, f"access to attribute {attr!r} is not allowed"))
    for call in ast.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "range":
            size = _range_size(call, found)
            if size is not None and size > MAX_RANGE:
                found.append((call.lineno, "range",
                              f"range() of {size} items (at most {MAX_RANGE})"))  # fmt: skip
    for binop in ast.find_all((nodes.Pow, nodes.Mul)):
        _fold(binop, found)
    found += _nested_loops(ast, 1)
    return list(dict.fromkeys(found))


def literal_length(iterable: nodes.Node) -> int | None:
    """How many items a loop over ``iterable`` walks, when that is written in the template
    (``range(10)``, ``[1, 2]``, ``'abc'``); ``None`` for data (the record's rows)."""
    if isinstance(iterable, nodes.Call):
        if isinstance(iterable.node, nodes.Name) and iterable.node.name == "range":
            return _range_size(iterable, [])
        return None
    value = _fold(iterable, [])
    return len(value) if isinstance(value, str | list | tuple) else None


def _nested_loops(node: nodes.Node, outer: int) -> Iterator[tuple[int, str, str]]:
    """Loops whose literal lengths, with the loops around them, pass :data:`LOOP_BUDGET`."""
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.For):
            size = literal_length(child.iter)
            total = outer * (size if size is not None else 1)
            if size is not None and outer > 1 and total > LOOP_BUDGET:
                yield (child.lineno, "for",
                       f"nested loops repeat {total} times (at most {LOOP_BUDGET})")  # fmt: skip
                continue  # one report per nest
            yield from _nested_loops(child, total)
        else:
            yield from _nested_loops(child, outer)


def _range_size(call: nodes.Call, found: list[tuple[int, str, str]]) -> int | None:
    args = [_fold(a, found) for a in call.args]
    if call.kwargs or call.dyn_args or not 1 <= len(args) <= 3:
        return None
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return None
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (*args, 1)[:3]
    if step == 0:
        return None
    return max(0, -((start - stop) // step))  # ceil((stop - start) / step), any sign


def _fold(node: nodes.Node, found: list[tuple[int, str, str]]) -> Any:
    """The constant value of ``node`` within the sandbox's limits (problems go to
    ``found``); :data:`_UNKNOWN` when it depends on data or passes a limit."""
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.List | nodes.Tuple):
        items = [_fold(item, found) for item in node.items]
        return _UNKNOWN if any(i is _UNKNOWN for i in items) else items
    if isinstance(node, nodes.Neg | nodes.Pos):
        value = _fold(node.node, found)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value if isinstance(node, nodes.Neg) else value
        return _UNKNOWN
    if isinstance(node, nodes.Add | nodes.Sub | nodes.Mul | nodes.FloorDiv | nodes.Pow):
        left, right = _fold(node.left, found), _fold(node.right, found)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        return _binop(node, left, right, found)
    return _UNKNOWN


def _binop(node: nodes.BinExpr, left: Any, right: Any, found: list[tuple[int, str, str]]) -> Any:
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
    if isinstance(node, nodes.Pow):
        if numbers and abs(right) > MAX_POWER:
            found.append((node.lineno, "**",
                          f"the power {right} is too large (at most {MAX_POWER})"))  # fmt: skip
            return _UNKNOWN
        return left**right if numbers and abs(left) < 10**6 else _UNKNOWN
    if isinstance(node, nodes.Mul):
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(times, int):
                if len(seq) * times > MAX_SEQUENCE:
                    found.append((node.lineno, "*",
                                  f"repeating a value {times} times makes it too long "
                                  f"(at most {MAX_SEQUENCE} items)"))  # fmt: skip
                    return _UNKNOWN
                return seq * times
        return left * right if numbers else _UNKNOWN
    if not numbers:
        return _UNKNOWN
    if isinstance(node, nodes.FloorDiv):
        return left // right if right else _UNKNOWN
    return left + right if isinstance(node, nodes.Add) else left - right
