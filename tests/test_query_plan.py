"""List queries remembered per request shape (``query_plan``) give exactly what checking
every request from the start gives: the rows of *this* request's values, user, roles and
rights, and the same errors. Runs on SQLite and PostgreSQL (``platform``, ``db_url``)."""

from __future__ import annotations

from typing import Any

import pytest

from uchet import SYSTEM, Filter, PermissionDenied, Platform, ValidationError
from uchet.configurations.overlay import Overlay
from uchet.platform.query.cache import model_cache


@pytest.fixture
def crm(platform) -> dict[str, Any]:
    """Two managers with two clients each (VIP or not), a viewer and an accountant."""
    users = platform.users
    people = {
        login: users.create(login, "secret-pass-1", name=login.title(), roles=[role])
        for login, role in (("anna", "manager"), ("boris", "manager"), ("vera", "viewer"),
                            ("ada", "accountant"))
    }  # fmt: skip
    cats = platform.records("client_categories", user=SYSTEM)
    vip = cats.create({"name": "Особый VIP"})["id"]
    plain = cats.create({"name": "Особый простой"})["id"]
    clients = platform.records("clients", user=SYSTEM)
    for login in ("anna", "boris"):
        for category, loyalty in ((vip, 3), (plain, 5)):
            phone = f"+7 900 000-00-0{loyalty}"
            clients.create({"name": f"{login} {loyalty}", "manager": people[login].id,
                            "category": category, "loyalty": loyalty,
                            "tax_id": "7701234567", "phone": phone})  # fmt: skip
    clients.create({"name": "nobody", "loyalty": 5, "category": None})
    return {"people": people, "vip": vip, "plain": plain}


def _names(service: Any, **options: Any) -> list[str]:
    return [r["name"] for r in service.query(sort=["name"], **options).rows]


def _forget(platform: Platform) -> None:
    """Empty the plan and statement caches: the next request is checked from the start."""
    model = platform.runtime.model
    for name in ("list_plans", "list_statements", "read_rights"):
        model_cache(model, name).clear()


def test_same_shape_other_values_give_their_own_rows(platform, crm):
    clients = platform.records("clients", user=SYSTEM)
    by = [("category", crm["vip"]), ("category", crm["plain"]), ("category", None),
          ("category", "Особый VIP"), ("category", "Особый простой"),
          ("loyalty", 3), ("loyalty", "5"), ("loyalty", None)]  # fmt: skip
    expected = {}
    for field, value in by:  # each checked from the start
        _forget(platform)
        expected[field, value] = _names(clients, filters=[Filter(field, "eq", value)])
    assert expected["category", crm["vip"]] == ["anna 3", "boris 3"]
    assert expected["category", None] == ["nobody"]
    assert expected["category", "Особый простой"] == ["anna 5", "boris 5"]
    assert expected["loyalty", "5"] == ["anna 5", "boris 5", "nobody"]
    for _ in range(2):  # now from the caches, in an order that alternates the shapes
        for field, value in by:
            assert _names(clients, filters=[Filter(field, "eq", value)]) == expected[field, value]


def test_same_shape_other_users_and_roles_see_their_own_rows(platform, crm):
    people = crm["people"]
    query = {"filters": [Filter("loyalty", "ge", 3)], "columns": ["name", "tax_id", "phone"]}
    for _ in range(2):
        anna = platform.records("clients", user=people["anna"])
        assert _names(anna, **query) == ["anna 3", "anna 5"]
        boris = platform.records("clients", user=people["boris"])
        assert _names(boris, **query) == ["boris 3", "boris 5"]
        # Same row rules (every row), other field rights: the viewer's rows lack tax_id.
        vera = platform.records("clients", user=people["vera"]).query(sort=["name"], **query)
        ada = platform.records("clients", user=people["ada"]).query(sort=["name"], **query)
        assert [r["name"] for r in vera.rows] == [r["name"] for r in ada.rows]
        assert all("tax_id" not in r for r in vera.rows)
        assert all(r["tax_id"] == "7701234567" for r in ada.rows if r["name"] != "nobody")
    # The same user given other roles: the query follows the new roles at once.
    platform.users.set_roles(people["anna"].id, ["viewer"])
    anna_viewer = platform.users.get(people["anna"].id)
    assert anna_viewer is not None and list(anna_viewer.roles) == ["viewer"]
    as_viewer = platform.records("clients", user=anna_viewer)
    assert _names(as_viewer, **query) == ["anna 3", "anna 5", "boris 3", "boris 5", "nobody"]
    with pytest.raises(PermissionDenied):
        as_viewer.query(filters=[Filter("tax_id", "eq", "7701234567")])
    # ...while the old User object (the old roles) still gets the old answers.
    assert _names(platform.records("clients", user=people["anna"]), **query) == [
        "anna 3", "anna 5"
    ]  # fmt: skip


BAD_REQUESTS = [
    # (user, options of a valid request, the same names with bad values or names)
    ("anna", {"filters": [Filter("loyalty", "eq", 3), Filter("loyalty", "between", [1, 5])]},
     {"filters": [Filter("loyalty", "eq", "много"), Filter("loyalty", "between", "1")]}),
    ("anna", {"filters": [Filter("loyalty", "eq", 3)]},
     {"filters": [Filter("loyalty", "eq", 3), Filter("towm", "eq", "x")]}),
    ("anna", {"filters": [Filter("loyalty", "eq", 3)]},
     {"filters": [Filter("loyalty", "like", 3)]}),
    ("anna", {"filters": [Filter("name", "contains", "a")]},
     {"filters": [Filter("loyalty", "contains", "a")]}),
    ("vera", {"filters": [Filter("name", "eq", "x")]},
     {"filters": [Filter("tax_id", "eq", "x")]}),
    ("vera", {"sort": ["name"], "columns": ["name"]}, {"sort": ["tax_id"], "columns": ["name"]}),
    ("anna", {"sort": ["name"]}, {"sort": ["name"], "after": "not-a-cursor"}),
    ("anna", {"columns": ["name"]}, {"columns": ["name", "nope"]}),
    ("anna", {"group_by": ["city"]}, {"group_by": ["citi"]}),
    ("anna", {"filters": [Filter("category", "eq", 1)]},
     {"filters": [Filter("category", "eq", 1), Filter("loyalty", "eq", "x"),
                  Filter("phone", "in", "zzz"), Filter("name", "is_null", "maybe")]}),
]  # fmt: skip


@pytest.mark.parametrize("user, good, bad", BAD_REQUESTS)
def test_a_remembered_plan_gives_the_errors_of_an_unremembered_one(platform, crm, user, good, bad):
    service = platform.records("clients", user=crm["people"][user], locale="ru")
    _forget(platform)
    with pytest.raises((ValidationError, PermissionDenied)) as cold:
        service.query(**bad)
    service.query(**good)  # the plan of these names is now remembered
    service.query(**good)
    with pytest.raises((ValidationError, PermissionDenied)) as warm:
        service.query(**bad)
    assert type(warm.value) is type(cold.value)
    assert str(warm.value) == str(cold.value)
    if isinstance(cold.value, ValidationError):
        assert warm.value.messages == cold.value.messages


def test_a_hidden_title_is_refused_after_the_id_was_compared(platform, crm):
    """The title check depends on the value (a string compares the title): a plan made by
    an id filter must not let a title filter through for a user who may not see titles."""
    overlay = Overlay("no-categories.json", {"overlay": "no-categories", "roles": [
        {"id": "no_categories", "name": "no_categories", "label": {"en": "x"},
         "tables": {"clients": {"read": True}}}]})  # fmt: skip
    other = Platform.open("sample_crm", database_url=str(platform.engine.url), overlays=[overlay])
    try:
        other.migrate()
        user = other.users.create("nocat", "secret-pass-1", name="N", roles=["no_categories"])
        clients = other.records("clients", user=user)
        for _ in range(2):
            assert len(_names(clients, filters=[Filter("category", "eq", crm["vip"])])) == 2
            with pytest.raises(PermissionDenied):
                clients.query(filters=[Filter("category", "eq", "Особый VIP")])
    finally:
        other.close()


def test_rights_changed_by_a_new_configuration_apply_at_once(platform, crm, monkeypatch):
    # A platform looks for a newer applied version at most every VERSION_CHECK_INTERVAL;
    # notice at once, or a fast run reads the old version (it did, in CI).
    monkeypatch.setattr("uchet.core.VERSION_CHECK_INTERVAL", 0.0)
    vera = crm["people"]["vera"]
    query = {"filters": [Filter("phone", "startswith", "+7")], "columns": ["name", "phone"]}
    for _ in range(2):  # remembered
        rows = platform.records("clients", user=vera).query(sort=["name"], **query).rows
        assert [r["name"] for r in rows] == ["anna 3", "anna 5", "boris 3", "boris 5"]
        assert all(r["phone"] for r in rows)
    viewer = platform.config.role("viewer").data
    tables = {**viewer["tables"], "clients": {**viewer["tables"]["clients"], "fields": {
        **viewer["tables"]["clients"]["fields"], "clients.phone": "none"}}}  # fmt: skip
    overlay = Overlay(
        "viewer-no-phone.json",
        {"overlay": "viewer-no-phone", "set": {"viewer": {"tables": tables}}},
    )
    other = Platform.open("sample_crm", database_url=str(platform.engine.url), overlays=[overlay])
    try:
        other.migrate()
    finally:
        other.close()
    # This platform picks up the version another one applied: the phone is hidden now.
    as_vera = platform.records("clients", user=vera)
    with pytest.raises(PermissionDenied):
        as_vera.query(**query)
    rows = as_vera.query(sort=["name"], columns=["name", "phone"]).rows
    assert rows and all("phone" not in r for r in rows)


def test_a_list_query_returns_its_connection_and_holds_no_lock(tmp_path):
    p = Platform.open("sample_crm", database_url=f"sqlite:///{tmp_path}/held.db")
    try:
        p.migrate()
        clients = p.records("clients", user=SYSTEM)
        clients.create({"name": "Альфа"})
        assert clients.query(count=True).total == 1  # a page and its count: one BEGIN
        assert p.engine.pool.checkedout() == 0
        clients.create({"name": "Бета"})
        with p.engine.connect() as conn:
            busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        assert busy == 0  # no reader left behind a snapshot
        assert _names(clients) == ["Альфа", "Бета"]
    finally:
        p.close()
