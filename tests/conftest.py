"""Shared fixtures. The PostgreSQL server fixture lives in tests/pg_server.py.

Tests that take ``db_url`` (or ``platform``) run once on SQLite and once on a real
PostgreSQL server started by the fixture (ARCHITECTURE rule 10: one suite, both databases).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.pg_server", "tests.web_support", "tests.crm_support"]


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """argon2 at its production cost takes ~0.8 s per hash on these machines, and nearly
    every web test creates users: tests use the same algorithm with minimal cost."""
    from argon2 import PasswordHasher

    from uchet.platform import users

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


@pytest.fixture
def platform(db_url: str) -> Iterator:
    """The sample CRM, migrated, on a fresh database of each backend."""
    from uchet import Platform

    p = Platform.open("sample_crm", database_url=db_url)
    p.migrate()
    yield p
    p.close()
