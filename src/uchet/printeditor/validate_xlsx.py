"""Checking ``.xlsx`` templates: every template cell, and the repeated-row blocks.

Locations are ``sheet 'Invoice', cell B3`` for cells and ``sheet 'Invoice', row 4`` for
the ``{% for %}`` / ``{% endfor %}`` marker rows (see :mod:`uchet.printeditor.xlsx_render`).
The checks themselves are :mod:`uchet.printeditor.validate`'s, cell by cell, with a loop's
variable bound to the child rows it walks.
"""

from __future__ import annotations

import io
import re
from typing import cast

from jinja2 import nodes
from openpyxl import load_workbook

from uchet.printeditor.catalog import ANY_NODE, RECORD, Node
from uchet.printeditor.errors import PrintError, Problem
from uchet.printeditor.sandbox import environment
from uchet.printeditor.validate import Checker, Tag, check_source
from uchet.printeditor.xlsx_render import LOOP_END, LOOP_START, first_text, is_template


def check_xlsx(data: bytes, root: Node, form: str = "template") -> list[Problem]:
    """Every problem of a .xlsx template: each template cell, and the repeated-row blocks."""
    try:
        workbook = load_workbook(io.BytesIO(data))
    except Exception as e:
        raise PrintError(form, f"not a valid .xlsx file ({type(e).__name__}: {e})") from None
    problems: list[Problem] = []
    for ws in workbook.worksheets:
        scope: dict[str, Node] = {}
        opened: str | None = None
        for row in ws.iter_rows():
            first = first_text([c.value for c in row])
            start = LOOP_START.match(first) if first else None
            where = f"sheet {ws.title!r}, row {row[0].row}"
            if start:
                if opened:
                    problems.append(Problem(where, "repeated rows cannot be nested"))
                opened = where
                checker = Checker(root, scope)
                ast = environment().parse(f"{{{{ {start.group('iter')} }}}}")
                problems += [Problem(where, m) for _l, _n, m in checker.run(ast)]
                scope = {
                    start.group("target"): checker._item(
                        cast(nodes.Output, ast.body[0]).nodes[0], scope
                    ),
                    "loop": ANY_NODE,
                }
                continue
            if first and LOOP_END.match(first):
                if not opened:
                    problems.append(Problem(where, "{% endfor %} row without a {% for %} row"))
                opened, scope = None, {}
                continue
            for cell in row:
                if is_template(cell.value):
                    at = f"sheet {ws.title!r}, cell {cell.coordinate}"
                    tags = [
                        Tag(m.group(0), 1, at)
                        for m in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", cell.value, re.S)
                    ]
                    problems += _check_cell(cell.value, tags, root, scope, at)
        if opened:
            problems.append(Problem(opened, "{% for %} row without an {% endfor %} row"))
    return problems


def _check_cell(
    value: str, tags: list[Tag], root: Node, scope: dict[str, Node], at: str
) -> list[Problem]:
    if scope:
        root = Node(RECORD, root.label, root.type, {**root.children, **scope})
    return check_source(value, tags, root, cell=at)
