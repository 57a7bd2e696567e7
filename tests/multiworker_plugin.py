"""A plug-in for the multi-worker test (``UCHET_PLUGINS=tests.multiworker_plugin``): a
scheduled job kind that takes a while, so a ``uchet worker`` can be killed in the middle of it.

``mw.slow`` first writes ``started-<job>-<pid>`` into the folder named by its payload
(outside the database: the test sees which process is running it, and kills that one), then
sleeps (``payload['seconds']`` the first time, long enough for the test to kill it however
loaded the machine is; half a second when run again), then writes its effect — a row
``mw.ran.<job>.<pid>`` in ``uchet_state`` — in the job's own transaction. A worker killed
while sleeping leaves no row; the job runs again elsewhere once its lease has expired, so
exactly one ``mw.ran.<job>.*`` row must exist in the end.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from uchet import hookimpl
from uchet.platform.features.jobs import Job, JobRegistry

KIND = "mw.slow"


def run_slow(context: Any, job: Job, conn: Any) -> None:
    """Mark the start, take a while, then record the effect in ``conn``."""
    pid = os.getpid()
    folder = Path(job.payload["folder"])
    (folder / f"started-{job.id}-{pid}").write_text(str(pid))
    time.sleep(float(job.payload.get("seconds", 1.0)) if job.attempts == 1 else 0.5)
    state = context.model.system["uchet_state"]
    conn.execute(state.insert().values(key=f"mw.ran.{job.id}.{pid}", value=str(pid)))


@hookimpl
def uchet_register_job_kinds(registry: JobRegistry) -> None:
    registry.register(KIND, run_slow)
