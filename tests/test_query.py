"""Tests of the list query builder (uchet.platform.query.listquery), on SQLite and PostgreSQL.

Expected results are computed in Python from the inserted data, with the query's rules:
NULLs are the smallest value (first ascending, last descending) and ``id`` breaks ties.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from uchet.configurations.loader import load
from uchet.platform.model.config import build_configuration, thaw
from uchet.platform.model.errors import PermissionDenied, ValidationError
from uchet.platform.plugins import field_type_registry, make_plugin_manager
from uchet.platform.query.driver import driver_engine
from uchet.platform.query.filters import filter_condition
from uchet.platform.query.listquery import (
    OPERATORS,
    Filter,
    Group,
    ListQuery,
    distinct_values,
    run_query,
)
from uchet.platform.schema.compiler import CompiledModel
from uchet.platform.schema.database import create_engine
from uchet.platform.schema.search import record_terms, term_rows

TYPES = field_type_registry(make_plugin_manager())


def _config() -> Any:
    """The sample CRM plus a decimal field (``credit``), and categories without quick search
    (a table to refuse ``search`` on)."""
    tree = thaw(load("sample_crm", registry=TYPES).config.tree)
    for table in tree["tables"]:
        if table["id"] == "clients":
            table["fields"].append({"id": "clients.credit", "name": "credit", "type": "decimal",
                                    "scale": 2, "label": "Credit"})  # fmt: skip
        if table["id"] == "client_categories":
            table.pop("search_fields", None)
    return build_configuration(tree)


CONFIG = _config()

USERS = [(1, "anna", "Анна"), (2, "boris", "Борис")]
CATEGORIES = [(1, "VIP", 1), (2, "Обычные", 2), (3, "Опт_50%", 3)]
NAMES = [
    "Иванов ИП", "ООО Ромашка", "Петров и сыновья", "100% Молоко", "a_b test",
    "Альфа", "Бета", "Гамма", "Дельта", "Эпсилон",
    "Ивановская мануфактура", "ЗАО Ромб", "Зета", "Омега", "abc",
    "Abd", "Яблоко", "ёлка", "Ёж", "ООО Вектор",
]  # fmt: skip
CITIES = ["Москва", "Тверь", None, "Казань", "москва"]


def _clients() -> list[dict[str, Any]]:
    rows = []
    for i, name in enumerate(NAMES, start=1):
        rows.append({
            "id": i, "name": name, "kind": "person" if i % 3 == 0 else "company",
            "status": ["lead", "active", "inactive", None][i % 4],
            "city": CITIES[i % 5],
            "category": [1, 2, None, 3, 1, None][i % 6],
            "manager": [1, 2, None][i % 3],
            "loyalty": None if i % 7 == 0 else i % 4,
            "birthday": None if i % 4 == 0 else dt.date(1990 + i % 3, 1 + i % 12, 10 + i),
            "credit": None if i % 5 == 0 else Decimal(f"{i * 7 % 11}.50"),
            "created_at": dt.datetime(2024, 1, 1, 9, 0) + dt.timedelta(hours=i * 5),
            "phone": f"+7 912 000-00-{i:02d}",
        })  # fmt: skip
    return rows


CLIENTS = _clients()
CONTACTS: list[dict[str, Any]] = [
    {"id": n, "client": c, "name": f"Контакт {c}-{k}", "position": None}
    for n, (c, k) in enumerate(((c, k) for c in range(1, 21) for k in range(c % 4)), start=1)
]
CONTACT_COUNT = {c["id"]: sum(1 for x in CONTACTS if x["client"] == c["id"]) for c in CLIENTS}
CATEGORY_TITLE = {cid: name for cid, name, _ in CATEGORIES}
USER_TITLE = {uid: name for uid, _, name in USERS}


@dataclass
class Db:
    engine: sa.Engine
    model: CompiledModel

    def q(self, table: str = "clients", **kw: Any) -> Any:
        return run_query(self.model, table, connection=self.engine, **kw)

    def distinct(self, field: str, **kw: Any) -> Any:
        return distinct_values(self.model, "clients", field, connection=self.engine, **kw)

    def ids(self, table: str = "clients", **kw: Any) -> list[int]:
        return [r["id"] for r in self.q(table, limit=1000, count=False, **kw).rows]


def _populate(engine: sa.Engine, model: CompiledModel) -> None:
    model.metadata.create_all(engine)
    now = dt.datetime(2024, 1, 1)
    with engine.begin() as conn:
        conn.execute(model.system["uchet_users"].insert(), [
            {"id": i, "login": lg, "name": n, "roles": [], "created_at": now} for i, lg, n in USERS
        ])  # fmt: skip
        conn.execute(model["client_categories"].sql.insert(), [
            {"id": i, "name": n, "sort_order": s} for i, n, s in CATEGORIES
        ])  # fmt: skip
        clients = model["clients"]
        assert clients.search is not None
        conn.execute(clients.sql.insert(), CLIENTS)
        for row in CLIENTS:
            terms = record_terms(clients.table, row, TYPES)
            conn.execute(clients.search.insert(), term_rows(row["id"], terms))
        conn.execute(model["contacts"].sql.insert(), CONTACTS)
    if engine.dialect.name == "postgresql":
        # Identities were given explicit values; later inserts must not collide.
        with engine.begin() as conn:
            for name in ("clients", "contacts", "client_categories", "uchet_users"):
                table = model.metadata.tables[name]
                seq = sa.func.pg_get_serial_sequence(name, "id")
                top = sa.select(sa.func.max(table.c.id)).scalar_subquery()
                conn.execute(sa.select(sa.func.setval(seq, top)))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Iterator[Db]:
    if request.param == "sqlite":
        engine = create_engine("sqlite://")
    else:
        engine = create_engine(request.getfixturevalue("pg_fresh_url"))
    model = CompiledModel(CONFIG, TYPES, engine.dialect.name)
    _populate(engine, model)
    try:
        yield Db(engine, model)
    finally:
        engine.dispose()
        model.dispose()


@pytest.fixture
def sqlite_db() -> Iterator[Db]:
    engine = create_engine("sqlite://")
    model = CompiledModel(CONFIG, TYPES, "sqlite")
    _populate(engine, model)
    yield Db(engine, model)
    engine.dispose()
    model.dispose()


# -- Python models of the query's semantics ----------------------------------------------------


def _value(row: dict[str, Any], name: str) -> Any:
    if name == "category":
        return CATEGORY_TITLE.get(row["category"])  # references sort by their title
    if name == "manager":
        return USER_TITLE.get(row["manager"])
    if name == "contact_count":
        return CONTACT_COUNT[row["id"]]
    return row.get(name)


def _nulls_low(value: Any) -> tuple[bool, Any]:
    """A sort key that puts None below every value, as the query does."""
    return (value is not None, 0 if value is None else value)


def expected_order(rows: list[dict[str, Any]], sort: list[str]) -> list[int]:
    """Ids in the query's order: NULLs smallest, ``id`` last."""
    result = list(rows)
    for text in reversed([*sort, "id"]):  # stable sorts, least significant key first
        name = text.removeprefix("-")

        def key(row: dict[str, Any], name: str = name) -> tuple[bool, Any]:
            return _nulls_low(_value(row, name))

        result.sort(key=key, reverse=text.startswith("-"))
    return [r["id"] for r in result]


def where(pred: Callable[[dict[str, Any]], bool]) -> list[int]:
    return sorted(c["id"] for c in CLIENTS if pred(c))


# -- operators ---------------------------------------------------------------------------------

OP_CASES = [
    (Filter("city", "eq", "Москва"), lambda c: c["city"] == "Москва"),
    (Filter("city", "ne", "Москва"), lambda c: c["city"] != "Москва"),  # NULL cities included
    (Filter("city", "eq", None), lambda c: c["city"] is None),
    (Filter("loyalty", "lt", 2), lambda c: c["loyalty"] is not None and c["loyalty"] < 2),
    (Filter("loyalty", "le", "2"), lambda c: c["loyalty"] is not None and c["loyalty"] <= 2),
    (Filter("loyalty", "gt", 2), lambda c: c["loyalty"] is not None and c["loyalty"] > 2),
    (Filter("loyalty", "ge", "2"), lambda c: c["loyalty"] is not None and c["loyalty"] >= 2),
    (Filter("loyalty", "in", [0, "3"]), lambda c: c["loyalty"] in (0, 3)),
    (Filter("loyalty", "in", [1, None]), lambda c: c["loyalty"] in (1, None)),
    (Filter("status", "in", ["lead", "Активный"]), lambda c: c["status"] in ("lead", "active")),
    (Filter("name", "contains", "ОМА"), lambda c: "ома" in c["name"].lower()),
    (Filter("name", "startswith", "иван"), lambda c: c["name"].lower().startswith("иван")),
    (Filter("name", "startswith", "ё"), lambda c: c["name"].lower().startswith("ё")),
    (Filter("name", "contains", "%"), lambda c: "%" in c["name"]),
    (Filter("name", "ieq", "иванов ип"), lambda c: c["name"].lower() == "иванов ип"),
    (Filter("city", "ieq", "МОСКВА"), lambda c: (c["city"] or "").lower() == "москва"),
    (Filter("name", "contains", "_"), lambda c: "_" in c["name"]),
    (Filter("city", "is_null", True), lambda c: c["city"] is None),
    (Filter("city", "is_null", "false"), lambda c: c["city"] is not None),
    (Filter("loyalty", "between", (1, 2)), lambda c: c["loyalty"] in (1, 2)),
    (Filter("loyalty", "between", [2, None]), lambda c: (c["loyalty"] or -1) >= 2),
    (
        Filter("birthday", "ge", "1991-06-01"),
        lambda c: c["birthday"] is not None and c["birthday"] >= dt.date(1991, 6, 1),
    ),
    (
        Filter("birthday", "between", ("01.01.1990", "31.12.1990")),
        lambda c: c["birthday"] is not None and c["birthday"].year == 1990,
    ),
    (Filter("credit", "gt", "5,5"), lambda c: c["credit"] is not None and c["credit"] > 5.5),
    (Filter("credit", "eq", "3,50"), lambda c: c["credit"] == Decimal("3.50")),
    (
        Filter("created_at", "lt", "2024-01-02 12:00"),
        lambda c: c["created_at"] < dt.datetime(2024, 1, 2, 12),
    ),
    (Filter("id", "in", ["1", 2, 3]), lambda c: c["id"] in (1, 2, 3)),
]


OP_IDS = [f"{f.field}-{f.op}-{f.value}" for f, _ in OP_CASES]


@pytest.mark.parametrize("flt,pred", OP_CASES, ids=OP_IDS)
def test_operator(db: Db, flt: Filter, pred: Callable[[dict[str, Any]], bool]) -> None:
    assert sorted(db.ids(filters=[flt])) == where(pred)


def test_every_registered_operator_is_covered() -> None:
    assert {f.op for f, _ in OP_CASES} == set(OPERATORS)


def test_filters_combine_with_and_and_accept_mappings(db: Db) -> None:
    ids = db.ids(filters=[{"field": "city", "op": "eq", "value": "Москва"},
                          Filter("kind", "eq", "company")])  # fmt: skip
    assert sorted(ids) == where(lambda c: c["city"] == "Москва" and c["kind"] == "company")


# -- errors ------------------------------------------------------------------------------------


def test_bad_value_names_the_field(db: Db) -> None:
    with pytest.raises(ValidationError) as e:
        db.q(filters=[Filter("loyalty", "eq", "много")])
    assert e.value.messages == {"loyalty": ["Not a valid whole number."]}
    with pytest.raises(ValidationError) as e:
        db.q(filters=[Filter("birthday", "gt", "31.02.2024")], locale="ru")
    assert e.value.messages == {"birthday": ["Неверная дата."]}


def test_every_bad_filter_is_reported_at_once() -> None:
    model = CompiledModel(CONFIG, TYPES)
    with pytest.raises(ValidationError) as e:
        ListQuery(model, "clients", filters=[Filter("loyalty", "eq", "x"),
                                             Filter("credit", "lt", "abc")])  # fmt: skip
    assert set(e.value.messages) == {"loyalty", "credit"}


def test_unknown_field_lists_the_valid_ones() -> None:
    model = CompiledModel(CONFIG, TYPES)
    with pytest.raises(ValidationError) as e:
        ListQuery(model, "clients", filters=[Filter("towm", "eq", "x")])
    (msg,) = e.value.messages["towm"]
    assert "unknown field 'towm'" in msg and "city" in msg and "created_at" in msg


def test_unknown_operator_lists_the_valid_ones() -> None:
    model = CompiledModel(CONFIG, TYPES)
    with pytest.raises(ValidationError) as e:
        ListQuery(model, "clients", filters=[Filter("city", "like", "x")])
    (msg,) = e.value.messages["city"]
    assert "unknown operator 'like'" in msg
    assert all(op in msg for op in ("eq", "contains", "between", "is_null"))


@pytest.mark.parametrize("flt", [
    Filter("loyalty", "contains", "1"),          # text operator on a number
    Filter("loyalty", "between", 3),             # not a pair
    Filter("loyalty", "between", (1, 2, 3)),
    Filter("city", "is_null", "maybe"),
    Filter("city", "is_null", [True]),
    Filter("name", "contains", {"a": 1}),
    Filter("client.city", "eq", "x"),           # clients have no field "client"
    Filter("city.name", "eq", "x"),              # city is not a reference
    Filter("status", "eq", "unknown"),           # not a choice
])  # fmt: skip
def test_invalid_filters(flt: Filter) -> None:
    model = CompiledModel(CONFIG, TYPES)
    with pytest.raises(ValidationError) as e:
        ListQuery(model, "clients", filters=[flt])
    assert list(e.value.messages) == [flt.field]


@pytest.mark.parametrize("kw,key", [
    ({"sort": ["nope"]}, "sort"), ({"group_by": ["nope"]}, "group_by"),
    ({"columns": ["nope"]}, "columns"), ({"limit": 0}, "limit"), ({"limit": 10**6}, "limit"),
    ({"offset": -1}, "offset"),
])  # fmt: skip
def test_invalid_options(kw: dict[str, Any], key: str) -> None:
    model = CompiledModel(CONFIG, TYPES)
    with pytest.raises(ValidationError) as e:
        ListQuery(model, "clients", **kw)
    assert list(e.value.messages) == [key]


# -- references, paths, computed fields --------------------------------------------------------


def test_reference_filters_by_title_or_id(db: Db) -> None:
    vip = where(lambda c: c["category"] == 1)
    assert sorted(db.ids(filters=[Filter("category", "eq", "VIP")])) == vip
    assert sorted(db.ids(filters=[Filter("category", "eq", 1)])) == vip
    assert sorted(db.ids(filters=[Filter("category", "contains", "ip")])) == vip
    assert sorted(db.ids(filters=[Filter("category", "startswith", "обы")])) == where(
        lambda c: c["category"] == 2
    )
    # Escaped wildcards: "_5" matches "Опт_50%" literally, "%" too.
    assert sorted(db.ids(filters=[Filter("category", "contains", "т_50%")])) == where(
        lambda c: c["category"] == 3
    )
    assert sorted(db.ids(filters=[Filter("category", "in", ["VIP", "Опт_50%"])])) == where(
        lambda c: c["category"] in (1, 3)
    )
    assert sorted(db.ids(filters=[Filter("category", "ne", "VIP")])) == where(
        lambda c: c["category"] != 1
    )
    assert sorted(db.ids(filters=[Filter("category", "is_null", True)])) == where(
        lambda c: c["category"] is None
    )


def test_user_field_title(db: Db) -> None:
    assert sorted(db.ids(filters=[Filter("manager", "eq", "Анна")])) == where(
        lambda c: c["manager"] == 1
    )
    rows = db.q(columns=["manager"], limit=100).rows
    assert all(r["manager__title"] == USER_TITLE.get(r["manager"]) for r in rows)


def test_rows_carry_titles_and_computed_fields(db: Db) -> None:
    rows = {r["id"]: r for r in db.q(limit=100).rows}
    for c in CLIENTS:
        row = rows[c["id"]]
        assert row["category__title"] == CATEGORY_TITLE.get(c["category"])
        assert row["contact_count"] == CONTACT_COUNT[c["id"]]
        assert row["credit"] == c["credit"] and row["status"] == c["status"]
        assert row["version"] == 1
        assert "kind__title" not in row and "city__title" not in row
    contacts = db.q("contacts", limit=100, columns=["client", "client_city"]).rows
    by_id = {c["id"]: c for c in CLIENTS}
    for r in contacts:
        assert r["client__title"] == by_id[r["client"]]["name"]
        assert r["client_city"] == by_id[r["client"]]["city"]
        assert set(r) == {"id", "version", "client", "client__title", "client_city"}


def test_path_filters(db: Db) -> None:
    city = {c["id"]: c["city"] for c in CLIENTS}
    expected = sorted(x["id"] for x in CONTACTS if city[x["client"]] == "Москва")
    assert sorted(db.ids("contacts", filters=[Filter("client.city", "eq", "Москва")])) == expected
    cat = {c["id"]: c["category"] for c in CLIENTS}
    expected = sorted(x["id"] for x in CONTACTS if cat[x["client"]] == 1)
    assert sorted(db.ids("contacts", filters=[Filter("client.category", "eq", "VIP")])) == expected
    assert sorted(db.ids(filters=[Filter("category.name", "startswith", "v")])) == where(
        lambda c: c["category"] == 1
    )
    assert sorted(db.ids(filters=[Filter("category.sort_order", "ge", 2)])) == where(
        lambda c: c["category"] in (2, 3)
    )


def test_formula_filter_and_sort(db: Db) -> None:
    city = {c["id"]: c["city"] for c in CLIENTS}
    expected = sorted(x["id"] for x in CONTACTS if (city[x["client"]] or "").lower() == "москва")
    got = db.ids("contacts", filters=[Filter("client_city", "contains", "МОСК")])
    assert sorted(got) == expected
    rows = [dict(x, client_city=city[x["client"]]) for x in CONTACTS]
    for sort in (["client_city"], ["-client_city"]):
        assert db.ids("contacts", sort=sort) == expected_order(rows, sort)


def test_rollup_filter_and_sort(db: Db) -> None:
    got = db.ids(filters=[Filter("contact_count", "ge", "2")])
    assert sorted(got) == where(lambda c: CONTACT_COUNT[c["id"]] >= 2)
    assert db.ids(filters=[Filter("contact_count", "eq", 0)]) == expected_order(
        [c for c in CLIENTS if CONTACT_COUNT[c["id"]] == 0], ["name"]
    )
    for sort in (["contact_count"], ["-contact_count", "name"]):
        assert db.ids(sort=sort) == expected_order(CLIENTS, sort)


# -- sorting and pagination --------------------------------------------------------------------

SORTS = [
    ["name"], ["-name"], ["city", "-loyalty"], ["-city", "loyalty"], ["-birthday", "name"],
    ["category"], ["-category", "-credit"], ["-contact_count", "city"], ["credit"],
    ["manager", "-created_at"], ["status", "-id"], [],
]  # fmt: skip


@pytest.mark.parametrize("sort", SORTS, ids=[",".join(s) or "default" for s in SORTS])
def test_sort_order(db: Db, sort: list[str]) -> None:
    assert db.ids(sort=sort) == expected_order(CLIENTS, sort or ["name"])


@pytest.mark.parametrize("sort", SORTS, ids=[",".join(s) or "default" for s in SORTS])
def test_keyset_walk_matches_offset_walk(db: Db, sort: list[str]) -> None:
    everything = db.ids(sort=sort)
    by_cursor, cursor, pages = [], None, 0
    while True:
        result = db.q(sort=sort, limit=3, after=cursor, count=False)
        by_cursor += [r["id"] for r in result.rows]
        pages += 1
        cursor = result.next_cursor
        if cursor is None:
            break
        assert pages < 20
    by_offset = []
    for offset in range(0, len(CLIENTS), 3):
        by_offset += [r["id"] for r in db.q(sort=sort, limit=3, offset=offset).rows]
    assert by_cursor == by_offset == everything
    assert len(set(by_cursor)) == len(CLIENTS)


SORTABLE = ["name", "city", "loyalty", "birthday", "credit", "category", "manager", "status",
            "contact_count", "kind", "created_at"]  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # read-only fixture
@given(
    sort=st.lists(st.sampled_from(SORTABLE), max_size=3, unique=True).flatmap(
        lambda names: st.tuples(*(st.sampled_from([n, "-" + n]) for n in names))
    ),
    size=st.integers(1, 7),
)
def test_keyset_walk_property(sqlite_db: Db, sort: tuple[str, ...], size: int) -> None:
    walked, cursor = [], None
    for _ in range(len(CLIENTS) + 1):
        result = sqlite_db.q(sort=list(sort), limit=size, after=cursor, count=False)
        walked += [r["id"] for r in result.rows]
        cursor = result.next_cursor
        if cursor is None:
            break
    assert walked == expected_order(CLIENTS, list(sort) or ["name"])


def test_keyset_with_filters_and_exact_last_page(db: Db) -> None:
    flt = [Filter("kind", "eq", "company")]
    first = db.q(filters=flt, sort=["-loyalty"], limit=5)
    ids = [r["id"] for r in first.rows]
    second = db.q(filters=flt, sort=["-loyalty"], limit=100, after=first.next_cursor)
    assert second.next_cursor is None
    assert ids + [r["id"] for r in second.rows] == db.ids(filters=flt, sort=["-loyalty"])
    assert first.total == second.total == len(where(lambda c: c["kind"] == "company"))


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_tampered_cursors_are_refused(db: Db) -> None:
    cursor = db.q(sort=["-birthday"], limit=3).next_cursor
    assert cursor
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert payload["s"] == ["-birthday", "id"]
    bad = [
        "not a cursor!", cursor[:-3], cursor + "x", "",
        _cursor({**payload, "s": ["name", "id"]}),          # another sort's cursor
        _cursor({**payload, "v": payload["v"][:1]}),          # too few values
        _cursor({**payload, "v": ["x", payload["v"][1]]}),    # a string for a date
        _cursor({**payload, "v": [payload["v"][0], None]}),  # id is never NULL
        _cursor({**payload, "v": [{"d": "not a date"}, 1]}),
        _cursor({**payload, "v": [{"zz": "1"}, 1]}),
        _cursor({**payload, "v": [payload["v"][0], True]}),
        _cursor([1, 2]),
    ]  # fmt: skip
    for text in bad:
        if not text:
            continue
        with pytest.raises(ValidationError) as e:
            db.q(sort=["-birthday"], after=text)
        assert list(e.value.messages) == ["after"], text
    with pytest.raises(ValidationError):
        db.q(sort=["name"], after=cursor)


# -- quick search ------------------------------------------------------------------------------


def test_contains_folds_cyrillic_on_a_plain_sqlite_engine() -> None:
    # An engine not made by database.create_engine gets a Unicode lower() on first use.
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    model = CompiledModel(CONFIG, TYPES, "sqlite")
    _populate(engine, model)
    db = Db(engine, model)
    assert sorted(db.ids(filters=[Filter("name", "contains", "ИВАН")])) == where(
        lambda c: "иван" in c["name"].lower()
    )
    engine.dispose()


def test_search_folds_cyrillic_case(db: Db) -> None:
    expected = where(lambda c: any(w.lower().startswith("ива") for w in c["name"].split()))
    assert len(expected) == 2
    for text in ("ива", "ИВА", "Ива"):
        assert sorted(db.ids(search=text)) == expected


def test_search_with_several_words_needs_all(db: Db) -> None:
    assert db.ids(search="ооо ром") == [2]
    assert db.ids(search="ром ооо") == [2]
    assert sorted(db.ids(search="ром")) == [2, 12]
    assert db.ids(search="ооо нет") == []
    assert db.ids(search="ёж") == [19]
    assert db.ids(search="   ") == db.ids()


def test_search_by_phone_digits_and_with_filters(db: Db) -> None:
    assert sorted(db.ids(search="+7912000000")) == list(range(1, 10))
    assert db.ids(search="79120000007") == [7]
    assert db.ids(search="ива", filters=[Filter("city", "is_null", True)]) == where(
        lambda c: c["city"] is None and c["name"].lower().startswith("ива")
    )


def test_search_needs_search_fields(db: Db) -> None:
    with pytest.raises(ValidationError) as e:
        db.q("client_categories", search="vip")
    assert "no search fields" in e.value.messages["search"][0]


# -- counts and groups -------------------------------------------------------------------------


def test_capped_count(db: Db) -> None:
    result = db.q(limit=2, count_limit=5)
    assert (result.total, result.total_capped) == (5, True)
    result = db.q(limit=2, count_limit=20)
    assert (result.total, result.total_capped) == (20, False)
    result = db.q(limit=2, count_limit=19)
    assert (result.total, result.total_capped) == (19, True)
    assert db.q(limit=2, count=False).total is None
    # A last page from a known offset counts itself without a COUNT query.
    assert db.q(limit=50, offset=18).total == 20
    assert db.q(limit=5, offset=40).total == 20
    assert db.q(filters=[Filter("name", "eq", "nobody")]).total == 0


def test_count_statement_is_bounded() -> None:
    model = CompiledModel(CONFIG, TYPES)
    sql = str(ListQuery(model, "clients", count_limit=5).count_statement().compile(
        compile_kwargs={"literal_binds": True}))  # fmt: skip
    assert "count(*)" in sql and "LIMIT 6" in sql


def test_group_counts(db: Db) -> None:
    company = db.model["clients"].sql.c.kind == "company"
    result = db.q(group_by=["category"], row_condition=company, limit=1)
    rows = [c for c in CLIENTS if c["kind"] == "company"]
    keys = sorted({c["category"] for c in rows}, key=_nulls_low)
    assert result.groups == [
        Group((k,), (CATEGORY_TITLE.get(k),), sum(1 for c in rows if c["category"] == k))
        for k in keys
    ]
    assert result.total == len(rows)


def test_group_counts_by_two_fields_with_filters(db: Db) -> None:
    company = db.model["clients"].sql.c.kind == "company"
    flt = [Filter("loyalty", "is_null", False)]
    groups = db.q(group_by=["category", "city"], filters=flt, row_condition=company).groups
    rows = [c for c in CLIENTS if c["kind"] == "company" and c["loyalty"] is not None]
    combos = sorted(
        {(c["category"], c["city"]) for c in rows}, key=lambda k: [_nulls_low(v) for v in k]
    )
    assert [g.key for g in groups] == combos
    for g in groups:
        assert g.titles == (CATEGORY_TITLE.get(g.key[0]), None)
        assert g.count == sum(1 for c in rows if (c["category"], c["city"]) == g.key)
    assert sum(g.count for g in groups) == len(rows)


def test_page_group_counts_count_only_the_groups_shown_capped(db: Db) -> None:
    """``group_counts="page"``: every level of the groups on the page, each counted up to
    ``count_limit``; a grouped reference sorts by its raw value (index order)."""
    cols = ["name", "category", "city"]
    result = db.q(group_by=["category", "city"], group_counts="page", columns=cols,
                  sort=["category", "city", "name"], limit=4, count_limit=3)  # fmt: skip
    rows = result.rows
    raw = sorted(CLIENTS, key=lambda c: [*(_nulls_low(c[k]) for k in cols[1:] + cols[:1]),
                                         c["id"]])  # fmt: skip
    assert [r["id"] for r in rows] == [c["id"] for c in raw[:4]]
    # (The fixture's category titles happen to sort like their ids: check the SQL too.)
    grouped = ListQuery(db.model, "clients", sort=["category"], group_by=["category"])
    plain = ListQuery(db.model, "clients", sort=["category"])
    order = str(grouped.rows_statement()).split("ORDER BY")[1]
    assert order.strip().startswith("clients.category")
    assert "client_categories" in str(plain.rows_statement()).split("ORDER BY")[1]
    shown = {(r["category"],) for r in rows} | {(r["category"], r["city"]) for r in rows}
    assert {g.key for g in result.groups} == shown
    for g in result.groups:
        exact = sum(1 for c in CLIENTS if tuple(c[k] for k in ("category", "city")[: len(g.key)])
                    == g.key)  # fmt: skip
        assert (g.count, g.capped) == ((3, True) if exact > 3 else (exact, False)), g
        assert g.titles[0] == CATEGORY_TITLE.get(g.key[0])


def test_group_limit(db: Db) -> None:
    assert len(db.q(group_by=["name"], group_limit=7).groups) == 7


def test_distinct_values(db: Db) -> None:
    company = db.model["clients"].sql.c.kind == "company"
    values = db.distinct("category", row_condition=company)
    rows = [c for c in CLIENTS if c["kind"] == "company"]
    present = {c["category"] for c in rows}
    # References are offered by title (NULL first).
    titles = sorted(CATEGORY_TITLE[k] for k in present if k is not None)
    assert [v.title for v in values] == [None, *titles]
    assert {v.value: v.count for v in values} == {
        k: sum(1 for c in rows if c["category"] == k) for k in present
    }
    by_prefix = db.distinct("category", search_prefix="v")
    assert [(v.value, v.title) for v in by_prefix] == [(1, "VIP")]
    cities = db.distinct("city", search_prefix="МОС")
    assert [v.value for v in cities] == ["Москва", "москва"]
    loyalty = db.distinct("loyalty", limit=3)
    assert [v.value for v in loyalty] == [None, 0, 1]
    assert [v.value for v in db.distinct("loyalty", search_prefix="3")] == [3]


# -- statements per page, permissions ----------------------------------------------------------


def _count_statements(engine: sa.Engine, run: Callable[[], Any]) -> int:
    seen: list[str] = []

    def listener(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's explicit BEGIN is no query
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


@pytest.mark.parametrize("table", ["clients", "contacts"])
def test_statements_per_page_are_constant(db: Db, table: str) -> None:
    def page(size: int, **kw: Any) -> Callable[[], Any]:
        return lambda: db.q(table, limit=size, **kw)

    db.q(table)  # warm up: connection set-up is not per page
    assert _count_statements(db.engine, page(5, count=False)) == 1
    assert _count_statements(db.engine, page(50, count=False)) == 1
    assert _count_statements(db.engine, page(5)) == 2  # rows + capped count
    assert _count_statements(db.engine, page(5, group_by=["id"])) == 3


def test_readable_restricts_rows_filters_sort_and_groups(db: Db) -> None:
    readable = {"name", "city", "category"}
    rows = db.q(readable=readable, limit=100).rows
    assert set(rows[0]) == {"id", "version", "created_at", "updated_at", "created_by",
                            "created_by__title", "updated_by", "updated_by__title",
                            "name", "city", "category", "category__title"}  # fmt: skip
    rows = db.q(readable=readable, columns=["name", "loyalty"]).rows
    assert set(rows[0]) == {"id", "version", "name"}
    for kw in (
        {"filters": [Filter("loyalty", "eq", 1)]},
        {"filters": [Filter("manager", "eq", "Анна")]},
        {"sort": ["-loyalty"]},
        {"group_by": ["status"]},
    ):
        with pytest.raises(PermissionDenied):
            db.q(readable=readable, **kw)
    with pytest.raises(PermissionDenied):
        db.q("contacts", readable={"name"}, filters=[Filter("client.city", "eq", "Москва")])
    with pytest.raises(PermissionDenied):
        db.distinct("loyalty", readable=readable)
    # System columns are always readable; the default sort still applies.
    assert db.ids(readable=readable, filters=[Filter("id", "le", 3)]) == expected_order(
        CLIENTS[:3], ["name"]
    )


def test_row_condition_applies_to_rows_and_counts(db: Db) -> None:
    cond = db.model["clients"].sql.c.city == "Москва"
    result = db.q(row_condition=cond, limit=2, count_limit=100)
    assert result.total == len(where(lambda c: c["city"] == "Москва"))
    assert all(r["city"] == "Москва" for r in result.rows)


def test_role_rule_as_row_condition(db: Db) -> None:
    # The records service turns a role's row rules ({"field", "op", "value"}) into
    # row_condition with filter_condition; paths and titles work there too.
    clients = db.model["clients"]
    mine = filter_condition(db.model, clients, {"field": "manager", "op": "eq", "value": 1})
    result = db.q(row_condition=mine, group_by=["manager"], limit=2)
    assert result.total == len(where(lambda c: c["manager"] == 1))
    assert result.groups == [Group((1,), ("Анна",), result.total)]
    vip = filter_condition(db.model, db.model["contacts"], Filter("client.category", "eq", "VIP"))
    cat = {c["id"]: c["category"] for c in CLIENTS}
    assert db.q("contacts", row_condition=vip, count_limit=1000).total == sum(
        1 for x in CONTACTS if cat[x["client"]] == 1
    )


# -- plans on SQLite ---------------------------------------------------------------------------


def _plan(db: Db, table: str = "clients", **kw: Any) -> str:
    """SQLite's EXPLAIN QUERY PLAN of the one statement a page runs."""
    captured: list[tuple[str, Any]] = []

    def listener(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if not statement.startswith("BEGIN"):
            captured.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        db.q(table, count=False, **kw)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    ((statement, params),) = captured
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
    return "\n".join(r[-1] for r in rows)


def test_sqlite_search_uses_the_search_index(sqlite_db: Db) -> None:
    plan = _plan(sqlite_db, search="ива", sort=["name"])
    assert any(line.startswith("SEARCH clients__sk") for line in plan.splitlines()), plan


def test_sqlite_search_page_in_match_order_needs_no_sort(sqlite_db: Db) -> None:
    """With no sort asked for, a search page walks the search table's key (O(page)): no
    temporary B-tree sorts the matches (S03, docs/performance.md)."""
    plan = _plan(sqlite_db, search="ива")
    assert plan.splitlines()[0].startswith("SEARCH sk_match USING PRIMARY KEY"), plan
    assert "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize(
    "table,index",
    [("clients", "ix_clients_clients_name"), ("contacts", "ix_contacts_contacts_name")],
)
def test_sqlite_default_sort_uses_the_sort_index(sqlite_db: Db, table: str, index: str) -> None:
    plan = _plan(sqlite_db, table)
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
    assert index in plan, plan


def test_sqlite_next_page_is_an_index_range(sqlite_db: Db) -> None:
    cursor = sqlite_db.q(limit=3).next_cursor
    plan = _plan(sqlite_db, after=cursor)
    assert "SEARCH clients USING INDEX ix_clients_clients_name (name>?)" in plan, plan
    assert "USE TEMP B-TREE" not in plan, plan


def test_sqlite_driver_path_gives_what_sqlalchemy_gives(sqlite_db: Db) -> None:
    """On a SQLite engine list statements run on the driver's cursor (query_driver); on a
    given connection, through SQLAlchemy. Rows, value types, cursors, counts and groups agree."""
    assert driver_engine(sqlite_db.engine) is sqlite_db.engine
    cases: list[dict[str, Any]] = [
        {"sort": ["-birthday", "name"], "limit": 7},
        {"filters": [Filter("credit", "ge", "3.5"),
                     Filter("created_at", "ge", dt.datetime(2024, 1, 2))], "sort": ["credit"],
         "limit": 4},
        {"filters": [Filter("category", "eq", "VIP")], "group_by": ["category"], "limit": 2},
        {"search": "ива", "columns": ["name", "birthday", "credit", "contact_count"]},
        {"sort": ["category", "-created_at"], "limit": 3, "offset": 2},
    ]  # fmt: skip
    for kw in cases:
        via_driver = sqlite_db.q(**kw)
        with sqlite_db.engine.connect() as conn:
            via_sqlalchemy = run_query(sqlite_db.model, "clients", connection=conn, **kw)
        assert via_driver == via_sqlalchemy
        assert via_driver.rows
        for ours, theirs in zip(via_driver.rows, via_sqlalchemy.rows):
            assert [type(v) for v in ours.values()] == [type(v) for v in theirs.values()]
        if via_driver.next_cursor and "offset" not in kw:
            after = {**kw, "after": via_driver.next_cursor}
            assert sqlite_db.q(**after).rows == sqlite_db.q(**{**kw, "offset": kw["limit"]}).rows
    row = sqlite_db.q(filters=[Filter("id", "eq", 1)]).rows[0]
    assert isinstance(row["birthday"], dt.date) and isinstance(row["credit"], Decimal)
    assert isinstance(row["created_at"], dt.datetime)
