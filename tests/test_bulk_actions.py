"""Bulk actions on a list (issue 21, point 4): each record through the record service under
the user's rights and audit, the skipped ones reported with their reason, a selection by
filter re-evaluated under the user's rights, and the background-job path with progress.
Both databases (the ``platform`` fixture)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from uchet import SYSTEM, ValidationError
from uchet.platform.features.bulk_jobs import bulk_job, enqueue_bulk
from uchet.platform.query.filters import Filter
from uchet.platform.records.bulk_actions import (
    ACTIONS,
    Selection,
    count,
    editable_fields,
    resolve,
    run_action,
)

pytest_plugins = ["tests.crm_support"]


@pytest.fixture
def clients(platform, staff):
    """Three clients of Anna (two in Москва), two of Boris."""
    anna, boris = staff["anna"], staff["boris"]
    made = {}
    for name, city, owner in (
        ("Альфа", "Москва", anna), ("Бета", "Москва", anna), ("Гамма", "Тверь", anna),
        ("Дельта", "Москва", boris), ("Эпсилон", "Тверь", boris),
    ):  # fmt: skip
        made[name] = platform.records("clients", user=owner).create(
            {"name": name, "city": city, "manager": owner.id}
        )
    return made


def _run(platform, user, action, selection, **params):
    service = platform.records("clients", user=user)
    act = ACTIONS.get(action)
    checked = act.check(service, params)
    return run_action(service, act, resolve(service, selection), checked)


def test_set_field_changes_each_record_with_audit(platform, staff, clients):
    admin, boris = staff["admin"], staff["boris"]
    ids = (clients["Альфа"]["id"], clients["Бета"]["id"], clients["Гамма"]["id"])
    outcome = _run(platform, admin, "set_field", Selection(ids=ids),
                   field="manager", value=str(boris.id))  # fmt: skip
    assert (outcome.total, outcome.done, outcome.skipped_count) == (3, 3, 0)
    rows = platform.records("clients", user=SYSTEM).query(filters=[Filter("id", "in", list(ids))])
    assert {r["manager"] for r in rows.rows} == {boris.id}
    audit = platform.runtime.audit
    with platform.engine.connect() as conn:
        mine = sa.and_(audit.c.action == "update", audit.c.user_id == admin.id)
        logged = conn.execute(sa.select(audit.c.record_id).where(mine)).scalars().all()
    assert sorted(logged) == sorted(ids)


def test_records_out_of_reach_are_skipped_with_their_reason(platform, staff, clients):
    anna = staff["anna"]
    mine, theirs = clients["Альфа"], clients["Дельта"]
    outcome = _run(platform, anna, "set_field", Selection(ids=(mine["id"], theirs["id"], 999999)),
                   field="city", value="Казань")  # fmt: skip
    assert outcome.done == 1
    reasons = {s.record_id: s.reason for s in outcome.skipped}
    # Boris's client and a missing one alike: Anna may not know which exists.
    assert reasons == {theirs["id"]: "not_found", 999999: "not_found"}
    assert platform.records("clients", user=SYSTEM).get(theirs["id"])["city"] == "Москва"
    # Giving her own client to Boris would put it outside her rows: no right.
    outcome = _run(platform, anna, "set_field", Selection(ids=(mine["id"],)),
                   field="manager", value=str(staff["boris"].id))  # fmt: skip
    assert [s.reason for s in outcome.skipped] == ["row_rule"]
    assert "за пределы" in outcome.skipped[0].message  # in the user's language
    assert platform.records("clients", user=SYSTEM).get(mine["id"])["manager"] == anna.id


def test_a_right_missing_when_the_action_runs_is_a_no_right_skip(platform, staff, clients):
    # A job re-checks its parameters, but a right may go between two records: the service
    # refuses each write, and each is reported.
    vera, theirs = staff["vera"], clients["Дельта"]
    service = platform.records("clients", user=vera)
    outcome = run_action(service, ACTIONS.get("set_field"), [(theirs["id"], None)],
                         {"field": "city", "value": "Казань"})  # fmt: skip
    assert [(s.record_id, s.reason) for s in outcome.skipped] == [(theirs["id"], "no_right")]
    assert outcome.skipped[0].message.startswith("У вас нет права")


def test_stale_versions_and_validation_are_reported(platform, staff, clients):
    admin = staff["admin"]
    a, b = clients["Альфа"], clients["Бета"]
    platform.records("clients", user=SYSTEM).update(a["id"], {"city": "Сочи"})  # someone else
    selection = Selection(ids=(a["id"], b["id"]), versions={a["id"]: a["version"],
                                                             b["id"]: b["version"]})  # fmt: skip
    outcome = _run(platform, admin, "set_field", selection, field="city", value="Омск")
    assert outcome.done == 1 and [s.reason for s in outcome.skipped] == ["stale"]
    assert platform.records("clients", user=SYSTEM).get(a["id"])["city"] == "Сочи"
    # A client with an invoice cannot be deleted (restrict): skipped, the others go.
    platform.records("invoices", user=SYSTEM).create({"client": b["id"]})
    outcome = _run(platform, admin, "delete", Selection(ids=(a["id"], b["id"])))
    assert outcome.done == 1
    assert [(s.record_id, s.reason) for s in outcome.skipped] == [(b["id"], "validation")]


def test_bad_parameters_are_refused_before_any_record(platform, staff, clients):
    anna, vera = staff["anna"], staff["vera"]
    service = platform.records("clients", user=anna)
    with pytest.raises(ValidationError):
        ACTIONS.get("set_field").check(service, {"field": "loyalty", "value": "много"})
    with pytest.raises(ValidationError):  # a computed field is never offered
        ACTIONS.get("set_field").check(service, {"field": "debt", "value": "1"})
    assert "debt" not in editable_fields(service) and "city" in editable_fields(service)
    # A viewer may change nothing; a manager may not delete clients.
    assert editable_fields(platform.records("clients", user=vera)) == []
    assert [a.name for a in ACTIONS.available(service)] == ["set_field"]
    assert ACTIONS.available(platform.records("clients", user=vera)) == []


def test_all_matching_the_filter_is_evaluated_under_the_users_rights(platform, staff, clients):
    anna, admin = staff["anna"], staff["admin"]
    moscow = Selection(filters=(Filter("city", "in", ["Москва"]),))
    assert count(platform.records("clients", user=anna), moscow) == 2
    assert count(platform.records("clients", user=admin), moscow) == 3
    outcome = _run(platform, anna, "set_field", moscow, field="status", value="lead")
    assert (outcome.total, outcome.done) == (2, 2)
    # Boris's Moscow client was never part of Anna's "everything".
    assert (
        platform.records("clients", user=SYSTEM).get(clients["Дельта"]["id"])["status"] == "active"
    )


def test_the_job_path_reports_progress_and_the_outcome(platform, staff, clients):
    anna = staff["anna"]
    ids = (clients["Альфа"]["id"], clients["Дельта"]["id"], clients["Гамма"]["id"])
    job = enqueue_bulk(platform.runtime, platform.config.table("clients").id, anna, "set_field",
                       {"field": "city", "value": "Псков"}, Selection(ids=ids), "ru")  # fmt: skip
    table_id = platform.config.table("clients").id
    assert bulk_job(platform.runtime, job, table_id, anna)["status"] == "pending"
    assert bulk_job(platform.runtime, job, table_id, staff["boris"]) is None  # not his job
    platform.worker().run_once()
    state = bulk_job(platform.runtime, job, table_id, anna)
    assert state["status"] == "done"
    assert state["progress"] == {"done": 3, "total": 3}
    outcome = state["outcome"]
    assert (outcome.done, outcome.skipped_count) == (2, 1)
    assert outcome.skipped[0].reason == "not_found"
    cities = {r["city"] for r in platform.records("clients", user=anna).query().rows}
    assert cities == {"Псков", "Москва"}  # Бета was not selected
