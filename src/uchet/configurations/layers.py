"""Where an effective value comes from (issue 14, point 4).

The effective configuration is ``merge(base bundle, *file overlays, database overlay)``.
An integrator's file overlay and the end users' database overlay may set the same property
(a field's label, say): the structure editor shows the effective value and the layer it
comes from, and the values of the layers under it, so nobody wonders why a change in a file
"does not work". :class:`Layers` merges the layers one at a time and remembers each stage.

Pure functions over JSON data: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from uchet.configurations.overlay import Overlay, merge
from uchet.platform.model.config import Source

#: The name of the bottom layer: the configuration bundle's own files.
BASE = "base"
#: The name of the top layer.
DATABASE = "database"


@dataclass(frozen=True)
class Layered:
    """A property's effective value, the layer that gave it, and every layer's value."""

    value: Any
    #: ``base``, an overlay file's name, or ``database``.
    layer: str
    #: (layer, value) of each layer that set the property, bottom first.
    history: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def contested(self) -> bool:
        """Whether a file overlay and the database overlay both set it."""
        layers = [name for name, _ in self.history]
        return DATABASE in layers and any(n not in (BASE, DATABASE) for n in layers)


class Layers:
    """The objects of a configuration tree after each layer: base, each file overlay, the
    database overlay (merged with the same pure merge as the loader)."""

    def __init__(
        self,
        tree: Mapping[str, Any],
        sources: Mapping[str, Source],
        file_overlays: Sequence[Overlay],
        database: Mapping[str, Any] | None,
    ):
        stages: list[tuple[str, list[Overlay]]] = [(BASE, [])]
        stages += [(o.file, list(file_overlays[: i + 1])) for i, o in enumerate(file_overlays)]
        if database is not None:
            stages.append((DATABASE, [*file_overlays, Overlay(DATABASE, database)]))
        self.stages: list[tuple[str, dict[str, dict[str, Any]]]] = []
        for name, overlays in stages:
            merged = merge(dict(tree), sources, overlays)
            self.stages.append((name, _objects(merged.tree)))

    def of(self, target: str, prop: str) -> Layered | None:
        """The effective value of ``prop`` of object ``target`` and where it comes from;
        None when no layer has the object."""
        history: list[tuple[str, Any]] = []
        previous: Any = _MISSING
        seen = False
        for name, objects in self.stages:
            obj = objects.get(target)
            if obj is None:
                continue
            seen = True
            value = obj.get(prop, _MISSING)
            if value != previous:
                if value is not _MISSING:
                    history.append((name, value))
                previous = value
        if not seen:
            return None
        if not history or previous is _MISSING:
            return Layered(None, BASE, history)
        return Layered(previous, history[-1][0], history)


_MISSING = object()


def _objects(tree: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Id -> object of the tables, fields, documents and menu sections of a tree."""
    found: dict[str, dict[str, Any]] = {}
    for table in tree.get("tables", ()):
        found[table["id"]] = table
        found.update({f["id"]: f for f in table.get("fields", ())})
    for key in ("forms", "print_forms", "roles", "reports", "dashboards", "message_templates"):
        found.update({d["id"]: d for d in tree.get(key, ())})
    found.update({s["id"]: s for s in tree.get("manifest", {}).get("sections", ())})
    return found
