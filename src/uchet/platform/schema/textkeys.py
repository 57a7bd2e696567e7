"""Folded-key indexes: text filters served from an index on both databases (issue 12, point 3).

A text filter ("starts with", "equals ignoring case", "contains") compares :class:`fold`-ed
text, Cyrillic included («Сев» finds «СЕВЕРНЫЙ»). Without an index on the folded text the
database folds every row of the table on every page. So the engine keeps, for each *key
field* (a stored text field the table searches, filters its list by, or marks ``indexed``):

* **on PostgreSQL**, a trigram index (``pg_trgm``, GIN) on ``fold(column)``. One index serves
  ``LIKE 'сев%'``, ``LIKE '%сев%'`` and ``=`` (PostgreSQL 14 and later), with the typed text
  bound as a parameter. If the extension cannot be made (no right to ``CREATE EXTENSION``,
  or the server lacks it), the filters still work, as scans, and the migration logs a
  warning saying so.
* **on SQLite**, an expression index on ``fold(column)``: SQLite's ``lower()`` replaced, on
  every connection, by Python's Unicode-aware ``str.lower`` (``database.create_engine``), a
  deterministic function, so it may stand in an index. The folding happens once, at write
  time; "starts with" becomes the range ``fold(column) >= 'сев' AND < 'сев\\U0010ffff'``
  (:mod:`uchet.platform.query.textmatch`). A search field whose whole folded value is a term
  of the search table gets none: the term index serves it already. "Contains" stays a scan on
  SQLite. A program writing to the database with SQLite's own ASCII-only ``lower()`` (the
  ``sqlite3`` shell) leaves its Cyrillic rows out of these indexes until ``REINDEX``.

The indexes are named ``tk_<table id>_<field id>``: names from ids, so renames keep them.
They are not part of a migration plan (:mod:`.reconcile` ignores names it does not own):
:func:`drop_for_plan` removes those of fields a plan retypes or drops before it runs, and
:func:`ensure` makes what is missing and drops what is no longer wanted after every
migration, in the same transaction.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from uchet.platform.fieldtypes import FieldType, FieldTypeRegistry
from uchet.platform.model.config import Configuration, Table
from uchet.platform.schema.compiler import object_name

log = logging.getLogger(__name__)

#: The collation PostgreSQL folds case under when the database's own locale is C.
PG_FOLD_COLLATION = "und-x-icu"
#: The prefix of the index names this module owns.
PREFIX = "tk"


class fold(FunctionElement[str]):
    """Lower-case text in SQL, Unicode-aware on both databases (see the module docstring)."""

    type = sa.String()
    name = "fold"
    inherit_cache = True


# Each dialect's form is itself built from SQLAlchemy constructs, compiled in place.
@compiles(fold)
def _fold_default(element: fold, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(sa.func.lower(*element.clauses), **kw))


@compiles(fold, "postgresql")
def _fold_postgresql(element: fold, compiler: Any, **kw: Any) -> str:
    # An explicit collation beats the column's, so this folds whatever the database locale.
    (text,) = element.clauses
    return str(compiler.process(sa.func.lower(sa.collate(text, PG_FOLD_COLLATION)), **kw))


@contextlib.contextmanager
def reflection_skips_them() -> Iterator[None]:
    """Around SQLite reflection: SQLAlchemy's inspector warns of each expression index it
    leaves out, and these are expected."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        yield


def whole_value_terms(table: Table, types: FieldTypeRegistry) -> dict[str, int]:
    """The search fields of ``table`` whose whole folded value is a search term, by name,
    with their slot (position in ``search_fields``): not a phone's digits, not a type that
    is not searchable."""
    found = {}
    for slot, field_id in enumerate(table.search_fields):
        f = table.field_by_id(field_id)
        ft = types.get(f.type)
        if ft.searchable and type(ft).search_terms is FieldType.search_terms:
            found[f.name] = slot
    return found


def key_fields(table: Table, types: FieldTypeRegistry, dialect: str) -> list[str]:
    """The names of ``table``'s key fields that get a folded-key index on ``dialect``."""
    wanted = {*table.search_fields, *table.list_filters}
    names = []
    for f in table.fields:
        if not (f.id in wanted or f.indexed) or not types.has_column(f) or f.choices:
            continue  # a choice is compared by its code, exactly: no folding to serve
        if isinstance(types.get(f.type).column_type(f), sa.String):
            names.append(f.name)
    if dialect == "sqlite":
        served = whole_value_terms(table, types)
        names = [n for n in names if n not in served]
    return names


def index_name(table: Table, field_name: str) -> str:
    """``tk_<table id>_<field id>``."""
    return object_name(PREFIX, table.id, table.field_by_name(field_name).id)


def wanted_indexes(
    config: Configuration, types: FieldTypeRegistry, dialect: str
) -> dict[str, sa.Index]:
    """The folded-key indexes the configuration wants on ``dialect``, by name."""
    out = {}
    for t in config.tables:
        for name in key_fields(t, types, dialect):
            column = sa.Table(t.name, sa.MetaData(), sa.Column(name, sa.String)).c[name]
            ix_name = index_name(t, name)
            if dialect == "postgresql":
                out[ix_name] = sa.Index(
                    ix_name, fold(column).label("key"),
                    postgresql_using="gin", postgresql_ops={"key": "gin_trgm_ops"},
                )  # fmt: skip
            else:
                out[ix_name] = sa.Index(ix_name, fold(column))
    return out


def live_indexes(conn: Connection) -> dict[str, str]:
    """The ``tk_`` indexes the database has: name -> table name."""
    if conn.dialect.name == "postgresql":
        catalog = sa.table("pg_indexes", sa.column("indexname"), sa.column("tablename"),
                           sa.column("schemaname"))  # fmt: skip
        query = sa.select(catalog.c.indexname, catalog.c.tablename).where(
            catalog.c.schemaname == sa.func.current_schema())  # fmt: skip
    else:
        catalog = sa.table("sqlite_master", sa.column("name"), sa.column("tbl_name"),
                           sa.column("type"))  # fmt: skip
        query = sa.select(catalog.c.name, catalog.c.tbl_name).where(catalog.c.type == "index")
    return {name: table for name, table in conn.execute(query) if name.startswith(PREFIX + "_")}


def trigram_available(conn: Connection) -> bool:
    """Whether ``pg_trgm`` is installed in the database, making it if it can (a savepoint
    keeps a refusal from spoiling the transaction around)."""
    ext = sa.table("pg_extension", sa.column("extname"))
    has = sa.select(sa.func.count()).select_from(ext).where(ext.c.extname == "pg_trgm")
    if conn.execute(has).scalar():
        return True
    try:
        with conn.begin_nested():
            conn.execute(sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm could not be installed, text filters will scan: %s", exc.orig)
        return False
    return True


def _drop(conn: Connection, name: str) -> None:
    conn.execute(sa.schema.DropIndex(sa.Index(name), if_exists=True))


def drop_for_plan(
    conn: Connection, config: Configuration | None, changed: Iterable[tuple[str, str]]
) -> None:
    """Drop the folded-key indexes of ``(table id, field id)`` pairs a plan is about to
    retype or drop (an index on ``lower(column)`` would stop either)."""
    if config is None or conn.dialect.name not in ("sqlite", "postgresql"):
        return
    live = live_indexes(conn)
    for table_id, field_id in changed:
        name = object_name(PREFIX, table_id, field_id)
        if name in live:
            _drop(conn, name)


def ensure(conn: Connection, config: Configuration, types: FieldTypeRegistry) -> list[str]:
    """Make the folded-key indexes ``config`` wants and the database lacks, and drop the
    ``tk_`` indexes it no longer wants. Returns the names made."""
    dialect = conn.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return []
    wanted = wanted_indexes(config, types, dialect)
    if dialect == "postgresql" and wanted and not trigram_available(conn):
        wanted = {}
    live = live_indexes(conn)
    for name, table in list(live.items()):
        index = wanted.get(name)
        if index is None or index.table is None or index.table.name != table:
            _drop(conn, name)
            live.pop(name)
    made = []
    for name, index in wanted.items():
        if name not in live:
            index.create(conn)
            made.append(name)
    return made
