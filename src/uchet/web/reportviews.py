"""The "Reports" screens (issue 4, S12, S14, S42): a menu entry per report the user may run,
and a page per report with its parameters form, the result table, the chart and an xlsx
download.

Every figure comes from :func:`uchet.platform.features.reports.run_report` acting as the
logged-in user, which builds its statement from the record service's read scope: the user's
table, field and row rules apply (a manager's receivables list only their clients). A report
the user may not run is 403, an unknown one 404. Running a report only reads, so its form is
a GET: the page's address is the report with its parameters, and the download link repeats
them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

from flask import abort, g, redirect, request, send_file, url_for
from flask_admin import Admin, BaseView, expose
from flask_admin.menu import MenuLink
from flask_babel import LazyString
from flask_login import current_user
from markupsafe import Markup

from uchet.platform.checks.reports import Parameter, ReportSpec
from uchet.platform.features.reports import (
    ReportResult,
    default_values,
    export_xlsx,
    find_report,
    run_report,
    runnable_reports,
)
from uchet.platform.model.config import label_text
from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.web.context import WebContext, here
from uchet.web.reportdata import Formatter, chart_data, is_numeric, totals
from uchet.web.screen import TranslatedRender

CATEGORY = "uchet_reports"
#: Input types of the parameter form per parameter type (others are text).
INPUT_TYPES = {"date": "date", "datetime": "datetime-local", "integer": "number"}


def runnable(c: WebContext) -> list[ReportSpec]:
    """The reports the current user may run (worked out once per request)."""
    found: list[ReportSpec] | None = g.get("uchet_reports")
    if found is None:
        found = g.uchet_reports = runnable_reports(c.runtime, c.user())
    return found


def input_value(kind: str, value: Any) -> str:
    """A parsed parameter value as the form's input shows it (ISO for date pickers)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


class ReportLink(MenuLink):
    """The menu entry of one report: shown only to users who may run it."""

    def __init__(self, c: WebContext, spec: ReportSpec) -> None:
        self.c, self.spec = c, spec
        name = LazyString(lambda: c.label(spec.label, spec.id))
        super().__init__(name=name, category=CATEGORY)

    def get_url(self) -> str:
        return url_for("reports.report", report_id=self.spec.id)

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated:
            return False
        return any(s.id == self.spec.id for s in runnable(self.c))

    def is_visible(self) -> bool:
        return self.is_accessible()


class ReportsView(TranslatedRender, BaseView):
    """The list of reports and each report's page."""

    def __init__(self, c: WebContext, name: Any) -> None:
        self.c = c
        super().__init__(name=name, category=CATEGORY, endpoint="reports", url="/reports")

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def is_visible(self) -> bool:
        return bool(current_user.is_authenticated) and bool(runnable(self.c))

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("auth.login", next=here()))

    # -- pages -------------------------------------------------------------------------------
    @expose("/")
    def index(self) -> Any:
        reports = [(s, self.c.label(s.label, s.id)) for s in runnable(self.c)]
        return self.render("uchet/reports.html", reports=reports)

    @expose("/<report_id>/")
    def report(self, report_id: str) -> Any:
        spec = self._spec(report_id)
        given = self._given(spec)
        submitted = bool(given) or request.args.get("run") == "1"
        result: ReportResult | None = None
        errors: dict[str, list[str]] = {}
        try:
            result = run_report(self.c.runtime, spec.id, self.c.user(), given, self.c.locale())
        except ValidationError as e:
            errors = e.messages
        except PermissionDenied:
            abort(403)
        values = self._shown_values(spec, given, result)
        status = 400 if errors and submitted else 200
        # A first visit without values for required parameters shows the form, not errors.
        shown_errors = errors if submitted else {}
        return self.render(
            "uchet/report.html",
            spec=spec,
            title=self.c.label(spec.label, spec.id),
            params=[self._param(p, values, shown_errors) for p in spec.parameters],
            errors=shown_errors,
            result=result,
            page=self._page(spec, result) if result is not None else None,
            download=url_for(".xlsx", report_id=spec.id, **dict[str, Any](given)),
        ), status

    @expose("/<report_id>/xlsx")
    def xlsx(self, report_id: str) -> Any:
        spec = self._spec(report_id)
        try:
            result = run_report(
                self.c.runtime, spec.id, self.c.user(), self._given(spec), self.c.locale()
            )
        except ValidationError as e:
            abort(400, description="; ".join(f"{k}: {' '.join(v)}" for k, v in e.messages.items()))
        except PermissionDenied:
            abort(403)
        stamp = dt.date.today().isoformat()
        return send_file(
            io.BytesIO(export_xlsx(result)),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            as_attachment=True,
            download_name=f"{spec.id.removeprefix('report_')}-{stamp}.xlsx",
        )

    # -- helpers -----------------------------------------------------------------------------
    def _spec(self, name: str) -> ReportSpec:
        try:
            spec = find_report(self.c.runtime, name)
        except NotFound:
            abort(404)
        if not any(s.id == spec.id for s in runnable(self.c)):
            abort(403)
        return spec

    @staticmethod
    def _given(spec: ReportSpec) -> dict[str, str]:
        """The parameters in the address; unknown names are ignored (a link may carry
        ``run=1`` or marketing tags), the report's own checks do the rest."""
        names = {p.name for p in spec.parameters}
        return {k: v for k, v in request.args.items() if k in names}

    def _shown_values(
        self, spec: ReportSpec, given: dict[str, str], result: ReportResult | None
    ) -> dict[str, str]:
        """What each input shows: the values used, else what was typed, else the default."""
        if result is not None:
            kinds = {p.name: p.type for p in spec.parameters}
            return {k: input_value(kinds[k], v) for k, v in result.params.items()}
        defaults = default_values(self.c.runtime, spec)
        return {
            p.name: given[p.name] if p.name in given else input_value(p.type, defaults[p.name])
            for p in spec.parameters
        }

    def _param(
        self, p: Parameter, values: dict[str, str], errors: dict[str, list[str]]
    ) -> dict[str, Any]:
        wrong = p.name in errors
        return {
            "name": p.name,
            "label": label_text(p.label, self.c.locale(), default=p.name),
            "required": p.required,
            # What was typed stays visible when it is wrong: a date picker would blank it.
            "input": "text" if wrong else INPUT_TYPES.get(p.type, "text"),
            "decimal": p.type == "decimal",
            "value": values.get(p.name, ""),
            "errors": [self.c.gettext(m) for m in errors.get(p.name, [])],
        }

    def _page(self, spec: ReportSpec, result: ReportResult) -> dict[str, Any]:
        fmt = Formatter(self.c.runtime.types, self.c.locale(),
                        (self.c.gettext("Yes"), self.c.gettext("No")))  # fmt: skip
        table = self.c.config.find_table(spec.table)
        link = None
        if not spec.grouped and table is not None:
            endpoint = f"t_{table.name}.edit_view"
            link = lambda row: url_for(endpoint, id=row["id"])  # noqa: E731
        sums = totals(result)
        chart = chart_data(result, fmt, self.c.gettext)
        columns = [(c, is_numeric(c)) for c in result.columns]
        return {
            "columns": columns,
            "rows": [
                (
                    [(fmt.cell(c, row), numeric) for c, numeric in columns],
                    link(row) if link else None,
                )
                for row in result.rows
            ],
            "totals": None
            if sums is None
            else [
                (fmt.value(c, sums[c.key]) if c.key in sums else "", numeric)
                for c, numeric in columns
            ],
            "chart": chart,
            "chart_json": Markup(json.dumps(chart, ensure_ascii=False).replace("</", "<\\/")),
        }


def init_app(admin: Admin, c: WebContext) -> None:
    """Add the "Reports" menu: the list of reports, then one entry per report."""
    # Pinned: the top bar never moves Reports into its "More" menu (see uchet/_menu.html).
    admin.add_category(CATEGORY, class_name="uchet-pinned")
    admin.add_view(ReportsView(c, LazyString(lambda: c.gettext("All reports"))))
    for doc in c.config.reports:
        admin.add_link(ReportLink(c, find_report(c.runtime, doc.id)))
    for item in admin.menu():
        if item.name == CATEGORY:
            item.name = LazyString(lambda: c.gettext("Reports"))
