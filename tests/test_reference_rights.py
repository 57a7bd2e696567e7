"""Titles and paths of referenced records respect the user's rights on the *target* table.

A contact list shows its client's name (``client__title``), sorts and filters by it, and
filters by ``client.city``. Each of these reads the clients table, so each needs read on
clients, on the field read there, and shows nothing of client rows outside the user's row
rules. Every test runs on SQLite and on PostgreSQL (``db_url``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import unseed

from uchet import SYSTEM, Filter, PermissionDenied, Platform
from uchet.configurations.overlay import Overlay


def _role(role_id: str, tables: dict[str, Any]) -> dict[str, Any]:
    return {"id": role_id, "name": role_id, "label": {"en": role_id}, "tables": tables}


ROLES = Overlay(
    "reference-rights.json",
    {
        "overlay": "reference-rights",
        "roles": [
            # Contacts, but not the clients they belong to.
            _role("contacts_only", {"contacts": {"read": True}}),
            # Clients without their names (the clients' title field).
            _role(
                "no_client_names",
                {
                    "contacts": {"read": True},
                    "clients": {"read": True, "fields": {"clients.name": "none"}},
                },
            ),
            # Every contact, but only the clients they manage.
            _role(
                "own_clients",
                {
                    "contacts": {"read": True},
                    "clients": {
                        "read": True,
                        "rows": [{"field": "manager", "op": "eq", "value": "$user"}],
                    },
                },
            ),
            # Clients, but not their categories.
            _role("no_categories", {"clients": {"read": True}}),
        ],
    },
)


@pytest.fixture
def crm(db_url: str) -> Iterator[dict[str, Any]]:
    """Two clients (one managed by the ``own_clients`` user), a contact of each, and a
    user of each role."""
    p = Platform.open("sample_crm", database_url=db_url, overlays=[ROLES])
    try:
        p.migrate()
        users = {
            role: p.users.create(role, "secret-pass-1", name=role, roles=[role])
            for role in ("contacts_only", "no_client_names", "own_clients", "no_categories")
        }
        olga = users["own_clients"]
        unseed(p)  # its own categories
        vip = p.records("client_categories", user=SYSTEM).create({"name": "VIP"})
        clients = p.records("clients", user=SYSTEM)
        mine = clients.create({"name": "Альфа", "city": "Омск", "manager": olga.id,
                               "category": vip["id"]})  # fmt: skip
        other = clients.create({"name": "Бета", "city": "Томск", "category": vip["id"]})
        contacts = p.records("contacts", user=SYSTEM)
        contacts.create({"client": mine["id"], "name": "Анна"})
        contacts.create({"client": other["id"], "name": "Борис"})
        yield {"platform": p, "users": users, "mine": mine, "other": other}
    finally:
        p.close()


def _contacts(crm: dict[str, Any], role: str) -> Any:
    return crm["platform"].records("contacts", user=crm["users"][role])


def _titles(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {r["name"]: r["client__title"] for r in rows}


def test_without_read_on_the_target_table_titles_are_hidden(crm):
    contacts = _contacts(crm, "contacts_only")
    rows = contacts.query(sort=["name"]).rows
    assert _titles(rows) == {"Анна": None, "Борис": None}
    # The reference itself is the contact's own field: its id stays visible.
    assert {r["client"] for r in rows} == {crm["mine"]["id"], crm["other"]["id"]}
    assert contacts.get(rows[0]["id"])["client__title"] is None
    # Comparing the hidden title is refused; comparing the id is not.
    by_title = [
        Filter("client", "eq", "Альфа"),
        Filter("client", "contains", "льф"),
        Filter("client", "in", ["Альфа"]),
        Filter("client", "startswith", "Б"),
    ]
    for flt in by_title:
        with pytest.raises(PermissionDenied):
            contacts.query(filters=[flt])
    by_id = contacts.query(filters=[Filter("client", "eq", crm["mine"]["id"])]).rows
    assert [r["name"] for r in by_id] == ["Анна"]
    # Sorting by the reference sorts by the bare id, so it reveals no order of names.
    ids = [r["client"] for r in contacts.query(sort=["-client"]).rows]
    assert ids == sorted(ids, reverse=True)
    groups = contacts.query(group_by=["client"]).groups
    assert {g.key[0] for g in groups} == {crm["mine"]["id"], crm["other"]["id"]}
    assert {g.titles[0] for g in groups} == {None}


def test_without_read_on_the_target_table_paths_are_refused(crm):
    contacts = _contacts(crm, "contacts_only")
    with pytest.raises(PermissionDenied):
        contacts.query(filters=[Filter("client.city", "eq", "Омск")])
    with pytest.raises(PermissionDenied):
        contacts.query(sort=["client.city"])
    with pytest.raises(PermissionDenied):
        contacts.query(group_by=["client.city"])


def test_distinct_values_offer_ids_without_titles(crm):
    contacts = _contacts(crm, "contacts_only")
    offered = contacts.distinct_values("client")
    assert {(v.value, v.title) for v in offered} == {(crm["mine"]["id"], None),
                                                     (crm["other"]["id"], None)}  # fmt: skip
    # A typed prefix matches the id's digits, never the hidden name.
    assert contacts.distinct_values("client", search_prefix="Аль") == []
    found = contacts.distinct_values("client", search_prefix=str(crm["other"]["id"]))
    assert [v.value for v in found] == [crm["other"]["id"]]
    with pytest.raises(PermissionDenied):
        contacts.distinct_values("client", filters=[Filter("client", "eq", "Альфа")])


def test_without_read_on_the_title_field_titles_are_hidden(crm):
    contacts = _contacts(crm, "no_client_names")
    assert _titles(contacts.query().rows) == {"Анна": None, "Борис": None}
    with pytest.raises(PermissionDenied):
        contacts.query(filters=[Filter("client", "eq", "Альфа")])
    with pytest.raises(PermissionDenied):
        contacts.query(filters=[Filter("client.name", "startswith", "А")])
    # Other fields of the client are readable, so the path to them is too.
    rows = contacts.query(filters=[Filter("client.city", "eq", "Омск")]).rows
    assert [r["name"] for r in rows] == ["Анна"]
    assert [r["name"] for r in contacts.query(sort=["-client.city"]).rows] == ["Борис", "Анна"]


def test_titles_of_rows_outside_the_row_rules_are_hidden(crm):
    contacts = _contacts(crm, "own_clients")
    # Both contacts are visible; only the client the user manages shows its name.
    assert _titles(contacts.query().rows) == {"Анна": "Альфа", "Борис": None}
    assert [r["name"] for r in contacts.query(filters=[Filter("client", "eq", "Альфа")]).rows] == [
        "Анна"
    ]
    assert contacts.query(filters=[Filter("client", "eq", "Бета")]).rows == []
    assert contacts.query(filters=[Filter("client", "contains", "ета")]).rows == []
    # Paths through a hidden row give nothing either.
    assert contacts.query(filters=[Filter("client.city", "eq", "Томск")]).rows == []
    rows = contacts.query(filters=[Filter("client.city", "is_null", True)]).rows
    assert [r["name"] for r in rows] == ["Борис"]
    offered = {v.value: v.title for v in contacts.distinct_values("client")}
    assert offered == {crm["mine"]["id"]: "Альфа", crm["other"]["id"]: None}
    groups = contacts.query(group_by=["client"]).groups
    assert {g.key[0]: g.titles[0] for g in groups} == offered
    # Sorted by title, the hidden one counts as unknown (NULLs first).
    assert [r["name"] for r in contacts.query(sort=["client"]).rows] == ["Борис", "Анна"]


def test_titles_of_references_from_the_queried_table(crm):
    p, users = crm["platform"], crm["users"]
    clients = p.records("clients", user=users["no_categories"])
    rows = clients.query(sort=["name"]).rows
    assert [(r["name"], r["category__title"]) for r in rows] == [("Альфа", None), ("Бета", None)]
    # The user type's title (a user's name) is not a configured table: always shown.
    assert rows[0]["manager__title"] == "own_clients"
    with pytest.raises(PermissionDenied):
        clients.query(filters=[Filter("category", "eq", "VIP")])


def test_statements_are_not_shared_across_rights(crm):
    """The same query shape by users with other rights is another statement."""
    p = crm["platform"]
    for _ in range(2):
        assert set(_titles(_contacts(crm, "contacts_only").query().rows).values()) == {None}
        full = p.records("contacts", user=SYSTEM).query().rows
        assert _titles(full) == {"Анна": "Альфа", "Борис": "Бета"}
        seen = _titles(_contacts(crm, "own_clients").query().rows)
        assert seen == {"Анна": "Альфа", "Борис": None}
        assert set(_titles(_contacts(crm, "no_client_names").query().rows).values()) == {None}
