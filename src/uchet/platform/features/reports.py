"""Running reports declared in configuration, and exporting them to xlsx.

A report is one SELECT built from the compiled model, like a list query: the user's row
rules are part of its WHERE clause and every field it names must be readable by the user,
so a report never shows a figure from rows the user may not see (ARCHITECTURE rule 5).
Grouped reports aggregate in the database; reference groups carry their titles.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from uchet.platform.checks.reports import Parameter, ReportSpec, params_in, parse_report
from uchet.platform.features.cellsafety import neutralise_xlsx_cell
from uchet.platform.features.periods import period_start, xlsx_format
from uchet.platform.fieldtypes import ParseError
from uchet.platform.formula import sql as formulas
from uchet.platform.model.config import Field, label_text
from uchet.platform.model.errors import NotFound, PermissionDenied, ValidationError
from uchet.platform.model.i18n import message
from uchet.platform.query.cache import model_cache
from uchet.platform.query.filters import Target, check_readable, filters_condition, resolve
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import ReadScope, RecordService
from uchet.platform.records.users import User


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
    """A column of a report result; ``title_key`` holds the titles of a reference column.

    ``field`` is the field whose values (or aggregates of them) the column holds, for
    formatting (a money field's currency and scale); ``aggregate`` names a measure's
    aggregate (``sum``, ``count`` ...) and is None for groups and detail columns;
    ``bucket`` (``day``, ``month``, ``year``) marks a group of dates by period, whose values
    are sortable texts (``2025-03``) shown as :func:`~uchet.platform.features.periods.period_label`.
    """

    key: str
    label: str
    type: str
    title_key: str | None = None
    field: Field | None = None
    aggregate: str | None = None
    bucket: str | None = None


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
    spec: ReportSpec | None = None
    #: The locale the report ran in (its labels; the export's month names).
    locale: str = "en"

    def table(self) -> list[list[Any]]:
        """The rows as lists of display values (titles for references), header first."""
        out: list[list[Any]] = [[c.label for c in self.columns]]
        for row in self.rows:
            out.append(
                [row.get(c.title_key) if c.title_key else row.get(c.key) for c in self.columns]
            )
        return out


def find_report(rt: Runtime, report_id: str) -> ReportSpec:
    """The report with id or name ``report_id``; NotFound names the known ones."""
    for doc in rt.config.reports:
        if doc.id == report_id or doc.get("name") == report_id:
            return parse_report(doc.data)
    known = ", ".join(d.id for d in rt.config.reports)
    raise NotFound(f"no report {report_id!r}; known: {known}")


_TODAY = re.compile(r"^today\s*(?:([+-])\s*(\d{1,5}))?$")


def _default(p: Parameter) -> Any:
    """A parameter's default; ``"today-7"`` and ``"today+30"`` count days from today."""
    found = _TODAY.match(p.default) if isinstance(p.default, str) else None
    if found is None or found.group(1) is None:
        return p.default
    days = int(found.group(2)) * (-1 if found.group(1) == "-" else 1)
    return dt.date.today() + dt.timedelta(days=days)


def _parse(rt: Runtime, p: Parameter, raw: Any) -> Any:
    """One parameter's value from ``raw`` (ParseError or ValueError when it is not one)."""
    f = Field(id=p.name, name=p.name, type=p.type, label=p.label, precision=18, scale=4)
    return rt.types.get(p.type).parse(f, raw)


def default_values(rt: Runtime, spec: ReportSpec) -> dict[str, Any]:
    """Each parameter's default, parsed; None where it has none (or it does not parse)."""
    out: dict[str, Any] = {}
    for p in spec.parameters:
        try:
            out[p.name] = _parse(rt, p, _default(p))
        except ValueError:
            out[p.name] = None
    return out


def parse_params(
    rt: Runtime, spec: ReportSpec, given: Mapping[str, Any], locale: str = "en"
) -> dict[str, Any]:
    """The values of ``spec``'s parameters from ``given`` (text as typed, or values), with
    defaults. ValidationError maps each bad parameter's name to its messages in
    ``locale``: a missing required value, a value that does not parse, an unknown name."""
    known = [p.name for p in spec.parameters]
    errors: dict[str, list[str]] = {
        k: [f"unknown parameter; known: {', '.join(known) or 'none'}"]
        for k in sorted(set(given) - set(known))
    }
    values: dict[str, Any] = {}
    for p in spec.parameters:
        raw = given[p.name] if p.name in given else _default(p)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if p.required:
                errors[p.name] = [message("required", locale)]
            values[p.name] = None
            continue
        try:
            values[p.name] = _parse(rt, p, raw)
        except ParseError as e:
            errors[p.name] = [f"{e.localized(locale)} ({raw!r})"]
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


def _where(rt: Runtime, ct: Any, conds: list[Any], scope: ReadScope, locale: str) -> Any:
    parts = []
    for c in conds:
        if "any" in c:
            parts.append(sa.or_(*(_where(rt, ct, [x], scope, locale) for x in c["any"])))
        else:
            parts.append(
                filters_condition(
                    rt.model, ct, [c], readable=scope.readable, locale=locale, sight=scope.sight
                )
            )
    return sa.and_(sa.true(), *parts)


def condition_params(
    rt: Runtime, spec: ReportSpec, values: Mapping[str, Any], user: User
) -> dict[str, Any]:
    """The ``$name`` values a report's condition may use: each parameter (typed like its
    field type's column, so ``$date_from + 1`` is date arithmetic) and ``$user``, the id of
    the user running the report. Always bound parameters, never SQL text."""
    dialect = rt.model.dialect
    out = {"user": formulas.param_value(user.id, sa.Integer(), dialect)}
    for p in spec.parameters:
        f = Field(id=p.name, name=p.name, type=p.type, label=p.label, precision=18, scale=4)
        column_type = rt.types.get(p.type).column_type(f)
        out[p.name] = formulas.param_value(values.get(p.name), column_type, dialect)
    return out


def _check_roles(rt: Runtime, spec: ReportSpec, user: User) -> None:
    if not spec.roles or user.is_system or rt.permissions.is_superuser(user):
        return
    if not set(spec.roles) & set(user.roles):
        raise PermissionDenied(f"{user.login} may not run the report {spec.id}")


def _resolver(rt: Runtime, ct: Any, scope: ReadScope) -> Any:
    def target(name: str) -> Target:
        t = resolve(rt.model, ct, name, sight=scope.sight)
        check_readable(t, scope.readable)
        return t

    return target


def can_run(rt: Runtime, spec: ReportSpec, user: User) -> bool:
    """Whether ``user`` may run ``spec``: their roles allow it, they may read its table and
    every field it names (groups, measures, columns, filters and the condition)."""
    try:
        _check_roles(rt, spec, user)
        scope = RecordService(rt, spec.table, user).read_scope()
        target = _resolver(rt, rt.table(spec.table), scope)
        for name in spec.field_names():
            target(name)
    except (PermissionDenied, ValidationError):
        return False
    return True


def runnable_reports(rt: Runtime, user: User) -> list[ReportSpec]:
    """The reports of the configuration that ``user`` may run, in configuration order.

    The answer depends on nothing but the user's roles and the configuration version, and
    the web menu asks on every page: it is remembered per user and roles for the version.
    """

    def work_out() -> tuple[ReportSpec, ...]:
        specs = [parse_report(doc.data) for doc in rt.config.reports]
        return tuple(s for s in specs if can_run(rt, s, user))

    key = (user.id, tuple(user.roles))
    found: tuple[ReportSpec, ...] = model_cache(rt.model, "runnable_reports").get(key, work_out)
    return list(found)


def run_report(
    rt: Runtime,
    report_id: str,
    user: User,
    params: Mapping[str, Any] | None = None,
    locale: str | None = None,
) -> ReportResult:
    """Run the report ``report_id`` (id or name) as ``user`` with ``params``.

    The statement is built from the record service's read scope of the report's table, so
    the user's table, field and row rules apply, and references' titles and dotted paths
    show only what the user may read. Raises NotFound for an unknown report,
    PermissionDenied when the user may not see it or read a field it uses, ValidationError
    for bad parameters (keyed by the parameter's name).
    """
    spec = find_report(rt, report_id)
    locale = locale or user.locale or rt.config.default_locale
    _check_roles(rt, spec, user)
    scope = RecordService(rt, spec.table, user, locale).read_scope()
    ct = rt.table(spec.table)
    values = parse_params(rt, spec, params or {}, locale)
    target = _resolver(rt, ct, scope)

    where = [_where(rt, ct, _conditions(spec.filters, values, user), scope, locale)]
    if spec.condition:
        tree = formulas.parse(spec.condition)
        where.append(
            formulas.compile_expr(
                tree,
                lambda path: target(".".join(path)).expr,  # readable fields only
                rt.model.dialect,
                condition_params(rt, spec, values, user),
            )
        )
    if scope.row_condition is not None:
        where.append(scope.row_condition)
    columns: list[ReportColumn] = []
    select: dict[str, Any] = {}
    group_exprs: list[Any] = []

    def add(
        key: str, t: Target, expr: Any, label: str, type_: str, bucket: str | None = None
    ) -> None:
        select[key] = expr.label(key)
        title_key = None
        if t.title is not None and bucket is None:
            title_key = key + "__title"
            select[title_key] = t.title.lookup(expr).label(title_key)
        columns.append(ReportColumn(key, label, type_, title_key, t.field, bucket=bucket))

    if spec.grouped:
        for g in spec.group_by:
            t = target(g.field)
            expr = date_bucket(t.expr, sa.literal(g.bucket)) if g.bucket else t.expr
            label = label_text(g.label, locale, default="") or t.field.text(locale)
            add(g.key, t, expr, label, "string" if g.bucket else t.field.type, g.bucket)
            group_exprs.append(expr)
        for m in spec.measures:
            f: Field | None = None
            if m.field is None:
                expr, label, type_ = sa.func.count(), "", "integer"
            else:
                t = target(m.field)
                expr = getattr(sa.func, m.aggregate)(t.expr)
                f, label = t.field, t.field.text(locale)
                type_ = "integer" if m.aggregate == "count" else t.field.result_type or f.type
            label = label_text(m.label, locale, default="") or f"{m.aggregate} {label}".strip()
            select[m.key] = expr.label(m.key)
            columns.append(ReportColumn(m.key, label, type_, None, f, m.aggregate))
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
        spec,
        locale,
    )


def export_xlsx(result: ReportResult, target: str | Path | IO[bytes] | None = None) -> bytes:
    """Write ``result`` as an xlsx workbook (to ``target`` when given); returns the bytes.

    A group by month or day is a real date cell (the period's first day) formatted as the
    period ("март 2025" in a Russian report): a spreadsheet sorts, filters and charts it
    as dates, which text would not allow. A group by year is the year's number."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = result.label[:31] or "report"
    header, *body = result.table()
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        neutralise_xlsx_cell(cell)
    for values in body:
        ws.append([_xlsx_value(c, v) for c, v in zip(result.columns, values)])
        for cell in ws[ws.max_row]:
            neutralise_xlsx_cell(cell)  # a title "=1+1" stays text (issue 13, point 1)
    for i, column in enumerate(result.columns, start=1):
        width = max([len(str(column.label))] + [len(str(r[i - 1] or "")) for r in body[:200]])
        if column.bucket == "month":
            width = max(width, 16)  # "сентябрь 2025"
        ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, width + 2)
        if column.bucket in ("day", "month"):
            fmt: str | None = xlsx_format(column.bucket, result.locale)
        else:
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


def _xlsx_value(column: ReportColumn, value: Any) -> Any:
    """A cell's value: numbers as numbers, a period as its first day (a year as its number)."""
    if isinstance(value, Decimal):
        return float(value)
    if column.bucket is not None and value is not None:
        day = period_start(column.bucket, value)
        if day is not None:
            return day.year if column.bucket == "year" else day
    return value
