"""Semantic checks of the engine features declared in tables, roles and reports: numbering,
defaults from references, duplicates, seed rows, notification rules, lookup rights, row
conditions with ``any``, reports and dashboards. Called by
:func:`uchet.platform.checks.configuration.check_configuration`; every problem names the
file and JSON pointer to edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from uchet.platform.checks.conditions import iter_conditions
from uchet.platform.checks.dashboards import dashboard_problems
from uchet.platform.checks.derive import derive_problems
from uchet.platform.checks.grids import grid_problems
from uchet.platform.checks.reports import report_problems
from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.fieldtypes.validation import RecordValidator
from uchet.platform.formula import sql as formulas
from uchet.platform.model.config import Configuration, Field, Source, Table
from uchet.platform.model.errors import ConfigIssue, ValidationError
from uchet.platform.model.numbering import parse_pattern
from uchet.platform.model.paths import resolve_path

NUMERIC = frozenset({"integer", "decimal", "money", "percent"})
DATES = frozenset({"date", "datetime"})

#: The field types a ``stamp`` may fill: the acting user, or the time.
STAMP_TYPES = frozenset({"user", "date", "datetime"})


def _issue(source: Source, message: str, *path: str | int) -> ConfigIssue:
    at = source.child(*path) if path else source
    return ConfigIssue(at.file, at.pointer, message)


def _resolve(config: Configuration, table: Table, text: str) -> Field | str:
    return resolve_path(config, table, tuple(text.split(".")))


def _value_type(f: Field) -> str:
    return (f.result_type or "decimal") if f.type == "formula" else f.type


def check_features(config: Configuration, registry: FieldTypeRegistry) -> Iterator[ConfigIssue]:
    """Every problem of the feature properties of ``config``."""
    taken = {t.id for t in config.tables} | {f.id for _, f in config.all_fields()}
    for table in config.tables:
        for f in table.fields:
            if f.numbering:
                for message, path in numbering_problems(table, f):
                    yield _issue(f.source, message, *path)
            if f.default_from:
                yield from _check_default_from(config, table, f)
            if f.default_from_single:
                yield from _check_default_from_single(config, f)
            if f.stamp is not None:
                for message, path in stamp_problems(table, f):
                    yield _issue(f.source, message, *path)
            if f.changed_by:
                yield from _check_changed_by(config, table, f)
            if f.lookup_match:
                yield from _check_lookup_match(config, table, f)
        yield from _check_duplicates(table, registry)
        yield from _check_findable(table)
        yield from _check_seed(table, registry)
        yield from grid_problems(config, table, registry)
        for i, rule in enumerate(table.notifications):
            if rule["id"] in taken:
                yield _issue(table.source, f"duplicate id {rule['id']!r}", "notifications", i, "id")
            taken.add(rule["id"])
            yield from _check_rule(config, table, rule, table.source.child("notifications", i))
        yield from derive_problems(config, table, taken)
    yield from _check_lookup_tables(config)
    for role in config.roles:
        yield from _check_role(config, role.data, role.source)
    for report in config.reports:
        yield from _check_report(config, report.data, report.source)
    yield from _check_dashboards(config, registry, taken)


def _check_default_from(config: Configuration, table: Table, f: Field) -> Iterator[ConfigIssue]:
    assert f.default_from
    found = _resolve(config, table, f.default_from)
    if isinstance(found, str):
        yield _issue(f.source, f"default_from: {found}", "default_from")
        return
    a, b = _value_type(found), f.type
    if a != b and not (a in NUMERIC and b in NUMERIC):
        yield _issue(
            f.source, f"default_from: {f.default_from!r} is a {a} value, not {b}", "default_from"
        )


def _check_default_from_single(config: Configuration, f: Field) -> Iterator[ConfigIssue]:
    assert f.default_from_single
    table_id = f.default_from_single.split(".", 1)[0]
    source = next((t for t in config.tables if t.id == table_id), None)
    found = None
    if source is not None:
        found = next((x for x in source.fields if x.id == f.default_from_single), None)
    if found is None:
        yield _issue(f.source, f"no field with id {f.default_from_single!r}", "default_from_single")
        return
    a, b = _value_type(found), f.type
    if a != b and not (a in NUMERIC and b in NUMERIC):
        yield _issue(f.source, f"default_from_single: {f.default_from_single!r} is a {a} "
                     f"value, not {b}", "default_from_single")  # fmt: skip


def _check_lookup_match(config: Configuration, table: Table, f: Field) -> Iterator[ConfigIssue]:
    """Each pair names a stored field of the target and one of this table of the same kind
    (both references to the same table, or the same type)."""
    if f.type != "reference" or not f.target:
        yield _issue(f.source, "lookup_match is for reference fields", "lookup_match")
        return
    target = next((t for t in config.tables if t.id == f.target), None)
    if target is None:
        return  # the reference's own check names the missing target
    own = {x.id: x for x in table.fields}
    theirs = {x.id: x for x in target.fields}
    for their_id, own_id in f.lookup_match.items():
        a, b = theirs.get(their_id), own.get(own_id)
        if a is None:
            yield _issue(f.source, f"no field with id {their_id!r} in table {target.name!r}",
                         "lookup_match", their_id)  # fmt: skip
        elif b is None:
            yield _issue(f.source, f"no field with id {own_id!r} in table {table.name!r}",
                         "lookup_match", their_id)  # fmt: skip
        elif (a.type, a.target) != (b.type, b.target):
            yield _issue(f.source, f"{their_id!r} and {own_id!r} do not hold the same kind of "
                         "value", "lookup_match", their_id)  # fmt: skip


def _check_duplicates(table: Table, registry: FieldTypeRegistry) -> Iterator[ConfigIssue]:
    ids = {f.id: f for f in table.fields}
    for i, fid in enumerate(table.duplicates):
        if fid not in ids:
            yield _issue(
                table.source,
                f"no field with id {fid!r} in table {table.name!r}",
                "duplicates",
                "fields",
                i,
            )
        elif ids[fid].type in registry and not registry.get(ids[fid].type).stored:
            yield _issue(
                table.source,
                f"{fid!r} is computed and cannot be compared",
                "duplicates",
                "fields",
                i,
            )


def _check_lookup_tables(config: Configuration) -> Iterator[ConfigIssue]:
    """The manifest's ``lookup_tables``: tables that exist and have search fields."""
    source = config.manifest.source.child("settings", "lookup_tables")
    tables = {t.id: t for t in config.tables}
    for i, tid in enumerate(config.manifest.settings.get("lookup_tables", ())):
        if tid not in tables:
            yield _issue(source, f"no table with id {tid!r}", i)
        elif not tables[tid].search_fields:
            yield _issue(source, f"table {tables[tid].name!r} has no search_fields to find by", i)


def _check_findable(table: Table) -> Iterator[ConfigIssue]:
    """A table's ``findable`` fields: each one of its ``search_fields`` (Find reads the
    quick-search index, issue 21)."""
    for i, fid in enumerate(table.findable):
        if fid not in table.search_fields:
            yield _issue(table.source, f"{fid!r} is not one of the table's search_fields",
                         "findable", "fields", i)  # fmt: skip


def _check_seed(table: Table, registry: FieldTypeRegistry) -> Iterator[ConfigIssue]:
    if not table.seed or not all(f.type in registry for f in table.fields):
        return
    validator = RecordValidator(table, registry)
    for i, row in enumerate(table.seed):
        try:
            validator.load(dict(row), locale="en", creating=True)
        except ValidationError as e:
            for name, messages in e.messages.items():
                path: tuple[str | int, ...] = ("seed", i, name) if name in row else ("seed", i)
                yield _issue(table.source, f"{name}: {'; '.join(messages)}", *path)


def _check_formula(
    config: Configuration, table: Table, text: str, source: Source, key: str
) -> Iterator[ConfigIssue]:
    try:
        expr = formulas.parse(text)
    except (formulas.FormulaSyntaxError, ValueError) as e:
        yield _issue(source, f"{key}: {e}", key)
        return
    for path in sorted(formulas.references(expr)):
        found = _resolve(config, table, ".".join(path))
        if isinstance(found, str):
            yield _issue(source, f"{key} names a missing field: {found}", key)
    for name in sorted(formulas.parameters(expr)):
        yield _issue(source, f"{key}: ${name}: parameters are for report conditions only", key)


_TEMPLATES = SandboxedEnvironment()


def _check_rule(
    config: Configuration, table: Table, rule: Mapping[str, Any], source: Source
) -> Iterator[ConfigIssue]:
    trigger, fid = rule["trigger"], rule.get("field")
    field = None
    if fid is not None:
        try:
            field = table.field_by_id(fid)
        except KeyError:
            yield _issue(source, f"no field with id {fid!r} in table {table.name!r}", "field")
    elif trigger != "created":
        yield _issue(source, f'a {trigger} rule needs "field"', "field")
    if trigger == "time_reached" and field is not None and field.type not in DATES:
        yield _issue(source, f"{fid!r} is a {field.type} field, not a date or datetime", "field")
    if trigger != "time_reached":
        for key in ("days_before", "minutes_before", "at"):
            if key in rule:
                yield _issue(source, f"{key!r} applies to time_reached rules only", key)
    if "condition" in rule:
        yield from _check_formula(config, table, rule["condition"], source, "condition")
    recipient = _resolve(config, table, rule["recipient"])
    if isinstance(recipient, str):
        yield _issue(source, recipient, "recipient")
    elif recipient.type != "user":
        yield _issue(source, f"{rule['recipient']!r} is not a user field", "recipient")
    for key in ("title", "body"):
        texts = rule.get(key, {})
        for locale, text in ({"*": texts} if isinstance(texts, str) else texts).items():
            try:
                _TEMPLATES.parse(text)
            except TemplateSyntaxError as e:
                where = (key,) if locale == "*" else (key, locale)
                yield _issue(source, f"template error: {e.message}", *where)


def _check_changed_by(config: Configuration, table: Table, f: Field) -> Iterator[ConfigIssue]:
    """A field's ``changed_by`` conditions: the same shapes and paths as a role's row rules."""
    rules = [dict(c) for c in f.changed_by]
    yield from _check_condition_shapes(rules, f.source, ("changed_by",))
    for cond, path in iter_conditions(rules, ("changed_by",)):
        found = _resolve(config, table, cond["field"])
        if isinstance(found, str):
            yield _issue(f.source, found, *path, "field")


def _check_condition_shapes(
    conditions: Any, source: Source, path: tuple[str | int, ...]
) -> Iterator[ConfigIssue]:
    for i, cond in enumerate(conditions):
        if "any" in cond:
            if "field" in cond:
                yield _issue(source, 'a condition has either "any" or "field", not both', *path, i)
            yield from _check_condition_shapes(cond["any"], source, (*path, i, "any"))


def _check_role(
    config: Configuration, role: Mapping[str, Any], source: Source
) -> Iterator[ConfigIssue]:
    ids = {t.id for t in config.tables}
    for tid, rights in role.get("tables", {}).items():
        if tid not in ids:
            continue  # reported by the core checks
        table = config.table(tid)
        fields = {f.id for f in table.fields}
        for i, fid in enumerate(rights.get("lookup", ())):
            if fid not in fields:
                yield _issue(
                    source,
                    f"no field with id {fid!r} in table {table.name!r}",
                    "tables",
                    tid,
                    "lookup",
                    i,
                )
        rows = rights.get("rows", ())
        yield from _check_condition_shapes(rows, source, ("tables", tid, "rows"))
        for cond, path in iter_conditions(rows, ("tables", tid, "rows")):
            found = _resolve(config, table, cond["field"])
            if isinstance(found, str):
                yield _issue(source, found, *path, "field")


def _check_report(
    config: Configuration, report: Mapping[str, Any], source: Source
) -> Iterator[ConfigIssue]:
    try:
        table = config.table(report["table"])
    except KeyError:
        return  # reported by the core checks
    for message, path in report_problems(config, table, report):
        yield _issue(source, message, *path)


def _check_dashboards(
    config: Configuration, registry: FieldTypeRegistry, taken: set[str]
) -> Iterator[ConfigIssue]:
    # Widget ids share the configuration's id space with every other object.
    documents = (config.forms, config.print_forms, config.roles, config.reports,
                 config.dashboards)  # fmt: skip
    taken = taken | {d.id for docs in documents for d in docs}
    for dashboard in config.dashboards:
        for message, path in dashboard_problems(config, registry, dashboard.data, taken):
            yield _issue(dashboard.source, message, *path)


def stamp_problems(table: Table, f: Field) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Problems of a field's ``stamp``: (message, pointer path below the field)."""
    if f.type not in STAMP_TYPES:
        yield f"stamp applies to user, date and datetime fields, not {f.type}", ("stamp",)
    when = (f.stamp or {}).get("when")
    watched = next((x for x in table.fields if x.id == when), None) if when else None
    if when and watched is None:
        yield f"no field with id {when!r} in table {table.name!r}", ("stamp", "when")
    if "equals" in (f.stamp or {}):
        equals = (f.stamp or {})["equals"]
        if not when:
            yield "equals needs when: the field whose value is waited for", ("stamp", "equals")
        elif (
            watched is not None
            and watched.choices
            and all(c.value != equals for c in watched.choices)
        ):
            yield f"{equals!r} is not a choice of {when!r}", ("stamp", "equals")


def numbering_problems(table: Table, f: Field) -> Iterable[tuple[str, tuple[str, ...]]]:
    """(message, pointer path below the field) for each problem of a numbering rule."""
    spec: Mapping[str, Any] = f.numbering or {}
    if f.type != "string":
        yield f"numbering needs a string field, not {f.type}", ("numbering",)
    try:
        parse_pattern(spec.get("pattern", ""))
    except ValueError as e:
        yield f"numbering pattern: {e}", ("numbering", "pattern")
    date_field = spec.get("date_field")
    if date_field:
        try:
            target = table.field_by_id(date_field)
        except KeyError:
            yield (
                f"no field with id {date_field!r} in table {table.name!r}",
                ("numbering", "date_field"),
            )
        else:
            if target.type not in ("date", "datetime"):
                yield (
                    f"{date_field!r} is a {target.type} field, not a date",
                    ("numbering", "date_field"),
                )
