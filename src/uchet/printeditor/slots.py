"""Fair render slots (issue 13, point 3): how the worker pool hands out its workers.

Two rules keep one user's prints from stalling everyone else's:

* **per owner**: an owner (a user id) holds at most ``per_owner`` slots, counting the
  renders that wait for one. A user who fires ten prints at once has one rendering; the
  other nine wait on *their own* limit, outside the queue, so they never stand in front of
  another user;
* **first come, first served** among the renders that may run: a freed slot goes to the
  render that has waited longest (a ticket queue, not a race on a lock), so another user's
  print is next as soon as the current render ends or is killed at its time limit.

A wait longer than ``wait`` seconds gives :class:`~uchet.printeditor.errors.PrintBusy`
instead of queueing forever. The slots are plain objects (workers); this module knows
nothing about processes, so tests drive it with stand-ins that block on events.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from uchet.printeditor.errors import PrintBusy

__all__ = ["Slots"]

T = TypeVar("T")


class Slots(Generic[T]):
    """A fixed set of ``items`` lent out fairly, at most ``per_owner`` to one owner."""

    def __init__(self, items: list[T], per_owner: int = 1, wait: float = 10.0) -> None:
        self.per_owner = max(1, per_owner)
        self.wait = wait
        self._free: deque[T] = deque(items)
        self._queue: deque[object] = deque()  # tickets of renders waiting for a slot
        self._owners: Counter[Hashable] = Counter()  # renders running or queued, per owner
        self._cond = threading.Condition()

    @contextmanager
    def take(self, owner: Hashable | None, form: str) -> Iterator[T]:
        """A slot for one render of ``owner`` (``None``: no per-owner limit)."""
        item = self._acquire(owner, form)
        try:
            yield item
        finally:
            with self._cond:
                self._free.append(item)
                if owner is not None:
                    self._owners[owner] -= 1
                self._cond.notify_all()

    def _acquire(self, owner: Hashable | None, form: str) -> T:
        deadline = time.monotonic() + self.wait
        with self._cond:
            if owner is not None:
                mine = self._cond.wait_for(
                    lambda: self._owners[owner] < self.per_owner, _left(deadline)
                )
                if not mine:
                    raise PrintBusy(
                        form, "your previous prints are still running; try again shortly",
                        self.wait,
                    )  # fmt: skip
                self._owners[owner] += 1
            ticket = object()
            self._queue.append(ticket)
            turn = self._cond.wait_for(
                lambda: bool(self._free) and self._queue[0] is ticket, _left(deadline)
            )
            self._queue.remove(ticket)
            if not turn:
                if owner is not None:
                    self._owners[owner] -= 1
                self._cond.notify_all()  # the next ticket may be first now
                raise PrintBusy(form, "all print workers are busy; try again shortly", self.wait)
            self._cond.notify_all()
            return self._free.popleft()

    def waiting(self) -> int:
        """Renders queued for a slot (not counting those held back by their owner's limit)."""
        with self._cond:
            return len(self._queue)


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
