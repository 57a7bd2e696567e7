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
        for row in ws.iter_rows():
            first = first_text([c.value for c in row])
            start = LOOP_START.match(first) if first else None
            where = f"sheet {ws.title!r}, row {row[0].row}"
            scope = {k: v for _, names in opened for k, v in names.items()}
            if start:
                names, found = _loop_names(start, root, scope, where)
                problems += found
                opened.append((where, names))
                continue
            if first and LOOP_END.match(first):
                if not opened:
                    problems.append(Problem(where, "{% endfor %} row without a {% for %} row"))
                else:
                    opened.pop()
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
) -> tuple[dict[str, Node], list[Problem]]:
    """The names a ``{% for %}`` row binds for the rows inside it, and its problems."""
    try:
        ast = environment().parse(f"{{{{ {start.group('iter')} }}}}")
    except TemplateSyntaxError as e:
        return {start.group("target"): ANY_NODE, "loop": ANY_NODE}, [
            Problem(where, f"syntax error in {start.group(0).strip()}: {e.message}")
        ]
    checker = Checker(root, scope)
    problems = [Problem(where, m) for _l, _n, m in checker.run(ast)]
    item = checker._item(cast(nodes.Output, ast.body[0]).nodes[0], scope)
    return {start.group("target"): item, "loop": ANY_NODE}, problems


def _check_cell(
    value: str, tags: list[Tag], root: Node, scope: dict[str, Node], at: str
) -> list[Problem]:
    if scope:
        root = Node(RECORD, root.label, root.type, {**root.children, **scope})
    return check_source(value, tags, root, cell=at)
