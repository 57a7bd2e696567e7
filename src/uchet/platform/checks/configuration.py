"""Semantic checks of a configuration: everything the JSON-Schemas cannot express.

:func:`check_configuration` returns every problem at once, each naming the file and JSON
pointer to edit. It never touches a database.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterator
from typing import Any

from uchet.platform.checks.features import check_features
from uchet.platform.checks.message_rules import message_rule_problems
from uchet.platform.checks.messages import check_message_templates
from uchet.platform.checks.rollup_deps import stored_rollup_problems
from uchet.platform.checks.views import view_problems
from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.formula import sql as formulas
from uchet.platform.model.config import SYSTEM_COLUMNS, Configuration, Field, Source, Table
from uchet.platform.model.errors import ConfigIssue
from uchet.platform.model.identifiers import identifier_problem
from uchet.platform.model.paths import resolve_path

#: Properties every field type understands; the others belong to the types listing them.
COMMON_PROPERTIES = frozenset(
    {
        "required", "unique", "indexed", "read_only", "hidden", "default", "min", "max",
        "pattern", "max_length", "precision", "scale", "currency", "help", "options",
    }
)  # fmt: skip
#: Type-specific properties and the types that accept them.
_TYPED_PROPERTIES = {
    "choices": ("choices",),
    "target": ("target",),
    "on_delete": ("on_delete",),
    "related_label": ("related_label",),
    "formula": ("formula",),
    "result_type": ("result_type",),
    "rollup": ("rollup",),
    "stored": ("stored",),
    "max_size": ("max_size",),
}
NUMERIC_TYPES = frozenset({"integer", "decimal", "money", "percent"})


def _issue(source: Source, message: str, *path: str | int) -> ConfigIssue:
    at = source.child(*path) if path else source
    return ConfigIssue(at.file, at.pointer, message)


def check_configuration(
    config: Configuration,
    registry: FieldTypeRegistry,
    files: Collection[str] | None = None,
) -> list[ConfigIssue]:
    """Every semantic problem of ``config``. ``files`` are the bundle's file paths, when known."""
    issues: list[ConfigIssue] = []
    issues += _check_ids(config)
    issues += _check_manifest(config)
    for table in config.tables:
        issues += _check_table(table, config, registry)
    issues += _check_formulas(config)
    issues += _check_documents(config, files)
    issues += check_features(config, registry)
    issues += check_message_templates(config)
    issues += message_rule_problems(config)  # issue 19: automatic messages
    return issues


def _check_ids(config: Configuration) -> Iterator[ConfigIssue]:
    seen: dict[str, Source] = {}
    objects: list[tuple[str, Source]] = [(s.id, s.source) for s in config.manifest.sections]
    for t in config.tables:
        objects.append((t.id, t.source))
        objects += [(f.id, f.source) for f in t.fields]
        objects += [
            (i.id, t.source.child("indexes" if not i.unique else "unique"))
            for i in (*t.indexes, *t.unique)
        ]
    for docs in (config.forms, config.print_forms, config.roles, config.reports,
                 config.dashboards, config.message_templates):  # fmt: skip
        objects += [(d.id, d.source) for d in docs]
    for object_id, source in objects:
        if object_id in seen:
            yield _issue(
                source, f"duplicate id {object_id!r}: already used at {seen[object_id]}", "id"
            )
        else:
            seen[object_id] = source
    names = Counter(t.name for t in config.tables)
    for t in config.tables:
        if names[t.name] > 1:
            yield _issue(t.source, f"duplicate table name {t.name!r}", "name")


def _check_manifest(config: Configuration) -> Iterator[ConfigIssue]:
    m = config.manifest
    if m.default_locale not in m.locales:
        yield _issue(
            m.source, f"default_locale {m.default_locale!r} is not in locales", "default_locale"
        )
    sections = {s.id for s in m.sections}
    for t in config.tables:
        if t.section and t.section not in sections:
            yield _issue(
                t.source, f"section {t.section!r} is not declared in the manifest", "section"
            )


def _check_table(
    table: Table, config: Configuration, registry: FieldTypeRegistry
) -> Iterator[ConfigIssue]:
    problem = identifier_problem(table.name)
    if problem:
        yield _issue(table.source, f"table name: {problem}", "name")
    if table.name.startswith("uchet_"):
        yield _issue(
            table.source, "table names starting with 'uchet_' are reserved for the engine", "name"
        )
    names = Counter(f.name for f in table.fields)
    for f in table.fields:
        if names[f.name] > 1:
            yield _issue(
                f.source, f"duplicate field name {f.name!r} in table {table.name!r}", "name"
            )
        if f.name in SYSTEM_COLUMNS:
            yield _issue(f.source, f"{f.name!r} is a system column the engine adds itself", "name")
        elif problem := identifier_problem(f.name):
            yield _issue(f.source, f"field name: {problem}", "name")
        yield from _check_field(f, table, config, registry)
    field_ids = {f.id for f in table.fields}
    refs: list[tuple[str, str, int | None]] = (
        [("title_field", table.title_field, None)] if table.title_field else []
    )
    refs += [("search_fields", fid, i) for i, fid in enumerate(table.search_fields)]
    refs += [("default_sort", k.field, i) for i, k in enumerate(table.default_sort)]
    for key, ids in (("columns", table.list_columns), ("filters", table.list_filters),
                     ("header_filters", table.list_header_filters or ())):  # fmt: skip
        refs += [(f"list/{key}", fid, i) for i, fid in enumerate(ids)]
    refs += [(f"list/widths/{fid}", fid, None) for fid in table.list_widths]
    for group in ("indexes", "unique"):
        for i, index in enumerate(getattr(table, group)):
            refs += [(f"{group}/{i}/fields", fid, j) for j, fid in enumerate(index.fields)]
    for key, fid, pos in refs:
        if fid not in field_ids:
            path: list[str | int] = [*key.split("/"), *([pos] if pos is not None else [])]
            yield _issue(table.source, f"no field with id {fid!r} in table {table.name!r}", *path)
    for message, view_path in view_problems(table, config):
        yield _issue(table.source, message, *view_path)
    stored = (
        {f.id for f in table.fields if registry.has_column(f)}
        if all(f.type in registry for f in table.fields)
        else field_ids
    )
    for group in ("indexes", "unique"):
        for i, index in enumerate(getattr(table, group)):
            for j, fid in enumerate(index.fields):
                if fid in field_ids and fid not in stored:
                    yield _issue(
                        table.source,
                        f"{fid!r} is computed and cannot be indexed",
                        group,
                        i,
                        "fields",
                        j,
                    )


def _check_field(
    f: Field, table: Table, config: Configuration, registry: FieldTypeRegistry
) -> Iterator[ConfigIssue]:
    if f.type not in registry:
        yield _issue(
            f.source, f"unknown field type {f.type!r}; known: {', '.join(registry.names())}", "type"
        )
        return
    ftype = registry.get(f.type)
    for prop, (attr,) in _TYPED_PROPERTIES.items():
        value = getattr(f, attr)
        default = Field.__dataclass_fields__[attr].default
        if value not in (None, (), default) and prop not in ftype.properties and value:
            yield _issue(f.source, f"property {prop!r} does not apply to a {f.type} field", prop)
    for message in ftype.check(f, table, config):
        yield _issue(f.source, message, *_property_of(message, f))
    if f.pattern:
        try:
            re.compile(f.pattern)
        except re.error as e:
            yield _issue(f.source, f"pattern is not a valid regular expression: {e}", "pattern")
    if isinstance(f.min, int | float) and isinstance(f.max, int | float) and f.min > f.max:
        yield _issue(f.source, f"min {f.min} is greater than max {f.max}", "min")
    if not ftype.stored:
        # A stored rollup is a column: it may be indexed (never required or unique).
        computed_props = ("required", "unique") if f.stored else ("required", "unique", "indexed")
        for prop in computed_props:
            if getattr(f, prop):
                yield _issue(f.source, f"a computed {f.type} field cannot be {prop}", prop)
    elif f.default is not None and f.type not in ("choice",):
        try:
            ftype.parse(f, f.default)
        except ValueError as e:
            yield _issue(f.source, f"default {f.default!r} is not a valid {f.type}: {e}", "default")
    if f.precision is not None and f.scale is not None and f.scale > f.precision:
        yield _issue(f.source, f"scale {f.scale} is larger than precision {f.precision}", "scale")
    if f.type == "rollup":
        rollup_issues = list(_check_rollup(f, table, config))
        yield from rollup_issues
        if f.stored and not rollup_issues:
            for problem in stored_rollup_problems(config, f):
                yield _issue(f.source, problem, "stored")
    if f.type == "formula" and not f.formula:
        yield _issue(f.source, 'a formula field needs "formula"')


def _property_of(message: str, f: Field) -> tuple[str, ...]:
    """The property a field type's message is about, when the message starts with its name
    (``"target 'x' is not a table..."``), so that the pointer leads to the property itself."""
    word = message.split(" ", 1)[0]
    if (
        word in Field.__dataclass_fields__
        and word not in ("id", "source")
        and getattr(f, word) not in (None, ())
    ):
        return (word,)
    return ()


def _check_rollup(f: Field, table: Table, config: Configuration) -> Iterator[ConfigIssue]:
    r = f.rollup
    if r is None:
        yield _issue(f.source, 'a rollup field needs "rollup"')
        return
    try:
        child = config.table(r.table)
    except KeyError:
        yield _issue(f.source, f"no table with id {r.table!r}", "rollup", "table")
        return
    try:
        via = child.field_by_id(r.via)
    except KeyError:
        yield _issue(
            f.source, f"no field with id {r.via!r} in table {child.name!r}", "rollup", "via"
        )
        return
    if via.type != "reference" or via.target != table.id:
        yield _issue(
            f.source,
            f"table {child.name!r} is not a child of {table.name!r}: "
            f"{via.name!r} is not a reference to {table.name!r}",
            "rollup",
            "via",
        )
    if r.aggregate != "count":
        if not r.field:
            yield _issue(f.source, f'aggregate {r.aggregate!r} needs "field"', "rollup")
            return
        try:
            target = child.field_by_id(r.field)
        except KeyError:
            yield _issue(
                f.source, f"no field with id {r.field!r} in table {child.name!r}", "rollup", "field"
            )
            return
        numeric = target.type in NUMERIC_TYPES or (
            target.type in ("formula", "rollup")
            and (target.result_type or "decimal") in NUMERIC_TYPES
        )
        if r.aggregate in ("sum", "avg") and not numeric:
            yield _issue(
                f.source,
                f"cannot {r.aggregate} the {target.type} field {target.name!r}",
                "rollup",
                "field",
            )


def _check_formulas(config: Configuration) -> Iterator[ConfigIssue]:
    graph: dict[str, set[str]] = {}
    sources: dict[str, Source] = {}
    for table, f in config.all_fields():
        if f.type != "formula" or not f.formula:
            continue
        try:
            expr = formulas.parse(f.formula)
        except formulas.FormulaSyntaxError as e:
            yield _issue(f.source, f"formula syntax error: {e}", "formula")
            continue
        except ValueError as e:
            yield _issue(f.source, f"formula: {e}", "formula")
            continue
        for name in sorted(formulas.parameters(expr)):
            yield _issue(
                f.source, f"formula: ${name}: parameters are for report conditions only", "formula"
            )
        deps: set[str] = set()
        for path in sorted(formulas.references(expr)):
            found = resolve_path(config, table, path)
            if isinstance(found, str):
                yield _issue(f.source, f"formula names a missing field: {found}", "formula")
            elif found.type in ("formula", "rollup"):
                deps.add(found.id)
        graph[f.id] = deps
        sources[f.id] = f.source
    for cycle in _cycles(graph):
        first = cycle[0]
        yield _issue(
            sources[first], f"circular formulas: {' -> '.join([*cycle, first])}", "formula"
        )


def _cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """Each cycle once, found by depth-first search."""
    done: set[str] = set()
    for start in sorted(graph):
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    if not done.intersection(path):
                        yield path
                        done.update(path)
                elif nxt not in path and nxt in graph:
                    stack.append((nxt, [*path, nxt]))


def _check_tabs(
    config: Configuration, form: Any, table: Table, tabs: Any, at: tuple[str, ...]
) -> Iterator[ConfigIssue]:
    """Problems of a form's tabs (its default layout or a role's, at ``at``): child tabs
    that name no reference to the table, and rows that name no field of it."""
    ids = {f.id for f in table.fields}
    for ti, tab in enumerate(tabs):
        child = tab.get("children")
        if child:
            found = [f for _, f in config.children_of(table.id) if f.id == child]
            if not found:
                yield _issue(
                    form.source,
                    f"{child!r} is not a reference to {table.name!r} in any table",
                    *at,
                    ti,
                    "children",
                )
        role_ids = {r.id for r in config.roles}
        for ri, rid in enumerate(tab.get("roles", ())):
            if rid not in role_ids:  # issue 15: a tab shown only to chosen roles
                yield _issue(form.source, f"no role with id {rid!r}", *at, ti, "roles", ri)
        for si, section in enumerate(tab.get("sections", ())):
            for ri, rid in enumerate(section.get("roles", ())):
                if rid not in role_ids:
                    yield _issue(form.source, f"no role with id {rid!r}", *at, ti,
                                 "sections", si, "roles", ri)  # fmt: skip
            for ri, row in enumerate(section.get("rows", ())):
                for ci, cell in enumerate(row):
                    # A cell is a field id, a field with a width, or a text block (issue 15).
                    fid = cell if isinstance(cell, str) else cell.get("field")
                    if fid is not None and fid not in ids:
                        yield _issue(
                            form.source,
                            f"no field with id {fid!r} in table {table.name!r}",
                            *at,
                            ti,
                            "sections",
                            si,
                            "rows",
                            ri,
                            ci,
                        )


def _check_documents(config: Configuration, files: Collection[str] | None) -> Iterator[ConfigIssue]:
    table_ids = {t.id for t in config.tables}
    role_ids = {r.id for r in config.roles}

    def table_of(doc: Any, key: str = "table") -> Table | None:
        tid = doc.get(key)
        if tid not in table_ids:
            return None
        return config.table(tid)

    for doc in (*config.forms, *config.print_forms, *config.reports):
        if table_of(doc) is None:
            yield _issue(doc.source, f"no table with id {doc.get('table')!r}", "table")
        for i, rid in enumerate(doc.get("roles", ())):
            if rid not in role_ids:
                yield _issue(doc.source, f"no role with id {rid!r}", "roles", i)
    for form in config.forms:
        table = table_of(form)
        if table is None:
            continue
        yield from _check_tabs(config, form, table, form.get("layout", ()), ("layout",))
        for rid, tabs in form.get("role_layouts", {}).items():
            # Issue 15: a layout for a role that does not exist would never be seen.
            if rid not in role_ids:
                yield _issue(form.source, f"no role with id {rid!r}", "role_layouts", rid)
            yield from _check_tabs(config, form, table, tabs, ("role_layouts", rid))
    if files is not None:
        for pf in config.print_forms:
            if pf.get("template") not in files:
                yield _issue(
                    pf.source,
                    f"template file {pf.get('template')!r} is not in the bundle",
                    "template",
                )
    for role in config.roles:
        for tid, rights in role.get("tables", {}).items():
            if tid not in table_ids:
                yield _issue(role.source, f"no table with id {tid!r}", "tables", tid)
                continue
            table = config.table(tid)
            ids = {f.id for f in table.fields}
            for fid in rights.get("fields", {}):
                if fid not in ids:
                    yield _issue(
                        role.source,
                        f"no field with id {fid!r} in table {table.name!r}",
                        "tables",
                        tid,
                        "fields",
                        fid,
                    )
            # Row rules, lookup rights and reports: checks_features.
