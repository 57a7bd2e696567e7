"""Dashboards declared in configuration (``dashboards/*.json``, S42), as data.

A dashboard is a list of widgets: the rows of a table (``list``), a count or a sum over a
table (``figure``), or the first rows of a report (``report``). Their filters are plain
conditions whose values may be ``"$user"`` (the acting user) or a date counted from today
(``{"date": "month_start"}``), so one declaration serves every user on every day.

:func:`dashboard_problems` is the semantic check of a dashboard document (used by the
configuration checks); :mod:`uchet.platform.features.dashboards` computes a dashboard for a user.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from uchet.platform.checks.reports import SYSTEM_TYPES, parse_report
from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Configuration, Field, Table, as_labels
from uchet.platform.model.paths import resolve_path

Problem = tuple[str, tuple[str | int, ...]]

#: The value standing for the acting user's id (as in role row rules).
USER_VALUE = "$user"
NUMERIC = frozenset({"integer", "decimal", "money", "percent"})
DATES = frozenset({"date", "datetime"})
USER_TYPES = frozenset({"user"})
#: The default number of rows a widget shows, by kind.
DEFAULT_LIMITS = {"list": 10, "report": 5}
#: The default size of a widget on a large screen, by kind.
DEFAULT_SIZES = {"figure": "small"}
#: Which widget kinds each kind-specific key belongs to (a key on another kind is a mistake).
KIND_KEYS: dict[str, frozenset[str]] = {
    "table": frozenset({"list", "figure"}),
    "filters": frozenset({"list", "figure"}),
    "columns": frozenset({"list"}),
    "sort": frozenset({"list"}),
    "limit": frozenset({"list", "report"}),
    "aggregate": frozenset({"figure"}),
    "field": frozenset({"figure"}),
    "style": frozenset({"figure"}),
    "report": frozenset({"report"}),
    "params": frozenset({"report"}),
}


def is_relative_date(value: Any) -> bool:
    """Whether ``value`` is a relative date (``{"date": "today", "add_days": 1}``)."""
    return isinstance(value, Mapping) and "date" in value


def widget_size(widget: Mapping[str, Any]) -> str:
    """The widget's size: declared, or the default of its kind."""
    return str(widget.get("size") or DEFAULT_SIZES.get(widget["kind"], "medium"))


def widget_limit(widget: Mapping[str, Any]) -> int:
    """How many rows the widget shows."""
    return int(widget.get("limit") or DEFAULT_LIMITS.get(widget["kind"], 10))


def widget_label(widget: Mapping[str, Any]) -> Mapping[str, str]:
    return as_labels(widget.get("label"))


def _type_of(f: Field) -> str:
    return (f.result_type or "decimal") if f.type in ("formula", "rollup") else f.type


def _target(config: Configuration, table: Table, path: str) -> Field | str:
    if path in SYSTEM_TYPES:
        return Field(id=path, name=path, type=SYSTEM_TYPES[path], label=as_labels(path))
    return resolve_path(config, table, tuple(path.split(".")))


def _value_problem(registry: FieldTypeRegistry, f: Field, op: str, value: Any) -> str | None:
    """What is wrong with comparing ``f`` by ``op`` with ``value``, or None."""
    kind = _type_of(f)
    if op == "is_null":
        return None if isinstance(value, bool) else "is_null takes true or false"
    if op in ("contains", "startswith"):
        return None if isinstance(value, str) else f"{op} takes a text"
    values = value if op == "in" else [value]
    if op == "in" and not isinstance(value, list):
        return "in takes a list of values"
    for v in values:
        if v == USER_VALUE:
            if kind not in USER_TYPES:
                return f'"$user" is a user, but {f.name!r} is a {kind} field'
        elif is_relative_date(v):
            if kind not in DATES:
                return f"a relative date cannot be compared with the {kind} field {f.name!r}"
        elif v is not None and f.type in registry:
            try:
                registry.get(f.type).parse(f, v)
            except (TypeError, ValueError) as e:
                return f"{v!r} is not a valid {kind} value for {f.name!r} ({e})"
    return None


def _check_filters(
    config: Configuration, registry: FieldTypeRegistry, table: Table, filters: Any
) -> Iterator[Problem]:
    for i, cond in enumerate(filters):
        found = _target(config, table, cond["field"])
        if isinstance(found, str):
            yield found, ("filters", i, "field")
            continue
        if cond["op"] != "is_null" and "value" not in cond:
            yield f"{cond['op']} needs a value", ("filters", i)
            continue
        problem = _value_problem(registry, found, cond["op"], cond.get("value"))
        if problem:
            yield problem, ("filters", i, "value")


def _check_table_widget(
    config: Configuration, registry: FieldTypeRegistry, w: Mapping[str, Any]
) -> Iterator[Problem]:
    try:
        table = config.table(w["table"])
    except KeyError:
        yield f"no table with id {w['table']!r}", ("table",)
        return
    yield from _check_filters(config, registry, table, w.get("filters", ()))
    for i, name in enumerate(w.get("columns", ())):
        found = _target(config, table, name)
        if isinstance(found, str):
            yield found, ("columns", i)
    for i, key in enumerate(w.get("sort", ())):
        found = _target(config, table, key.removeprefix("-"))
        if isinstance(found, str):
            yield found, ("sort", i)
    if w["kind"] != "figure":
        return
    aggregate = w.get("aggregate", "count")
    if "field" not in w:
        if aggregate != "count":
            yield f'aggregate {aggregate!r} needs "field"', ("aggregate",)
        return
    if aggregate == "count":
        yield 'count counts rows and takes no "field"', ("field",)
        return
    found = _target(config, table, w["field"])
    if isinstance(found, str):
        yield found, ("field",)
    elif aggregate in ("sum", "avg") and _type_of(found) not in NUMERIC:
        yield f"cannot {aggregate} the {_type_of(found)} field {w['field']!r}", ("field",)


def _check_report_widget(
    config: Configuration, registry: FieldTypeRegistry, w: Mapping[str, Any]
) -> Iterator[Problem]:
    found = [r for r in config.reports if w["report"] in (r.id, r.get("name"))]
    if not found:
        known = ", ".join(r.id for r in config.reports) or "none"
        yield f"no report {w['report']!r}; reports: {known}", ("report",)
        return
    spec = parse_report(found[0].data)
    params = {p.name: p for p in spec.parameters}
    for name, value in w.get("params", {}).items():
        if name not in params:
            yield (
                f"the report {spec.id!r} has no parameter {name!r}; "
                f"parameters: {', '.join(sorted(params)) or 'none'}",
                ("params", name),
            )
            continue
        p = params[name]
        f = Field(id=p.name, name=p.name, type=p.type, label=p.label, precision=18, scale=4)
        problem = _value_problem(registry, f, "eq", value)
        if problem:
            yield problem, ("params", name)


def dashboard_problems(
    config: Configuration, registry: FieldTypeRegistry, doc: Mapping[str, Any], taken: set[str]
) -> Iterator[Problem]:
    """Every semantic problem of the dashboard ``doc``; ``taken`` holds the ids used so far
    (widget ids must be unique in the configuration) and gets this document's widget ids."""
    roles = {r.id for r in config.roles}
    for i, rid in enumerate(doc.get("roles", ())):
        if rid not in roles:
            yield f"no role with id {rid!r}", ("roles", i)
    for n, w in enumerate(doc["widgets"]):
        at: tuple[str | int, ...] = ("widgets", n)
        if w["id"] in taken:
            yield f"duplicate id {w['id']!r}", (*at, "id")
        taken.add(w["id"])
        for key, kinds in KIND_KEYS.items():
            if key in w and w["kind"] not in kinds:
                yield (
                    f"{key!r} is for {' and '.join(sorted(kinds))} widgets, not {w['kind']}",
                    (*at, key),
                )
        for i, rid in enumerate(w.get("roles", ())):
            if rid not in roles:
                yield f"no role with id {rid!r}", (*at, "roles", i)
        if w["kind"] in ("list", "figure"):
            problems = _check_table_widget(config, registry, w)
        else:
            problems = _check_report_widget(config, registry, w)
        for message, path in problems:
            yield message, (*at, *path)
