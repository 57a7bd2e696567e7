"""Computing a dashboard (``dashboards/*.json``, S42) for one user.

Every figure and row is read through the record service acting as the user, and a report
widget through :func:`uchet.platform.features.reports.run_report` as the user, so a manager's
dashboard counts and sums only their rows. A widget over a table or field the user may not
read is left out, as a menu leaves out tables one may not open.

Values in filters are resolved when the dashboard is computed: ``"$user"`` is the user's
id, ``{"date": "month_start"}`` the first day of the current month. The result keeps the
resolved filters, so the web layer can link each widget to the list it summarises.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from uchet.platform.checks.dashboards import (
    USER_VALUE,
    is_relative_date,
    widget_label,
    widget_limit,
    widget_size,
)
from uchet.platform.features.reports import run_report
from uchet.platform.model.config import Document, label_text
from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.platform.query.listquery import Filter
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Clock:
    """The moment a dashboard is computed for (tests pass a fixed one)."""

    now: dt.datetime

    @property
    def today(self) -> dt.date:
        return self.now.date()

    @classmethod
    def current(cls) -> Clock:
        """The server's local time, as the formulas' ``now()`` and ``today()`` use it."""
        return cls(dt.datetime.now().replace(microsecond=0))


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def relative_date(spec: Mapping[str, Any], clock: Clock) -> dt.date | dt.datetime:
    """The date (or, for ``now``, the date and time) a relative date stands for.

    Months are added first (the day kept within the month), then the anchor is taken in
    that month, then days are added: ``{"date": "month_end", "add_months": -1}`` is the
    last day of the previous month.
    """
    day = _add_months(clock.today, int(spec.get("add_months", 0)))
    anchor = spec["date"]
    value: dt.date | dt.datetime
    if anchor == "now":
        value = dt.datetime.combine(day, clock.now.time())
    elif anchor == "week_start":
        value = day - dt.timedelta(days=day.weekday())
    elif anchor == "month_start":
        value = day.replace(day=1)
    elif anchor == "month_end":
        value = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    elif anchor == "year_start":
        value = day.replace(month=1, day=1)
    else:  # "today" (the meta-schema allows nothing else)
        value = day
    return value + dt.timedelta(days=int(spec.get("add_days", 0)))


def resolve_value(value: Any, user: User, clock: Clock) -> Any:
    """A filter or parameter value with ``"$user"`` and relative dates replaced."""
    if value == USER_VALUE:
        return user.id
    if is_relative_date(value):
        return relative_date(value, clock)
    if isinstance(value, list | tuple):
        return [resolve_value(v, user, clock) for v in value]
    return value


@dataclass(frozen=True)
class Column:
    """A column of a list or report widget; ``title_key`` holds a reference's title."""

    key: str
    label: str
    type: str
    title_key: str | None = None


@dataclass
class WidgetResult:
    """One computed widget: a figure (``value``), rows (``rows`` with ``columns``), or an
    ``error`` in words when its declaration cannot run (the rest of the dashboard still
    does). ``filters`` are the resolved filters of a list or figure, ``params`` those of a
    report: what a link to the full list or report needs."""

    id: str
    kind: str
    label: str
    size: str
    style: str = "default"
    table: str | None = None
    filters: list[Filter] = field(default_factory=list)
    value: Any = None
    value_type: str | None = None
    value_field: str | None = None
    #: A figure's count or a list's total stopped at the count limit ("10 000+").
    capped: bool = False
    total: int | None = None
    columns: list[Column] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    report: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class DashboardResult:
    """A dashboard computed for one user; ``others`` are the other dashboards they may
    open, as (id, label)."""

    id: str
    label: str
    widgets: list[WidgetResult]
    others: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class WidgetContext:
    """What every widget kind needs: the runtime, the user, their locale, the clock."""

    rt: Runtime
    user: User
    locale: str
    clock: Clock

    def records(self, table_id: str) -> RecordService:
        return RecordService(self.rt, table_id, self.user, self.locale)

    def filters(self, widget: Mapping[str, Any]) -> list[Filter]:
        return [
            Filter(c["field"], c["op"], resolve_value(c.get("value"), self.user, self.clock))
            for c in widget.get("filters", ())
        ]


def _list(ctx: WidgetContext, widget: Mapping[str, Any], result: WidgetResult) -> None:
    records = ctx.records(widget["table"])
    table = records.table
    names = list(widget.get("columns") or ())
    if not names:
        names = [table.field_by_id(fid).name for fid in table.list_columns] or [
            f.name for f in table.fields[:3]
        ]
    found = records.query(
        filters=result.filters,
        columns=names,
        sort=list(widget.get("sort", ())),
        limit=widget_limit(widget),
    )
    readable = set(found.rows[0]) if found.rows else None
    for name in names:
        if readable is not None and name not in readable:
            continue  # a column the user may not read is left out, as in a list
        f = table.field_by_name(name) if table.has_field(name) else None
        label = f.text(ctx.locale) if f else name
        kind = f.type if f else "string"
        title_key = name + "__title"
        has_title = bool(found.rows) and title_key in found.rows[0]
        result.columns.append(Column(name, label, kind, title_key if has_title else None))
    result.rows, result.total, result.capped = found.rows, found.total, found.total_capped


def _figure(ctx: WidgetContext, widget: Mapping[str, Any], result: WidgetResult) -> None:
    records = ctx.records(widget["table"])
    aggregate = widget.get("aggregate", "count")
    if aggregate == "count":
        limit = ctx.rt.count_limit
        value = records.aggregate("count", filters=result.filters, count_limit=limit)
        result.value, result.capped, result.value_type = min(value, limit), value > limit, "integer"
        return
    name = widget["field"]
    result.value = records.aggregate(aggregate, name, filters=result.filters)
    if "." not in name:
        f = records.table.field_by_name(name)
        computed = f.type in ("formula", "rollup")
        result.value_field = name
        result.value_type = (f.result_type or "decimal") if computed else f.type


def _report(ctx: WidgetContext, widget: Mapping[str, Any], result: WidgetResult) -> None:
    params = {k: resolve_value(v, ctx.user, ctx.clock) for k, v in widget.get("params", {}).items()}
    found = run_report(ctx.rt, widget["report"], ctx.user, params, ctx.locale)
    result.report, result.params = found.id, params
    result.columns = [Column(c.key, c.label, c.type, c.title_key) for c in found.columns]
    result.rows = found.rows[: widget_limit(widget)]
    result.total = len(found.rows)


#: Widget kind -> how it is computed (fills the result in). An embedding application may
#: add kinds (the meta-schema's ``kind`` enum must then allow them too).
WIDGET_KINDS: dict[str, Callable[[WidgetContext, Mapping[str, Any], WidgetResult], None]] = {
    "list": _list,
    "figure": _figure,
    "report": _report,
}


def _visible(doc: Mapping[str, Any], user: User, superuser: bool) -> bool:
    roles = doc.get("roles") or ()
    return superuser or not roles or bool(set(roles) & set(user.roles))


def dashboards_for(rt: Runtime, user: User) -> list[Document]:
    """The dashboards ``user`` may open, in configuration order."""
    superuser = rt.permissions.is_superuser(user)
    return [d for d in rt.config.dashboards if _visible(d.data, user, superuser)]


def run_widget(ctx: WidgetContext, widget: Mapping[str, Any]) -> WidgetResult | None:
    """One widget computed for ``ctx.user``; None when they may not see it."""
    result = WidgetResult(
        id=widget["id"],
        kind=widget["kind"],
        label=label_text(widget_label(widget), ctx.locale, default=widget["id"]),
        size=widget_size(widget),
        style=widget.get("style", "default"),
        table=widget.get("table"),
    )
    try:
        result.filters = ctx.filters(widget)
        WIDGET_KINDS[widget["kind"]](ctx, widget, result)
    except PermissionDenied:
        return None  # a table, field or report the user may not see: no widget
    except (ValidationError, NotFound) as e:
        # The configuration checks catch what they can; what only shows at run time (a
        # value of the day, a report's required parameter) must not take the page down.
        log.warning("dashboard widget %s: %s", widget["id"], e)
        result.error = str(getattr(e, "messages", None) or e)
    return result


def run_dashboard(
    rt: Runtime,
    user: User,
    dashboard_id: str | None = None,
    *,
    locale: str | None = None,
    clock: Clock | None = None,
) -> DashboardResult | None:
    """The dashboard ``dashboard_id`` (id or name; default the first the user may open)
    computed for ``user``; None when they may open none. NotFound for an unknown id or one
    the user may not open."""
    if user.is_system:
        raise ValueError("a dashboard is computed for a person, not the system actor")
    locale = locale or user.locale or rt.config.default_locale
    mine = dashboards_for(rt, user)
    if dashboard_id is None:
        if not mine:
            return None
        doc = mine[0]
    else:
        found = [d for d in mine if dashboard_id in (d.id, d.get("name"))]
        if not found:
            raise NotFound(f"no dashboard {dashboard_id!r}")
        doc = found[0]
    ctx = WidgetContext(rt, user, locale, clock or Clock.current())
    superuser = rt.permissions.is_superuser(user)
    widgets = [run_widget(ctx, w) for w in doc.data["widgets"] if _visible(w, user, superuser)]
    return DashboardResult(
        doc.id,
        label_text(doc.get("label"), locale, default=doc.id),
        [w for w in widgets if w is not None],
        [(d.id, label_text(d.get("label"), locale, default=d.id)) for d in mine if d is not doc],
    )
