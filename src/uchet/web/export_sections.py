"""Group header rows of an exported list (issue 17, point 7: "grouping as sections where
the format allows").

A grouped list is read sorted by its group fields (``query_options``), so a group starts
where the group key of a row differs from the previous row's. :class:`GroupSections` turns
that change into :class:`Section` items placed before the row; the formats whose files have
rows for them (xlsx, ods, html, docx: ``Exporter.sections``) write each as one header row
(«Город: Москва»), the data formats (csv, json, xml) get none and keep one record per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from uchet.platform.model.config import Field


@dataclass(frozen=True)
class Section:
    """A group header row: the group's level (0 outermost) and its title."""

    depth: int
    title: str


class GroupSections:
    """Yields the sections that start before each row of a list sorted by ``groups``."""

    def __init__(
        self,
        groups: list[Field],
        label: Callable[[Field], str],
        text: Callable[[Field, dict[str, Any]], str],
    ):
        self.groups, self.label, self.text = groups, label, text
        self._previous: tuple[Any, ...] | None = None

    def starting(self, row: dict[str, Any]) -> Iterator[Section]:
        """The sections ``row`` opens (an outer group's change reopens the inner ones)."""
        key = tuple(row.get(f.name) for f in self.groups)
        previous, self._previous = self._previous, key
        for depth, f in enumerate(self.groups):
            if previous is None or previous[: depth + 1] != key[: depth + 1]:
                value = self.text(f, row) or "—"
                yield Section(depth, f"{self.label(f)}: {value}")


def is_section(item: Any) -> bool:
    """Whether an exported item is a group header row rather than a row of cells."""
    return isinstance(item, Section)
