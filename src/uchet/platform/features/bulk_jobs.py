"""Bulk actions too large for a request run as background jobs (issue 21, point 4: "it runs
as a job with progress beyond a few hundred records").

:func:`enqueue_bulk` queues a ``bulk_action`` job with the action, its checked parameters and
the *selection* (ticked ids with their versions, or the list's filters and search); the job
(:func:`run_bulk_job`) acts as the user who asked, through the record service: the selection
is resolved again under the user's rights when it runs, and each record is changed in its own
transaction, exactly as :func:`~uchet.platform.records.bulk_actions.run_action` does in a
request. So the job kind is *external* (its records commit one by one, not with the job's
completion): a worker that dies midway leaves the records it finished changed, and the job,
claimed again, goes over the selection once more (setting a field twice is the same;
a record deleted before is skipped as "not found").

Progress (records handled of the total) is kept in ``uchet_state`` under
``bulk_progress:<job id>``, written in its own short transaction every
:data:`PROGRESS_EVERY` records; the outcome under ``bulk_job:<job id>``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from uchet.platform.features.jobs import Job, enqueue
from uchet.platform.model.errors import UchetError
from uchet.platform.query.filters import Filter
from uchet.platform.records.bulk_actions import ACTIONS, Outcome, Selection, resolve, run_action
from uchet.platform.records.runtime import Runtime
from uchet.platform.records.service import RecordService
from uchet.platform.records.users import User
from uchet.platform.schema.database import write_transaction

KIND = "bulk_action"
#: Progress is written after this many records (and after the last).
PROGRESS_EVERY = 25


def selection_payload(selection: Selection) -> dict[str, Any]:
    """A selection as JSON (filters as ``[field, op, value]``)."""
    return {
        "ids": list(selection.ids) if selection.ids is not None else None,
        "versions": {str(k): int(v) for k, v in selection.versions.items()},
        "filters": [[f.field, f.op, f.value] for f in selection.filters],
        "search": selection.search,
    }


def selection_from(data: Mapping[str, Any]) -> Selection:
    """The selection of :func:`selection_payload`."""
    ids = data.get("ids")
    return Selection(
        ids=tuple(ids) if ids is not None else None,
        versions=dict(data.get("versions") or {}),
        filters=tuple(Filter(f[0], f[1], f[2]) for f in data.get("filters") or ()),
        search=data.get("search"),
    )


def enqueue_bulk(
    rt: Runtime, table_id: str, user: User, action: str, params: Mapping[str, Any],
    selection: Selection, locale: str,
) -> int:  # fmt: skip
    """Queue ``action`` over ``selection`` as ``user``; returns the job's id."""
    jobs = rt.model.system["uchet_jobs"]
    key = f"{KIND}:{user.id}:{dt.datetime.now().timestamp()}"
    payload = {"table": table_id, "user_id": user.id, "action": action, "params": dict(params),
               "selection": selection_payload(selection), "locale": locale}  # fmt: skip
    with write_transaction(rt.engine) as conn:
        enqueue(conn, jobs, KIND, json.loads(json.dumps(payload, default=str)), key=key)
        return int(conn.execute(sa.select(jobs.c.id).where(jobs.c.key == key)).scalar_one())


def run_bulk_job(rt: Runtime, job: Job, conn: Any) -> None:
    """Run a queued bulk action (an external job: ``conn`` is None)."""
    p = job.payload
    user = _user(rt, int(p["user_id"]))
    result: dict[str, Any]
    if user is None:
        result = {"error": "user_inactive"}  # disabled since it was queued: nothing runs
    else:
        service = RecordService(rt, p["table"], user, str(p["locale"]))
        try:
            action = ACTIONS.get(str(p["action"]))
            params = action.check(service, dict(p["params"]))
            targets = resolve(service, selection_from(p["selection"]))
        except (KeyError, UchetError) as e:  # a right revoked or a field gone since
            result = {"error": str(e)}
        else:

            def progress(done: int, total: int) -> None:
                if done % PROGRESS_EVERY == 0 or done == total:
                    _keep(rt, f"bulk_progress:{job.id}", {"done": done, "total": total})

            _keep(rt, f"bulk_progress:{job.id}", {"done": 0, "total": len(targets)})
            result = run_action(service, action, targets, params, progress).as_dict()
    _keep(rt, f"bulk_job:{job.id}", result)


def _user(rt: Runtime, user_id: int) -> User | None:
    users = rt.model.system["uchet_users"]
    with rt.engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    if row is None or not row.active:
        return None
    return User(row.id, row.login, row.name, tuple(row.roles or ()), row.locale,
                email=row.email, active=row.active)  # fmt: skip


def _keep(rt: Runtime, key: str, value: Mapping[str, Any]) -> None:
    state = rt.model.system["uchet_state"]
    with write_transaction(rt.engine) as conn:
        conn.execute(state.delete().where(state.c.key == key))
        conn.execute(state.insert().values(key=key, value=json.dumps(value, default=str)))


def bulk_job(rt: Runtime, job_id: int, table_id: str, user: User) -> dict[str, Any] | None:
    """The user's bulk job on ``table_id``: its status, progress, outcome (an
    :class:`~uchet.platform.records.bulk_actions.Outcome` once done) and action; None when
    there is no such job of theirs."""
    jobs, state = rt.model.system["uchet_jobs"], rt.model.system["uchet_state"]
    with rt.engine.connect() as conn:
        job = conn.execute(sa.select(jobs.c.kind, jobs.c.payload, jobs.c.status)
                           .where(jobs.c.id == job_id)).first()  # fmt: skip
        raw = dict(conn.execute(sa.select(state.c.key, state.c.value).where(
            state.c.key.in_([f"bulk_job:{job_id}", f"bulk_progress:{job_id}"]))).all())  # fmt: skip
    if job is None or job.kind != KIND:
        return None
    if job.payload.get("table") != table_id or job.payload.get("user_id") != user.id:
        return None
    result = json.loads(raw[f"bulk_job:{job_id}"]) if f"bulk_job:{job_id}" in raw else None
    progress = json.loads(raw.get(f"bulk_progress:{job_id}") or "null")
    outcome = Outcome.from_dict(result) if result and "error" not in result else None
    return {"status": job.status, "progress": progress, "outcome": outcome,
            "error": (result or {}).get("error"), "action": job.payload.get("action"),
            "params": job.payload.get("params")}  # fmt: skip
