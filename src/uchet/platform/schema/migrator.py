"""The migration executor: applies a :class:`~uchet.platform.schema.planner.Plan` to a database.

:func:`apply` does everything in one transaction (ARCHITECTURE rule 4):

1. destructive operations are refused unless the caller consents;
2. the data is checked before any DDL, and every problem is reported at once, precisely
   (:mod:`uchet.platform.schema.data_checks`): values a type change cannot convert (count and
   the first 20 ids), required fields with no default over existing rows, unique
   constraints over duplicates;
3. the operations run through Alembic (batch mode where SQLite needs it), with SQLite's
   foreign-key enforcement off during table rebuilds and ``PRAGMA foreign_key_check`` before
   commit; dropped data goes to ``uchet_bak_<version>_<table>`` first;
4. the new configuration is stored in ``uchet_config`` as the next version.

Any failure raises and rolls everything back: schema, data, Alembic's temporary tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.engine import Connection, Engine

from uchet.platform.fieldtypes import FieldTypeRegistry
from uchet.platform.model.config import Configuration, thaw
from uchet.platform.model.errors import DestructiveChangeError, MigrationError
from uchet.platform.schema import operations as ops
from uchet.platform.schema import textkeys
from uchet.platform.schema.config_summary import summarize
from uchet.platform.schema.data_checks import SAMPLE, DataCheckError, check_data
from uchet.platform.schema.database import foreign_keys_off, is_sqlite
from uchet.platform.schema.operations import ConversionPolicy
from uchet.platform.schema.planner import Plan
from uchet.platform.schema.runner import Runner
from uchet.platform.schema.stored_names import rename_stored_names
from uchet.platform.schema.system import define_system_tables, system_table
from uchet.platform.schema.system_columns import add_missing_columns

__all__ = [
    "DataCheckError", "apply", "checksum", "current_version", "ensure_system_tables",
    "record_unchanged_schema", "schema_unchanged",
]  # fmt: skip

#: Key of the PostgreSQL advisory lock that lets one migration run at a time.
LOCK_KEY = 0x75636865


#: Operations that cannot leave a reference pointing nowhere: SQLite alters these in place
#: (a new column is NULL, renames keep every value), so no foreign-key check is needed.
FK_NEUTRAL = (
    ops.AddField, ops.RenameField, ops.RenameTable, ops.CreateTable, ops.CreateIndex,
    ops.DropIndex, ops.CreateSearchTable, ops.DropSearchTable, ops.RebuildSearch,
    ops.RecreateSearchIndex,
)  # fmt: skip


def checksum(tree: Mapping[str, Any]) -> str:
    """SHA-256 of a configuration tree's canonical JSON."""
    text = json.dumps(thaw(tree), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_system_tables(conn: Connection) -> None:
    """Create the ``uchet_*`` tables that do not exist yet, and add the (nullable) columns
    a newer release added to those that do (:mod:`~uchet.platform.schema.system_columns`)."""
    md = sa.MetaData()
    tables = define_system_tables(md)
    md.create_all(conn, checkfirst=True)
    add_missing_columns(conn, tables)


def current_version(conn_or_engine: Connection | Engine) -> tuple[int, dict[str, Any]] | None:
    """The latest applied ``(version, tree)``, or None for a database never migrated."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return current_version(conn)
    conn = conn_or_engine
    if not sa.inspect(conn).has_table("uchet_config"):
        return None
    table = system_table("uchet_config")
    row = conn.execute(
        sa.select(table.c.version, table.c.tree).order_by(table.c.version.desc()).limit(1)
    ).first()
    return None if row is None else (row.version, row.tree)


def _check_policy(policy: ConversionPolicy) -> None:
    ok = policy in ("abort", "set_null") or (
        isinstance(policy, tuple) and len(policy) == 2 and policy[0] == "default"
    )
    if not ok:
        raise ValueError(
            f"on_conversion_error must be 'abort', 'set_null' or ('default', value), not {policy!r}"
        )


def apply(
    engine: Engine,
    plan: Plan,
    new_config: Configuration,
    types: FieldTypeRegistry,
    *,
    allow_destructive: bool = False,
    on_conversion_error: ConversionPolicy = "abort",
    applied_by: str | None = None,
    on_applied: Callable[[Connection, int], None] | None = None,
    source: str | None = None,
) -> int:
    """Apply ``plan`` (made from the database's applied configuration to ``new_config``) and
    return the new configuration version (the current one if nothing at all changed).

    ``source`` says where the version came from (``migrate``, ``init``, ``overlay-save``,
    ``rollback``...); it is stored with the version, with the counts of what changed
    (:func:`~uchet.platform.schema.config_summary.summarize`), for ``uchet config history``.

    ``on_applied(conn, version)`` runs last, inside the same transaction (the database
    overlay records its revision there, so the revision and the schema change commit or roll
    back together); whatever it raises rolls everything back.

    Raises :class:`DestructiveChangeError` without consent for destructive operations,
    :class:`ConversionError` or :class:`DataCheckError` when existing data does not allow
    the change, and :class:`MigrationError` when a step fails. In every one of these cases
    the database is exactly as it was.
    """
    _check_policy(on_conversion_error)
    if plan.destructive and not allow_destructive:
        listed = "\n".join(f"  {op.describe()}" for op in plan.destructive)
        raise DestructiveChangeError(
            f"the plan can lose data; pass allow_destructive=True to run:\n{listed}",
            plan.destructive,
        )
    if checksum(new_config.tree) != checksum(plan.new.tree):
        raise ValueError("new_config is not the configuration the plan was made for")
    try:
        with engine.connect() as conn, foreign_keys_off(conn):
            conn.info["write"] = True  # BEGIN IMMEDIATE on SQLite: one writer from the start
            try:
                with conn.begin():
                    version = _apply(conn, plan, new_config, types, on_conversion_error,
                                     applied_by, source)  # fmt: skip
                    if on_applied is not None:
                        on_applied(conn, version)
                    return version
            finally:
                conn.info.pop("write", None)
    except (DestructiveChangeError, MigrationError):
        raise
    except Exception as exc:
        raise MigrationError(f"migration failed and was rolled back: {exc}") from exc


def _apply(
    conn: Connection,
    plan: Plan,
    new_config: Configuration,
    types: FieldTypeRegistry,
    policy: ConversionPolicy,
    applied_by: str | None,
    source: str | None = None,
) -> int:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
    current = current_version(conn)
    base = None if plan.applied is None else checksum(plan.applied.tree)
    if (current and checksum(current[1])) != base:
        found = f"version {current[0]}" if current else "no configuration"
        raise MigrationError(
            f"the database holds {found}, not the configuration this plan starts from; plan again"
        )
    # Before the early return: a new uchet release may bring new ``uchet_*`` tables (the
    # sessions of issue 13, the API tokens of issue 18) to a database whose configuration
    # did not change, and a plain `uchet migrate` of the same bundle must add them.
    ensure_system_tables(conn)
    if current and plan.is_empty and checksum(current[1]) == checksum(new_config.tree):
        # Already applied: migrating again at start-up records nothing, but a database an
        # older uchet made gets the folded-key indexes it lacks (issue 12).
        textkeys.ensure(conn, new_config, types)
        return current[0]
    version = (current[0] if current else 0) + 1
    plan = plan.for_version(version)
    state = plan.start_state()
    check_data(conn, plan, state, types, policy)
    runner = Runner(Operations(MigrationContext.configure(conn)), state, types,
                    version=version, on_conversion_error=policy)  # fmt: skip
    textkeys.drop_for_plan(conn, plan.applied, [
        *((op.table_id, op.old.id) for op in plan.operations if isinstance(op, ops.RetypeField)),
        *((op.table_id, op.field_id) for op in plan.operations if isinstance(op, ops.DropField)),
    ])  # fmt: skip
    for i, op in enumerate(plan.operations, 1):
        try:
            runner.run(op)
        except Exception as exc:
            msg = f"step {i} ({op.describe()}) failed, nothing was changed: {exc}"
            raise MigrationError(msg) from exc
    # Users' saved views and list layouts name fields by name: a rename carries them along.
    rename_stored_names(conn, plan.operations)
    if is_sqlite(conn) and not all(isinstance(op, FK_NEUTRAL) for op in plan.operations):
        # The check reads every reference of the database (6 s at a million rows), so it
        # runs only when an operation rebuilt a table or rewrote values.
        bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if bad:
            shown = ", ".join(f"{r[0]} row {r[1]} -> {r[2]}" for r in bad[:SAMPLE])
            raise MigrationError(f"{len(bad)} reference(s) would point nowhere: {shown}")
    textkeys.ensure(conn, new_config, types)
    _record_version(conn, version, plan, new_config, applied_by, source, current)
    return version


def _record_version(
    conn: Connection,
    version: int,
    plan: Plan,
    new_config: Configuration,
    applied_by: str | None,
    source: str | None,
    current: tuple[int, dict[str, Any]] | None,
) -> None:
    record = system_table("uchet_config")
    conn.execute(record.insert().values(
        version=version, applied_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        applied_by=applied_by, name=new_config.manifest.name,
        bundle_version=new_config.manifest.version, tree=thaw(new_config.tree),
        checksum=checksum(new_config.tree), plan=[op.describe() for op in plan.operations],
        source=source, summary=summarize(current[1] if current else None, new_config.tree),
    ))  # fmt: skip


def schema_unchanged(applied: Configuration | None, new: Configuration) -> bool:
    """Whether ``new`` compiles to exactly the tables and fields of ``applied``: then only
    presentation changed (forms, list settings, roles...) and no schema operation is needed.

    The compiled :class:`~uchet.platform.model.config.Table` objects are compared whole
    (fields, types, indexes, search, rollups), so anything the planner could act on counts.
    """
    return applied is not None and applied.tables == new.tables


def record_unchanged_schema(
    engine: Engine,
    plan: Plan,
    new_config: Configuration,
    *,
    applied_by: str | None = None,
    on_applied: Callable[[Connection, int], None] | None = None,
    source: str | None = None,
) -> int:
    """Store ``new_config`` as the next configuration version without running the migrator.

    For a ``plan`` with no operation between configurations whose tables are equal
    (:func:`schema_unchanged`), e.g. a card layout saved by the designer (issue 15): there is
    no DDL, no data to check and no system table to reflect, which is what made such a save
    take over a second. The version row, ``on_applied`` (the overlay's revision) and the
    check that the database still holds ``plan.applied`` run in one transaction, under the
    same lock as :func:`apply`, so a racing migration is refused exactly as there.
    """
    if not plan.is_empty or not schema_unchanged(plan.applied, new_config):
        raise ValueError("record_unchanged_schema needs an empty plan between equal tables")
    # (checksums cost a tenth of a second each on a big tree: skip the one that must hold)
    if new_config is not plan.new and checksum(new_config.tree) != checksum(plan.new.tree):
        raise ValueError("new_config is not the configuration the plan was made for")
    assert plan.applied is not None  # schema_unchanged is False for None
    try:
        with engine.connect() as conn:
            conn.info["write"] = True  # BEGIN IMMEDIATE on SQLite: one writer from the start
            try:
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
                    current = current_version(conn)
                    if current is None or checksum(current[1]) != checksum(plan.applied.tree):
                        found = f"version {current[0]}" if current else "no configuration"
                        raise MigrationError(
                            f"the database holds {found}, not the configuration this plan "
                            "starts from; plan again"
                        )
                    version = current[0] + 1
                    _record_version(conn, version, plan, new_config, applied_by, source, current)
                    if on_applied is not None:
                        on_applied(conn, version)
                    return version
            finally:
                conn.info.pop("write", None)
    except MigrationError:
        raise
    except Exception as exc:
        raise MigrationError(f"saving the configuration failed and was rolled back: {exc}") from exc
