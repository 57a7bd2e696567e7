"""The groups of a list page and the values a column filter offers, as data.

The group counts statement itself is built with the query's other statements
(:mod:`.statements`); :func:`page_groups` counts only the groups a page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.query.driver import connected
from uchet.platform.query.statements import StatementBuilder


@dataclass(frozen=True)
class Group:
    """One distinct combination of the grouped fields, with its titles and row count."""

    key: tuple[Any, ...]
    titles: tuple[str | None, ...]
    count: int
    #: The group has more rows than ``count`` (the query's ``count_limit``).
    capped: bool = False


@dataclass(frozen=True)
class DistinctValue:
    """A value a column filter offers: the value, its title (references) and row count."""

    value: Any
    title: str | None
    count: int


def group(row: Any, n: int) -> Group:
    """The :class:`Group` of a row of the groups statement (``StatementBuilder.groups_statement``)
    with ``n`` keys."""
    values = tuple(row)
    return Group(values[:n], values[n : 2 * n], int(values[2 * n]))


def page_groups(query: StatementBuilder, built: StatementBuilder, rows: list[dict[str, Any]],
                bind: Connection | Engine) -> list[Group] | None:  # fmt: skip
    """Capped counts of the groups the page shows, at every level (``group_counts="page"``):
    one ``count(*)`` over at most ``count_limit + 1`` rows per group header, index-backed by
    (group field, ...), instead of grouping the whole table. None when the page does not
    carry the group values (then every group is counted)."""
    targets = query.group_targets
    selected = {c.name for c in query.columns}
    if any(t.name not in selected for t in targets):
        return None
    found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        for depth in range(1, len(targets) + 1):
            key = tuple(row.get(t.name) for t in targets[:depth])
            titles = tuple(row.get(t.name + "__title") for t in targets[:depth])
            found.setdefault(key, titles)
    groups = []
    with connected(bind) as conn:
        for key, titles in found.items():
            match = [t.expr.is_(None) if v is None else t.expr == v
                     for t, v in zip(targets, key)]  # fmt: skip
            capped = (
                sa.select(sa.null()).select_from(query.ct.sql).where(*built.where, *match)
                .limit(query.count_limit + 1).subquery()
            )  # fmt: skip
            statement = sa.select(sa.func.count()).select_from(capped)
            n = conn.execute(statement, query.params).scalar_one()
            over = n > query.count_limit
            groups.append(Group(key, titles, query.count_limit if over else n, over))
    return groups
