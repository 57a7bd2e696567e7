"""Running a list query: its statements through SQLAlchemy, or on SQLite's driver, and
what they return shaped into a :class:`QueryResult`."""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.engine import Connection, Engine

from uchet.platform.query.cursor import encode
from uchet.platform.query.driver import DriverSelect, connected, driver_cursor, driver_engine
from uchet.platform.query.filters import prepare_connection
from uchet.platform.query.groups import Group, group, page_groups
from uchet.platform.query.statements import StatementBuilder

#: ``execute(key) -> (column keys, rows)`` of the statement ``rows``, ``count`` or ``groups``.
Execute = Callable[[str], tuple[list[str], Sequence[Any]]]


@dataclass(frozen=True)
class QueryResult:
    """A page of rows, the (capped) total, the cursor of the next page and group counts."""

    rows: list[dict[str, Any]]
    total: int | None = None
    total_capped: bool = False
    next_cursor: str | None = None
    groups: list[Group] = field(default_factory=list)


def run(query: StatementBuilder, bind: Connection | Engine) -> QueryResult:
    """Run ``query``'s statements (those of its template, with its values) on ``bind``."""
    built = query.template()
    all_groups = query.group_targets and query.group_counts == "all"
    keys = ["rows", *(["count"] if query.count else []),
            *(["groups"] if all_groups else [])]  # fmt: skip
    engine = driver_engine(bind)
    selects = _driver_selects(built, engine, keys) if engine is not None else None
    if engine is not None and selects is not None:
        # SQLite: the compiled statements straight on the driver (see query_driver).
        with driver_cursor(engine, transaction=len(keys) > 1) as cursor:
            result = _result(
                query,
                built,
                lambda key: (selects[key].keys, selects[key].run(cursor, query.params)),
            )
    else:
        with connected(bind) as conn:
            prepare_connection(conn)

            def execute(key: str) -> tuple[list[str], Sequence[Any]]:
                found = conn.execute(built.statement(key), query.params)
                return list(found.keys()), found.fetchall()

            result = _result(query, built, execute)
    if query.group_targets and not all_groups:
        groups = page_groups(query, built, result.rows, bind)
        if groups is None:  # the page lacks the group values: count every group
            with connected(bind) as conn:
                found = conn.execute(built.statement("groups"), query.params).fetchall()
            groups = [group(r, len(query.group_targets)) for r in found]
        result = replace(result, groups=groups)
    return result


def _driver_selects(
    built: StatementBuilder, engine: Engine, keys: Sequence[str]
) -> dict[str, DriverSelect] | None:
    """The statements ``keys`` of ``built`` compiled for the driver (kept with them); None
    when one of them must run through SQLAlchemy."""
    selects = {}
    with built.lock:
        for key in keys:
            cache_key = ("driver", key, engine.dialect.name)
            if cache_key not in built.statements:
                built.statements[cache_key] = DriverSelect(built.statement(key), engine.dialect)
            selects[key] = built.statements[cache_key]
    return selects if all(s.usable for s in selects.values()) else None


def _result(query: StatementBuilder, built: StatementBuilder, execute: Execute) -> QueryResult:
    """Run the statements of ``built`` through ``execute`` and shape what they return."""
    sort_row_keys = built.sort_row_keys()
    # Plain tuples made into dicts by a function made for these columns: a Row's mapping
    # view costs more per row than the whole page costs SQLite.
    keys, fetched = execute("rows")
    more = len(fetched) > query.limit
    page = fetched[: query.limit]
    next_cursor = None
    if more and page:
        positions = [keys.index(k) for k in sort_row_keys]
        next_cursor = encode(query.sort_keys, [page[-1][i] for i in positions])
    make = built.statements.get(("dicts", *keys))
    if make is None:
        make = built.statements[("dicts", *keys)] = dict_maker(keys)
    rows = make(page)
    total, capped = None, False
    if query.count:
        total, capped = _total(query, execute, len(page), more)
    groups = []
    if query.group_targets and query.group_counts == "all":
        groups = [group(r, len(query.group_targets)) for r in execute("groups")[1]]
    return QueryResult(rows, total, capped, next_cursor, groups)


def dict_maker(keys: Sequence[str]) -> Callable[[Sequence[Sequence[Any]]], list[dict[str, Any]]]:
    """``rows -> [dict, ...]`` for rows whose columns are ``keys``, without the hidden sort
    columns (``_sort<i>``).

    A dict display with the keys written out (``{"id": r[0], "name": r[1], ...}``) makes a
    row's dict in half the time of ``dict(zip(keys, row))`` (sized once, no pairs), which is
    a third of what is left of a small page besides SQLite. The function is compiled from a
    syntax tree whose keys are constants and whose values are subscripts by position: no
    text is parsed, so a column name cannot become code (as with ``collections.namedtuple``,
    the tree is only a faster spelling of the same loop)."""
    row = ast.Name("r", ast.Load())
    shown = [(i, k) for i, k in enumerate(keys) if not k.startswith("_sort")]
    display = ast.Dict(
        keys=[ast.Constant(str(k)) for _, k in shown],
        values=[ast.Subscript(row, ast.Constant(i), ast.Load()) for i, _ in shown],
    )
    loop = ast.comprehension(ast.Name("r", ast.Store()), ast.Name("rows", ast.Load()), [], 0)
    arguments = ast.arguments(posonlyargs=[], args=[ast.arg("rows")], kwonlyargs=[],
                              kw_defaults=[], defaults=[])  # fmt: skip
    tree = ast.Expression(ast.Lambda(arguments, ast.ListComp(display, [loop])))
    code = compile(ast.fix_missing_locations(tree), "<list rows>", "eval")
    make: Callable[[Sequence[Sequence[Any]]], list[dict[str, Any]]] = eval(
        code, {"__builtins__": {}}
    )
    return make


def _total(query: StatementBuilder, execute: Execute, on_page: int, more: bool) -> tuple[int, bool]:
    if not more and query.after is None and (on_page or not query.offset):
        # The last page from a known position: the total needs no query at all.
        total = query.offset + on_page
    else:
        total = int(execute("count")[1][0][0])
    if total > query.count_limit:
        return query.count_limit, True
    return total, False
