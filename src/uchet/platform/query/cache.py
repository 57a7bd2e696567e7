"""The statement cache of list queries.

Building a list query's SQL and letting SQLAlchemy compile it cost several times what
SQLite needs for a page. A query is therefore checked every time but built once per
*shape*: everything its statements depend on besides bound values (table, columns, sort,
filters' fields and operators, search words, rights...). The statements of the first query
of a shape are kept per model version and run again with the next query's values; being
the same objects, they also hit SQLAlchemy's compiled cache without computing a new key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from uchet.platform.schema.compiler import CompiledModel

#: Entries kept per model version and cache: statements by query shape, resolved columns.
TEMPLATES = 512


class LRU:
    """The most recently used values by key, at most ``size`` (safe across threads)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value stored for ``key``, or ``build()`` stored now. A build that raises
        stores nothing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            value = self._items.setdefault(key, value)
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every value (tests compare a cached path with an uncached one)."""
        with self._lock:
            self._items.clear()


def model_cache(model: CompiledModel, name: str) -> LRU:
    """The LRU called ``name`` of this model version (dropped with the model)."""
    return model.cached((name,), lambda: LRU(TEMPLATES))
