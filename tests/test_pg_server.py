"""Smoke tests for the throwaway PostgreSQL server fixtures in ``tests/pg_server.py``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.postgres


def test_postgresql_url_connects(postgresql_url: str) -> None:
    engine = sa.create_engine(postgresql_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("select version()")).scalar_one()
    finally:
        engine.dispose()
    assert "PostgreSQL" in version


def test_pg_fresh_url_is_empty_and_private(postgresql_url: str, pg_fresh_url: str) -> None:
    assert pg_fresh_url != postgresql_url
    engine = sa.create_engine(pg_fresh_url)
    try:
        with engine.begin() as conn:
            assert sa.inspect(conn).get_table_names() == []
            conn.execute(sa.text("create table t (id integer primary key)"))
            conn.execute(sa.text("insert into t values (1)"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("select count(*) from t")).scalar_one() == 1
    finally:
        engine.dispose()


def test_pg_fresh_url_differs_per_test(pg_fresh_url: str) -> None:
    engine = sa.create_engine(pg_fresh_url)
    try:
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []
    finally:
        engine.dispose()
