"""The job worker: reminders fire once at their time with several workers, a dead
worker's job is retried after its lease, changed times replace jobs, failures retry."""

from __future__ import annotations

import datetime as dt
import threading
import time

from uchet import SYSTEM, hookimpl
from uchet.platform.features import jobs as queue


def _jobs(platform, **where):
    table = platform.runtime.model.system["uchet_jobs"]
    stmt = table.select()
    for key, value in where.items():
        stmt = stmt.where(table.c[key] == value)
    with platform.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def test_reminder_fires_exactly_once_with_two_workers(platform, staff):
    anna = staff["anna"]
    soon = dt.datetime.now().replace(microsecond=0) + dt.timedelta(seconds=2)
    tasks = platform.records("work", user=anna)
    task = tasks.create({"title": "Перезвонить", "assignee": anna.id, "remind_at": soon})
    tasks.create({"title": "Позже", "assignee": anna.id, "remind_at": soon + dt.timedelta(hours=5)})
    [job] = _jobs(platform, key=f"work.remind:{task['id']}")
    assert job["due_at"] == soon and job["status"] == "pending"
    # Not yet due (asked at a fixed moment before it: a busy machine may pass ``soon``).
    assert platform.worker().run_once(at=soon - dt.timedelta(seconds=1)) == 0
    stop = threading.Event()
    workers = [platform.worker(worker_id=f"w{i}", lease=30) for i in range(2)]
    threads = [threading.Thread(target=w.run, args=(0.05, stop)) for w in workers]
    for t in threads:
        t.start()
    try:
        assert queue.wait_until(lambda: platform.notifications(anna).unread_count() > 0, 15)
        time.sleep(1.0)  # both keep polling: nothing more may arrive
    finally:
        stop.set()
        for t in threads:
            t.join()
    notes = platform.notifications(anna).list()
    assert [n.title for n in notes] == ["Напоминание: Перезвонить"]
    assert notes[0].created_at >= soon  # not before its time
    [job] = _jobs(platform, key=f"work.remind:{task['id']}")
    assert job["status"] == "done" and job["attempts"] == 1
    assert job["locked_by"] in ("w0", "w1")


def test_job_of_a_dead_worker_runs_after_its_lease(platform, staff):
    anna = staff["anna"]
    at = dt.datetime.now().replace(microsecond=0) + dt.timedelta(minutes=10)
    task = platform.records("work", user=anna).create(
        {"title": "Пропущенное", "assignee": anna.id, "remind_at": at}
    )
    jobs = platform.runtime.model.system["uchet_jobs"]
    claimed = queue.claim(platform.engine, jobs, "dead", at=at, lease=60)
    assert [j.payload["record"] for j in claimed] == [task["id"]]
    # The worker died holding it: nobody may take it during the lease...
    alive = platform.worker(worker_id="alive")
    assert alive.run_once(at=at + dt.timedelta(seconds=30)) == 0
    assert platform.notifications(anna).list() == []
    # ...and afterwards it runs, once.
    assert alive.run_once(at=at + dt.timedelta(seconds=61)) == 1
    assert alive.run_once(at=at + dt.timedelta(seconds=200)) == 0
    assert [n.title for n in platform.notifications(anna).list()] == ["Напоминание: Пропущенное"]
    [job] = _jobs(platform, key=f"work.remind:{task['id']}")
    assert job["status"] == "done" and job["attempts"] == 2 and job["locked_by"] == "alive"


def test_changed_time_replaces_the_reminder_and_done_skips_it(platform, staff):
    anna = staff["anna"]
    now = dt.datetime.now().replace(microsecond=0)
    tasks = platform.records("work", user=anna)
    task = tasks.create(
        {"title": "Т", "assignee": anna.id, "remind_at": now + dt.timedelta(hours=1)}
    )
    tasks.update(task["id"], {"remind_at": now + dt.timedelta(hours=2)})
    [job] = _jobs(platform, key=f"work.remind:{task['id']}")
    assert job["due_at"] == now + dt.timedelta(hours=2)
    tasks.update(task["id"], {"done": True})
    assert platform.worker().run_once(at=now + dt.timedelta(hours=3)) == 1
    assert platform.notifications(anna).list() == []  # done: the condition no longer holds
    tasks.delete(task["id"])


def test_contract_expiry_reminder_is_due_n_days_before(platform, staff):
    anna = staff["anna"]
    client = platform.records("clients", user=anna).create({"name": "К", "manager": anna.id})
    ends = dt.date.today() + dt.timedelta(days=40)
    contract = platform.records("contracts", user=anna).create(
        {"client": client["id"], "ends_on": ends, "status": "active", "subject": "Поставка"}
    )
    assert contract["responsible"] == anna.id and contract["number"].startswith("Д-")
    [job] = _jobs(platform, key=f"contracts.expiring:{contract['id']}")
    assert job["due_at"] == dt.datetime.combine(ends - dt.timedelta(days=14), dt.time(9, 0))
    assert platform.worker().run_once(at=job["due_at"]) == 1
    [note] = platform.notifications(anna).list()
    assert note.title == f"Договор {contract['number']} заканчивается {ends}"


class Failing:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def uchet_register_job_kinds(self, registry):
        def run(context, job, conn):
            self.calls += 1
            raise RuntimeError("boom")

        registry.register("boom", run)


def test_failing_job_is_retried_then_marked_failed(db_url):
    from uchet import Platform

    failing = Failing()
    p = Platform.open("sample_crm", database_url=db_url, plugins=[failing])
    p.migrate()
    try:
        jobs = p.runtime.model.system["uchet_jobs"]
        from uchet.platform.schema.database import write_transaction

        with write_transaction(p.engine) as conn:
            queue.enqueue(conn, jobs, "boom", {"x": 1})
        w = p.worker(max_attempts=2)
        now = dt.datetime.now()
        assert w.run_once(at=now) == 0
        [job] = _jobs(p, kind="boom")
        assert job["status"] == "pending" and job["attempts"] == 1 and "boom" in job["last_error"]
        assert w.run_once(at=now + dt.timedelta(minutes=5)) == 0
        [job] = _jobs(p, kind="boom")
        assert job["status"] == "failed" and failing.calls == 2
        assert w.run_once(at=now + dt.timedelta(hours=5)) == 0
    finally:
        p.close()


def test_system_actor_has_no_inbox(platform):
    import pytest

    with pytest.raises(ValueError):
        platform.notifications(SYSTEM)
