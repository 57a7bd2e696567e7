"""Reports declared in configuration (``reports/*.json``), as data: parameters, filters,
groupings with date buckets, measures, detail columns, sort and chart.

:func:`report_problems` is the semantic check of a report document (used by the
configuration checks); :mod:`uchet.platform.features.reports` runs a report.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from uchet.platform.checks.conditions import iter_conditions
from uchet.platform.formula import sql as formulas
from uchet.platform.model.config import Configuration, Field, Labels, Table, as_labels
from uchet.platform.model.paths import resolve_path

NUMERIC = frozenset({"integer", "decimal", "money", "percent"})
DATES = frozenset({"date", "datetime"})
SYSTEM_TYPES = {
    "id": "integer",
    "created_at": "datetime",
    "updated_at": "datetime",
    "created_by": "user",
    "updated_by": "user",
    "version": "integer",
}
DEFAULT_LIMIT = 10_000

Problem = tuple[str, tuple[str | int, ...]]


@dataclass(frozen=True)
class GroupKey:
    """One grouping: a field path, optionally bucketed by day, month or year."""

    field: str
    bucket: str | None
    label: Labels

    @property
    def key(self) -> str:
        """The output column's key."""
        return self.field if self.bucket is None else f"{self.field}__{self.bucket}"


@dataclass(frozen=True)
class Measure:
    """An aggregate per group."""

    aggregate: str
    field: str | None
    label: Labels

    @property
    def key(self) -> str:
        """The output column's key: ``count`` or ``sum_amount``."""
        return self.aggregate if self.field is None else f"{self.aggregate}_{self.field}"


@dataclass(frozen=True)
class Parameter:
    """A value asked when the report runs."""

    name: str
    type: str
    label: Labels
    default: Any = None
    required: bool = False


@dataclass(frozen=True)
class ReportSpec:
    """A report document, parsed."""

    id: str
    table: str
    label: Labels
    parameters: tuple[Parameter, ...]
    filters: tuple[Mapping[str, Any], ...]
    condition: str | None
    group_by: tuple[GroupKey, ...]
    measures: tuple[Measure, ...]
    columns: tuple[str, ...]
    sort: tuple[str, ...]
    limit: int
    chart: str
    gantt: Mapping[str, str] | None
    roles: tuple[str, ...]
    #: Columns drawn on the chart (empty: every numeric measure or detail column).
    series: tuple[str, ...] = ()
    #: The column whose values label the chart's bars, points or slices (None: the first).
    categories: str | None = None

    @property
    def grouped(self) -> bool:
        """Whether rows are groups (with measures) rather than records."""
        return bool(self.group_by or self.measures)

    def field_names(self) -> list[str]:
        """Every field name or path the report reads: groups, measures, columns, filters
        and the condition (the user must be able to read each of them)."""
        names = [g.field for g in self.group_by]
        names += [m.field for m in self.measures if m.field is not None]
        names += list(self.columns)
        names += [cond["field"] for cond, _ in iter_conditions(self.filters, ("filters",))]
        if self.condition:
            paths = formulas.references(formulas.parse(self.condition))
            names += [".".join(p) for p in sorted(paths)]
        return list(dict.fromkeys(names))

    def output_keys(self) -> list[str]:
        """The keys of the result's value columns, in order."""
        if self.grouped:
            return [g.key for g in self.group_by] + [m.key for m in self.measures]
        return list(self.columns)


def parse_report(doc: Mapping[str, Any]) -> ReportSpec:
    """A :class:`ReportSpec` from a schema-valid report document."""
    groups = tuple(
        GroupKey(g, None, as_labels(None))
        if isinstance(g, str)
        else GroupKey(g["field"], g.get("bucket"), as_labels(g.get("label")))
        for g in doc.get("group_by", ())
    )
    measures = tuple(
        Measure(m["aggregate"], m.get("field"), as_labels(m.get("label")))
        for m in doc.get("measures", ())
    )
    params = tuple(
        Parameter(
            p["name"],
            p["type"],
            as_labels(p.get("label")),
            p.get("default"),
            bool(p.get("required", False)),
        )
        for p in doc.get("parameters", ())
    )
    return ReportSpec(
        id=doc["id"],
        table=doc["table"],
        label=as_labels(doc.get("label")),
        parameters=params,
        filters=tuple(doc.get("filters", ())),
        condition=doc.get("condition"),
        group_by=groups,
        measures=measures,
        columns=tuple(doc.get("columns", ())),
        sort=tuple(doc.get("sort", ())),
        limit=int(doc.get("limit", DEFAULT_LIMIT)),
        chart=doc.get("chart", "none"),
        gantt=doc.get("gantt"),
        roles=tuple(doc.get("roles", ())),
        series=tuple(doc.get("series", ())),
        categories=doc.get("categories"),
    )


def _type_at(config: Configuration, table: Table, path: str) -> Field | str:
    if path in SYSTEM_TYPES:
        return Field(id=path, name=path, type=SYSTEM_TYPES[path], label=as_labels(path))
    return resolve_path(config, table, tuple(path.split(".")))


def _value_type(f: Field) -> str:
    return (f.result_type or "decimal") if f.type in ("formula", "rollup") else f.type


def report_problems(
    config: Configuration, table: Table, doc: Mapping[str, Any]
) -> Iterator[Problem]:
    """Every semantic problem of the report document ``doc`` over ``table``."""

    spec = parse_report(doc)
    for i, g in enumerate(spec.group_by):
        where: tuple[str | int, ...] = ("group_by", i) if not g.bucket else ("group_by", i, "field")
        found = _type_at(config, table, g.field)
        if isinstance(found, str):
            yield found, where
        elif g.bucket and _value_type(found) not in DATES:
            yield f"{g.field!r} is not a date, so it cannot be grouped by {g.bucket}", where
    for i, m in enumerate(spec.measures):
        if m.field is None:
            if m.aggregate != "count":
                yield f'aggregate {m.aggregate!r} needs "field"', ("measures", i)
            continue
        found = _type_at(config, table, m.field)
        if isinstance(found, str):
            yield found, ("measures", i, "field")
        elif m.aggregate in ("sum", "avg") and _value_type(found) not in NUMERIC:
            yield (
                f"cannot {m.aggregate} the {found.type} field {m.field!r}",
                ("measures", i, "field"),
            )
    for i, c in enumerate(spec.columns):
        found = _type_at(config, table, c)
        if isinstance(found, str):
            yield found, ("columns", i)
    if spec.columns and spec.grouped:
        yield "columns are for detail reports; a grouped report shows its groups", ("columns",)
    params = {p.name for p in spec.parameters}
    for i, p in enumerate(spec.parameters):
        if p.name == "user":
            yield (
                "'user' is reserved: $user is the id of the user running the report",
                (
                    "parameters",
                    i,
                    "name",
                ),
            )
    for cond, path in iter_conditions(spec.filters, ("filters",)):
        found = _type_at(config, table, cond["field"])
        if isinstance(found, str):
            yield found, (*path, "field")
        for name in params_in(cond.get("value")):
            if name not in params:
                yield f"no parameter {name!r} in this report", (*path, "value")
    if spec.condition:
        try:
            expr = formulas.parse(spec.condition)
        except (formulas.FormulaSyntaxError, ValueError) as e:
            yield f"condition: {e}", ("condition",)
        else:
            for path in sorted(formulas.references(expr)):
                found = _type_at(config, table, ".".join(path))
                if isinstance(found, str):
                    yield f"condition names a missing field: {found}", ("condition",)
            for name in sorted(formulas.parameters(expr) - params - {"user"}):
                known = ", ".join("$" + n for n in sorted(params | {"user"}))
                yield (
                    f"condition: no parameter ${name} in this report; known: {known}",
                    ("condition",),
                )
    keys = spec.output_keys()
    for i, s in enumerate(spec.sort):
        if s.removeprefix("-") not in keys:
            yield (
                f"sort key {s!r} is not a column of the report; columns: {', '.join(keys)}",
                (
                    "sort",
                    i,
                ),
            )
    if spec.chart == "gantt" and spec.gantt is None:
        yield 'a gantt chart needs "gantt" (start, end, label columns)', ("chart",)
    for key, column in (spec.gantt or {}).items():
        if column not in keys:
            yield f"{column!r} is not a column of the report", ("gantt", key)
    for i, column in enumerate(spec.series):
        if column not in keys:
            yield (
                f"{column!r} is not a column of the report; columns: {', '.join(keys)}",
                (
                    "series",
                    i,
                ),
            )
    if spec.categories is not None and spec.categories not in keys:
        yield (
            f"{spec.categories!r} is not a column of the report; columns: {', '.join(keys)}",
            ("categories",),
        )


def params_in(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping) and "param" in value:
        yield str(value["param"])
    elif isinstance(value, list | tuple):
        for v in value:
            yield from params_in(v)
