"""Shared fixtures. The PostgreSQL server fixture lives in tests/pg_server.py.

Tests that take ``db_url`` (or ``platform``) run once on SQLite and once on a real
PostgreSQL server started by the fixture (ARCHITECTURE rule 10: one suite, both databases).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = [
    "tests.pg_server",
    "tests.web_support",
    "tests.crm_support",
    "tests.delivery_support",
    "tests.api_support",
]


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """argon2 at its production cost takes ~0.8 s per hash on these machines, and nearly
    every web test creates users: tests use the same algorithm with minimal cost."""
    from argon2 import PasswordHasher

    from uchet.platform.records import users

    saved = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    users._hasher = saved


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.db"
    return request.getfixturevalue("pg_fresh_url")


@pytest.fixture(scope="session")
def sqlite_crm_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the migrated sample CRM, to copy per test."""
    from uchet import Platform

    path = tmp_path_factory.mktemp("template") / "crm.db"
    p = Platform.open("sample_crm", database_url=f"sqlite:///{path}")
    p.migrate()
    p.close()
    return path


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database consistently (the backup API also takes what sits in WAL)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture
def platform(db_url: str, request: pytest.FixtureRequest) -> Iterator:
    """The sample CRM, migrated, on a fresh database of each backend.

    The database starts as a copy of one migrated once per session: migrating the CRM's
    twenty tables takes seconds, and hundreds of tests use this fixture. ``migrate()`` still
    runs (a no-op plan), so a test sees exactly what a fresh migration gives."""
    from uchet import Platform

    if db_url.startswith("sqlite:///"):
        copy_sqlite(
            request.getfixturevalue("sqlite_crm_template"), Path(db_url[len("sqlite:///") :])
        )
    else:
        from tests.pg_server import pg_clone_into

        template = request.getfixturevalue("pg_crm_template")
        pg_clone_into(request.getfixturevalue("postgresql_server_port"), db_url, template)
    p = Platform.open("sample_crm", database_url=db_url)
    p.migrate()
    yield p
    p.close()


def unseed(platform: Any) -> None:
    """Empty the directory tables the configuration seeds, and forget their audit rows.

    For tests that build their own fixed dataset (categories "VIP", "Постоянный" …) and
    count from zero; tests of the seeds themselves use the plain ``platform`` fixture."""
    import sqlalchemy as sa

    rt = platform.runtime
    with platform.engine.begin() as conn:
        for ct in rt.model:
            if not ct.table.seed:
                continue
            if ct.search is not None:
                conn.execute(sa.delete(ct.search))
            conn.execute(sa.delete(ct.sql))
            conn.execute(sa.delete(rt.audit).where(rt.audit.c.table_id == ct.table.id))
