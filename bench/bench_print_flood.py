"""Another user's print while one user floods the render queue (issue 13, point 3).

User 1 keeps ``--flooders`` threads busy printing a loop-bomb template (stored before the
upload check existed: each render runs until the worker is killed at the time limit).
User 2 prints an ordinary one-paragraph document ``--docs`` times, and we time those prints:

* alone (baseline);
* during the flood, with the pool as it was before (one worker, no per-user limit:
  user 2 waits behind every queued bomb);
* during the flood, with the pool as it is now (sized to the machine, at least 2 workers,
  one render per user, fair queue).

Run: ``PYTHONPATH=src python bench/bench_print_flood.py`` (about two minutes).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import threading
import time
from collections.abc import Callable

from docx import Document

from uchet.printeditor.errors import PrintError
from uchet.printeditor.worker import WorkerPool, pool_size

BOMB = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


def docx(text: str) -> bytes:
    doc = Document()
    doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def timed(pool: WorkerPool, docs: int) -> list[float]:
    """Seconds per ordinary print of user 2."""
    ordinary = docx("Акт {{ title }}")
    out = []
    for n in range(docs):
        start = time.perf_counter()
        pool.render("docx", ordinary, {"title": str(n)}, "card", owner=2)
        out.append(time.perf_counter() - start)
    return out


def flooded(pool: WorkerPool, flooders: int, run: Callable[[], list[float]]) -> list[float]:
    """``run`` while user 1 keeps ``flooders`` bomb prints going."""
    stop = threading.Event()
    bomb = docx(BOMB)

    def flood() -> None:
        while not stop.is_set():
            # Killed at the time limit, or told busy: print again at once.
            with contextlib.suppress(PrintError):
                pool.render("docx", bomb, {}, "bomb", owner=1)

    threads = [threading.Thread(target=flood) for _ in range(flooders)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # the flood is queued before user 2 prints
    try:
        return run()
    finally:
        stop.set()
        for t in threads:
            t.join()


def warm(pool: WorkerPool) -> None:
    """Start every worker (a cold start imports docxtpl: seconds, not what we measure)."""
    threads = [
        threading.Thread(target=pool.render, args=("docx", docx("warm"), {}, "warm", n + 100))
        for n in range(pool.size)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def row(name: str, times: list[float]) -> str:
    return f"| {name} | {statistics.median(times):.2f} | {max(times):.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3, help="ordinary prints per case")
    parser.add_argument("--flooders", type=int, default=4, help="user 1's concurrent prints")
    parser.add_argument("--time-limit", type=float, default=3.0, help="seconds per render")
    args = parser.parse_args()
    limit = args.time_limit
    print(f"Python {sys.version.split()[0]}, {args.flooders} flooding prints, time limit "
          f"{limit:g} s, {args.docs} ordinary prints per case\n")  # fmt: skip
    print("| case | median s per ordinary print | max s |")
    print("|---|---:|---:|")

    now = WorkerPool(None, time_limit=limit, per_user=1)
    warm(now)
    print(row(f"alone ({now.size} workers)", timed(now, args.docs)))
    # Before: one worker, everyone in one queue, no per-user limit, waiting forever.
    before = WorkerPool(1, time_limit=limit, per_user=10_000, queue_wait=3600)
    warm(before)
    print(row("flooded, before: 1 worker, no per-user limit",
              flooded(before, args.flooders, lambda: timed(before, args.docs))))  # fmt: skip
    before.close()
    print(row(f"flooded, now: {now.size} workers, 1 render per user",
              flooded(now, args.flooders, lambda: timed(now, args.docs))))  # fmt: skip
    now.close()
    print(f"\n(pool_size() on this machine: {pool_size()})")


if __name__ == "__main__":
    main()
