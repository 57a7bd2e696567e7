"""Running reports declared in configuration, and exporting them to xlsx.

A report is one SELECT built from the compiled model, like a list query: the user's row
rules are part of its WHERE clause and every field it names must be readable by the user,
so a report never shows a figure from rows the user may not see (ARCHITECTURE rule 5).
Grouped reports aggregate in the database; reference groups carry their titles.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from uchet.platform import formula as formulas
from uchet.platform.errors import NotFound, PermissionDenied, ValidationError
from uchet.platform.model import Field, label_text
from uchet.platform.query_filters import Target, check_readable, filters_condition, resolve
from uchet.platform.report_spec import ReportSpec, params_in, parse_report
from uchet.platform.runtime import Runtime
from uchet.platform.users import User


class date_bucket(FunctionElement[str]):
    """A date truncated to a day, month or year, as sortable text (``2025-03``)."""

    type = sa.String()
    inherit_cache = True


#: Bucket -> (SQLite strftime format, PostgreSQL to_char format).
BUCKET_FORMATS = {
    "day": ("%Y-%m-%d", "YYYY-MM-DD"),
    "month": ("%Y-%m", "YYYY-MM"),
    "year": ("%Y", "YYYY"),
}


@compiles(date_bucket)
def _bucket_sqlite(element: date_bucket, compiler: Any, **kw: Any) -> str:
    expr, unit = list(element.clauses)
    fmt = BUCKET_FORMATS[unit.value][0]
    return compiler.process(sa.func.strftime(_inline(fmt), expr), **kw)


@compiles(date_bucket, "postgresql")
def _bucket_postgresql(element: date_bucket, compiler: Any, **kw: Any) -> str:
    expr, unit = list(element.clauses)
    fmt = BUCKET_FORMATS[unit.value][1]
    return compiler.process(sa.func.to_char(expr, _inline(fmt)), **kw)


def _inline(fmt: str) -> Any:
    # The format is rendered into the SQL text (by SQLAlchemy, quoted), so the bucket in
    # SELECT and in GROUP BY is the same expression: PostgreSQL does not match two
    # expressions that differ in their bound parameters.
    return sa.literal(fmt, literal_execute=True)


@dataclass(frozen=True)
class ReportColumn:
    """A column of a report result; ``title_key`` holds the titles of a reference column."""

    key: str
    label: str
    type: str
    title_key: str | None = None


@dataclass
class ReportResult:
    """Rows of a report with their columns, the parameters used and the chart to draw."""

    id: str
    label: str
    columns: list[ReportColumn]
    rows: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)
    chart: str = "none"
    gantt: Mapping[str, str] | None = None

    def table(self) -> list[list[Any]]:
        """The rows as lists of display values (titles for references), header first."""
        out: list[list[Any]] = [[c.label for c in self.columns]]
        for row in self.rows:
            out.append(
                [row.get(c.title_key) if c.title_key else row.get(c.key) for c in self.columns]
            )
        return out


def _spec(rt: Runtime, report_id: str) -> ReportSpec:
    for doc in rt.config.reports:
        if doc.id == report_id or doc.get("name") == report_id:
            return parse_report(doc.data)
    known = ", ".join(d.id for d in rt.config.reports)
    raise NotFound(f"no report {report_id!r}; known: {known}")


def _params(rt: Runtime, spec: ReportSpec, given: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(given) - {p.name for p in spec.parameters}
    errors: dict[str, list[str]] = {k: ["unknown parameter"] for k in sorted(unknown)}
    values: dict[str, Any] = {}
    for p in spec.parameters:
        raw = given.get(p.name, p.default)
        if raw is None or raw == "":
            if p.required:
                errors[p.name] = ["a value is required"]
            values[p.name] = None
            continue
        f = Field(id=p.name, name=p.name, type=p.type, label=p.label, precision=18, scale=4)
        try:
            values[p.name] = rt.types.get(p.type).parse(f, raw)
        except ValueError as e:
            errors[p.name] = [f"not a valid {p.type}: {raw!r} ({e})"]
    if errors:
        raise ValidationError(errors)
    return values


def _substitute(value: Any, params: Mapping[str, Any], user: User) -> Any:
    if value == "$user":
        return user.id
    if isinstance(value, Mapping) and "param" in value:
        v = params.get(value["param"])
        days = int(value.get("add_days", 0))
        if days and isinstance(v, dt.date):
            v = v + dt.timedelta(days=days)
        return v
    if isinstance(value, list | tuple):
        return [_substitute(v, params, user) for v in value]
    return value


def _conditions(conds: Any, params: Mapping[str, Any], user: User) -> list[Any]:
    """The conditions with parameters substituted; a condition on an optional parameter
    left empty is dropped (no "from" date: from the beginning)."""
    out = []
    for c in conds:
        if "any" in c:
            out.append({"any": _conditions(c["any"], params, user)})
        elif any(params.get(name) is None for name in params_in(c.get("value"))):
            continue
        else:
            out.append({**c, "value": _substitute(c.get("value"), params, user)})
    return out


def _where(rt: Runtime, ct: Any, conds: list[Any], readable: Any, locale: str) -> Any:
    parts = []
    for c in conds:
        if "any" in c:
            parts.append(sa.or_(*(_where(rt, ct, [x], readable, locale) for x in c["any"])))
        else:
            parts.append(filters_condition(rt.model, ct, [c], readable=readable, locale=locale))
    return sa.and_(sa.true(), *parts)


def run_report(
    rt: Runtime,
    report_id: str,
    user: User,
    params: Mapping[str, Any] | None = None,
    locale: str | None = None,
) -> ReportResult:
    """Run the report ``report_id`` (id or name) as ``user`` with ``params``.

    Raises NotFound for an unknown report, PermissionDenied when the user may not see it or
    read a field it uses, ValidationError for bad parameters.
    """
    spec = _spec(rt, report_id)
    locale = locale or user.locale or rt.config.default_locale
    if spec.roles and not user.is_system:
        superuser = any(
            rt.config.role(r).get("superuser")
            for r in user.roles
            if any(x.id == r for x in rt.config.roles)
        )
        if not superuser and not set(spec.roles) & set(user.roles):
            raise PermissionDenied(f"{user.login} may not run the report {spec.id}")
    access = rt.permissions.require(user, spec.table, "read")
    readable = None if access.unrestricted else access.readable()
    ct = rt.table(spec.table)
    values = _params(rt, spec, params or {})

    def target(name: str) -> Target:
        t = resolve(rt.model, ct, name)
        check_readable(t, readable)
        return t

    where = [_where(rt, ct, _conditions(spec.filters, values, user), readable, locale)]
    if spec.condition:
        tree = formulas.parse(spec.condition)
        for path in formulas.references(tree):
            target(".".join(path))  # a condition may only use readable fields
        where.append(
            formulas.compile_expr(
                tree, lambda path: rt.model.path_expression(ct, path, set()), rt.model.dialect
            )
        )
    row_condition = rt.permissions.row_condition(user, ct, access)
    if row_condition is not None:
        where.append(row_condition)
    columns: list[ReportColumn] = []
    select: dict[str, Any] = {}
    group_exprs: list[Any] = []

    def add(key: str, t: Target, expr: Any, label: str, type_: str) -> None:
        select[key] = expr.label(key)
        title_key = None
        if t.title is not None:
            title_key = key + "__title"
            select[title_key] = t.title.lookup(expr).label(title_key)
        columns.append(ReportColumn(key, label, type_, title_key))

    if spec.grouped:
        for g in spec.group_by:
            t = target(g.field)
            expr = date_bucket(t.expr, sa.literal(g.bucket)) if g.bucket else t.expr
            label = label_text(g.label, locale, default="") or t.field.text(locale)
            add(g.key, t, expr, label, "string" if g.bucket else t.field.type)
            group_exprs.append(expr)
        for m in spec.measures:
            if m.field is None:
                expr, label, type_ = sa.func.count(), "", "integer"
            else:
                t = target(m.field)
                expr = getattr(sa.func, m.aggregate)(t.expr)
                label, type_ = t.field.text(locale), t.field.result_type or t.field.type
                type_ = "integer" if m.aggregate == "count" else type_
            label = label_text(m.label, locale, default="") or f"{m.aggregate} {label}".strip()
            select[m.key] = expr.label(m.key)
            columns.append(ReportColumn(m.key, label, type_))
    else:
        for name in spec.columns:
            t = target(name)
            add(name, t, t.expr, t.field.text(locale), t.field.result_type or t.field.type)
        select.setdefault("id", ct.sql.c.id.label("id"))
    order = [sa.desc(select[s[1:]]) if s.startswith("-") else sa.asc(select[s]) for s in spec.sort]
    if not order:
        order = [select[c.key] for c in columns[: len(spec.group_by)]] if spec.grouped else []
        order = order or [ct.sql.c.id]
    stmt = sa.select(*select.values()).select_from(ct.sql).where(*where)
    if group_exprs:
        stmt = stmt.group_by(*group_exprs)
    stmt = stmt.order_by(*order).limit(spec.limit)
    with rt.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    return ReportResult(
        spec.id,
        label_text(spec.label, locale, default=spec.id),
        columns,
        rows,
        values,
        spec.chart,
        spec.gantt,
    )


def export_xlsx(result: ReportResult, target: str | Path | IO[bytes] | None = None) -> bytes:
    """Write ``result`` as an xlsx workbook (to ``target`` when given); returns the bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = result.label[:31] or "report"
    header, *body = result.table()
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for values in body:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in values])
    for i, column in enumerate(result.columns, start=1):
        width = max([len(str(column.label))] + [len(str(r[i - 1] or "")) for r in body[:200]])
        ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, width + 2)
        fmt = {"date": "DD.MM.YYYY", "datetime": "DD.MM.YYYY HH:MM"}.get(column.type)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    if isinstance(target, str | Path):
        Path(target).write_bytes(data)
    elif target is not None:
        target.write(data)
    return data
