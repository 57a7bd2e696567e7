"""Random sequences of configuration changes never lose a value that was not dropped.

The test keeps a model of the expected data. Each step changes the configuration at random
(add, rename, retype, index or drop a field; add, rename or drop a table; change the searched
fields), migrates, inserts a row, and then compares every value of every table with the
model, the search terms with the ones computed in Python, and the schema with the compiler's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from tests.test_migrator import schema_of

from uchet.platform.model.config import Configuration, build_configuration
from uchet.platform.plugins import field_type_registry, make_plugin_manager
from uchet.platform.schema.database import create_engine
from uchet.platform.schema.migrator import apply
from uchet.platform.schema.planner import plan
from uchet.platform.schema.reconcile import plan_for_database
from uchet.platform.schema.search import record_terms

TYPES = field_type_registry(make_plugin_manager(entry_points=False))
WORD = "[a-zA-Zа-яА-Я0-9]"
VALUES: dict[str, st.SearchStrategy[Any]] = {
    # No blanks at the ends: a string field strips them, and this test is about keeping
    # values, not about how text is normalised.
    "string": st.from_regex(rf"{WORD}([a-zA-Zа-яА-Я0-9 ]{{0,28}}{WORD})?", fullmatch=True),
    "text": st.from_regex(rf"{WORD}([a-zA-Zа-яА-Я0-9 ]{{0,28}}{WORD})?", fullmatch=True),
    "integer": st.integers(-(10**9), 10**9),
    "decimal": st.decimals(-(10**6), 10**6, places=2, allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
    "date": st.dates(),
}
#: The type changes tried, and what they do to a value.
RETYPES: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("string", "text"): lambda v: v,
    ("text", "string"): lambda v: v,
    ("integer", "decimal"): lambda v: Decimal(v).quantize(Decimal("0.01")),
    ("integer", "string"): str,
}


@dataclass
class F:
    id: str
    name: str
    type: str
    target: str | None = None
    indexed: bool = False
    required: bool = False
    default: Any = None
    on_delete: str = "set_null"


@dataclass
class T:
    id: str
    name: str
    fields: dict[str, F] = field(default_factory=dict)
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    search: list[str] = field(default_factory=list)


class Model:
    """The configuration and the data the database should hold."""

    def __init__(self) -> None:
        self.n = 0
        self.tables: dict[str, T] = {}

    def new_name(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def tree(self) -> dict[str, Any]:
        tables = []
        for t in self.tables.values():
            docs = []
            for f in t.fields.values():
                doc: dict[str, Any] = {"id": f.id, "name": f.name, "type": f.type, "label": f.name}
                if f.target:
                    doc.update(target=f.target, on_delete=f.on_delete)
                if f.indexed:
                    doc["indexed"] = True
                if f.required:
                    doc.update(required=True, default=f.default)
                docs.append(doc)
            tables.append({"id": t.id, "name": t.name, "label": t.name, "fields": docs,
                           "search_fields": list(t.search)})  # fmt: skip
        manifest = {"name": "p", "version": "1", "title": "P", "locales": ["en"],
                    "default_locale": "en"}  # fmt: skip
        return {"manifest": manifest, "tables": tables, "roles": []}


def add_field(m: Model, data: st.DataObject) -> None:
    t = data.draw(st.sampled_from(sorted(m.tables)))
    kinds = [*VALUES, *(["reference"] if m.tables else [])]
    kind = data.draw(st.sampled_from(kinds))
    name = m.new_name("f")
    target = data.draw(st.sampled_from(sorted(m.tables))) if kind == "reference" else None
    m.tables[t].fields[f"{t}.{name}"] = F(f"{t}.{name}", name, kind, target)
    for row in m.tables[t].rows.values():
        row[f"{t}.{name}"] = None


def pick_field(m: Model, data: st.DataObject, ok: Callable[[F], bool] = lambda f: True) -> Any:
    choices = sorted((t.id, f.id) for t in m.tables.values() for f in t.fields.values() if ok(f))
    if not choices:
        return None
    tid, fid = data.draw(st.sampled_from(choices))
    return m.tables[tid], m.tables[tid].fields[fid]


def rename_field(m: Model, data: st.DataObject) -> None:
    if found := pick_field(m, data):
        found[1].name = m.new_name("r")


def retype_field(m: Model, data: st.DataObject) -> None:
    found = pick_field(m, data, lambda f: any(a == f.type for a, _ in RETYPES))
    if found:
        t, f = found
        new = data.draw(st.sampled_from(sorted(b for a, b in RETYPES if a == f.type)))
        convert = RETYPES[(f.type, new)]
        f.type = new
        for row in t.rows.values():
            row[f.id] = None if row[f.id] is None else convert(row[f.id])


def index_field(m: Model, data: st.DataObject) -> None:
    if found := pick_field(m, data):
        found[1].indexed = not found[1].indexed


def require_field(m: Model, data: st.DataObject) -> None:
    """Make a field required with a default (empty values get it), or optional again."""
    found = pick_field(m, data, lambda f: f.type in ("string", "integer"))
    if found:
        t, f = found
        f.required = not f.required
        if f.required:
            f.default = data.draw(VALUES[f.type])
            for row in t.rows.values():
                if row[f.id] is None:
                    row[f.id] = f.default


def change_on_delete(m: Model, data: st.DataObject) -> None:
    if found := pick_field(m, data, lambda f: f.type == "reference"):
        rules = ["set_null", "cascade", "restrict"]
        found[1].on_delete = data.draw(
            st.sampled_from([r for r in rules if r != found[1].on_delete])
        )


def drop_field(m: Model, data: st.DataObject) -> None:
    if found := pick_field(m, data):
        t, f = found
        del t.fields[f.id]
        t.search = [s for s in t.search if s != f.id]
        for row in t.rows.values():
            del row[f.id]


def search_fields(m: Model, data: st.DataObject) -> None:
    t = m.tables[data.draw(st.sampled_from(sorted(m.tables)))]
    texts = sorted(f.id for f in t.fields.values() if f.type in ("string", "text"))
    t.search = data.draw(st.lists(st.sampled_from(texts), min_size=1, unique=True)) if texts else []


def add_table(m: Model, data: st.DataObject) -> None:
    tid = m.new_name("t")
    m.tables[tid] = T(tid, tid)
    for _ in range(data.draw(st.integers(1, 2))):
        name = m.new_name("f")
        kind = data.draw(st.sampled_from(["string", "integer"]))
        m.tables[tid].fields[f"{tid}.{name}"] = F(f"{tid}.{name}", name, kind)


def rename_table(m: Model, data: st.DataObject) -> None:
    m.tables[data.draw(st.sampled_from(sorted(m.tables)))].name = m.new_name("tr")


def drop_table(m: Model, data: st.DataObject) -> None:
    if len(m.tables) < 2:
        return
    tid = data.draw(st.sampled_from(sorted(m.tables)))
    del m.tables[tid]
    for t in m.tables.values():  # a reference to the dropped table goes with it
        for f in [f for f in t.fields.values() if f.target == tid]:
            del t.fields[f.id]
            for row in t.rows.values():
                del row[f.id]


ACTIONS = [add_field, rename_field, retype_field, index_field, require_field, change_on_delete,
           drop_field, search_fields, add_table, rename_table, drop_table]  # fmt: skip


def reflect(conn: sa.Connection, name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), autoload_with=conn)


def insert_row(engine: Engine, m: Model, cfg: Configuration, data: st.DataObject) -> None:
    """Add a row with a value in every field (and its search terms) to a random table."""
    t = m.tables[data.draw(st.sampled_from(sorted(m.tables)))]
    values: dict[str, Any] = {}
    for f in t.fields.values():
        if f.type == "reference":
            ids = sorted(m.tables[f.target or ""].rows)
            values[f.id] = data.draw(st.sampled_from([None, *ids]))
        elif f.required:
            values[f.id] = data.draw(VALUES[f.type])
        else:
            values[f.id] = data.draw(st.none() | VALUES[f.type])
    with engine.begin() as conn:
        table = reflect(conn, t.name)
        result = conn.execute(
            table.insert().values({t.fields[k].name: v for k, v in values.items()})
        )
        rid = result.inserted_primary_key[0]
        if t.search:
            by_name = {t.fields[k].name: v for k, v in values.items()}
            terms = record_terms(cfg.table(t.id), by_name, TYPES)
            if terms:
                conn.execute(reflect(conn, t.name + "__sk").insert(),
                             [{"term": term, "record_id": rid, "field": f}
                              for term, f in terms])  # fmt: skip
    t.rows[rid] = values


def verify(engine: Engine, m: Model, cfg: Configuration) -> None:
    with engine.connect() as conn:
        for t in m.tables.values():
            table = reflect(conn, t.name)
            cols = [table.c[f.name] for f in t.fields.values()]
            got = {
                r[0]: dict(zip(t.fields, r[1:])) for r in conn.execute(sa.select(table.c.id, *cols))
            }
            assert got == t.rows, t.name
            if t.search:
                search = reflect(conn, t.name + "__sk")
                stored = set(map(tuple, conn.execute(
                    sa.select(search.c.term, search.c.record_id, search.c.field))))  # fmt: skip
                model_table = cfg.table(t.id)
                expected = set()
                for rid, row in t.rows.items():
                    by_name = {t.fields[k].name: v for k, v in row.items()}
                    expected |= {(term, rid, f) for term, f
                                 in record_terms(model_table, by_name, TYPES)}  # fmt: skip
                assert stored == expected, t.name
    found, wanted = schema_of(engine, cfg)
    assert found == wanted


def run_steps(engine: Engine, data: st.DataObject, steps: int) -> None:
    m = Model()
    add_table(m, data)
    add_table(m, data)
    first = list(m.tables.values())[1]
    first.fields[f"{first.id}.ref"] = F(f"{first.id}.ref", "ref", "reference", next(iter(m.tables)))
    cfg = build_configuration(m.tree())
    apply(engine, plan(None, cfg, TYPES), cfg, TYPES)
    for _ in range(3):
        insert_row(engine, m, cfg, data)
    for _ in range(steps):
        data.draw(st.sampled_from(ACTIONS))(m, data)
        new = build_configuration(m.tree())
        apply(engine, plan(cfg, new, TYPES), new, TYPES, allow_destructive=True)
        cfg = new
        insert_row(engine, m, cfg, data)
        verify(engine, m, cfg)
        with engine.connect() as conn:  # every index as uchet makes it: nothing to repair
            assert plan_for_database(conn, cfg, cfg, TYPES).is_empty


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.integers(1, 8))
def test_random_changes_keep_the_data_sqlite(data: st.DataObject, steps: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 't.db'}")
        try:
            run_steps(engine, data, steps)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def pg_engine(postgresql_url: str) -> Any:
    engine = create_engine(postgresql_url)
    yield engine
    engine.dispose()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), steps=st.integers(1, 8))
def test_random_changes_keep_the_data_postgresql(
    pg_engine: Engine, data: st.DataObject, steps: int
) -> None:
    with pg_engine.begin() as conn:  # a clean database for every example
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    run_steps(pg_engine, data, steps)
