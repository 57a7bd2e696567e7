"""Documents made from a record: the ``derive`` rules of a table (S18: an invoice made from
an order, with the order's lines copied).

A rule names the target table, the fields copied from the record (target field id → source
field id), an optional ``link`` (a reference of the new record back to the source) and the
child rows copied (the source's rows of ``from`` become rows of ``to`` under the new
record). :func:`derive` does it as the acting user through the record service, so the
user's rights hold everywhere: they read the source and its child rows (row rules
included) and create the target and its rows. Everything is written in one transaction:
a refused line leaves no half-made invoice behind. Defaults, numbering and stamps apply to
the new records as to any other (the invoice gets its number and today's date; a line's
VAT rate comes from its product).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from uchet.platform.model.config import Table, as_labels, label_text
from uchet.platform.model.errors import NotFound, ValidationError
from uchet.platform.model.i18n import Text
from uchet.platform.query.listquery import MAX_LIMIT
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import User
from uchet.platform.schema.database import shared_write_transaction


@dataclass(frozen=True)
class DeriveRule:
    """One ``derive`` rule of a table, as the engine uses it."""

    id: str
    label: Mapping[str, str]
    target: str
    #: target field id → source field id
    fields: Mapping[str, str]
    link: str | None
    children: tuple[Mapping[str, Any], ...]

    def text(self, locale: str) -> str:
        """The button's text in ``locale``."""
        return label_text(self.label, locale, default=self.id)


@dataclass(frozen=True)
class Derived:
    """What :func:`derive` made: the new record's table and id, and how many child rows."""

    table: str
    record_id: Any
    children: int


def rules(table: Table) -> list[DeriveRule]:
    """The derive rules of ``table``, in configuration order."""
    return [
        DeriveRule(
            r["id"],
            as_labels(r["label"]),
            r["target"],
            dict(r["fields"]),
            r.get("link"),
            tuple(r.get("children", ())),
        )
        for r in table.derive
    ]


def find_rule(table: Table, rule_id: str) -> DeriveRule:
    """The rule ``rule_id`` of ``table``; NotFound when it has none."""
    for rule in rules(table):
        if rule.id == rule_id:
            return rule
    raise NotFound(Text("no_derive_rule", table=table.name, rule=rule_id))


def _name(rt: Runtime, field_id: str) -> tuple[str, str]:
    """(table id, field name) of a field id (``invoice_lines.product`` → its name)."""
    table_id = field_id.split(".", 1)[0]
    return table_id, rt.table(table_id).table.field_by_id(field_id).name


def _copy(rt: Runtime, fields: Mapping[str, str], row: Mapping[str, Any]) -> dict[str, Any]:
    """The values of a new record: each mapped source value that is not empty. An empty
    one is left out, so the target's own default (or ``default_from``) fills it."""
    values: dict[str, Any] = {}
    for target_id, source_id in fields.items():
        value = row.get(_name(rt, source_id)[1])
        if value is not None:
            values[_name(rt, target_id)[1]] = value
    return values


def _child_rows(
    rt: Runtime, user: User, locale: str | None, child: Mapping[str, Any], record_id: Any
) -> list[dict[str, Any]]:
    """The source's child rows the user may read, oldest first, as the values of the new
    rows (without the reference to the new parent, which is not made yet)."""
    table_id, via = _name(rt, child["from"])
    service = RecordService(rt, table_id, user, locale)
    result = service.query(filters=[{"field": via, "op": "eq", "value": record_id}],
                           sort=["id"], limit=MAX_LIMIT, count=True)  # fmt: skip
    if (result.total or 0) > len(result.rows):
        # A document of more lines than one page is not copied in part.
        raise ValidationError({"_schema": [Text("derive_too_many_rows", limit=MAX_LIMIT)]})
    return [_copy(rt, child["fields"], row) for row in result.rows]


def derive(
    rt: Runtime,
    user: User,
    table_id: str,
    rule_id: str,
    record_id: Any,
    locale: str | None = None,
) -> Derived:
    """Make the document of rule ``rule_id`` from record ``record_id`` of ``table_id``.

    Raises NotFound (no such rule, or a record outside the user's rows), PermissionDenied
    (no right to read the source or to create the target or its rows) or ValidationError
    (a copied value the target refuses); then nothing is written."""
    rule = find_rule(rt.table(table_id).table, rule_id)
    source = RecordService(rt, table_id, user, locale).get(record_id)
    values = _copy(rt, rule.fields, source)
    if rule.link:
        values[_name(rt, rule.link)[1]] = record_id
    children = [(child, _child_rows(rt, user, locale, child, record_id)) for child in rule.children]
    target = RecordService(rt, rule.target, user, locale)
    copied = 0
    # create_many, not create: create reads the record back on a connection of its own,
    # which cannot see this transaction's rows before the commit.
    with shared_write_transaction(rt.engine):
        (made,) = target.create_many([values])
        for child, rows in children:
            table, via = _name(rt, child["to"])
            if rows:
                service = RecordService(rt, table, user, locale)
                service.create_many([{**row, via: made} for row in rows])
                copied += len(rows)
    return Derived(rule.target, made, copied)
