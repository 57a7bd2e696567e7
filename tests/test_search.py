"""Quick search (S03): terms know their field, so hidden fields are never searched; a search
page with no sort is read in the order of the matched term; older search tables are rebuilt
by the migration. On SQLite and PostgreSQL (the ``platform`` fixture)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from uchet import SYSTEM
from uchet.platform.query.listquery import Filter
from uchet.platform.schema.compiler import SEARCH_FIELD_COLUMN

TAX = "7701234567"


def _clients(platform: Any, staff: dict[str, Any]) -> dict[str, int]:
    clients = platform.records("clients", user=SYSTEM)
    anna = staff["anna"].id
    rows = [
        {"name": "Иванов ИП", "kind": "person", "tax_id": TAX, "manager": anna},
        {"name": "ООО «Ивушка»", "kind": "company", "phone": "+7 912 555-01-02"},
        {"name": "Иванова Ивонна", "kind": "person", "tax_id": "500100732259"},
        {"name": "Альфа 7701", "kind": "company", "manager": anna},
        {"name": "Бета", "kind": "company", "tax_id": "7701999999"},
    ]
    ids = clients.create_many(rows)
    return {r["name"]: i for r, i in zip(rows, ids)}


def _names(platform: Any, user: Any, **options: Any) -> list[str]:
    rows = platform.records("clients", user=user).query(**options).rows
    return [r["name"] for r in rows]


def test_terms_record_their_field(platform: Any, staff: dict[str, Any]) -> None:
    ids = _clients(platform, staff)
    search = platform.runtime.model["clients"].search
    with platform.engine.connect() as conn:
        stored = set(conn.execute(
            sa.select(search.c.term, search.c[SEARCH_FIELD_COLUMN])
            .where(search.c.record_id == ids["Иванов ИП"])
        ).all())  # fmt: skip
    fields = list(platform.config.table("clients").search_fields)
    assert (TAX, fields.index("clients.tax_id")) in stored
    assert ("иванов ип", fields.index("clients.name")) in stored


def test_viewer_search_keeps_to_readable_fields_exactly(
    platform: Any, staff: dict[str, Any]
) -> None:
    _clients(platform, staff)
    vera, admin = staff["vera"], staff["admin"]
    # The administrator finds both tax ids; the viewer (tax_id hidden) neither...
    assert sorted(_names(platform, admin, search="7701")) == ["Альфа 7701", "Бета", "Иванов ИП"]
    assert _names(platform, vera, search="7701") == ["Альфа 7701"]  # by its name only
    assert _names(platform, vera, search=TAX) == []
    assert _names(platform, vera, search="иванов 7701") == []
    # ...but every field she may read is searched as for anyone: a phone by its digits and
    # a word after a quote (the earlier approximate check lost both).
    assert _names(platform, vera, search="8912555") == ["ООО «Ивушка»"]
    assert _names(platform, vera, search="ивуш") == ["ООО «Ивушка»"]
    result = platform.records("clients", user=vera).query(search="7701")
    assert (result.total, result.total_capped) == (1, False)


def test_lookup_searches_what_the_user_may_see_on_each_row(
    platform: Any, staff: dict[str, Any]
) -> None:
    ids = _clients(platform, staff)
    anna, boris = staff["anna"], staff["boris"]
    # Anna reads tax_id on her own rows: her client is found by it.
    assert [f.id for f in platform.records("clients", user=anna).lookup(TAX)] == [ids["Иванов ИП"]]
    # Boris may only look up names, kinds, cities... of other managers' clients: not by a
    # tax id he could not see, though he finds the same record by its name.
    assert platform.records("clients", user=boris).lookup(TAX) == []
    found = platform.records("clients", user=boris).lookup("иванов ип")
    assert [(f.id, f.visible) for f in found] == [(ids["Иванов ИП"], False)]


def test_search_page_in_match_order(platform: Any, staff: dict[str, Any]) -> None:
    _clients(platform, staff)
    clients = platform.records("clients", user=SYSTEM)
    # "Иванова Ивонна" matches "ива" twice (the whole name and "ивонна"), "ООО «Ивушка»"
    # not at all ("ивушка" starts with "иву"): each record once, by its first matched term.
    assert _names(platform, SYSTEM, search="ива") == ["Иванов ИП", "Иванова Ивонна"]
    assert _names(platform, SYSTEM, search="ив") == [
        "Иванов ИП", "Иванова Ивонна", "ООО «Ивушка»"
    ]  # fmt: skip
    # Paging by cursor visits each match once; the count counts records, not terms.
    seen, after = [], None
    while True:
        page = clients.query(search="ив", limit=1, after=after)
        assert page.total == 3
        seen += [r["name"] for r in page.rows]
        after = page.next_cursor
        if after is None:
            break
    assert seen == ["Иванов ИП", "Иванова Ивонна", "ООО «Ивушка»"]
    assert clients.query(search="ив", limit=1).total == 3
    # A sort asked for is kept; filters and row rules apply as always.
    assert _names(platform, SYSTEM, search="ив", sort=["-name"]) == [
        "ООО «Ивушка»", "Иванова Ивонна", "Иванов ИП"
    ]  # fmt: skip
    assert _names(platform, staff["anna"], search="ив") == ["Иванов ИП"]
    assert _names(platform, SYSTEM, search="ив", filters=[Filter("kind", "eq", "company")]) == [
        "ООО «Ивушка»"
    ]


def _old_layout(platform: Any) -> None:
    """Make ``clients__sk`` as uchet made it before terms recorded their field."""
    with platform.engine.begin() as conn:
        kept = conn.execute(sa.text("SELECT term, record_id FROM clients__sk")).all()
        conn.execute(sa.text("DROP TABLE clients__sk"))
        old = sa.Table(
            "clients__sk", sa.MetaData(),
            sa.Column("term", sa.String(100), primary_key=True),
            sa.Column("record_id", sa.BigInteger, primary_key=True),
        )  # fmt: skip
        old.create(conn)
        if kept:
            conn.execute(old.insert(), [{"term": t, "record_id": r} for t, r in kept])


def test_migration_rebuilds_an_older_search_table(platform: Any, staff: dict[str, Any]) -> None:
    ids = _clients(platform, staff)
    _old_layout(platform)
    plan = platform.plan()
    assert [op.describe() for op in plan.operations] == [
        "drop search table clients__sk",
        "create search table clients__sk",
    ]
    assert not plan.destructive
    version = platform.applied()[0]
    assert platform.migrate() == version + 1
    assert platform.plan().is_empty
    columns = {c["name"] for c in sa.inspect(platform.engine).get_columns("clients__sk")}
    assert SEARCH_FIELD_COLUMN in columns
    # The records are untouched and found again, the hidden field still hidden.
    with platform.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM clients")).scalar() == len(ids)
    assert _names(platform, SYSTEM, search=TAX) == ["Иванов ИП"]
    assert _names(platform, staff["vera"], search=TAX) == []
