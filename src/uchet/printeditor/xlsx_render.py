"""Rendering ``.xlsx`` templates with openpyxl: Jinja in cells, and repeated rows.

The template language of a spreadsheet (see ``docs/print-forms.md``):

* A cell holding text with ``{{ }}`` or ``{% %}`` is rendered in the sandbox.
* A cell that is exactly one ``{{ expression }}`` keeps the expression's *type*: a number
  stays a number and a date stays a date, so Excel can sum and sort them
  (``{{ raw.total }}``); formatted values (``{{ total }}``) are text.
* Repeated rows: a row whose first non-empty cell is ``{% for l in lines %}`` (docx's
  ``{%tr for l in lines %}`` is accepted too) starts a block, a row whose first non-empty
  cell is ``{% endfor %}`` ends it. The rows between are written once per item, with their
  styles, heights and merged cells; the two marker rows are removed. Blocks do not nest.

Cells render with autoescape off: openpyxl escapes XML itself, so ``&`` stays ``&``.
Formulas are copied as written (not shifted), so put totals in the template as values
(``{{ raw.total }}``) or keep formulas above the repeated block.
"""

from __future__ import annotations

import io
import re
from copy import copy
from dataclasses import dataclass
from typing import Any

from jinja2.runtime import Undefined
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from uchet.printeditor.errors import PrintError
from uchet.printeditor.sandbox import environment
from uchet.printeditor.values import FileRef, Record

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


def blocks(rows: list[list[Any]]) -> list[tuple[int, int, re.Match[str] | None]]:
    """Split row indices into ``(start, end, loop)``: static rows have ``loop`` None; a
    loop's ``start``..``end`` are its body rows (marker rows excluded)."""
    result: list[tuple[int, int, re.Match[str] | None]] = []
    i = 0
    while i < len(rows):
        text = first_text(rows[i])
        start = LOOP_START.match(text) if text else None
        if start is None:
            result.append((i, i, None))
            i += 1
            continue
        end = next(
            (j for j in range(i + 1, len(rows)) if LOOP_END.match(first_text(rows[j]) or "")),
            None,
        )
        if end is None:
            raise ValueError(f"row {i + 1}: {{% for %}} has no {{% endfor %}} row")
        result.append((i + 1, end - 1, start))
        i = end + 1
    return result


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

    env = environment(autoescape=False)
    output: list[tuple[int, dict[str, Any]]] = []
    for start, end, loop in blocks(values):
        if loop is None:
            output.append((start, context))
            continue
        items = list(env.compile_expression(loop.group("iter"))(context) or ())
        for n, item in enumerate(items):
            inner = {**context, loop.group("target"): item, "loop": Loop(n, len(items))}
            output += [(j, inner) for j in range(start, end + 1)]
        if len(output) > MAX_ROWS:
            raise ValueError(f"the sheet would have more than {MAX_ROWS} rows")

    for k, (j, ctx) in enumerate(output, start=1):
        for c in range(width):
            target = ws.cell(k, c + 1)
            target.value = cell_value(values[j][c], ctx)
            target._style = copy(styles[j][c])
        ws.row_dimensions[k].height = heights[j]
    for k in range(len(output) + 1, len(values) + 1):
        for c in range(width):
            ws.cell(k, c + 1).value = None
        ws.row_dimensions[k].height = None

    sources = [j for j, _ in output]
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
