"""Rendering ``.xlsx`` templates with openpyxl: Jinja in cells, repeated rows, formulas.

The template language of a spreadsheet (see ``docs/print-forms.md``):

* A cell holding text with ``{{ }}`` or ``{% %}`` is rendered in the sandbox.
* A cell that is exactly one ``{{ expression }}`` keeps the expression's *type*: a number
  stays a number and a date stays a date, so Excel can sum and sort them
  (``{{ raw.total }}``); formatted values (``{{ total }}``) are text. Rendered text that
  starts with ``=`` stays text: a value is never turned into a formula.
* Repeated rows: a row whose first non-empty cell is ``{% for l in lines %}`` (docx's
  ``{%tr for l in lines %}`` is accepted too) starts a block, a row whose first non-empty
  cell is ``{% endfor %}`` ends it. The rows between are written once per item, with their
  styles, heights and merged cells; the two marker rows are removed. Blocks nest: an outer
  ``{% for g in items|groupby('product.category.name') %}`` with a header row, an inner
  ``{% for i in g.list %}`` and a subtotal row gives a list grouped by category.
* Formulas follow the rows as Excel's *insert rows* would (:mod:`.xlsx_formulas`): a
  ``=SUM(E5:E5)`` under a block covers all the rows written from row 5.

Cells render with autoescape off: openpyxl escapes XML itself, so ``&`` stays ``&``.
"""

from __future__ import annotations

import io
import re
from copy import copy
from dataclasses import dataclass, field
from typing import Any

from jinja2.runtime import Undefined
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from uchet.printeditor.errors import PrintError
from uchet.printeditor.sandbox import environment
from uchet.printeditor.values import FileRef, Record
from uchet.printeditor.xlsx_formulas import Path, RowMap

LOOP_START = re.compile(
    r"^\s*\{%-?\s*(?:tr\s+)?for\s+(?P<target>[A-Za-z_]\w*)\s+in\s+(?P<iter>.+?)\s*-?%\}\s*$", re.S
)
LOOP_END = re.compile(r"^\s*\{%-?\s*(?:tr\s+)?endfor\s*-?%\}\s*$")
SINGLE = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}).)*)\}\}\s*$", re.S)
#: Most rows a sheet may grow to.
MAX_ROWS = 100_000


@dataclass
class Loop:
    """``loop`` inside a repeated block, as in Jinja: index, index0, first, last, length."""

    index0: int
    length: int

    @property
    def index(self) -> int:
        return self.index0 + 1

    @property
    def first(self) -> bool:
        return self.index0 == 0

    @property
    def last(self) -> bool:
        return self.index0 == self.length - 1


def is_template(value: Any) -> bool:
    """Whether a cell value holds Jinja."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def first_text(row: list[Any]) -> str | None:
    """The first non-empty value of a row of cell values, when it is text."""
    for value in row:
        if value not in (None, ""):
            return value if isinstance(value, str) else None
    return None


@dataclass
class Block:
    """A ``{% for %}`` block of rows (or the whole sheet, with ``target`` None): its items
    are template row indices (0-based) and nested blocks, in order."""

    number: int
    target: str | None = None
    iterable: str = ""
    items: list[int | Block] = field(default_factory=list)


def blocks(rows: list[list[Any]]) -> Block:
    """The block structure of a sheet's rows (their cell values); ValueError for a
    ``{% for %}`` row without its ``{% endfor %}`` row or the other way round."""
    root = Block(0)
    stack: list[tuple[Block, int]] = [(root, -1)]
    for i, row in enumerate(rows):
        text = first_text(row) or ""
        start = LOOP_START.match(text)
        if start:
            block = Block(i + 1, start.group("target"), start.group("iter"))
            stack[-1][0].items.append(block)
            stack.append((block, i))
        elif LOOP_END.match(text):
            if len(stack) == 1:
                raise ValueError(f"row {i + 1}: {{% endfor %}} without a {{% for %}} row")
            stack.pop()
        else:
            stack[-1][0].items.append(i)
    if len(stack) > 1:
        raise ValueError(f"row {stack[-1][1] + 1}: {{% for %}} has no {{% endfor %}} row")
    return root


def cell_value(value: Any, context: dict[str, Any]) -> Any:
    """A template cell rendered: one expression keeps its type, other text becomes text."""
    if not is_template(value):
        return value
    env = environment(autoescape=False)
    single = SINGLE.match(value)
    if single:
        result = env.compile_expression(single.group("expr"), undefined_to_none=False)(context)
        if isinstance(result, Undefined) or result is None:
            return None
        if isinstance(result, Record | FileRef):
            return str(result) or None
        if isinstance(result, int | float | str | bool) or hasattr(result, "isoformat"):
            return result
        if hasattr(result, "as_tuple"):  # Decimal: openpyxl writes it as a number
            return float(result)
        return str(result)
    return env.from_string(value).render(context)


def expand(
    block: Block, context: dict[str, Any], path: Path, out: list[tuple[int, dict, Path]]
) -> None:
    """Append ``(template row, context, loop path)`` of every output row of ``block``."""
    env = environment(autoescape=False)
    for item in block.items:
        if isinstance(item, int):
            out.append((item, context, path))
            continue
        values = list(env.compile_expression(item.iterable)(context) or ())
        for n, value in enumerate(values):
            assert item.target is not None
            inner = {**context, item.target: value, "loop": Loop(n, len(values))}
            expand(item, inner, (*path, (item.number, n)), out)
            if len(out) > MAX_ROWS:
                raise ValueError(f"the sheet would have more than {MAX_ROWS} rows")


def write_cell(cell: Any, value: Any, context: dict[str, Any], path: Path, rows: RowMap) -> None:
    """Set an output cell from its template value: rendered, or a formula moved."""
    if is_template(value):
        cell.value = cell_value(value, context)
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # a value that looks like a formula stays text
    elif isinstance(value, str) and value.startswith("="):
        cell.value = rows.shift(value, path, cell.parent.title)
    else:
        cell.value = value


def render_sheet(ws: Worksheet, context: dict[str, Any]) -> None:
    """Render one worksheet in place."""
    width = ws.max_column
    cells = [[ws.cell(r, c) for c in range(1, width + 1)] for r in range(1, ws.max_row + 1)]
    values = [[c.value for c in row] for row in cells]
    styles = [[copy(c._style) for c in row] for row in cells]
    heights = [ws.row_dimensions[r + 1].height for r in range(len(cells))]
    merged = [copy(m) for m in ws.merged_cells.ranges]
    for m in merged:
        ws.unmerge_cells(str(m))

    output: list[tuple[int, dict[str, Any], Path]] = []
    expand(blocks(values), context, (), output)
    rows = RowMap([(j, path) for j, _, path in output], len(values))

    for k, (j, ctx, path) in enumerate(output, start=1):
        for c in range(width):
            target = ws.cell(k, c + 1)
            write_cell(target, values[j][c], ctx, path, rows)
            target._style = copy(styles[j][c])
        ws.row_dimensions[k].height = heights[j]
    for k in range(len(output) + 1, len(values) + 1):
        for c in range(width):
            ws.cell(k, c + 1).value = None
        ws.row_dimensions[k].height = None

    sources = [j for j, _, _ in output]
    for m in merged:
        height = m.max_row - m.min_row
        for k, j in enumerate(sources):
            if j != m.min_row - 1:
                continue
            span = sources[k : k + height + 1]
            if span == list(range(j, j + height + 1)):
                ws.merge_cells(
                    start_row=k + 1,
                    end_row=k + 1 + height,
                    start_column=m.min_col,
                    end_column=m.max_col,
                )


def render_xlsx(data: bytes, context: dict[str, Any], form: str) -> bytes:
    """Render the .xlsx template ``data`` with ``context``; returns the workbook's bytes."""
    try:
        workbook = load_workbook(io.BytesIO(data))
    except Exception as e:
        raise PrintError(form, f"not a valid .xlsx file ({type(e).__name__}: {e})") from None
    values = dict(context)
    values["image"] = lambda *args, **kwargs: ""  # images are a .docx feature
    for ws in workbook.worksheets:
        try:
            render_sheet(ws, values)
        except ValueError as e:
            raise PrintError(form, f"sheet {ws.title!r}: {e}") from None
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
