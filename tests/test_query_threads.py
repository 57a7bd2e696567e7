"""Queries of one shape built by several threads at once (issue 4: concurrent invoice
creation sometimes could not read its new invoice back).

A query becomes the template of its shape before its statements exist, and its reference
titles take join aliases from the model's memo. Two threads building the same template side
by side once mixed one thread's alias in the select list with the other's in the joins: a
cross join with ``uchet_users`` that returned no rows. The race window is widened here by
slowing down the rewriting of each title onto its alias, so the test fails reliably
without the locks.
"""

from __future__ import annotations

import threading
import time

from uchet import Platform
from uchet.platform.query import listquery as q
from uchet.platform.query.names import TitleSource
from uchet.platform.records.users import SYSTEM


def test_threads_building_one_shape_get_a_consistent_statement(platform, monkeypatch):
    client = platform.records("clients", user=SYSTEM).create({"name": "Клиент"})
    invoices = platform.records("invoices", user=SYSTEM)
    made = [invoices.create({"client": client["id"], "date": "2025-06-01"}) for _ in range(4)]
    # A second platform on the same database: a fresh model, no join alias built yet.
    fresh = Platform.open(
        "sample_crm", database_url=platform.engine.url.render_as_string(hide_password=False)
    )
    invoices = fresh.records("invoices", user=SYSTEM)

    original = TitleSource.on

    def slow_on(self, alias):
        time.sleep(0.02)  # while one thread builds a title join, let the others arrive
        return original(self, alias)

    monkeypatch.setattr(TitleSource, "on", slow_on)
    # A new shape (a filter on the number as well), so every thread starts from an unbuilt
    # template of it.
    found: dict[int, list] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(made))

    def read(record):
        try:
            start.wait()
            rows = invoices.query(
                filters=[q.Filter("id", "eq", record["id"]), q.Filter("number", "ne", "x")],
                columns=["number", "created_by", "updated_by", "client"],
                limit=1,
                count=False,
            ).rows
            found[record["id"]] = rows
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=read, args=(r,)) for r in made]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fresh.close()
    assert not errors, errors
    assert {i: [r["number"] for r in rows] for i, rows in found.items()} == {
        r["id"]: [r["number"]] for r in made
    }
