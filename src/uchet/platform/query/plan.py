"""Checked list queries, remembered per request shape.

A small page costs SQLite about 0.13 ms; checking the query's names and rights every time
(resolving each column, sort key and filter field to SQL, their read rights, the titles the
user may see through references) cost about as much again. Those checks depend on the
*names* in a request, never on its values, so their outcome is a :class:`QueryPlan`, kept
per model version under everything it was derived from (:func:`plan_key`): the table, the
column, sort, grouping and filter names, the operators, whether a search is read in match
order, the user's readable fields, the key of their sight (user and roles: what they may
read of other tables) and of their row rules. Two requests that agree on all of these get
the same answers from the checks, so the second one skips them.

What depends on values is still done for every request (:func:`.query_filters.plan_value`:
a title compared where the user may see it, a text operator on text, the value parsed by
the field type; the search words; the keyset cursor). A request the plan cannot serve, or
that fails any check, is checked again from the start the ordinary way, so errors are the
uncached path's, reported together exactly as before (see :class:`.query.ListQuery`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from uchet.platform.query.base import QueryBase
from uchet.platform.query.cursor import SortKey
from uchet.platform.query.filters import Filter, Operator, operator
from uchet.platform.query.names import Target, check_readable, resolve
from uchet.platform.schema.search import MatchOrder, readable_slots


@dataclass(frozen=True, eq=False)
class QueryPlan:
    """The outcome of checking a request's names and rights (see the module docstring).

    Compared by identity: a plan is part of its queries' statement shape, and the plan
    cache hands out one object per :func:`plan_key`.
    """

    #: Each filter's operator and checked target, in request order.
    filters: tuple[tuple[Operator, Target], ...]
    columns: tuple[Target, ...]
    group_targets: tuple[Target, ...]
    match: MatchOrder | None
    sort_keys: tuple[SortKey, ...]
    #: The title joins the sort keys use (reference field name -> alias, ON, title).
    joins: Mapping[str, tuple[Any, Any, Any]]
    #: Positions of the search fields the user may read (None: all of them).
    slots: list[int] | None


def plan_key(
    query: QueryBase,
    filters: Sequence[Filter],
    sort: Sequence[str],
    columns: Sequence[str] | None,
    group_by: Sequence[str],
    match_order: bool,
    row_condition_key: Hashable,
) -> Hashable | None:
    """Everything the checks of a request depend on besides its values; None when that
    cannot be told (a filter given as something else than :class:`Filter`, names that
    cannot be hashed, a row condition without a key)."""
    if query.row_condition is not None and row_condition_key is None:
        return None
    for flt in filters:
        if type(flt) is not Filter:
            return None
    key = (
        query.ct.table.id, None if columns is None else tuple(columns), tuple(sort),
        tuple(group_by), tuple((f.field, f.op) for f in filters), match_order,
        query.readable, None if query.sight is None else query.sight.key,
        None if query.row_condition is None else row_condition_key, query.group_limit,
    )  # fmt: skip
    try:
        hash(key)
    except TypeError:
        return None
    return key


def build_plan(
    query: QueryBase,
    filters: Sequence[Filter],
    sort: Sequence[str],
    columns: Sequence[str] | None,
    group_by: Sequence[str],
    match_order: bool,
) -> QueryPlan:
    """Check the names of a request as :class:`.query.ListQuery` does (raising the same
    errors), on ``query``, which is left with the checked columns, groups and sort."""
    checked = []
    for flt in filters:
        op = operator(flt, query.locale)
        target = resolve(query.model, query.ct, flt.field, sight=query.sight)
        check_readable(target, query.readable)
        checked.append((op, target))
    query.columns = query.column_targets(columns)
    query.group_targets = [query.readable_target(name, "group_by") for name in group_by]
    query.match = query.match_order() if match_order else None
    query.sort_keys = query.sort_keys_for(sort)
    return QueryPlan(
        tuple(checked), tuple(query.columns), tuple(query.group_targets), query.match,
        tuple(query.sort_keys), dict(query.joins),
        readable_slots(query.ct.table, query.readable),
    )  # fmt: skip
