"""Owned indexes reconciled with the live database (reconcile.py), on SQLite and PostgreSQL.

The configuration planner cannot see an index someone dropped or replaced by hand, nor one
an older uchet defined differently: ``plan_for_database`` compares what the database has
and puts repair steps in front of the plan.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from uchet.cli import main
from uchet.platform.model.config import Configuration, build_configuration
from uchet.platform.model.errors import MigrationError
from uchet.platform.plugins import field_type_registry, make_plugin_manager
from uchet.platform.schema.database import create_engine
from uchet.platform.schema.migrator import DataCheckError, apply, current_version
from uchet.platform.schema.operations import (
    AddUnique,
    CreateIndex,
    DropIndex,
    Operation,
    RecreateSearchIndex,
)
from uchet.platform.schema.planner import Plan
from uchet.platform.schema.reconcile import IndexShape, live_indexes, plan_for_database
from uchet.platform.schema.runner import implementation_for

TYPES = field_type_registry(make_plugin_manager(entry_points=False))
CITY = "ix_clients_clients_city"  # plain, over a nullable column: NULLS FIRST on PostgreSQL
CODE = "uq_clients_clients_code"
SEARCH = "ix_clients_sk_record"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/t.db"
    else:
        url = str(request.getfixturevalue("pg_fresh_url"))
    eng = create_engine(url)
    yield eng
    eng.dispose()


def field(name: str, type_: str = "string", **props: Any) -> dict[str, Any]:
    return {"id": f"clients.{name}", "name": name, "type": type_, "label": name, **props}


def tree(**city: Any) -> dict[str, Any]:
    clients = {"id": "clients", "name": "clients", "label": "Clients", "fields": [
        field("name", max_length=100, required=True),
        field("city", max_length=100, **{"indexed": True, **city}),
        field("code", max_length=20, unique=True),
    ], "default_sort": ["clients.name"], "search_fields": ["clients.name"]}  # fmt: skip
    manifest = {"name": "t", "version": "1", "title": "T", "locales": ["en"],
                "default_locale": "en"}  # fmt: skip
    return {"manifest": manifest, "tables": [clients], "roles": []}


def plan_for(engine: Engine, applied: Configuration | None, new: Configuration) -> Plan:
    with engine.connect() as conn:
        return plan_for_database(conn, applied, new, TYPES)


@pytest.fixture
def cfg(engine: Engine) -> Configuration:
    """The configuration, migrated, with three clients."""
    cfg = build_configuration(tree())
    apply(engine, plan_for(engine, None, cfg), cfg, TYPES)
    with engine.begin() as conn:
        clients = sa.Table("clients", sa.MetaData(), autoload_with=conn)
        conn.execute(clients.insert(), [{"name": f"C{i}", "city": None if i == 1 else "Kazan",
                                         "code": f"x{i}"} for i in (1, 2, 3)])  # fmt: skip
    return cfg


def ddl(engine: Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for s in statements:
            conn.exec_driver_sql(s)


def indexes(engine: Engine, table: str = "clients") -> dict[str, IndexShape]:
    with engine.connect() as conn:
        return live_indexes(conn, table)


def kinds(p: Plan) -> list[type]:
    return [type(op) for op in p.operations]


def test_a_migrated_database_needs_no_repair(engine: Engine, cfg: Configuration) -> None:
    p = plan_for(engine, cfg, cfg)
    assert p.is_empty and not p.absent
    assert apply(engine, p, cfg, TYPES) == 1  # migrating twice records nothing
    shape = indexes(engine)[CITY]
    nulls = ("nulls_first",) if engine.dialect.name == "postgresql" else ()
    assert shape == IndexShape(False, False, ("city",), (nulls,))


def test_the_migrated_crm_needs_no_repair(platform: Any) -> None:
    assert platform.plan().is_empty


def test_a_missing_index_is_made_again(engine: Engine, cfg: Configuration) -> None:
    before = indexes(engine)
    ddl(engine, f"DROP INDEX {CITY}")
    p = plan_for(engine, cfg, cfg)
    assert kinds(p) == [CreateIndex] and not p.destructive
    assert str(p) == f"1. create index {CITY} on clients (missing from the database)"
    assert f"CREATE INDEX {CITY} ON clients" in p.sql(engine.dialect.name)
    assert apply(engine, p, cfg, TYPES) == 2
    assert indexes(engine) == before
    assert plan_for(engine, cfg, cfg).is_empty  # no churn


def test_an_index_defined_differently_is_made_again(engine: Engine, cfg: Configuration) -> None:
    before = indexes(engine)
    if engine.dialect.name == "postgresql":
        # As an older uchet made it: PostgreSQL's default order, NULLs last.
        ddl(engine, f"DROP INDEX {CITY}", f"CREATE INDEX {CITY} ON clients (city)")
        shown = "the database has index (city), uchet makes index (city NULLS FIRST)"
    else:
        ddl(engine, f"DROP INDEX {CITY}", f"CREATE INDEX {CITY} ON clients (city DESC, name)")
        shown = "the database has index (city DESC, name), uchet makes index (city)"
    p = plan_for(engine, cfg, cfg)
    assert kinds(p) == [DropIndex, CreateIndex]
    assert p.operations[0].describe() == f"drop index {CITY} on clients ({shown})"
    apply(engine, p, cfg, TYPES)
    assert indexes(engine) == before
    assert plan_for(engine, cfg, cfg).is_empty


def test_indexes_uchet_does_not_own_survive(engine: Engine, cfg: Configuration) -> None:
    ddl(engine, "CREATE INDEX my_city ON clients (city DESC)",
        "CREATE INDEX ix_clients_by_dba ON clients (code, city)", f"DROP INDEX {CITY}")  # fmt: skip
    theirs = {n: s for n, s in indexes(engine).items() if n in ("my_city", "ix_clients_by_dba")}
    assert len(theirs) == 2
    p = plan_for(engine, cfg, cfg)
    assert kinds(p) == [CreateIndex]
    apply(engine, p, cfg, TYPES)
    assert {n: indexes(engine)[n] for n in theirs} == theirs
    assert plan_for(engine, cfg, cfg).is_empty


def drop_unique(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        ddl(engine, f"ALTER TABLE clients DROP CONSTRAINT {CODE}")
        return
    with engine.begin() as conn:  # SQLite: a table rebuild from the reflected table
        batch = Operations(MigrationContext.configure(conn)).batch_alter_table("clients")
        with batch as b:
            b.drop_constraint(CODE, type_="unique")


def test_a_missing_unique_constraint_is_added_again(engine: Engine, cfg: Configuration) -> None:
    before = indexes(engine)
    drop_unique(engine)
    assert CODE not in indexes(engine)
    p = plan_for(engine, cfg, cfg)
    assert kinds(p) == [AddUnique]
    # Duplicates that crept in meanwhile are reported, as for any new unique constraint.
    ddl(engine, "UPDATE clients SET code = 'x1'")
    with pytest.raises(DataCheckError, match="unique \\(code\\) is broken"):
        apply(engine, p, cfg, TYPES)
    ddl(engine, "UPDATE clients SET code = 'y' || id")
    apply(engine, p, cfg, TYPES)
    assert indexes(engine) == before
    assert plan_for(engine, cfg, cfg).is_empty


def test_the_search_table_index_is_reconciled(engine: Engine, cfg: Configuration) -> None:
    search = "clients__sk"
    before = indexes(engine, search)
    ddl(engine, f"DROP INDEX {SEARCH}")
    p = plan_for(engine, cfg, cfg)
    assert kinds(p) == [RecreateSearchIndex] and not p.operations[0].drop
    apply(engine, p, cfg, TYPES)
    assert indexes(engine, search) == before
    ddl(engine, f"DROP INDEX {SEARCH}", f"CREATE INDEX {SEARCH} ON {search} (term)")
    p = plan_for(engine, cfg, cfg)
    assert kinds(p) == [RecreateSearchIndex] and p.operations[0].drop
    assert "recreate index" in str(p) and "index (term)" in str(p)
    apply(engine, p, cfg, TYPES)
    assert indexes(engine, search) == before
    assert plan_for(engine, cfg, cfg).is_empty


def test_an_index_the_plan_drops_anyway(engine: Engine, cfg: Configuration) -> None:
    ddl(engine, f"DROP INDEX {CITY}")
    new = build_configuration(tree(indexed=False))
    p = plan_for(engine, cfg, new)
    assert p.is_empty and p.absent == {("clients", CITY)}  # nothing left to drop
    assert apply(engine, p, new, TYPES) == 2
    assert CITY not in indexes(engine)
    assert plan_for(engine, new, new).is_empty
    # An outdated definition of an index the plan drops: its own drop step is enough.
    ddl(engine, f"CREATE INDEX {CITY} ON clients (code)")
    p = plan_for(engine, cfg, new)
    assert kinds(p) == [DropIndex] and not p.absent


def test_making_a_field_required_leaves_nothing_to_repair(
    engine: Engine, cfg: Configuration
) -> None:
    # On PostgreSQL a NOT NULL column's index has no NULLS FIRST: the plan makes it again.
    new = build_configuration(tree(required=True, default="Moscow"))
    apply(engine, plan_for(engine, cfg, new), new, TYPES)
    assert plan_for(engine, new, new).is_empty
    assert indexes(engine)[CITY].sorting == ((),)
    apply(engine, plan_for(engine, new, cfg), cfg, TYPES)
    assert plan_for(engine, cfg, cfg).is_empty


@dataclasses.dataclass(frozen=True)
class Boom(Operation):
    """An operation that always fails."""

    def describe(self) -> str:
        return "explode"


@implementation_for(Boom)
def _boom(op: Boom, runner: Any) -> None:
    raise RuntimeError("boom")


def test_a_failure_rolls_the_repairs_back(engine: Engine, cfg: Configuration) -> None:
    ddl(engine, f"DROP INDEX {CITY}", f"DROP INDEX {SEARCH}")
    broken, search = indexes(engine), indexes(engine, "clients__sk")
    p = plan_for(engine, cfg, cfg)
    assert kinds(p) == [CreateIndex, RecreateSearchIndex]
    p = dataclasses.replace(p, operations=(*p.operations, Boom()))
    with pytest.raises(MigrationError, match=r"step 3 \(explode\) failed"):
        apply(engine, p, cfg, TYPES)
    assert indexes(engine) == broken and indexes(engine, "clients__sk") == search
    assert current_version(engine)[0] == 1  # type: ignore[index]


def test_migrate_plan_shows_the_repairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UCHET_CONFIG", raising=False)
    monkeypatch.delenv("UCHET_DATABASE_URL", raising=False)
    db = tmp_path / "crm.db"
    url = f"sqlite:///{db}"
    runner = CliRunner()
    assert runner.invoke(main, ["migrate", "--database", url]).exit_code == 0
    with sqlite3.connect(db) as conn:
        query = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'clients' "
                 "AND name LIKE 'ix_%' ORDER BY name")  # fmt: skip
        name = conn.execute(query).fetchone()[0]
        conn.execute(f"DROP INDEX {name}")
        conn.execute("CREATE INDEX my_own ON clients (name)")
    result = runner.invoke(main, ["migrate", "--plan", "--sql", "--database", url])
    assert result.exit_code == 0, result.output
    assert f"create index {name} on clients (missing from the database)" in result.output
    assert f"CREATE INDEX {name} ON clients" in result.output
    assert "my_own" not in result.output
    result = runner.invoke(main, ["migrate", "--database", url])
    assert "Migrated to version 2 (1 operation)" in result.output
    result = runner.invoke(main, ["migrate", "--plan", "--database", url])
    assert "Nothing to do" in result.output
    engine = create_engine(url)
    assert "my_own" in indexes(engine)
    engine.dispose()
