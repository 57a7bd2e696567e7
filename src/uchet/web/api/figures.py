"""Reports and the dashboard as JSON (issue 18, point 1): ``/api/v1/-/reports``,
``/api/v1/-/reports/<id>?<parameter>=...`` and ``/api/v1/-/dashboard[/<id>]``.

They run exactly as their pages do, as the caller: a report through
:func:`~uchet.platform.features.reports.run_report` (its statement is built from the record
service's read scope, so table, field and row rules apply; its roles decide who may run it),
the dashboard through :func:`~uchet.platform.features.dashboards.run_dashboard` (every
widget through the record service; a widget the caller may not see is left out). Values are
raw (numbers, decimals as strings, ISO dates); a reference column is ``{id, title}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, request
from werkzeug.wrappers import Response

from uchet.platform.features.dashboards import Column, run_dashboard
from uchet.platform.features.reports import (
    ReportColumn,
    default_values,
    find_report,
    run_report,
    runnable_reports,
)
from uchet.platform.model.config import label_text
from uchet.platform.model.errors import NotFound, ValidationError
from uchet.platform.model.i18n import localized
from uchet.web.api.callers import caller
from uchet.web.api.problems import Problem
from uchet.web.api.resources import api_view, json_response
from uchet.web.api.texts import api_text
from uchet.web.context import WebContext


def rows_of(
    columns: Sequence[ReportColumn | Column], rows: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Result rows as objects keyed by column, a reference's value as ``{id, title}``."""
    out = []
    for row in rows:
        item: dict[str, Any] = {}
        for col in columns:
            value = row.get(col.key)
            if col.title_key and value is not None:
                value = {"id": value, "title": row.get(col.title_key)}
            item[col.key] = value
        out.append(item)
    return out


def _columns(columns: Sequence[ReportColumn | Column]) -> list[dict[str, Any]]:
    described = []
    for col in columns:
        entry: dict[str, Any] = {"key": col.key, "label": col.label, "type": col.type}
        if isinstance(col, ReportColumn):
            entry.update(aggregate=col.aggregate, bucket=col.bucket)
        described.append(entry)
    return described


class Figures:
    """The report and dashboard endpoints of one app (one configuration version)."""

    def __init__(self, c: WebContext):
        self.c = c

    def reports(self) -> Response:
        """The reports the caller may run, with their parameters and defaults."""
        who = caller(self.c)
        rt = self.c.runtime
        data = []
        for spec in runnable_reports(rt, who.user):
            defaults = default_values(rt, spec)
            data.append({
                "id": spec.id,
                "label": label_text(spec.label, who.locale, default=spec.id),
                "parameters": [
                    {"name": p.name, "type": p.type, "required": p.required,
                     "label": label_text(p.label, who.locale, default=p.name),
                     "default": defaults.get(p.name)}
                    for p in spec.parameters
                ],
            })  # fmt: skip
        return json_response({"data": data})

    def report(self, report_id: str) -> Response:
        """One report run as the caller with the query's parameters."""
        who = caller(self.c)
        rt = self.c.runtime
        missing = Problem(
            404, api_text(self.c, who.locale, "No report %(name)s, or you may not run it.",
                          name=report_id),
        )  # fmt: skip
        try:
            spec = find_report(rt, report_id)
        except NotFound:
            raise missing from None
        if not any(s.id == spec.id for s in runnable_reports(rt, who.user)):
            raise missing  # not in the caller's menu either
        try:
            result = run_report(rt, spec.id, who.user, dict(request.args.items()), who.locale)
        except ValidationError as exc:
            invalid = [
                {"name": name, "reason": " ".join(localized(m, who.locale) for m in messages)}
                for name, messages in exc.messages.items()
            ]
            detail = "; ".join(f"{i['name']}: {i['reason']}" for i in invalid)
            raise Problem(400, detail, invalid_params=invalid) from None
        return json_response({
            "id": result.id,
            "label": result.label,
            "params": result.params,
            "columns": _columns(result.columns),
            "rows": rows_of(result.columns, result.rows),
        })  # fmt: skip

    def dashboard(self, dashboard_id: str | None = None) -> Response:
        """The caller's dashboard (the first they may open, or ``dashboard_id``) computed."""
        who = caller(self.c)
        missing = Problem(
            404, api_text(self.c, who.locale, "No dashboard %(name)s, or you may not open it.",
                          name=dashboard_id or ""),
        )  # fmt: skip
        if request.args:
            raise Problem(400, api_text(self.c, who.locale, "Unknown query parameter."),
                          invalid_params=[{"name": sorted(request.args)[0], "reason": api_text(
                              self.c, who.locale, "Unknown query parameter.")}])  # fmt: skip
        try:
            result = run_dashboard(self.c.runtime, who.user, dashboard_id, locale=who.locale)
        except NotFound:
            raise missing from None
        if result is None:
            raise missing
        widgets = []
        for w in result.widgets:
            item: dict[str, Any] = {"id": w.id, "kind": w.kind, "label": w.label,
                                    "table": w.table, "error": w.error}  # fmt: skip
            if w.kind == "figure":
                item.update(value=w.value, value_type=w.value_type, capped=w.capped)
            else:
                item.update(columns=_columns(w.columns), rows=rows_of(w.columns, w.rows),
                            total=w.total, capped=w.capped, report=w.report,
                            params=w.params)  # fmt: skip
            widgets.append(item)
        others = [{"id": i, "label": label} for i, label in result.others]
        return json_response(
            {"id": result.id, "label": result.label, "widgets": widgets, "others": others}
        )


def register(bp: Blueprint, c: WebContext) -> Figures:
    """Add the report and dashboard endpoints to ``bp``."""
    figures = Figures(c)
    bp.add_url_rule("/-/reports", "reports", api_view(figures.reports), methods=["GET"])
    bp.add_url_rule("/-/reports/<report_id>", "report", api_view(figures.report), methods=["GET"])
    bp.add_url_rule("/-/dashboard", "dashboard", api_view(figures.dashboard), methods=["GET"])
    bp.add_url_rule(
        "/-/dashboard/<dashboard_id>", "dashboard_one", api_view(figures.dashboard),
        methods=["GET"],
    )  # fmt: skip
    return figures
