"""A report result as people read it on the report page: cell texts formatted like list cells,
a totals row, and the data the chart script draws.

Nothing here reads the database: the result comes from
:func:`uchet.platform.features.reports.run_report`, which ran as the current user. The chart
data is plain JSON (numbers, ISO dates, texts), so the script (``static/uchet/report.js``,
drawing with the vendored Chart.js) decides nothing about formats or permissions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from uchet.platform.checks.reports import NUMERIC
from uchet.platform.features.periods import period_label, period_start
from uchet.platform.features.reports import ReportColumn, ReportResult
from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Field

#: At most this many bars or points (rows are in the report's order, so a bar chart of
#: debts sorted by debt shows the largest); the table below the chart has every row.
MAX_POINTS = {"bar": 30, "line": 120, "pie": 12, "gantt": 80}
#: Aggregates whose column total is the sum of the rows (an average's total is not).
SUMMABLE = frozenset({"sum", "count"})
CURRENCY_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€"}
#: A bucket of days formats like a date field.
DAY_FIELD = Field(id="day", name="day", type="date", label={})


@dataclasses.dataclass
class Formatter:
    """Formats report values in one locale, as the list screens do."""

    types: FieldTypeRegistry
    locale: str
    yes_no: tuple[str, str] = ("Yes", "No")
    #: The field each column's values format as, worked out once per column.
    _fields: dict[str, Field] = dataclasses.field(default_factory=dict)

    def _field(self, column: ReportColumn) -> Field:
        found = self._fields.get(column.key)
        if found is None:
            if column.field is not None and column.aggregate != "count":
                # A formula's values have its result type (a money formula formats as money).
                found = dataclasses.replace(column.field, type=column.type)
            else:
                found = Field(id=column.key, name=column.key, type=column.type, label={})
            self._fields[column.key] = found
        return found

    def value(self, column: ReportColumn, value: Any) -> str:
        """The text of one value of ``column``."""
        if value is None:
            return ""
        if column.bucket is not None:
            return self.period(column.bucket, value)
        if isinstance(value, bool):
            return self.yes_no[0] if value else self.yes_no[1]
        if column.type in ("reference", "user") or isinstance(value, str):
            return str(value)
        try:
            return self.types.get(column.type).format(self._field(column), value, self.locale)
        except (KeyError, ValueError, TypeError, AttributeError):
            return str(value)  # e.g. a date that a formula gave as text on SQLite

    def period(self, bucket: str, value: Any) -> str:
        """A group of dates by period: "март 2025" / "March 2025", a day as a date field
        shows it, a year as is. Rows stay in the database's chronological order."""
        if bucket == "day":
            day = period_start(bucket, value)
            if day is not None:
                return self.types.get("date").format(DAY_FIELD, day, self.locale)
        return period_label(bucket, value, self.locale)

    def cell(self, column: ReportColumn, row: Mapping[str, Any]) -> str:
        """The text of ``column`` in ``row``: a reference's title, else the formatted value."""
        if column.title_key is not None:
            title = row.get(column.title_key)
            if title is not None:
                return str(title)
            value = row.get(column.key)
            return "" if value is None else f"#{value}"
        return self.value(column, row.get(column.key))


def is_numeric(column: ReportColumn) -> bool:
    """Whether a column holds numbers (right-aligned, summed, drawn)."""
    return column.type in NUMERIC and column.title_key is None


def totals(result: ReportResult) -> dict[str, Any] | None:
    """Column totals of a grouped report's sum and count measures (None when it has none)."""
    keys = [c.key for c in result.columns if c.aggregate in SUMMABLE]
    if not keys or len(result.rows) < 2:
        return None
    out: dict[str, Any] = {}
    for key in keys:
        values = [r[key] for r in result.rows if r.get(key) is not None]
        out[key] = sum(values, Decimal(0) if any(isinstance(v, Decimal) for v in values) else 0)
    return out


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value[:4].isdigit():
        return value.replace(" ", "T")[:16]  # SQLite may give a formula's date as text
    return None


def _column(result: ReportResult, key: str | None) -> ReportColumn | None:
    return next((c for c in result.columns if c.key == key), None)


def _series_format(column: ReportColumn) -> dict[str, Any]:
    """How the script formats a series' numbers: money with its symbol, percent, or plain."""
    if column.type == "money":
        currency = (column.field.currency if column.field else None) or "RUB"
        return {"kind": "money", "symbol": CURRENCY_SYMBOLS.get(currency, currency)}
    if column.type == "percent":
        return {"kind": "percent"}
    if column.type == "integer" or column.aggregate == "count":
        return {"kind": "integer"}
    return {"kind": "decimal"}


def chart_data(result: ReportResult, fmt: Formatter, texts: Callable[[str], str]) -> dict[str, Any]:
    """What ``report.js`` draws for ``result``: ``{"kind": "none"}`` when nothing."""
    kind = result.chart
    if not result.rows:
        return {"kind": "none"}
    if kind == "gantt":
        return _gantt(result, fmt, texts)
    if kind not in ("bar", "line", "pie"):
        return {"kind": "none"}
    spec = result.spec
    category = _column(result, spec.categories if spec else None)
    if category is None:
        category = result.columns[0] if result.columns else None
    wanted = list(spec.series) if spec and spec.series else None
    if wanted is not None:
        series = [c for c in result.columns if c.key in wanted]
        series.sort(key=lambda c: wanted.index(c.key))
    else:
        series = [c for c in result.columns if is_numeric(c) and c is not category]
        if spec is not None and spec.grouped:
            series = [c for c in series if c.aggregate is not None]
        # By default only series of the first one's kind: a count next to sums of money
        # is clutter unless the report asks for it in "series".
        first = _series_format(series[0])["kind"] if series else None
        series = [c for c in series if _series_format(c)["kind"] == first]
    if category is None or not series:
        return {"kind": "none"}
    if kind == "pie":
        series = series[:1]
    limit = MAX_POINTS[kind]
    rows = result.rows[:limit]
    # Counts next to amounts get their own axis on the right: 12 invoices would be a flat
    # line at the bottom of an axis of thousands of roubles.
    kinds = {_series_format(c)["kind"] for c in series}
    mixed = "integer" in kinds and len(kinds) > 1
    return {
        "kind": kind,
        "locale": fmt.locale,
        "labels": [fmt.cell(category, r) or texts("(empty)") for r in rows],
        "series": [
            {
                "label": c.label,
                "values": [_number(r.get(c.key)) for r in rows],
                "format": _series_format(c),
                "axis": "y1" if mixed and _series_format(c)["kind"] == "integer" else "y",
            }
            for c in series
        ],
        "shown": len(rows),
        "total": len(result.rows),
    }


def _gantt(result: ReportResult, fmt: Formatter, texts: Callable[[str], str]) -> dict[str, Any]:
    """Bars from start to end per row, filled to the progress percent (S14)."""
    gantt = result.gantt or {}
    start_col = _column(result, gantt.get("start"))
    end_col = _column(result, gantt.get("end"))
    label_col = _column(result, gantt.get("label"))
    progress_key = gantt.get("progress")
    detail_col = _column(result, gantt.get("detail"))  # the client of a task (issue 21)
    if start_col is None or end_col is None or label_col is None:
        return {"kind": "none"}
    bars = []
    for row in result.rows:
        start, end = _iso(row.get(start_col.key)), _iso(row.get(end_col.key))
        if start is None and end is None:
            continue  # nothing to place on the time axis; the table still lists it
        start, end = start or end, end or start
        if end < start:  # type: ignore[operator]
            start, end = end, start
        bars.append(
            {
                "label": fmt.cell(label_col, row) or texts("(empty)"),
                "start": start,
                "end": end,
                "start_text": fmt.cell(start_col, row),
                "end_text": fmt.cell(end_col, row),
                "progress": _number(row.get(progress_key)) if progress_key else None,
                "detail": fmt.cell(detail_col, row) if detail_col is not None else "",
            }
        )
    limit = MAX_POINTS["gantt"]
    return {
        "kind": "gantt",
        "locale": fmt.locale,
        "bars": bars[:limit],
        "shown": min(len(bars), limit),
        "total": len(bars),
        "now": dt.datetime.now().isoformat(timespec="minutes"),
        "texts": {
            "plan": texts("Planned"),
            "done": texts("Done"),
            "overdue": texts("Overdue"),
            "progress": texts("Complete"),
            "today": texts("Today"),
            "detail": detail_col.label if detail_col is not None else "",
        },
    }
