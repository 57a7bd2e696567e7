"""Background jobs kept in the database (``uchet_jobs``) and the worker that runs them
(ARCHITECTURE rule 10: any number of workers run each job exactly once).

A job is claimed with a row lock and a lease: ``status`` becomes ``running``, ``locked_by``
names the worker and ``locked_until`` ends the lease. On PostgreSQL the claim reads with
``FOR UPDATE SKIP LOCKED``, so workers never wait for each other; on SQLite the claim runs
in a ``BEGIN IMMEDIATE`` transaction, which serialises the claims.

A job's database effects are written in the same transaction that marks it done, and that
update only succeeds while this worker still holds the lease. So a worker that dies midway
leaves nothing behind; its job is claimed again once the lease has expired, and runs once.
Jobs with external effects (e-mail) run outside the transaction: those are at least once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from uchet.platform.features.leases import claim_leased
from uchet.platform.schema.database import write_transaction

log = logging.getLogger(__name__)

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
DEFAULT_LEASE = 120.0  # seconds
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Job:
    """A claimed job."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    attempts: int
    due_at: dt.datetime


@dataclass(frozen=True)
class JobKind:
    """How to run one kind of job.

    ``run(context, job, conn)`` does the work. With ``external`` false, ``conn`` is the
    transaction that also marks the job done (effects and completion commit together);
    with ``external`` true, ``conn`` is None and the job is marked done afterwards.
    """

    name: str
    run: Callable[[Any, Job, Connection | None], None]
    external: bool = False


class JobRegistry:
    """Job kinds by name; plugins add theirs through ``uchet_register_job_kinds``."""

    def __init__(self) -> None:
        self._kinds: dict[str, JobKind] = {}

    def register(
        self,
        name: str,
        run: Callable[[Any, Job, Connection | None], None],
        *,
        external: bool = False,
    ) -> None:
        """Register (or replace) the job kind ``name``."""
        self._kinds[name] = JobKind(name, run, external)

    def get(self, name: str) -> JobKind:
        """The job kind ``name``; KeyError if unknown."""
        return self._kinds[name]

    def names(self) -> list[str]:
        """Registered kinds, sorted."""
        return sorted(self._kinds)


def now() -> dt.datetime:
    """The current local time, as stored in the database (naive, whole seconds)."""
    return dt.datetime.now().replace(microsecond=0)


def enqueue(
    conn: Connection,
    jobs: sa.Table,
    kind: str,
    payload: Mapping[str, Any],
    due_at: dt.datetime | None = None,
    key: str | None = None,
) -> None:
    """Add a job in the caller's transaction (it exists only if that commits)."""
    enqueue_many(conn, jobs, [(kind, payload, due_at, key)])


def enqueue_many(
    conn: Connection,
    jobs: sa.Table,
    items: Sequence[tuple[str, Mapping[str, Any], dt.datetime | None, str | None]],
) -> None:
    """Add several jobs with one executemany."""
    if not items:
        return
    created = now()
    conn.execute(
        jobs.insert(),
        [
            {
                "kind": kind,
                "payload": dict(payload),
                "due_at": due or created,
                "key": key,
                "status": PENDING,
                "attempts": 0,
                "created_at": created,
            }
            for kind, payload, due, key in items
        ],
    )


def cancel(conn: Connection, jobs: sa.Table, keys: list[str]) -> None:
    """Delete the pending jobs with these keys (a reminder whose time changed)."""
    for i in range(0, len(keys), 500):
        conn.execute(
            jobs.delete().where(jobs.c.key.in_(keys[i : i + 500]), jobs.c.status == PENDING)
        )


def _claimable(jobs: sa.Table, at: dt.datetime) -> Any:
    return sa.or_(
        sa.and_(jobs.c.status == PENDING, jobs.c.due_at <= at),
        # A lease that ran out: its worker died (or hangs); the job is free again.
        sa.and_(jobs.c.status == RUNNING, jobs.c.locked_until < at),
    )


def claim(
    engine: Engine,
    jobs: sa.Table,
    worker_id: str,
    *,
    limit: int = 10,
    lease: float = DEFAULT_LEASE,
    at: dt.datetime | None = None,
) -> list[Job]:
    """Claim up to ``limit`` due jobs for ``worker_id``; each is claimed by one worker only."""
    at = at or now()
    with write_transaction(engine) as conn:
        rows = claim_leased(
            conn, jobs, _claimable(jobs, at), order_by=(jobs.c.due_at, jobs.c.id),
            worker_id=worker_id, busy=RUNNING, at=at, lease=lease, limit=limit,
        )  # fmt: skip
        return [
            Job(r["id"], r["kind"], r["payload"] or {}, r["attempts"], r["due_at"]) for r in rows
        ]


def _finish(conn: Connection, jobs: sa.Table, job: Job, worker_id: str) -> bool:
    result = conn.execute(
        jobs.update()
        .where(jobs.c.id == job.id, jobs.c.locked_by == worker_id, jobs.c.status == RUNNING)
        .values(status=DONE, finished_at=now(), locked_until=None)
    )
    return result.rowcount == 1


class LeaseLost(Exception):
    """Another worker took the job over (our lease ran out): roll back our effects."""


class Worker:
    """Claims due jobs and runs them. Many workers, in many processes, may run at once."""

    def __init__(
        self,
        engine: Engine,
        jobs: sa.Table,
        registry: JobRegistry,
        context: Callable[[], Any],
        *,
        worker_id: str | None = None,
        lease: float = DEFAULT_LEASE,
        batch: int = 10,
        max_attempts: int = MAX_ATTEMPTS,
        tickers: Sequence[Callable[[dt.datetime], Any]] = (),
    ):
        self.engine, self.jobs, self.registry, self.context = engine, jobs, registry, context
        #: Called with the time at the start of each pass, before jobs are claimed: they
        #: enqueue the occasions of recurring work that have come (schedules.enqueue_due).
        self.tickers = tuple(tickers)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease, self.batch, self.max_attempts = lease, batch, max_attempts

    def run_once(self, at: dt.datetime | None = None) -> int:
        """Claim and run the jobs due now (``at``: an injected clock); returns how many
        completed."""
        done = 0
        for tick in self.tickers:
            try:
                tick(at or now())
            except Exception:  # one broken schedule must not stop the jobs
                log.exception("worker %s: a ticker failed", self.worker_id)
        while True:
            claimed = claim(
                self.engine, self.jobs, self.worker_id, limit=self.batch, lease=self.lease, at=at
            )
            if not claimed:
                return done
            for job in claimed:
                done += self._run(job)

    def run(self, interval: float = 5.0, stop: threading.Event | None = None) -> None:
        """Run due jobs every ``interval`` seconds until ``stop`` is set."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # a database hiccup must not end the worker
                log.exception("worker %s: claiming jobs failed", self.worker_id)
            stop.wait(interval)

    def _run(self, job: Job) -> int:
        try:
            kind = self.registry.get(job.kind)
            context = self.context()
            if kind.external:
                kind.run(context, job, None)
                with write_transaction(self.engine) as conn:
                    _finish(conn, self.jobs, job, self.worker_id)
            else:
                with write_transaction(self.engine) as conn:
                    kind.run(context, job, conn)
                    if not _finish(conn, self.jobs, job, self.worker_id):
                        raise LeaseLost(job.id)
            return 1
        except LeaseLost:
            log.warning("worker %s: lost the lease of job %s", self.worker_id, job.id)
            return 0
        except Exception as e:
            log.exception("worker %s: job %s (%s) failed", self.worker_id, job.id, job.kind)
            self._failed(job, e)
            return 0

    def _failed(self, job: Job, error: Exception) -> None:
        jobs = self.jobs
        final = job.attempts >= self.max_attempts
        retry_at = now() + dt.timedelta(seconds=30 * job.attempts)
        with write_transaction(self.engine) as conn:
            conn.execute(
                jobs.update()
                .where(jobs.c.id == job.id, jobs.c.locked_by == self.worker_id)
                .values(
                    status=FAILED if final else PENDING,
                    last_error=repr(error)[:2000],
                    due_at=job.due_at if final else retry_at,
                    locked_until=None,
                    locked_by=None,
                )
            )


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes (tests and CLI waits)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
