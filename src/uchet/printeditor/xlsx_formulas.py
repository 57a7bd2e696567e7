"""Formulas of a spreadsheet template after its repeated rows were written out.

A print form grows a sheet: the body of ``{% for l in lines %}`` is written once per line,
so every row below it moves down. A formula in the template was written against the
template's rows, and has to follow them the way Excel's own *insert rows* would have it:

* ``=C5*D5`` in a body row refers to its own line: in the copy for the third line it is
  ``=C9*D9``;
* ``=SUM(E5:E5)`` under the block covers every line written from row 5: ``=SUM(E8:E27)``;
  inside an outer loop (lines grouped by category), only the lines of *its* group;
* references to rows above or below the block move with those rows; ``$`` stays as
  written.

openpyxl's :class:`~openpyxl.formula.translate.Translator` moves every reference of a
formula by one offset, which is right for a copied body row but would *move* a total's
range instead of growing it. So this module uses openpyxl's formula tokenizer (the one the
translator is built on) to find the references and maps each through :class:`RowMap`.

A range over the rows of a list that printed no rows at all becomes ``0`` (``SUM(0)``), as
there is no cell left to point at. References to other sheets, whole columns (``A:A``) and
defined names are left as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from openpyxl.formula.tokenizer import Token, Tokenizer

#: Where a row of the output came from: a loop instance per enclosing ``{% for %}`` block,
#: outermost first, as ``(block number, item index)``.
Path = tuple[tuple[int, int], ...]

_REF = re.compile(
    r"^(?P<sheet>(?:'(?:[^']|'')+'|[^'!:]+)!)?"
    r"(?P<a>\$?[A-Za-z]{0,3}\$?\d+)(?::(?P<b>\$?[A-Za-z]{0,3}\$?\d+))?$"
)
_CELL = re.compile(r"^(?P<col>\$?[A-Za-z]{0,3}\$?)(?P<row>\d+)$")


def _compatible(path: Path, scope: Mapping[int, int]) -> bool:
    """Whether an output row of ``path`` belongs to the loop instances of ``scope``: in the
    loops both are inside, they must be in the same item."""
    return all(scope.get(block, index) == index for block, index in path)


class RowMap:
    """Template rows to the output rows made from them."""

    def __init__(self, sources: Sequence[tuple[int, Path]], template_rows: int) -> None:
        """``sources``: for each output row in order, the template row (0-based) it was
        written from and its loop path; ``template_rows``: how many rows the template had."""
        self.outputs: dict[int, list[tuple[int, Path]]] = {}
        for k, (j, path) in enumerate(sources, start=1):
            self.outputs.setdefault(j, []).append((k, path))
        self.template_rows = template_rows
        self.growth = len(sources) - template_rows

    def rows(self, first: int, last: int, scope: Mapping[int, int]) -> list[int]:
        """Output rows (1-based) made from template rows ``first``..``last`` (1-based) in
        the loop instances of ``scope``."""
        found = []
        for r in range(first, last + 1):
            if r > self.template_rows:  # below everything the template used: moved down
                found.append(r + self.growth)
                continue
            found += [k for k, path in self.outputs.get(r - 1, ()) if _compatible(path, scope)]
        return found

    def shift(self, formula: str, path: Path, sheet: str) -> str:
        """``formula`` (``=...``) as it reads in an output row of loop path ``path``."""
        try:
            tokens = Tokenizer(formula)
        except Exception:
            return formula  # not a formula openpyxl understands: keep it as written
        scope = dict(path)
        for token in tokens.items:
            if token.type == Token.OPERAND and token.subtype == Token.RANGE:
                token.value = self._reference(token.value, scope, sheet)
        return "=" + "".join(t.value for t in tokens.items)

    def _reference(self, text: str, scope: Mapping[int, int], sheet: str) -> str:
        m = _REF.match(text)
        if m is None:
            return text  # a whole column, a defined name...
        prefix = m.group("sheet") or ""
        if prefix and _sheet_name(prefix[:-1]) != sheet:
            return text
        a, b = _CELL.match(m.group("a")), _CELL.match(m.group("b") or m.group("a"))
        assert a is not None and b is not None
        first, last = sorted((int(a.group("row")), int(b.group("row"))))
        rows = self.rows(first, last, scope)
        if not rows:
            return "0"  # every row it covered was a list that printed nothing
        if m.group("b") is None:
            return f"{prefix}{a.group('col')}{rows[0]}"
        return f"{prefix}{a.group('col')}{min(rows)}:{b.group('col')}{max(rows)}"


def _sheet_name(quoted: str) -> str:
    if quoted.startswith("'") and quoted.endswith("'"):
        return quoted[1:-1].replace("''", "'")
    return quoted
