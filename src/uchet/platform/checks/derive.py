"""Checks of a table's ``derive`` rules (documents made from a record: an invoice from an
order, :mod:`uchet.platform.features.derive`). Every problem names the file and the JSON
pointer of the rule's part to edit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from uchet.platform.model.config import Configuration, Field, Source, Table
from uchet.platform.model.errors import ConfigIssue

NUMERIC = frozenset({"integer", "decimal", "money", "percent"})
#: Field types whose value the engine works out; a derive rule cannot write them.
COMPUTED = frozenset({"formula", "rollup"})


def _issue(source: Source, message: str, *path: str | int) -> ConfigIssue:
    at = source.child(*path)
    return ConfigIssue(at.file, at.pointer, message)


def _field(config: Configuration, field_id: str) -> tuple[Table, Field] | None:
    for table in config.tables:
        for f in table.fields:
            if f.id == field_id:
                return table, f
    return None


def _value_type(f: Field) -> str:
    return (f.result_type or "decimal") if f.type in COMPUTED else f.type


def _fits(source: Field, target: Field) -> bool:
    a, b = _value_type(source), _value_type(target)
    if a in NUMERIC and b in NUMERIC:
        return True
    if a == "reference" and b == "reference":
        return source.target == target.target
    return a == b


def _mapping_problems(
    config: Configuration,
    fields: Mapping[str, Any],
    source_table: str,
    target_table: str,
    at: tuple[str | int, ...],
) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """(message, path) for each copied field: both exist, in the right tables, the target
    is written by users (not computed) and the value types fit."""
    for target_id, source_id in fields.items():
        target = _field(config, target_id)
        source = _field(config, source_id)
        if target is None or target[0].id != target_table:
            yield f"no field with id {target_id!r} in table {target_table!r}", (*at, target_id)
            continue
        if source is None or source[0].id != source_table:
            yield f"no field with id {source_id!r} in table {source_table!r}", (*at, target_id)
            continue
        if target[1].type in COMPUTED:
            yield f"{target_id!r} is computed and cannot be copied into", (*at, target_id)
        elif not _fits(source[1], target[1]):
            yield (
                f"{source_id!r} ({_value_type(source[1])}) does not fit "
                f"{target_id!r} ({_value_type(target[1])})",
                (*at, target_id),
            )


def _reference_to(config: Configuration, field_id: str, table_id: str) -> Table | str:
    """The table holding ``field_id`` when it is a reference to ``table_id``, else why not."""
    found = _field(config, field_id)
    if found is None:
        return f"no field with id {field_id!r}"
    if found[1].type != "reference" or found[1].target != table_id:
        return f"{field_id!r} is not a reference to {table_id!r}"
    return found[0]


def rule_problems(
    config: Configuration, table: Table, rule: Mapping[str, Any]
) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """(message, path below the rule) for each problem of one derive rule of ``table``."""
    target_id = rule["target"]
    if not any(t.id == target_id for t in config.tables):
        yield f"no table with id {target_id!r}", ("target",)
        return
    yield from _mapping_problems(config, rule["fields"], table.id, target_id, ("fields",))
    link = rule.get("link")
    if link:
        holder = _reference_to(config, link, table.id)
        if isinstance(holder, str):
            yield holder, ("link",)
        elif holder.id != target_id:
            yield f"{link!r} is not a field of {target_id!r}", ("link",)
    for i, child in enumerate(rule.get("children", ())):
        source = _reference_to(config, child["from"], table.id)
        target = _reference_to(config, child["to"], target_id)
        if isinstance(source, str):
            yield source, ("children", i, "from")
        if isinstance(target, str):
            yield target, ("children", i, "to")
        if isinstance(source, Table) and isinstance(target, Table):
            yield from _mapping_problems(
                config, child["fields"], source.id, target.id, ("children", i, "fields")
            )


def derive_problems(config: Configuration, table: Table, taken: set[str]) -> Iterator[ConfigIssue]:
    """Every problem of ``table``'s derive rules; their ids join ``taken`` (ids are unique
    across the configuration)."""
    for i, rule in enumerate(table.derive):
        if rule["id"] in taken:
            yield _issue(table.source, f"duplicate id {rule['id']!r}", "derive", i, "id")
        taken.add(rule["id"])
        for message, path in rule_problems(config, table, rule):
            yield _issue(table.source, message, "derive", i, *path)
