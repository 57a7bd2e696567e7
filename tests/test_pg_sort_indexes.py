"""PostgreSQL indexes match the NULLS placement of the list queries' ORDER BY.

List queries put NULLs first ascending and last descending (``query_cursor``). A default
PostgreSQL index (ASC NULLS LAST) cannot serve ``ORDER BY city ASC NULLS FIRST``, so the
engine indexes nullable columns ``ASC NULLS FIRST`` on PostgreSQL (``schema_runner
.index_columns``). EXPLAIN shows the page read from the index, in both directions, with
no full sort.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from uchet import SYSTEM, Platform


@pytest.fixture
def pg_platform(pg_fresh_url: str) -> Any:
    p = Platform.open("sample_crm", database_url=pg_fresh_url)
    p.migrate()
    yield p
    p.close()


def _plan_of_query(platform: Platform, **options: Any) -> str:
    """EXPLAIN of the statement that ``records.query(**options)`` sends."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "ORDER BY" in statement:
            sent.append((statement, params))

    sa.event.listen(platform.engine, "before_cursor_execute", capture)
    try:
        platform.records("clients", user=SYSTEM).query(limit=50, count=False, **options)
    finally:
        sa.event.remove(platform.engine, "before_cursor_execute", capture)
    statement, params = sent[-1]
    with platform.engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            # No sequential scan and no full sort if anything else can do: the plan shows
            # whether the index can give the order at all, whatever the table's size.
            cur.execute("SET enable_seqscan = off")
            cur.execute("SET enable_sort = off")
            cur.execute("EXPLAIN " + statement, params)
            return "\n".join(row[0] for row in cur.fetchall())


def test_nullable_sort_columns_are_indexed_nulls_first(pg_platform):
    with pg_platform.engine.connect() as conn:
        defs = dict(
            conn.execute(
                sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'clients'")
            ).all()
        )
    # city may be empty: NULLS FIRST; name is required: no clause.
    assert defs["ix_clients_clients_city_clients_name"].endswith("(city NULLS FIRST, name)")
    assert defs["ix_clients_clients_name"].endswith("(name)")


@pytest.mark.parametrize("sort", [["city", "name"], ["-city", "-name"]])
def test_a_sort_by_a_nullable_column_reads_the_index(pg_platform, sort):
    clients = pg_platform.records("clients", user=SYSTEM)
    clients.create_many(
        [
            {"name": f"К{i:03d}", "city": None if i % 5 == 0 else f"Город {i % 7}"}
            for i in range(300)
        ]
    )
    with pg_platform.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE clients"))
    plan = _plan_of_query(pg_platform, sort=sort, columns=["name", "city"])
    assert "ix_clients_clients_city_clients_name" in plan, plan
    # At most an incremental sort of equal (city, name) runs by id, never a full sort.
    lines = [line.strip() for line in plan.splitlines()]
    assert not [line for line in lines if line.startswith(("Sort  (", "->  Sort  ("))], plan
    rows = clients.query(sort=sort, columns=["name", "city"], limit=70, count=False).rows
    cities = [r["city"] for r in rows]
    if sort[0] == "city":
        assert cities[:60] == [None] * 60 and cities[60] == "Город 0"
    else:
        assert cities[0] == "Город 6" and None not in cities
