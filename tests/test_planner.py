"""The planner, without any database: what it plans, in which order, and the SQL it prints."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from uchet.platform.model.config import Configuration, build_configuration
from uchet.platform.plugins import field_type_registry, make_plugin_manager
from uchet.platform.schema.operations import (
    AddField,
    AddUnique,
    AlterNullable,
    BackupFields,
    ChangeReference,
    CreateIndex,
    CreateSearchTable,
    CreateTable,
    DropField,
    DropIndex,
    DropSearchTable,
    DropTable,
    DropUnique,
    RebuildSearch,
    RenameField,
    RenameTable,
    RetypeField,
)
from uchet.platform.schema.planner import Plan, plan

TYPES = field_type_registry(make_plugin_manager(entry_points=False))


def field(table: str, name: str, type_: str = "string", **props: Any) -> dict[str, Any]:
    """A field document with id ``table.name``."""
    return {"id": f"{table}.{name}", "name": name, "type": type_, "label": name, **props}


def table(tid: str, fields: list[dict[str, Any]], **props: Any) -> dict[str, Any]:
    """A table document whose name is its id."""
    return {"id": tid, "name": tid, "label": tid, "fields": fields, **props}


def tree(*tables: dict[str, Any]) -> dict[str, Any]:
    """A configuration tree."""
    manifest = {"name": "t", "version": "1", "title": "T", "locales": ["en"],
                "default_locale": "en"}  # fmt: skip
    return {"manifest": manifest, "tables": list(tables), "roles": []}


def base_tree() -> dict[str, Any]:
    """Clients and their contacts."""
    return tree(
        table("clients", [
            field("clients", "name", max_length=100, required=True),
            field("clients", "phone", "phone"),
            field("clients", "city", max_length=100),
            field("clients", "notes", "text"),
            field("clients", "loyalty", "integer"),
        ], default_sort=["clients.name"], search_fields=["clients.name"]),
        table("contacts", [
            field("contacts", "client", "reference", target="clients", on_delete="cascade"),
            field("contacts", "name", max_length=100),
        ]),
    )  # fmt: skip


def build(t: dict[str, Any]) -> Configuration:
    return build_configuration(t)


def changed(edit: Any) -> tuple[Configuration, Plan]:
    """The base configuration and the plan to a copy changed by ``edit(tree)``."""
    old = base_tree()
    new = copy.deepcopy(old)
    edit(new)
    cfg = build(old)
    return cfg, plan(cfg, build(new), TYPES)


def tbl(t: dict[str, Any], tid: str) -> dict[str, Any]:
    return next(x for x in t["tables"] if x["id"] == tid)


def fld(t: dict[str, Any], fid: str) -> dict[str, Any]:
    return next(f for x in t["tables"] for f in x["fields"] if f["id"] == fid)


def kinds(p: Plan) -> list[type]:
    return [type(op) for op in p.operations]


def test_identical_configurations_give_an_empty_plan() -> None:
    cfg = build(base_tree())
    p = plan(cfg, build(base_tree()), TYPES)
    assert p.is_empty and p.operations == () and p.destructive == []
    assert str(p) == "no schema changes"


def test_labels_and_list_columns_are_not_schema_changes() -> None:
    def edit(t: dict[str, Any]) -> None:
        fld(t, "clients.city")["label"] = {"ru": "Город"}
        tbl(t, "clients")["list"] = {"columns": ["clients.city"], "page_size": 20}

    assert changed(edit)[1].is_empty


def test_first_plan_creates_parents_then_children_then_search_tables() -> None:
    t = base_tree()
    t["tables"].reverse()  # the child comes first in the configuration
    p = plan(None, build(t), TYPES)
    assert kinds(p) == [CreateTable, CreateTable, CreateSearchTable]
    assert [op.table.name for op in p.operations] == ["clients", "contacts", "clients"]
    assert not p.destructive


def test_rename_field_is_a_rename_not_drop_and_add() -> None:
    _, p = changed(lambda t: fld(t, "clients.phone").update(name="telephone"))
    assert kinds(p) == [RenameField]
    (op,) = p.operations
    assert op.describe() == "rename field clients.phone -> telephone"
    assert not op.destructive


def test_rename_table() -> None:
    _, p = changed(lambda t: tbl(t, "clients").update(name="customers"))
    assert kinds(p) == [RenameTable]
    assert str(p) == "1. rename table clients -> customers"


def test_swapped_names_go_through_temporary_names() -> None:
    def edit(t: dict[str, Any]) -> None:
        fld(t, "clients.city")["name"] = "phone"
        fld(t, "clients.phone")["name"] = "city"

    _, p = changed(edit)
    assert kinds(p) == [RenameField] * 4
    names = [(op.old_name, op.new_name) for op in p.operations]
    assert names[:2] == [("city", "_uchet_tmp_0"), ("phone", "_uchet_tmp_1")] or names[:2] == [
        ("phone", "_uchet_tmp_0"), ("city", "_uchet_tmp_1")]  # fmt: skip
    assert {n for _, n in names[2:]} == {"city", "phone"}


def test_drop_field_is_destructive_and_backed_up_first() -> None:
    _, p = changed(lambda t: tbl(t, "clients")["fields"].pop(3))  # notes
    assert kinds(p) == [BackupFields, DropField]
    assert p.destructive == [p.operations[1]]
    text = str(p)
    assert "back up clients.notes into uchet_bak_N_clients" in text
    assert "drop field clients.notes (values kept in uchet_bak_N_clients) [destructive]" in text
    named = p.for_version(7)
    assert "uchet_bak_7_clients" in str(named) and named.version == 7


def test_drop_table_is_destructive_and_drops_its_search_table_first() -> None:
    def edit(t: dict[str, Any]) -> None:
        t["tables"] = [x for x in t["tables"] if x["id"] == "contacts"]
        tbl(t, "contacts")["fields"].pop(0)  # the reference to clients goes too

    _, p = changed(edit)
    assert kinds(p) == [DropSearchTable, DropIndex, BackupFields, DropField, DropTable]
    assert [op.destructive for op in p.operations] == [False, False, False, True, True]


def test_children_are_dropped_before_their_parents() -> None:
    _, p = changed(lambda t: t.update(tables=[]))
    drops = [op.table_name for op in p.operations if isinstance(op, DropTable)]
    assert drops == ["contacts", "clients"]


@pytest.mark.parametrize(
    ("old", "new", "destructive"),
    [
        ({"type": "string", "max_length": 100}, {"type": "text"}, False),
        ({"type": "text"}, {"type": "string"}, True),
        ({"type": "string", "max_length": 100}, {"type": "string", "max_length": 200}, False),
        ({"type": "string", "max_length": 100}, {"type": "string", "max_length": 10}, True),
        ({"type": "integer"}, {"type": "decimal"}, False),
        ({"type": "integer"}, {"type": "string"}, False),
        ({"type": "string"}, {"type": "integer"}, True),
        ({"type": "decimal"}, {"type": "integer"}, True),
        ({"type": "decimal", "precision": 10}, {"type": "decimal", "precision": 12}, False),
        ({"type": "decimal", "scale": 2}, {"type": "decimal", "scale": 0}, True),
        ({"type": "string"}, {"type": "email"}, True),
        ({"type": "date"}, {"type": "datetime"}, False),
    ],
)
def test_retype_is_destructive_when_it_can_lose_data(
    old: dict[str, Any], new: dict[str, Any], destructive: bool
) -> None:
    old_t = tree(table("t", [field("t", "x", old.pop("type"), **old)]))
    new_t = tree(table("t", [field("t", "x", new.pop("type"), **new)]))
    p = plan(build(old_t), build(new_t), TYPES)
    assert kinds(p) == [RetypeField]
    assert p.operations[0].destructive is destructive
    assert (p.destructive != []) is destructive


def test_retype_drops_and_recreates_indexes_on_the_column() -> None:
    _, p = changed(lambda t: fld(t, "clients.name").update(max_length=200))
    assert kinds(p) == [DropIndex, RetypeField, CreateIndex, RebuildSearch]
    assert p.operations[0].spec == p.operations[2].spec
    assert p.operations[1].describe() == "change type of clients.name: string(100) -> string(200)"


def test_index_ops_follow_filters_and_sort() -> None:
    def edit(t: dict[str, Any]) -> None:
        tbl(t, "clients")["default_sort"] = ["-clients.loyalty"]
        tbl(t, "clients")["list"] = {"filters": ["clients.city"]}

    _, p = changed(edit)
    assert kinds(p) == [DropIndex, CreateIndex, CreateIndex]
    assert p.operations[0].spec.field_ids == ("clients.name",)
    assert {op.spec.field_ids for op in p.operations[1:]} == {
        ("clients.loyalty",),
        ("clients.city", "clients.loyalty"),  # a filter is indexed with the default sort
    }


def test_unique_toggles_use_unique_constraints() -> None:
    _, p = changed(lambda t: fld(t, "clients.city").update(unique=True))
    assert kinds(p) == [AddUnique]
    old = base_tree()
    fld(old, "clients.city")["unique"] = True
    assert kinds(plan(build(old), build(base_tree()), TYPES)) == [DropUnique]


def test_indexes_are_dropped_before_their_column_and_created_after_it() -> None:
    def edit(t: dict[str, Any]) -> None:
        tbl(t, "contacts")["fields"].pop(0)  # contacts.client, indexed as a reference
        tbl(t, "contacts")["fields"].append(
            field("contacts", "owner", "reference", target="clients")
        )

    _, p = changed(edit)
    assert kinds(p) == [DropIndex, BackupFields, DropField, AddField, CreateIndex]


def test_required_toggle_and_reference_changes() -> None:
    def edit(t: dict[str, Any]) -> None:
        fld(t, "clients.city")["required"] = True
        fld(t, "contacts.client")["on_delete"] = "restrict"

    _, p = changed(edit)
    assert kinds(p) == [AlterNullable, ChangeReference]
    assert p.operations[0].describe() == "make clients.city required"
    assert "on_delete cascade -> restrict" in p.operations[1].describe()
    assert not p.destructive


def test_required_toggle_makes_the_plain_indexes_over_the_field_again() -> None:
    # On PostgreSQL a nullable column is indexed NULLS FIRST and a NOT NULL one is not
    # (schema_runner.index_sorting), so the index follows the field's nullability.
    def edit(t: dict[str, Any]) -> None:
        fld(t, "clients.city").update(required=True, default="Moscow", indexed=True)
        fld(t, "clients.phone")["required"] = True

    old = base_tree()
    fld(old, "clients.city")["indexed"] = True
    fld(old, "clients.phone")["unique"] = True
    new = copy.deepcopy(old)
    edit(new)
    p = plan(build(old), build(new), TYPES)
    assert kinds(p) == [DropIndex, AlterNullable, AlterNullable, CreateIndex]
    assert p.operations[0].spec.field_ids == ("clients.city",)  # the unique phone stays


def test_new_reference_to_a_new_table_comes_after_it() -> None:
    def edit(t: dict[str, Any]) -> None:
        t["tables"].append(table("regions", [field("regions", "name")]))
        tbl(t, "clients")["fields"].append(
            field("clients", "region", "reference", target="regions")
        )

    _, p = changed(edit)
    assert kinds(p) == [CreateTable, AddField, CreateIndex]


def test_new_tables_referring_to_each_other_defer_one_key() -> None:
    a = table("a", [field("a", "b", "reference", target="b")])
    b = table("b", [field("b", "a", "reference", target="a")])
    p = plan(None, build(tree(a, b)), TYPES)
    assert kinds(p) == [CreateTable, CreateTable, AddField, CreateIndex]
    assert p.operations[0].deferred == ("a.b",)
    assert p.operations[2].field.id == "a.b"


def test_search_field_changes_rebuild_the_terms() -> None:
    _, p = changed(
        lambda t: tbl(t, "clients").update(search_fields=["clients.name", "clients.city"])
    )
    assert kinds(p) == [RebuildSearch]
    _, p = changed(lambda t: tbl(t, "clients").pop("search_fields"))
    assert kinds(p) == [DropSearchTable]


def test_sql_preview_sqlite() -> None:
    def edit(t: dict[str, Any]) -> None:
        fld(t, "clients.phone")["name"] = "telephone"
        fld(t, "clients.city")["unique"] = True
        tbl(t, "clients")["fields"].pop(3)

    _, p = changed(edit)
    sql = p.sql("sqlite")
    # Until applied, the version is not known: the backup's name says N (quoted: uppercase).
    assert 'CREATE TABLE "uchet_bak_N_clients"' in sql
    assert 'INSERT INTO "uchet_bak_N_clients" (id, notes) SELECT clients.id, clients.notes' in sql
    assert "ALTER TABLE clients DROP COLUMN notes" in sql
    assert "ALTER TABLE clients RENAME COLUMN phone TO telephone" in sql
    # SQLite cannot add a constraint: the table is rebuilt from the planned definition.
    assert "CREATE TABLE _alembic_tmp_clients" in sql
    assert "CONSTRAINT uq_clients_clients_city UNIQUE (city)" in sql
    assert "ALTER TABLE _alembic_tmp_clients RENAME TO clients" in sql
    assert sql.index("RENAME COLUMN phone") < sql.index("_alembic_tmp_clients")
    assert "ix_clients_clients_name ON clients (name)" in sql.split("RENAME TO clients")[1]


def test_sql_preview_postgresql() -> None:
    def edit(t: dict[str, Any]) -> None:
        fld(t, "clients.phone")["name"] = "telephone"
        fld(t, "clients.city")["unique"] = True
        fld(t, "clients.loyalty")["type"] = "string"

    _, p = changed(edit)
    sql = p.sql("postgresql")
    assert "ALTER TABLE clients RENAME phone TO telephone" in sql
    assert "ALTER TABLE clients ADD CONSTRAINT uq_clients_clients_city UNIQUE (city)" in sql
    assert "ALTER TABLE clients ADD COLUMN _uchet_new_loyalty VARCHAR(255)" in sql
    assert "-- fill _uchet_new_loyalty with each value of loyalty" in sql
    assert "ALTER TABLE clients DROP COLUMN loyalty" in sql
    assert "ALTER TABLE clients RENAME _uchet_new_loyalty TO loyalty" in sql
    assert "_alembic_tmp" not in sql and "CAST" not in sql


def test_sql_preview_of_a_first_plan_creates_system_tables() -> None:
    sql = plan(None, build(base_tree()), TYPES).sql("postgresql")
    assert "CREATE TABLE uchet_config" in sql
    assert "CREATE TABLE contacts" in sql
    fk = "CONSTRAINT fk_contacts_client FOREIGN KEY(client) REFERENCES clients (id)"
    assert fk + " ON DELETE CASCADE" in sql
    assert "CREATE TABLE clients__sk" in sql
