"""Semantic checks of the automatic message rules (issue 19, ``settings.message_rules``):
unique ids, a known table, and a field of the right kind for the rule's ``when``. Their
shape is the manifest meta-schema's. Each problem names manifest.json and the JSON pointer.
"""

from __future__ import annotations

from collections.abc import Iterator

from uchet.platform.model.config import Configuration, Source
from uchet.platform.model.errors import ConfigIssue

DATES = frozenset({"date", "datetime"})


def message_rule_problems(config: Configuration) -> Iterator[ConfigIssue]:
    """Every problem of the configuration's message rules."""
    manifest = config.manifest
    seen: set[str] = set()
    for i, rule in enumerate(manifest.settings.get("message_rules") or ()):
        at = manifest.source.child("settings", "message_rules", i)

        def issue(message: str, *path: str | int, at: Source = at) -> ConfigIssue:
            where = at.child(*path) if path else at
            return ConfigIssue(where.file, where.pointer, message)

        if rule["id"] in seen:
            yield issue(f"duplicate rule id {rule['id']!r}", "id")
        seen.add(rule["id"])
        try:
            table = config.find_table(rule["table"])
        except KeyError:
            yield issue(f"unknown table {rule['table']!r}", "table")
            continue
        when = rule["when"]
        kind = next(k for k in ("before", "changed", "yearly") if k in when)
        name = when[kind]
        if not table.has_field(name):
            yield issue(f"table {table.id!r} has no field {name!r}", "when", kind)
            continue
        ftype = table.field_by_name(name).type
        if kind == "before" and ftype not in DATES:
            yield issue(f"{name!r} is a {ftype} field: 'before' needs a date or datetime",
                        "when", kind)  # fmt: skip
        if kind == "yearly" and ftype != "date":
            yield issue(f"{name!r} is a {ftype} field: 'yearly' needs a date", "when", kind)
