"""What a stored rollup's value depends on, read from the configuration alone.

A stored rollup (``"stored": true``, see :mod:`uchet.platform.schema.rollups`) keeps the value of
its aggregate in a column. The record service must know, for a write of a child row, whether
the write can change that value: it can when the row is new or gone, when its reference to
the parent changes, or when a column the aggregated field is computed from changes. This
module finds those columns by following formulas through the child's own fields.

Values read through a reference (``product.price``), a computed rollup over yet another
table, or the clock (``today()``, ``now()``) change without a write of the child row, so a
stored rollup over them could silently go stale: the configuration check refuses them
(:func:`stored_rollup_problems`). A stored rollup of the child is an input like any column:
when it changes, the maintenance propagates to the parent (chained rollups).

No SQL and no compiled model here, so :mod:`.checks` and :mod:`.planner` can use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from uchet.platform.formula import sql as formulas
from uchet.platform.formula.parser import Call, FieldRef, children
from uchet.platform.model.config import Configuration, Field, Table

#: Formula functions whose value changes with time, not with the row.
VOLATILE_FUNCTIONS = frozenset({"today", "now"})


@dataclass(frozen=True)
class Inputs:
    """The columns of one table a field's value is computed from, and what else it reads."""

    columns: frozenset[str]
    #: Human-readable reasons the value can change without a write of the row.
    outside: tuple[str, ...] = ()
    #: The definitions the value is computed with (formula texts, rollup definitions), in a
    #: stable order: a change of any of them means stored values must be computed again.
    definition: tuple[str, ...] = ()


def field_inputs(config: Configuration, table: Table, f: Field) -> Inputs:
    """The columns of ``table`` that ``f``'s value is computed from (``f`` itself when it has
    a column), following formulas through the table's own fields."""
    columns: set[str] = set()
    outside: list[str] = []
    definition: list[str] = []
    seen: set[str] = set()
    stack = [f]
    while stack:
        current = stack.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        if current.type == "formula" and current.formula:
            definition.append(f"{current.id}={current.formula}:{current.result_type}")
            try:
                tree = formulas.parse(current.formula)
            except formulas.FormulaError:
                continue  # reported by the formula checks
            nodes = [tree]
            while nodes:
                node = nodes.pop()
                nodes.extend(children(node))
                if isinstance(node, Call) and node.name in VOLATILE_FUNCTIONS:
                    outside.append(f"{current.name!r} uses {node.name}()")
                if not isinstance(node, FieldRef):
                    continue
                if len(node.path) > 1:
                    outside.append(f"{current.name!r} reads {'.'.join(node.path)!r}")
                    continue
                try:
                    stack.append(table.field_by_name(node.path[0]))
                except KeyError:
                    continue  # reported by the formula checks
        elif current.type == "rollup" and current.rollup:
            r = current.rollup
            if not current.stored:
                outside.append(f"{current.name!r} is a rollup that is not stored")
                continue
            columns.add(current.name)
            definition.append(f"{current.id}:{r.aggregate}({r.table}.{r.field}) via {r.via}")
        else:
            columns.add(current.name)
    return Inputs(frozenset(columns), tuple(outside), tuple(sorted(definition)))


def rollup_inputs(config: Configuration, f: Field) -> Inputs:
    """The child columns a rollup ``f`` depends on: its reference to the parent and the
    inputs of the aggregated field; ``definition`` includes the rollup's own."""
    r = f.rollup
    assert r is not None, f"{f.id} is not a rollup"
    child = config.table(r.table)
    via = child.field_by_id(r.via).name
    own = f"{f.id}:{r.aggregate}({r.field}) via {r.via} as {f.result_type}"
    if r.field is None:
        return Inputs(frozenset({via}), (), (own,))
    inner = field_inputs(config, child, child.field_by_id(r.field))
    return Inputs(inner.columns | {via}, inner.outside, (own, *inner.definition))


def stored_rollup_problems(config: Configuration, f: Field) -> list[str]:
    """Why ``f`` cannot be a stored rollup (empty when it can). Assumes the rollup itself is
    valid (its table, ``via`` and ``field`` exist)."""
    try:
        inputs = rollup_inputs(config, f)
    except KeyError:
        return []  # a missing table or field is reported by the rollup checks
    return [
        f"a stored rollup cannot aggregate a value that changes without a write of its "
        f"rows: {reason}"
        for reason in inputs.outside
    ]
