"""Isolated rendering: user-uploaded templates run in a worker process with limits.

The sandbox stops code execution but not a template that loops for hours or allocates
gigabytes. So templates people upload render in a separate process that has

* an address-space limit (``RLIMIT_AS``): a memory bomb raises MemoryError there, or the
  kernel kills it, and only the worker dies;
* a CPU-time limit per job (``RLIMIT_CPU``, a backstop), and a wall-clock time limit
  enforced by the parent, which kills the worker when a job overruns.

Workers are long-lived (starting a process per document would cost more than rendering
it) and are fresh interpreters (``python -m uchet.printeditor.worker``), not forks: a
threaded web process is never forked mid-lock, and unlike multiprocessing's spawn the
caller's ``__main__`` is never re-imported. A dead or killed worker is replaced on the
next job. A :class:`WorkerPool` serves several threads at once, one job per worker, sized to
the machine, with a per-user limit and a fair queue (issue 13, point 3): a user who floods
the queue holds one worker, and every other user's print is served next.

The worker has no database: the context travels to it as pickled plain data
(:mod:`uchet.printeditor.values`). What comes back is never unpickled: a status byte and
the document's bytes (or the error message), so even a worker that were somehow subverted
could not make the parent run code.
"""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from uchet.printeditor.errors import PrintBusy, PrintError
from uchet.printeditor.slots import Slots

log = logging.getLogger(__name__)

#: Defaults: seconds of wall-clock time per document, and memory a worker may add.
TIME_LIMIT = 10.0
MEMORY_LIMIT = 512 * 1024 * 1024
_START_TIMEOUT = 30.0


def _virtual_size() -> int:
    """The current address-space size of this process, in bytes (Linux)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _serve(jobs: Connection, conn: Connection, memory_limit: int) -> None:
    """The worker's loop: receive a job, render it, send the result or the error."""
    # Import everything a render needs *before* limiting memory, so the limit measures
    # the template's appetite rather than the libraries'.
    import uchet.printeditor.docx_render
    import uchet.printeditor.xlsx_render  # noqa: F401
    from uchet.printeditor.render import render

    limit = _virtual_size() + memory_limit
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    conn.send_bytes(b"R")
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        kind, data, context, form, cpu_seconds = job
        used = resource.getrusage(resource.RUSAGE_SELF)
        budget = int(used.ru_utime + used.ru_stime + cpu_seconds) + 1
        if hard == resource.RLIM_INFINITY or budget < hard:
            resource.setrlimit(resource.RLIMIT_CPU, (budget, hard))
        try:
            result = b"K" + render(kind, data, context, form)
        except PrintError as e:
            result = b"E" + e.message.encode()
        except MemoryError:
            result = b"E" + b"the template needs too much memory"
        try:
            conn.send_bytes(result)
        except MemoryError:
            conn.send_bytes(b"E" + b"the document is too large")


class Worker:
    """One worker process and its pipe."""

    def __init__(self, memory_limit: int = MEMORY_LIMIT) -> None:
        self.memory_limit = memory_limit
        self.process: subprocess.Popen[bytes] | None = None
        self.conn: Connection | None = None
        self.send: Connection | None = None

    def _start(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        # The child imports the same uchet as this process (a checkout's src/ in tests).
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uchet.printeditor.worker",
                str(to_child_r),
                str(from_child_w),
                str(self.memory_limit),
            ],
            pass_fds=(to_child_r, from_child_w),
            env=env,
            stdin=subprocess.DEVNULL,
            close_fds=True,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.send = Connection(to_child_w, readable=False)
        self.conn = Connection(from_child_r, writable=False)
        if not self.conn.poll(_START_TIMEOUT):
            self.stop()
            raise PrintError("worker", "the print worker did not start")
        try:
            self.conn.recv_bytes()
        except (EOFError, OSError):
            self.stop()
            raise PrintError("worker", "the print worker failed to start") from None

    def alive(self) -> bool:
        """Whether the worker process is running."""
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Kill the process (it holds no state worth keeping)."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(5)
        for conn in (self.conn, self.send):
            if conn is not None:
                conn.close()
        self.process, self.conn, self.send = None, None, None

    def run(
        self, kind: str, data: bytes, context: dict[str, Any], form: str, time_limit: float
    ) -> bytes:
        """Render in the worker; :class:`PrintError` on failure, timeout or a crash."""
        if not self.alive():
            self.stop()
            self._start()
        assert self.conn is not None and self.send is not None
        try:
            self.send.send((kind, data, context, form, max(1, int(time_limit))))
            if not self.conn.poll(time_limit):
                self.stop()
                raise PrintError(
                    form, f"rendering took longer than {time_limit:g} s and was stopped"
                )
            reply = self.conn.recv_bytes()
        except (EOFError, OSError):
            code = self.process.poll() if self.process is not None else None
            self.stop()
            raise PrintError(
                form,
                "the template used too many resources (time or memory) and its worker "
                f"was stopped (exit code {code})",
            ) from None
        if reply[:1] == b"E":
            raise PrintError(form, reply[1:].decode())
        return reply[1:]


def pool_size() -> int:
    """Workers for this machine: ``UCHET_PRINT_WORKERS``, else one per CPU (at least 2,
    so one user's render can never take the only slot)."""
    configured = os.environ.get("UCHET_PRINT_WORKERS", "").strip()
    if configured.isascii() and configured.isdigit() and int(configured) > 0:
        return min(int(configured), 64)
    return max(2, os.cpu_count() or 2)


def per_user_limit() -> int:
    """Renders one user may have at once: ``UCHET_PRINT_PER_USER`` (default 1)."""
    configured = os.environ.get("UCHET_PRINT_PER_USER", "").strip()
    if configured.isascii() and configured.isdigit() and int(configured) > 0:
        return min(int(configured), 64)
    return 1


class WorkerPool:
    """Workers shared by threads, lent out fairly (:class:`~uchet.printeditor.slots.Slots`):
    at most ``per_user`` renders per owner, first come first served among the rest. Workers
    start on their first job, so a pool sized to the machine costs nothing until used."""

    def __init__(
        self,
        size: int | None = None,
        time_limit: float = TIME_LIMIT,
        memory_limit: int = MEMORY_LIMIT,
        *,
        per_user: int | None = None,
        queue_wait: float | None = None,
        worker_factory: Callable[[int], Any] = Worker,
    ) -> None:
        self.time_limit = time_limit
        self._all = [worker_factory(memory_limit) for _ in range(max(1, size or pool_size()))]
        # A queued render waits at most as long as one render may take, then hears "busy".
        self.slots: Slots[Any] = Slots(
            list(self._all),
            per_user or per_user_limit(),
            time_limit if queue_wait is None else queue_wait,
        )

    @property
    def size(self) -> int:
        """How many workers the pool has."""
        return len(self._all)

    def render(
        self, kind: str, data: bytes, context: dict[str, Any], form: str, owner: Any = None
    ) -> bytes:
        """Render one document in a worker; :class:`PrintBusy` when ``owner`` already has
        ``per_user`` renders going, or no worker frees up in time."""
        with self.slots.take(owner, form) as worker:
            try:
                result: bytes = worker.run(kind, data, context, form, self.time_limit)
                return result
            except PrintBusy:
                raise
            except PrintError as exc:
                # A killed or failed render is reported to the user by the caller; the log
                # says whose it was, so a flood is visible to the administrator.
                log.warning("print form %r of user %r failed in its worker: %s",
                            form, owner, exc.message)  # fmt: skip
                raise

    def close(self) -> None:
        """Stop every worker."""
        for w in self._all:
            w.stop()


_default: WorkerPool | None = None
_default_lock = threading.Lock()


def default_pool() -> WorkerPool:
    """The process-wide pool, sized to the machine (:func:`pool_size`)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = WorkerPool()
        return _default


if __name__ == "__main__":  # the worker process: python -m uchet.printeditor.worker R W MEM
    _serve_fds = (int(sys.argv[1]), int(sys.argv[2]))
    _reader = Connection(_serve_fds[0], writable=False)
    _writer = Connection(_serve_fds[1], readable=False)
    _serve(_reader, _writer, int(sys.argv[3]))
