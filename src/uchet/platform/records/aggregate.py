"""Aggregates of the record service: a count, sum, average, minimum or maximum over the
records a user may see (the figures of a dashboard, S42).

An aggregate is one SELECT over the same WHERE clause a list query of the same filters
would use: the filters (checked against the user's field rights, paths through references
only as far as the user may read), and the user's row rules. So a figure never counts or
sums a row, or reads a field, the user could not see in the list it stands for
(ARCHITECTURE rule 5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import sqlalchemy as sa

from uchet.platform.model.config import Table
from uchet.platform.model.errors import ValidationError
from uchet.platform.query import listquery as q
from uchet.platform.query.names import Sight, check_readable, resolve
from uchet.platform.records.permissions import Access
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.users import User


class Reader(Protocol):
    """What :func:`aggregate` needs of a reader of records (the record service is one):
    its table, its user's locale and the user's rights on the table."""

    rt: Runtime
    table: Table
    user: User
    locale: str

    def _access(self, action: str) -> Access: ...
    def _sight(self, access: Access) -> Sight | None: ...
    def _row_condition(self, access: Access) -> Any: ...


#: The aggregates and whether they need a numeric field.
AGGREGATES = {"count": False, "sum": True, "avg": True, "min": False, "max": False}
NUMERIC = frozenset({"integer", "decimal", "money", "percent"})


def aggregate(
    service: Reader,
    aggregate: str = "count",
    field: str | None = None,
    *,
    filters: Iterable[q.Filter | Mapping[str, Any]] = (),
    search: str | None = None,
    count_limit: int | None = None,
) -> Any:
    """``aggregate`` (count, sum, avg, min, max) of ``field`` over the records of
    ``service``'s table matching ``filters`` (and quick ``search``) that its user may see.

    ``count`` counts records (``field`` is not used); with ``count_limit`` it stops
    counting after ``count_limit + 1`` rows, so the answer costs O(limit) on any table and
    a result above the limit means "more than ``count_limit``". ``sum`` of no rows is 0;
    ``avg``, ``min`` and ``max`` of no rows are None. Raises PermissionDenied when the user
    may not read the table or a field named, ValidationError for an unknown aggregate or
    field, a text field summed, or a bad filter value.
    """
    if aggregate not in AGGREGATES:
        raise ValidationError(
            {"aggregate": [f"unknown aggregate {aggregate!r}; use {', '.join(AGGREGATES)}"]}
        )
    rt = service.rt
    access = service._access("read")
    readable = None if access.unrestricted else access.readable()
    sight = service._sight(access)
    # The list query checks the filters and the search exactly as for a list page and
    # gives its WHERE clause (row rules included); only the SELECT differs.
    listing = q.ListQuery(
        rt.model,
        service.table.id,
        filters=filters,
        search=search,
        columns=["id"],
        sort=["id"],
        count_limit=count_limit or 1,
        row_condition=service._row_condition(access),
        readable=readable,
        sight=sight,
        locale=service.locale,
    )
    if aggregate == "count":
        if count_limit is not None:
            stmt = listing.count_statement()
        else:
            stmt = sa.select(sa.func.count()).select_from(listing.ct.sql).where(*listing.where)
    else:
        if not field:
            raise ValidationError({"field": [f"{aggregate} needs a field"]})
        target = resolve(rt.model, listing.ct, field, key="field", sight=sight)
        check_readable(target, readable)
        computed = target.field.type in ("formula", "rollup")
        kind = (target.field.result_type or "decimal") if computed else target.field.type
        if AGGREGATES[aggregate] and kind not in NUMERIC:
            raise ValidationError({"field": [f"cannot {aggregate} the {kind} field {field!r}"]})
        expr: Any = getattr(sa.func, aggregate)(target.expr)
        if aggregate == "sum":
            expr = sa.func.coalesce(expr, 0)
        stmt = sa.select(expr).select_from(listing.ct.sql).where(*listing.where)
    with rt.engine.connect() as conn:
        return conn.execute(stmt).scalar_one()
