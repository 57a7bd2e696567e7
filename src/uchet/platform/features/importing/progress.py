"""The live progress of an import job, readable while the job's transaction is still open
(issue 17, point 6: "a live progress bar with rows done, rate and time left").

The job writes its records in one transaction, which commits only at the end, so progress
cannot travel in that transaction. It is kept where another process reads it at once:

- on PostgreSQL (and any server database), in ``uchet_state`` under
  ``import_progress:<job id>``, written by a connection of its own in autocommit;
- on SQLite, whose one writer is the job itself, in a small JSON file beside the database
  file (the worker and the web server share the file system there, as they share the
  database).

:func:`read_progress` adds the rate and the time left from the first and the latest report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from uchet.platform.records.runtime import Runtime

#: Seconds between two writes at most once per this (the last report is always written).
EVERY = 0.5
#: What each stage is called for the rows it counts.
STAGES = ("read", "write")


def _file(rt: Runtime, job_id: int) -> Path | None:
    """The progress file of a SQLite database, or None for a server database."""
    url = rt.engine.url
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:"):
        return None
    return Path(database).with_name(f"{Path(database).name}.import-{job_id}.json")


def write_progress(rt: Runtime, job_id: int, data: dict[str, Any]) -> None:
    """Keep ``data`` as the job's progress (outside any open transaction)."""
    text = json.dumps(data)
    path = _file(rt, job_id)
    if path is not None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # readers never see half a file
        return
    if rt.engine.url.get_backend_name() == "sqlite":
        return  # an in-memory database: nobody else can ask
    state = rt.model.system["uchet_state"]
    key = f"import_progress:{job_id}"
    with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(state.delete().where(state.c.key == key))
        conn.execute(state.insert().values(key=key, value=text))


def read_progress(rt: Runtime, job_id: int, now: float | None = None) -> dict[str, Any] | None:
    """The job's latest progress with ``rate`` (rows per second) and ``left`` (seconds),
    or None before its first report."""
    path = _file(rt, job_id)
    raw: str | None = None
    if path is not None:
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError:
            raw = None
    elif rt.engine.url.get_backend_name() != "sqlite":
        state = rt.model.system["uchet_state"]
        with rt.engine.connect() as conn:
            raw = conn.execute(sa.select(state.c.value).where(
                state.c.key == f"import_progress:{job_id}")).scalar()  # fmt: skip
    if not raw:
        return None
    data: dict[str, Any] = json.loads(raw)
    elapsed = (data.get("at", 0.0) if now is None else now) - data.get("started", 0.0)
    done, total = int(data.get("done", 0)), int(data.get("total", 0))
    rate = done / elapsed if elapsed > 0 else None
    data["rate"] = round(rate) if rate else None
    data["left"] = round((total - done) / rate) if rate else None
    return data


def clear_progress(rt: Runtime, job_id: int) -> None:
    """Forget the job's progress (its report says the rest)."""
    path = _file(rt, job_id)
    if path is not None:
        path.unlink(missing_ok=True)
    elif rt.engine.url.get_backend_name() != "sqlite":
        state = rt.model.system["uchet_state"]
        with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(state.delete().where(state.c.key == f"import_progress:{job_id}"))


def reporter(
    rt: Runtime,
    job_id: int,
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
) -> Callable[[str, int, int], None]:
    """An :class:`Importer` progress callback that keeps the job's progress, at most every
    :data:`EVERY` seconds by ``clock`` (and always at a stage's end). Rows count twice, read
    then written, so the bar moves over both stages. ``wall`` stamps the reports (readers in
    other processes compute the rate from those stamps)."""
    started = wall()
    last = [float("-inf")]
    rows = [0]  # the file's rows, known from the read stage

    def progress(stage: str, done: int, total: int) -> None:
        now = clock()
        if done < total and now - last[0] < EVERY:
            return
        last[0] = now
        if stage == "read":
            rows[0], overall = total, done
        else:  # written rows, scaled onto the file's rows (bad ones are not written)
            overall = rows[0] + (rows[0] * done // total if total else rows[0])
        data = {"stage": stage, "stage_done": done, "stage_total": total, "done": overall,
                "total": len(STAGES) * rows[0], "rows": rows[0], "started": started,
                "at": wall()}  # fmt: skip
        write_progress(rt, job_id, data)

    return progress
