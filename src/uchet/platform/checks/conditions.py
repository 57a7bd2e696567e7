"""Conditions of rules and report filters: ``{"field": ..., "op": ..., "value": ...}`` items,
grouped by ``{"any": [...]}``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def iter_conditions(
    conditions: Any, path: tuple[str | int, ...]
) -> Iterator[tuple[Mapping[str, Any], tuple[str | int, ...]]]:
    """Every simple condition (with ``field``) inside ``conditions``, ``any`` groups opened,
    with its pointer path."""
    for i, cond in enumerate(conditions):
        if "any" in cond:
            yield from iter_conditions(cond["any"], (*path, i, "any"))
        else:
            yield cond, (*path, i)
