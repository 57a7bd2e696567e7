"""What a name in a list query means in SQL, and what the user may see through it.

A name in a filter, sort or grouping is a field name, a system column (``id``,
``created_at``...) or a dotted path through references (``client.city``). :func:`resolve`
turns it into a :class:`Target`: the SQL expression on the table's own row, the field
definition whose type parses values, and, for references, where the referenced record's
title comes from.

A reference leads to another table, so the user's rights on *that* table count too
(:class:`Sight`). Without read on the target table, or on its title field, a reference's
title is not revealed: the target has no title source, so the ``<name>__title`` column is
NULL, sorting uses the bare id and comparing the title is refused. A path (``client.city``)
needs read on every table it passes and on the field it reads there. Rows of the target
outside the user's row rules give no title and no path value (NULL): see "Titles of
referenced records" in ``docs/architecture.md`` for why.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.util import ClauseAdapter

from uchet.platform.model.config import Field, as_labels
from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.model.i18n import Text
from uchet.platform.model.paths import resolve_path
from uchet.platform.schema.compiler import CompiledModel, CompiledTable


def _system_fields() -> dict[str, Field]:
    def f(name: str, type_: str, required: bool = False) -> Field:
        return Field(id=name, name=name, type=type_, label=as_labels(name), required=required)

    return {
        "id": f("id", "integer", True),
        "version": f("version", "integer", True),
        "created_at": f("created_at", "datetime"),
        "updated_at": f("updated_at", "datetime"),
        "created_by": f("created_by", "user"),
        "updated_by": f("updated_by", "user"),
    }


#: System columns described as fields, so their values parse like any other.
SYSTEM_FIELDS: Mapping[str, Field] = _system_fields()


# --------------------------------------------------------------------------------------------
# Rights on the tables references lead to


@dataclass(frozen=True)
class TableSight:
    """What the user may read of one table: field names (None: all) and rows (an SQL
    condition on the table, None: all rows)."""

    fields: frozenset[str] | None
    rows: Any = None

    def can_read(self, name: str) -> bool:
        """Whether field (or system column) ``name`` may be read."""
        return self.fields is None or name in SYSTEM_FIELDS or name in self.fields


class Sight:
    """What a query may reveal of the tables its references lead to.

    ``lookup(table_id)`` answers for one table: a :class:`TableSight`, or None when the user
    may not read the table at all; answers are remembered. ``key`` is equal for two sights
    that answer alike (the user and their roles): statements are cached under it, because
    the row conditions of other tables become part of their SQL. A query without a sight
    (None) sees every table whole, as the system user does.
    """

    def __init__(self, lookup: Callable[[str], TableSight | None], key: Hashable):
        self.key = key
        self._lookup = lookup
        self._tables: dict[str, TableSight | None] = {}

    def table(self, table_id: str) -> TableSight | None:
        """The user's sight of ``table_id``; None when they may not read it."""
        if table_id not in self._tables:
            self._tables[table_id] = self._lookup(table_id)
        return self._tables[table_id]


# --------------------------------------------------------------------------------------------
# Names -> SQL


@dataclass(frozen=True, eq=False)
class TitleSource:
    """Where the title of a referenced record comes from: ``title`` over ``table``, for
    rows matching ``rows`` (the user's row rules there; None: every row)."""

    table: sa.Table
    title: Any
    rows: Any = None

    def on(self, alias: Any) -> Any:
        """The title expression rewritten onto ``alias`` of the table (for joins and
        subqueries that must not be confused with the table the query starts from)."""
        return ClauseAdapter(alias).traverse(self.title)

    def visible(self, alias: Any) -> list[Any]:
        """The conditions on ``alias`` under which its title may be shown (a join's ON)."""
        return [] if self.rows is None else [ClauseAdapter(alias).traverse(self.rows)]

    def matching(self, key: Any, condition: Callable[[Any], Any]) -> Any:
        """``key`` among the ids of the records whose title meets ``condition`` (given the
        title expression): the same rows as ``condition(lookup(key))`` for a condition that
        a NULL title fails, but an index range on ``key`` instead of a subquery per row."""
        alias = self.table.alias()
        ids = sa.select(alias.c.id).where(condition(self.on(alias)), *self.visible(alias))
        return key.in_(ids)

    def lookup(self, key: Any) -> Any:
        """A scalar subquery: the title of the record whose id is ``key``."""
        alias = self.table.alias()
        return (
            sa.select(self.on(alias)).where(alias.c.id == key, *self.visible(alias))
            .correlate_except(alias).scalar_subquery()
        )  # fmt: skip


@dataclass(frozen=True, eq=False)
class Target:
    """What a name in a query means: ``expr`` on the queried table's row."""

    name: str
    field: Field
    expr: Any
    nullable: bool
    #: The first segment of a path: the field whose read permission governs this name.
    top: str
    #: Set when the value points at another record whose title the user may see.
    title: TitleSource | None = None
    #: A reference whose title the user may not see (no read on the target table or on
    #: its title field): ``title`` is None, the ``__title`` column stays, always NULL.
    title_hidden: bool = False

    @property
    def is_text(self) -> bool:
        """Whether values are text, so ``contains``/``startswith`` apply."""
        return isinstance(self.expr.type, sa.String)

    @property
    def is_reference(self) -> bool:
        """Whether the value points at another record (its title shown or not)."""
        return self.title is not None or self.title_hidden


def _unlabel(expr: Any) -> Any:
    # Computed columns come labelled for SELECT lists; conditions need the bare expression.
    return expr.element if isinstance(expr, sa.Label) else expr


def _title_field(model: CompiledModel, table_id: str) -> Field | None:
    table = model.tables[table_id].table
    title = table.field_by_id(table.title_field) if table.title_field else None
    # No declared title: the first text field, else the id as text.
    return title or next((x for x in table.fields if x.type == "string"), None)


def title_source(model: CompiledModel, f: Field, sight: Sight | None = None) -> TitleSource | None:
    """The title of records that reference field ``f`` points at, as ``sight`` lets the
    user see it (None for other types, and when the user may not read it)."""
    if f.type == "user":
        # User names are not a configured table: whoever reads the field sees the name.
        users = model.system["uchet_users"]
        return TitleSource(users, users.c.name)
    if f.type != "reference" or not f.target:
        return None
    target = model.tables[f.target]
    title = _title_field(model, f.target)
    seen = TableSight(None) if sight is None else sight.table(f.target)
    if seen is None or (title is not None and not seen.can_read(title.name)):
        return None
    expr = _unlabel(target.column(title.name)) if title else sa.cast(target.sql.c.id, sa.String)
    return TitleSource(target.sql, expr, seen.rows)


def _with_title(
    model: CompiledModel, name: str, f: Field, expr: Any, nullable: bool, top: str,
    sight: Sight | None,
) -> Target:  # fmt: skip
    title = title_source(model, f, sight)
    hidden = title is None and f.type == "reference" and bool(f.target)
    return Target(name, f, expr, nullable, top, title, hidden)


def valid_names(ct: CompiledTable) -> list[str]:
    """Names a query accepts for ``ct`` (besides dotted paths), for error messages."""
    return [*SYSTEM_FIELDS, *(f.name for f in ct.table.fields)]


def resolve(
    model: CompiledModel, ct: CompiledTable, name: str, *, key: str = "",
    sight: Sight | None = None,
) -> Target:  # fmt: skip
    """The :class:`Target` that ``name`` means in ``ct``; ValidationError (under ``key``,
    default ``name``) when there is no such field, PermissionDenied when it is a path
    through a table or field ``sight`` does not let the user read."""
    key = key or name
    path = tuple(name.split("."))
    if len(path) == 1 and name in SYSTEM_FIELDS:
        column = ct.sql.c[name]
        f = SYSTEM_FIELDS[name]
        return _with_title(model, name, f, column, bool(column.nullable), name, sight)
    if len(path) == 1:
        try:
            f = ct.table.field_by_name(name)
        except KeyError:
            valid = ", ".join(valid_names(ct))
            raise ValidationError(
                {
                    key: [
                        Text(
                            "unknown_field",
                            name=name,
                            table=ct.table.name,
                            valid=valid,
                            label=ct.table,
                        )
                    ]
                }
            ) from None
        if model.types.has_column(f):
            column = ct.sql.c[name]
            return _with_title(model, name, f, column, bool(column.nullable), name, sight)
        return Target(name, f, _unlabel(ct.column(name)), True, name)
    found = resolve_path(model.config, ct.table, path)
    if isinstance(found, str):
        raise ValidationError({key: [found]})
    if sight is None:
        expr = _unlabel(model.path_expression(ct, path, set()))
    else:
        expr = _unlabel(_seen_path(model, ct, path, sight))
    return _with_title(model, name, found, expr, True, path[0], sight)


def _seen_path(model: CompiledModel, ct: CompiledTable, path: tuple[str, ...], sight: Sight) -> Any:
    """Like :meth:`CompiledModel.path_expression`, through tables and fields the user may
    read only, and giving NULL where a step reaches a row outside their row rules."""
    if len(path) == 1:
        return model.path_expression(ct, path, set())
    ref = ct.table.field_by_name(path[0])
    target = model.tables[ref.target or ""]
    seen = sight.table(target.table.id)
    if seen is None:
        raise PermissionDenied(Text("may_not_read_table", table=target.table.name,
                                    label=target.table))  # fmt: skip
    if not seen.can_read(path[1]):
        raise PermissionDenied(Text("may_not_read_field", name=f"{target.table.name}.{path[1]}",
                                    label=target.table.field_by_name(path[1])))  # fmt: skip
    inner = _seen_path(model, target, path[1:], sight)
    rows = [] if seen.rows is None else [seen.rows]
    return (
        sa.select(inner).where(target.sql.c.id == ct.sql.c[ref.name], *rows)
        .correlate_except(target.sql).scalar_subquery()
    )  # fmt: skip


def check_readable(target: Target, readable: Iterable[str] | None) -> None:
    """PermissionDenied when the user may not read the field ``target`` depends on."""
    if readable is None or target.top in SYSTEM_FIELDS or target.top in readable:
        return
    label = target.field if target.top == target.name else target.top
    raise PermissionDenied(Text("may_not_read_field", name=repr(target.top), label=label))
