"""A dry run's report as an xlsx workbook (issue 17, point 3): the file's own rows with the
bad cells marked (red fill and the message as a cell comment), and a second sheet listing
every problem as row, column, value and message, so the user fixes the file where it is and
imports it again.

Text is written as text: a cell of the imported file that starts like a formula is not
turned into one (:mod:`uchet.platform.features.cellsafety`).
"""

from __future__ import annotations

import io
from typing import Any

from uchet.platform.features.cellsafety import neutralise_xlsx_cell
from uchet.platform.features.importing.reading import read_sheet
from uchet.platform.features.importing.texts import text

#: The fill of a bad cell (light red) and of the header row (grey).
BAD_FILL, HEAD_FILL = "FFC7CE", "D9D9D9"


def report_xlsx(data: bytes, file_name: str, report: dict[str, Any], locale: str) -> bytes:
    """The workbook for ``report`` (:func:`~.jobs.report_json`'s form) of the file
    ``data``."""
    from openpyxl import Workbook  # a heavy library, only for this download
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    sheet = read_sheet(data, file_name, locale)
    bad: dict[tuple[int, str], list[str]] = {}
    for p in report.get("problems", []):
        bad.setdefault((int(p["row"]), str(p["column"])), []).append(str(p["message"]))
    book = Workbook()
    rows = book.active
    rows.title = text("report_rows", locale)[:31]
    red, grey = PatternFill("solid", fgColor=BAD_FILL), PatternFill("solid", fgColor=HEAD_FILL)
    bold = Font(bold=True)
    rows.append([_safe(h) for h in sheet.headers])
    for cell in rows[1]:
        cell.font, cell.fill = bold, grey
    place = {h: i for i, h in enumerate(sheet.headers, start=1)}
    for excel_row, (number, cells) in enumerate(sheet.rows, start=2):
        rows.append([_safe(v) for v in cells])
        for cell in rows[excel_row]:
            neutralise_xlsx_cell(cell)
        for header, column in place.items():
            messages = bad.get((number, header))
            if messages:
                cell = rows.cell(row=excel_row, column=column)
                cell.fill = red
                cell.comment = Comment("\n".join(messages), "uchet")
    problems = book.create_sheet(text("report_problems", locale)[:31])
    problems.append([text(k, locale) for k in ("col_row", "col_column", "col_value",
                                                "col_message")])  # fmt: skip
    for cell in problems[1]:
        cell.font, cell.fill = bold, grey
    for p in report.get("problems", []):
        problems.append([p["row"], _safe(p["column"]), _safe(p["value"]), _safe(p["message"])])
        for cell in problems[problems.max_row]:
            neutralise_xlsx_cell(cell)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(value: Any) -> Any:
    """A cell value openpyxl accepts: numbers and dates as they are, text without control
    characters (formula-like text is made a plain string by ``neutralise_xlsx_cell``)."""
    if value is None or not isinstance(value, str):
        return value
    return "".join(ch for ch in value if ch >= " " or ch in "\t\n\r")
