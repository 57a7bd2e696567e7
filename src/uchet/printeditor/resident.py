"""A resident LibreOffice for PDF conversion (issue 21 point 8: «PDF in about a second»).

A cold ``soffice --convert-to pdf`` starts LibreOffice for every document, seconds each.
Here one LibreOffice per process is started on first use, listening on a private local
pipe, and kept: a conversion is then a UNO ``loadComponentFromURL`` + ``storeToURL``, a
fraction of a second. The UNO calls run in a small worker script
(:mod:`uchet.printeditor.unoworker`) under a Python that has ``uno`` (Debian:
``apt-get install python3-uno``), so uchet itself needs no UNO bindings.

- **On demand**: nothing starts until the first PDF.
- **Restarted if it dies**: before each conversion both processes are checked; a dead one is
  replaced, and a conversion that failed because LibreOffice died is tried once more.
- **Safe for threads**: one lock; LibreOffice converts one document at a time anyway.
- **Falls back**: if no Python with ``uno`` is found or LibreOffice does not answer, callers
  get :class:`Unavailable` and use the cold path; a failed start is not retried for
  :data:`RETRY_AFTER` seconds, so a broken installation costs no extra wait per document.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import IO, Any

#: Seconds to wait for LibreOffice to accept the worker's connection.
START_TIMEOUT = 60.0
#: Seconds one conversion may take.
CONVERT_TIMEOUT = 120.0
#: Seconds after a failed start before the resident converter is tried again.
RETRY_AFTER = 60.0
#: Interpreters tried for the UNO worker, after ``$UCHET_UNO_PYTHON``.
UNO_PYTHONS = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python",
               "/opt/libreoffice/program/python")  # fmt: skip

WORKER = Path(__file__).with_name("unoworker.py")


class Unavailable(Exception):
    """The resident converter cannot run here; use the cold path."""


class ConversionFailed(Exception):
    """LibreOffice answered, but could not convert this document."""


def uno_python() -> str | None:
    """A Python executable that can ``import uno``, or None."""
    candidates = [os.environ.get("UCHET_UNO_PYTHON", ""), *UNO_PYTHONS]
    for exe in candidates:
        if not exe or not (shutil.which(exe) or os.access(exe, os.X_OK)):
            continue
        probe = subprocess.run(
            [exe, "-c", "import uno"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return exe
    return None


class ResidentConverter:
    """One LibreOffice plus its UNO worker, started on demand and restarted when dead."""

    def __init__(self, soffice: str, python: str | None = None) -> None:
        self.soffice = soffice
        self._python = python
        self._lock = threading.Lock()
        self._office: subprocess.Popen[bytes] | None = None
        self._worker: subprocess.Popen[str] | None = None
        self._home: tempfile.TemporaryDirectory[str] | None = None
        self._failed_at: float | None = None
        #: How many times LibreOffice was (re)started; tests and the bench read it.
        self.starts = 0

    # -- life cycle -------------------------------------------------------------------
    @property
    def office_pid(self) -> int | None:
        """The process id of the running LibreOffice, if any."""
        return self._office.pid if self._office and self._office.poll() is None else None

    def _alive(self) -> bool:
        return bool(
            self._office and self._office.poll() is None
            and self._worker and self._worker.poll() is None
        )  # fmt: skip

    def _died(self, exc: BaseException) -> bool:
        """Whether a failed conversion failed because LibreOffice went away."""
        if "DisposedException" in str(exc) or not self._alive():
            return True
        assert self._office is not None
        try:  # the launcher notices its soffice.bin's death a moment later
            self._office.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _start(self) -> None:
        if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER:
            raise Unavailable("the resident converter failed to start a moment ago")
        self._stop()
        python = self._python or uno_python()
        if python is None:
            self._failed_at = time.monotonic()
            raise Unavailable("no Python with the 'uno' module (apt-get install python3-uno)")
        self._python = python
        self._home = tempfile.TemporaryDirectory(prefix="uchet-office-")
        home = self._home.name
        pipe = f"uchet-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "HOME": home}
        # A private profile: a second LibreOffice on the default profile would hand its
        # work to this one (or the other way round) instead of running on its own.
        self._office = subprocess.Popen(
            [self.soffice, f"-env:UserInstallation={Path(home, 'profile').as_uri()}",
             "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
             "--nolockcheck", f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True,
        )  # fmt: skip
        self._worker = subprocess.Popen(
            [python, str(WORKER), pipe, str(START_TIMEOUT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env=env, start_new_session=True,
        )  # fmt: skip
        self.starts += 1
        try:
            answer = self._read(START_TIMEOUT + 5)
        except ConversionFailed as exc:
            answer = {"error": str(exc)}
        if not answer.get("ready"):
            self._stop()
            self._failed_at = time.monotonic()
            raise Unavailable(f"LibreOffice did not start: {answer.get('error', 'no answer')}")
        self._failed_at = None

    def _stop(self) -> None:
        for proc in (self._worker, self._office):
            if proc is None:
                continue
            # The whole session: ``soffice`` is a launcher whose soffice.bin child would
            # outlive a kill of the launcher alone.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        self._worker = self._office = None
        if self._home is not None:
            self._home.cleanup()
            self._home = None

    def close(self) -> None:
        """Stop LibreOffice and the worker (at exit, or in tests)."""
        with self._lock:
            self._stop()

    # -- conversion -------------------------------------------------------------------
    def _read(self, timeout: float) -> dict[str, Any]:
        assert self._worker is not None and self._worker.stdout is not None
        out: IO[str] = self._worker.stdout
        ready, _, _ = select.select([out], [], [], timeout)
        line = out.readline() if ready else ""
        if not line:
            self._stop()
            raise ConversionFailed("LibreOffice did not answer" if not ready else "worker ended")
        result: dict[str, Any] = json.loads(line)
        return result

    def _ask(self, source: Path, target: Path) -> None:
        assert self._worker is not None and self._worker.stdin is not None
        self._worker.stdin.write(json.dumps({"source": str(source), "target": str(target)}))
        self._worker.stdin.write("\n")
        self._worker.stdin.flush()
        answer = self._read(CONVERT_TIMEOUT)
        if "error" in answer:
            raise ConversionFailed(answer["error"])

    def convert(self, source: Path, target: Path) -> None:
        """Convert the file ``source`` to the PDF ``target``.

        Raises :class:`Unavailable` when the resident converter cannot run (use the cold
        path) and :class:`ConversionFailed` when this document cannot be converted.
        """
        with self._lock:
            if not self._alive():
                self._start()
            try:
                self._ask(source, target)
            except (ConversionFailed, BrokenPipeError, OSError) as exc:
                if not self._died(exc):
                    raise ConversionFailed(str(exc)) from None
                # LibreOffice died under this document (killed, crashed): once more on a
                # fresh one, so a restart is invisible to the caller.
                self._start()
                self._ask(source, target)


_converters: dict[tuple[str, int], ResidentConverter] = {}
_converters_lock = threading.Lock()


def converter(soffice: str) -> ResidentConverter:
    """The process's resident converter for the LibreOffice command ``soffice``.

    Keyed by process id too: a forked server worker must not share its parent's pipes.
    """
    key = (soffice, os.getpid())
    with _converters_lock:
        if key not in _converters:
            _converters[key] = ResidentConverter(soffice)
        return _converters[key]


@atexit.register
def _close_all() -> None:
    for (_, pid), conv in list(_converters.items()):
        if pid == os.getpid():
            conv.close()
