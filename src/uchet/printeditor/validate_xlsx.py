"""Checking ``.xlsx`` templates: every template cell, and the repeated-row blocks.

Locations are ``sheet 'Invoice', cell B3`` for cells and ``sheet 'Invoice', row 4`` for
the ``{% for %}`` / ``{% endfor %}`` marker rows, which may nest
(see :mod:`uchet.printeditor.xlsx_render`).
The checks themselves are :mod:`uchet.printeditor.validate`'s, cell by cell, with a loop's
variable bound to the child rows it walks.
"""

from __future__ import annotations

import io
import re
from typing import cast

from jinja2 import TemplateSyntaxError, nodes
from openpyxl import load_workbook

from uchet.printeditor.catalog import ANY_NODE, RECORD, Node
from uchet.printeditor.checker import Checker, Tag, check_source
from uchet.printeditor.errors import PrintError, Problem
from uchet.printeditor.sandbox import environment
from uchet.printeditor.static_check import LOOP_BUDGET, literal_length, sandbox_problems
from uchet.printeditor.xlsx_render import LOOP_END, LOOP_START, first_text, is_template


def check_xlsx(data: bytes, root: Node, form: str = "template") -> list[Problem]:
    """Every problem of a .xlsx template: each template cell, and the repeated-row blocks."""
    try:
        workbook = load_workbook(io.BytesIO(data))
    except Exception as e:
        raise PrintError(form, f"not a valid .xlsx file ({type(e).__name__}: {e})") from None
    problems: list[Problem] = []
    for ws in workbook.worksheets:
        # One entry per open {% for %} row: where it is, and the names it binds.
        opened: list[tuple[str, dict[str, Node]]] = []
        repeats = [1]  # literal iterations of the open loop rows, multiplied (issue 13, 6)
        for row in ws.iter_rows():
            first = first_text([c.value for c in row])
            start = LOOP_START.match(first) if first else None
            where = f"sheet {ws.title!r}, row {row[0].row}"
            scope = {k: v for _, names in opened for k, v in names.items()}
            if start:
                names, found, size = _loop_names(start, root, scope, where)
                total = repeats[-1] * (size or 1)
                if size is not None and len(repeats) > 1 and total > LOOP_BUDGET:
                    found.append(Problem(
                        where, f"nested loops repeat {total} times (at most {LOOP_BUDGET})"
                    ))  # fmt: skip
                problems += found
                opened.append((where, names))
                repeats.append(total)
                continue
            if first and LOOP_END.match(first):
                if not opened:
                    problems.append(Problem(where, "{% endfor %} row without a {% for %} row"))
                else:
                    opened.pop()
                    repeats.pop()
                continue
            for cell in row:
                if is_template(cell.value):
                    at = f"sheet {ws.title!r}, cell {cell.coordinate}"
                    tags = [
                        Tag(m.group(0), 1, at)
                        for m in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", cell.value, re.S)
                    ]
                    problems += _check_cell(cell.value, tags, root, scope, at)
        for where, _ in opened:
            problems.append(Problem(where, "{% for %} row without an {% endfor %} row"))
    return problems


def _loop_names(
    start: re.Match[str], root: Node, scope: dict[str, Node], where: str
) -> tuple[dict[str, Node], list[Problem], int | None]:
    """The names a ``{% for %}`` row binds for the rows inside it, its problems, and how
    many times it repeats when that is a literal (``range(10)``)."""
    try:
        ast = environment().parse(f"{{{{ {start.group('iter')} }}}}")
    except TemplateSyntaxError as e:
        return (
            {start.group("target"): ANY_NODE, "loop": ANY_NODE},
            [Problem(where, f"syntax error in {start.group(0).strip()}: {e.message}")],
            None,
        )
    checker = Checker(root, scope)
    found = sandbox_problems(ast) + checker.run(ast)
    problems = [Problem(where, m) for _l, _n, m in found]
    iterable = cast(nodes.Output, ast.body[0]).nodes[0]
    item = checker._item(iterable, scope)
    return {start.group("target"): item, "loop": ANY_NODE}, problems, literal_length(iterable)


def _check_cell(
    value: str, tags: list[Tag], root: Node, scope: dict[str, Node], at: str
) -> list[Problem]:
    if scope:
        root = Node(RECORD, root.label, root.type, {**root.children, **scope})
    return check_source(value, tags, root, cell=at)
